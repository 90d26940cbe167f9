"""The journeys a user makes, in Chromium, on the app served the README's way.

Every page reached is checked by :func:`browser_checks.check` (reflow at 1280, 390 and 320 px,
axe-core WCAG 2.1 AA, console errors, 5xx, English or traceback text); the test ends by the
ledger's verdict, so one walk reports every defect it meets rather than the first.
"""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .browser_checks import check
from .findings import body_findings, expectation
from .http_client import Client

SEARCH = {"label": "Mobilité", "commune": "Amiens"}


def _journey(ledger, name: str) -> None:
    ledger.count("journeys")
    ledger.surfaces.add(f"parcours {name}")


def test_search_results_partner_pages_and_report(page, base_url, ledger):
    _journey(ledger, "recherche → fiches → signalement")
    page.goto(base_url + "/")
    check(page, ledger, "recherche")
    page.get_by_text(SEARCH["label"], exact=True).click()
    commune = page.get_by_role("combobox", name=re.compile("Commune"))
    commune.press_sequentially(SEARCH["commune"], delay=30)
    expect(page.get_by_role("option").first).to_be_visible()
    commune.press("ArrowDown")
    commune.press("Enter")
    page.get_by_role("button", name="Rechercher").click()
    heading = page.locator("#resultats-titre")
    expect(heading).to_contain_text(re.compile(r"\d+ résultats? autour"))
    elision = re.search(r"\b[dD]e [AEIOUYÉÈÊÂÎÔ]", heading.inner_text()) is None
    ledger.add(expectation(page.url, elision, f"élision : « {heading.inner_text().strip()} »"))
    check(page, ledger, "recherche avec résultats")
    links = page.locator("#zone-resultats .card__title a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 5, f"trop peu de résultats : {len(hrefs)}"
    links.first.click()  # "voir la fiche", as a user does; then every other result's page
    expect(page).to_have_url(re.compile(re.escape(hrefs[0]) + "$"))
    for href in hrefs:
        if not page.url.endswith(href):
            page.goto(base_url + href)
        expect(page.locator("h1")).to_be_visible()
        check(page, ledger, "fiche partenaire")
    # The report form of the last one, submitted from a phone: a French confirmation, in view.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label(re.compile("Ce qui est inexact")).fill(
        "Le numéro de téléphone ne répond plus (vérification de bout en bout)."
    )
    page.get_by_role("button", name="Envoyer le signalement").click()
    thanks = page.get_by_text(re.compile("Merci : votre signalement a été transmis"))
    expect(thanks).to_be_attached()
    page.wait_for_load_state("load")  # the jump to the fragment is done by then
    in_view = thanks.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight }"
    )
    ledger.add(expectation(page.url, in_view, "confirmation du signalement hors de l'écran"))
    page.set_viewport_size({"width": 1280, "height": 900})
    check(page, ledger, "signalement envoyé")
    ledger.verdict()


def test_search_button_searches_while_suggestions_are_open(page, base_url, ledger):
    """Type a commune, click « Rechercher »: it searches (the suggestions must not cover it)."""
    _journey(ledger, "recherche au clic, suggestions ouvertes")
    page.goto(base_url + "/")
    page.get_by_role("combobox", name=re.compile("Commune")).press_sequentially("St Quentin")
    expect(page.get_by_role("option").first).to_be_visible()
    # Where a user's pointer goes: the button's place (scrolled to, as a user would when the
    # open list pushes it down), whatever lies on top of it.
    button = page.get_by_role("button", name="Rechercher")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    searched = page.locator("#resultats-titre")
    with contextlib.suppress(PlaywrightTimeout):
        searched.wait_for(state="visible", timeout=5_000)
    ledger.add(
        expectation(
            page.url,
            searched.count() == 1 and "commune=" in page.url,
            "clic sur « Rechercher » avec les suggestions ouvertes : pas de recherche",
        )
    )
    check(page, ledger, "recherche au clic")
    ledger.verdict()


def test_orientation_printed_sheet_and_fit(page, base_url, ledger):
    _journey(ledger, "orientation → fiche imprimée → vérification")
    page.add_init_script("window.print = function () { window.__printed = true; };")
    page.goto(base_url + "/orientation")
    check(page, ledger, "orientation")
    # A name several communes bear: the page must offer them, not pick one silently.
    page.fill("#commune", "Sainte-Marie")
    page.locator("#commune").press("Escape")
    page.locator("label[for='o-frein-mobilite']").click()
    page.get_by_role("button", name="Proposer des structures").click()
    page.wait_for_load_state("load")
    # Communes are named "Nom (département)", as on the search page.
    text = page.locator("main").inner_text()
    named = set(re.findall(r"Sainte-Marie \((\d[\dAB]\d?)\)", text))
    ledger.add(expectation(page.url, len(named) >= 2, "communes homonymes non proposées"))
    check(page, ledger, "orientation : commune homonyme")
    page.goto(base_url + "/orientation")
    page.fill("#commune", SEARCH["commune"])
    page.locator("#commune").press("Escape")
    page.locator("label[for='o-frein-mobilite']").click()
    page.locator("label[for='o-frein-logement']").click()
    page.get_by_role("button", name="Proposer des structures").click()
    expect(page.locator("#propositions-titre")).to_contain_text("Propositions autour")
    assert page.url.endswith("/orientation")  # a POST: nothing about the person in the URL
    check(page, ledger, "orientation : propositions")
    page.get_by_role("button", name="Imprimer / Enregistrer en PDF").click()
    assert page.evaluate("window.__printed === true")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name="Fiche d'orientation")).to_be_visible()
    check(page, ledger, "fiche d'orientation imprimée")
    page.emulate_media(media="screen")
    page.locator("#verifier_id").select_option(index=1)
    page.locator(".fit-form button[type=submit]").first.click()
    expect(page.locator(".fit-result")).to_be_visible()
    check(page, ledger, "vérification d'une orientation")
    ledger.verdict()


