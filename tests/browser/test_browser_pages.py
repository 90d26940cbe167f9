"""End-to-end scenarios in Chromium: search, orientation and its printed sheet, widget, admin."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..support.pages_support import PASSWORD
from .conftest import ADMIN_EMAIL

pytestmark = pytest.mark.browser


def test_search_by_frein_and_commune(page, base_url, artifacts):
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("Rechercher un partenaire")
    page.get_by_text("Mobilité", exact=True).click()  # the chip's label toggles the checkbox
    expect(page.locator("#frein-mobilite")).to_be_checked()
    commune = page.get_by_role("combobox", name=re.compile("Commune"))
    commune.press_sequentially("Beauva", delay=40)
    option = page.get_by_role("option", name=re.compile(r"^Beauvais"))
    expect(option.first).to_be_visible()
    commune.press("ArrowDown")
    commune.press("Enter")
    expect(commune).to_have_value(re.compile(r"^60000 Beauvais$"))
    page.get_by_role("button", name="Rechercher").click()
    heading = page.locator("#resultats-titre")
    expect(heading).to_contain_text(re.compile(r"\d+ résultats? autour de Beauvais \(60\)"))
    expect(page.locator("#annonce")).to_contain_text("autour de Beauvais")
    assert "frein=mobilite" in page.url and "commune=" in page.url  # shareable URL
    cards = page.locator("#zone-resultats .card")
    assert cards.count() >= 2
    expect(cards.first.locator(".card__distance")).to_have_text(
        re.compile(r"à \d+(,\d)? km|sur place")
    )
    # The partner name with a script tag is shown as text, never run.
    expect(page.get_by_text("<script>alert('relais')</script> Garage solidaire")).to_be_visible()
    # The map is there even though tiles are blocked; the list stays complete.
    expect(page.locator("[data-map]")).to_be_visible()
    expect(page.locator(".leaflet-marker-icon").first).to_be_attached()
    expect(page.locator("[data-map-note]")).to_contain_text("la liste des résultats reste complète")
    page.locator(".why summary").first.click()
    expect(page.locator(".why[open] li").first).to_be_visible()
    page.screenshot(path=str(artifacts / "recherche.png"), full_page=True)
    # A facet link refreshes the results in place.
    page.locator(".facet-list a").nth(1).click()
    expect(page.locator("#annonce")).to_contain_text("résultat")
    assert page.errors == []


def test_search_works_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + "/")
        page.locator("#frein-justice").check(force=True)
        page.fill("#commune", "Beauvais")
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("#resultats-titre")).to_contain_text("autour de Beauvais")
        expect(page.locator("[data-map]")).to_be_hidden()
    finally:
        context.close()


def test_orientation_with_two_freins_and_printed_sheet(page, base_url, artifacts):
    page.add_init_script("window.print = function () { window.__printed = true; };")
    page.goto(base_url + "/orientation")
    page.fill("#commune", "Beauvais")
    expect(page.get_by_role("option").first).to_be_visible()
    page.locator("#commune").press("Escape")  # close the suggestions, keep the typed text
    expect(page.get_by_role("listbox")).to_be_hidden()
    page.locator("label[for='o-frein-mobilite']").click()
    page.locator("label[for='o-frein-justice']").click()
    page.fill("#age", "34")
    page.locator("label[for='vehicule-non']").click()
    page.get_by_role("button", name="Proposer des structures").click()
    expect(page.locator("#propositions-titre")).to_contain_text("Propositions autour de Beauvais")
    # POST: nothing of the profile in the address (its port may hold any digits)
    assert page.url == base_url + "/orientation"
    expect(page.locator(".plan__summary")).to_contain_text(
        re.compile(r"Proposition : \d+ structures?")
    )
    expect(page.locator("#frein-mobilite-titre")).to_be_visible()
    expect(page.locator("#frein-justice-titre")).to_be_visible()
    expect(page.locator(".card--reco .badge--ok, .card--reco .badge--warn").first).to_be_visible()
    page.screenshot(path=str(artifacts / "orientation.png"), full_page=True)
    # Choose one more partner for the sheet, then print.
    extra = page.locator("[data-fiche]:not(:checked)").first
    if extra.count():
        extra.check()
    button = page.get_by_role("button", name="Imprimer / Enregistrer en PDF")
    expect(button).to_be_visible()
    button.click()
    assert page.evaluate("window.__printed === true")
    page.emulate_media(media="print")
    sheet = page.locator("[data-fiche-sheet]")
    expect(sheet).to_be_visible()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#propositions-titre")).to_be_hidden()
    expect(sheet.get_by_role("heading", name="Fiche d'orientation")).to_be_visible()
    assert sheet.locator(".fiche__item:visible").count() >= 2
    page.screenshot(path=str(artifacts / "fiche-orientation.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
    page.emulate_media(media="screen")
    assert page.errors == []


def test_widget_on_another_origin(page, base_url, host_url, artifacts):
    assert base_url.rsplit(":", 1)[1] != host_url.rsplit(":", 1)[1]
    page.goto(f"{host_url}/widget-host.html?relais={base_url}")
    widget = page.locator(".relais-widget")
    # Playwright's CSS locators pierce the open shadow root.
    expect(widget.get_by_role("heading", name="Les partenaires de Tremplin Oise")).to_be_visible()
    expect(widget.locator("li.r").first).to_be_visible()
    assert widget.locator("li.r").count() >= 2
    expect(widget.get_by_role("status")).to_contain_text("près de Beauvais (60)")
    # The verdict on the fit, and apart from it the record's age when old (fiabilite).
    expect(widget.locator("li.r").first).to_contain_text("Orientation : ")
    # Host styles do not leak in (host sets every button hot pink).
    bg = widget.get_by_role("button", name="Rechercher").evaluate(
        "b => getComputedStyle(b).backgroundColor"
    )
    assert bg == "rgb(11, 79, 138)"
    # A new search from the widget, with the autocomplete.
    widget.get_by_label("Besoin").select_option("justice")
    field = widget.get_by_role("combobox", name="Commune")
    field.fill("")
    field.press_sequentially("Amien", delay=40)
    expect(widget.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    field.press("ArrowDown")
    field.press("Enter")
    widget.get_by_role("button", name="Rechercher").click()
    expect(widget.get_by_role("status")).to_contain_text("Amiens")
    # The iframe variant, served by Relais, framed by the host.
    frame = page.frame_locator("#relais-iframe")
    expect(frame.locator(".card").first).to_be_visible()
    page.screenshot(path=str(artifacts / "widget-hote.png"), full_page=True)
    assert page.errors == []


def test_admin_login_and_import(page, base_url, artifacts, tmp_path):
    csv_file = tmp_path / "liste_partenaires_oise.csv"
    csv_file.write_text(
        "nom;type;adresse;code_postal;commune;telephone\n"
        "Garage solidaire du Clermontois;garage solidaire;1 rue des Ateliers;60600;Clermont;"
        "03 44 50 60 70\n"
        ";;ligne sans nom;60000;Beauvais;\n",
        encoding="utf-8",
    )
    page.goto(base_url + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/connexion"))
    page.get_by_label("Adresse électronique").fill(ADMIN_EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    page.get_by_role("link", name="Importer un fichier").first.click()
    page.get_by_label(re.compile("Fichier CSV ou JSON")).set_input_files(str(csv_file))
    page.get_by_label("Simulation (ne rien enregistrer)").uncheck()
    page.get_by_role("button", name="Lancer l'import").click()
    report = page.locator(".import-report")
    expect(report.get_by_role("heading", name="Rapport d'import")).to_be_visible()
    expect(report).to_contain_text("liste_partenaires_oise.csv")
    expect(report).to_contain_text("Lignes rejetées (1)")
    page.screenshot(path=str(artifacts / "admin-import.png"), full_page=True)
    page.get_by_role("link", name="Imports", exact=True).click()
    expect(page.locator("table")).to_contain_text("liste_partenaires_oise.csv")
    page.goto(base_url + "/?q=Clermontois")
    expect(page.locator("#zone-resultats")).to_contain_text("Garage solidaire du Clermontois")


def test_search_page_weight_under_300_kb(page, base_url, artifacts):
    """First load of a search with 20 results: HTML + CSS + JS + Leaflet + icons, no tiles."""
    sizes: dict[str, int] = {}

    def record(response):
        if response.url.startswith(base_url) and response.status == 200:
            sizes[response.url.removeprefix(base_url)] = len(response.body())

    page.on("response", record)
    page.goto(base_url + "/?frein=mobilite&commune=60057", wait_until="networkidle")
    page.wait_for_timeout(300)
    page.remove_listener("response", record)
    total = sum(sizes.values())
    lines = [f"{size:>8} o  {url}" for url, size in sorted(sizes.items(), key=lambda x: -x[1])]
    lines.append(f"{total:>8} o  TOTAL (sans tuiles de carte)")
    (artifacts / "poids-recherche.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert any(u.startswith("/static/vendor/leaflet/leaflet.js") for u in sizes)
    assert total <= 300 * 1024, "\n".join(lines)