def test_widget_on_another_origin_and_widget_page(page, base_url, host_url, ledger):
    _journey(ledger, "widget sur un autre site → /widget")
    page.goto(f"{host_url}/widget-host.html?relais={base_url}")
    widget = page.locator(".relais-widget")
    expect(widget.locator("li.r").first).to_be_visible()
    frame = page.frame_locator("#relais-iframe")
    expect(frame.locator(".card").first).to_be_visible()
    check(page, ledger, "widget sur un site partenaire", axe_scope=".relais-widget")
    page.goto(base_url + "/widget?freins=mobilite&commune=Amiens&limit=3")
    expect(page.locator(".card").first).to_be_visible()
    check(page, ledger, "/widget")
    ledger.verdict()


CONTENT_PAGES = (
    ("à propos et accessibilité", "/a-propos"),
    ("liste des partenaires", "/partenaires/"),
    ("recherche sans résultat", "/?q=zzqxwv"),
    ("commune inconnue", "/?commune=Zzqxwvville"),
    ("page introuvable", "/page-inexistante"),
    ("couverture du territoire", "/couverture?frein=mobilite&territoire=d%3A60"),
    ("proposer une structure", "/proposer-une-structure"),
    ("lien de campagne invalide", "/mise-a-jour/lien-invente"),
)


def test_content_and_error_pages(page, base_url, ledger):
    """The pages outside the journeys, audited the same way (the accessibility statement's base)."""
    _journey(ledger, "pages de contenu et d'erreur")
    for name, path in CONTENT_PAGES:
        page.goto(base_url + path)
        expect(page.locator("h1")).to_be_visible()
        check(page, ledger, name)
    ledger.verdict()


ADMIN_PAGES = (
    ("tableau de bord", "/admin/"),
    ("partenaires", "/admin/partenaires"),
    ("signalements", "/admin/signalements"),
    ("fusions", "/admin/fusions"),
    ("imports", "/admin/imports"),
    ("nouvel import", "/admin/imports/nouveau"),
    ("journal", "/admin/journal"),
    ("campagnes", "/admin/campagnes"),
)


def test_admin_with_the_cli_account(page, base_url, admin, ledger):
    _journey(ledger, "administration")
    page.goto(base_url + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/connexion"))
    check(page, ledger, "admin : connexion")
    email, password = admin
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    # The production cookie is Secure: Chromium must keep it on http://127.0.0.1.
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    for name, path in ADMIN_PAGES:
        page.goto(base_url + path)
        expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
        check(page, ledger, f"admin : {name}")
        if path == "/admin/partenaires":
            edit = page.locator("table a[href^='/admin/partenaires/']").first.get_attribute("href")
        if path == "/admin/imports":
            detail = page.locator("a[href^='/admin/imports/']:not([href$='nouveau'])")
            run = detail.first.get_attribute("href")
    for name, path in (("fiche en édition", edit), ("détail d'un import", run)):
        page.goto(base_url + path)
        check(page, ledger, f"admin : {name}")
    ledger.verdict()


def test_api_endpoints(base_url, ledger):
    """Each endpoint of /api/v1, read as a client would, with a valid and an invalid call."""
    _journey(ledger, "API")
    client = Client(base_url)
    partners = client.get("/api/v1/partners?frein=mobilite&commune=Amiens&per_page=5")
    some_id = partners.json()["results"][0]["id"]
    profile = {"commune": "Amiens", "freins": ["mobilite", "logement"]}
    calls = [
        ("GET", "/api/v1/freins", None, 200),
        ("GET", "/api/v1/communes?q=Amiens", None, 200),
        ("GET", "/api/v1/partners?frein=mobilite&commune=Amiens", None, 200),
        ("GET", f"/api/v1/partners/{some_id}", None, 200),
        ("GET", "/api/v1/recommendations?commune=Amiens&freins=mobilite,logement", None, 200),
        ("POST", "/api/v1/recommendations", profile, 200),
        ("POST", "/api/v1/fit", {**profile, "partner_id": some_id}, 200),
        ("GET", "/api/v1/openapi.json", None, 200),
        ("GET", "/api/v1/partners/inexistant", None, 404),
        ("GET", "/api/v1/partners?per_page=abc", None, 400),
        ("POST", "/api/v1/recommendations", {"freins": "x"}, 400),
        ("DELETE", "/api/v1/freins", None, 405),
    ]
    for method, path, body, expected in calls:
        answer = client.request(method, path, body=body)
        ledger.surfaces.add(f"API {method} {path.split('?')[0]}")
        ledger.count("api_calls")
        ledger.add(body_findings(answer.url, answer.status, answer.body))
        assert answer.status == expected, f"{method} {path} : {answer.status} {answer.body[:300]}"
        assert answer.content_type.startswith("application/json"), (path, answer.content_type)
        if expected >= 400:
            assert set(answer.json()["error"]) == {"code", "message", "details"}
    ledger.verdict()
