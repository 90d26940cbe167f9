"""« Mise en lien » in Chromium: the fiche de liaison (printed, e-mail), the person's fiche in
every language (one page, no missing glyph, right to left where needed), the carnet (kept over
a reload, exported), and nothing typed ever reaching the server's files or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect

from app.pages import handover

from ..e2e.browser_checks import AXE, AXE_OPTIONS
from .steps import orient

pytestmark = pytest.mark.browser

# Distinctive values a CIP could type: none may reach the database, the logs or the instance.
TYPED = {
    "nom": "Zéphyrine Quastor",
    "structure": "Association Brindille-Azur",
    "contact": "07 00 13 57 91",
    "situation": "Hébergée chez sa sœur, cherche un CAP Bricomoulin",
    "referent": "Madame Ombeline Vastrac",
    "notes": "Rappeler le jeudi, code porte 4812B",
}

# Each character of the person's language drawn on a canvas with the span's own fonts and
# compared with the drawing of a character no font has (U+0378, unassigned): equal pixels
# mean a « tofu » box. U+E000 (private use) is the check that the detector sees a box.
MISSING_GLYPHS_JS = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = 48; canvas.height = 48;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const draw = (ch, font) => {
    ctx.clearRect(0, 0, 48, 48);
    ctx.font = font;
    ctx.fillText(ch, 6, 34);
    return ctx.getImageData(0, 0, 48, 48).data.join(",");
  };
  const spans = [...document.querySelectorAll(".bi__tr")];
  const missing = new Set();
  let detectorWorks = true;
  for (const span of spans) {
    const font = "28px " + getComputedStyle(span).fontFamily;
    const box = draw("\\u0378", font);
    if (draw("\\ue000", font) !== box) detectorWorks = false;
    for (const ch of new Set(span.textContent)) {
      if (/[\\s\\p{Cf}\\p{Mn}]/u.test(ch)) continue;
      if (draw(ch, font) === box) missing.add(ch);
    }
  }
  return { spans: spans.length, missing: [...missing], detectorWorks };
}
"""


def page_count(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def write_liaison(page) -> None:
    """Choose the first proposed partner and type every field of the fiche de liaison."""
    page.locator("[data-liaison-choose]").first.click()
    expect(page.locator("#liaison-titre")).to_be_focused()
    page.fill("#liaison-nom", TYPED["nom"])
    page.fill("#liaison-structure", TYPED["structure"])
    page.fill("#liaison-contact", TYPED["contact"])
    page.check("#liaison-memoriser")
    page.fill("#liaison-situation", TYPED["situation"])


def fill_carnet(page, base_url: str, partner_url: str) -> None:
    """Save one partner from its page, then type the référent and notes in the carnet."""
    page.goto(base_url + partner_url)
    save = page.locator("[data-carnet-save]")
    save.click()
    expect(save).to_have_attribute("aria-pressed", "true")
    page.goto(base_url + "/carnet")
    page.locator("[data-carnet-field='referent']").first.fill(TYPED["referent"])
    page.locator("[data-carnet-field='notes']").first.fill(TYPED["notes"])


def test_fiche_de_liaison_printed_on_one_page_and_its_mailto(page, base_url, artifacts):
    page.add_init_script("window.print = function () { window.__printed = true; };")
    orient(page, base_url)
    write_liaison(page)
    partner = page.locator("#liaison-partenaire option:checked").inner_text()
    # no consent, no letter
    page.get_by_role("button", name="Imprimer la fiche de liaison").click()
    expect(page.locator("[data-liaison-error]")).to_be_visible()
    assert not page.evaluate("window.__printed === true")
    page.check("#liaison-accord")
    page.get_by_role("button", name="Imprimer la fiche de liaison").click()
    assert page.evaluate("window.__printed === true")
    letter = page.locator("[data-liaison-letter]")
    expect(letter).to_contain_text(TYPED["situation"])
    expect(letter).to_contain_text(
        "La personne est d'accord pour que je vous transmette ces informations."
    )
    expect(letter).to_contain_text("Vos horaires (d'après Relais)")
    page.emulate_media(media="print")
    expect(letter).to_be_visible()
    expect(page.locator("[data-fiche-sheet]")).to_be_hidden()
    expect(page.locator("#liaison-nom")).to_be_hidden()
    page.screenshot(path=str(artifacts / "fiche-liaison.png"), full_page=True)
    assert page_count(page.pdf(format="A4")) == 1
    page.emulate_media(media="screen")

    href = page.locator("[data-liaison-mail]").get_attribute("href")
    parts = urlsplit(href)
    assert parts.scheme == "mailto"
    query = parse_qs(parts.query)
    name = partner.split(" (")[0]
    assert query["subject"] == [f"Orientation d'une personne accompagnée – {name}"]
    body = query["body"][0]
    for value in (TYPED["nom"], TYPED["structure"], TYPED["contact"], TYPED["situation"]):
        assert value in body
    assert "La personne est d'accord pour que je vous transmette ces informations." in body
    assert "Mobilité" in body and "Justice" in body
    assert "@" in unquote(parts.path) or parts.path == ""  # the partner's address when known
    # the CIP's own details come back on this device, and only there
    page.reload()
    assert TYPED["nom"] in page.evaluate("localStorage.getItem('relais.liaison.orienteur')")
    assert page.errors == []


@pytest.fixture
def partner_path(page, base_url) -> str:
    """The page of the real partner near Beauvais with the most to print (the longest hours
    and description, a point on the map): the hardest case for « one page »."""
    answer = page.request.get(base_url + "/api/v1/partners?commune=60057&radius_km=30&per_page=50")
    hits = [p for p in answer.json()["results"] if p.get("lat") is not None]
    hits.sort(key=lambda p: len(p.get("horaires") or "") + len(p.get("description") or ""))
    assert hits and hits[-1]["horaires"], "aucune structure avec horaires près de Beauvais"
    return f"/partenaires/{hits[-1]['id']}"


@pytest.mark.parametrize("choice", ["fr", handover.FALC, *handover.LANGUAGES])
def test_person_fiche_in_each_language_one_page_no_missing_glyph(
    page, base_url, partner_path, artifacts, choice
):
    page.goto(f"{base_url}{partner_path}/fiche?langue={choice}")
    sheet = page.locator("[data-person-sheet]")
    expect(sheet).to_be_visible()
    found = page.evaluate(MISSING_GLYPHS_JS)
    assert found["detectorWorks"]
    assert found["missing"] == [], f"glyphes absents en {choice} : {found['missing']}"
    language = handover.LANGUAGES.get(choice)
    if language:
        assert found["spans"] >= 10
        direction = page.locator(".bi__tr").first.evaluate("e => getComputedStyle(e).direction")
        assert direction == ("rtl" if language.rtl else "ltr")
        assert page.locator(".bi__tr").first.get_attribute("lang") == language.html_lang
    page.emulate_media(media="print")
    expect(page.locator(".sheet-tools")).to_be_hidden()
    sheet.screenshot(path=str(artifacts / f"fiche-personne-{choice}.png"))
    assert page_count(page.pdf(format="A4")) == 1
    assert page.errors == []


def test_carnet_survives_a_reload_exports_and_comes_first(page, base_url, tmp_path):
    page.goto(base_url + "/?frein=mobilite&commune=60057")
    last = page.locator("ol.cards > li").last
    name = last.locator(".card__title").inner_text()
    last.locator("[data-carnet-save]").click()
    page.reload()
    first = page.locator("ol.cards > li").first
    expect(first.locator(".card__title")).to_have_text(name)
    expect(first.locator(".badge--carnet")).to_have_text("Dans mon carnet")

    page.goto(base_url + "/carnet")
    expect(page.locator(".carnet-entry h2")).to_have_text([name])
    page.locator("[data-carnet-field='referent']").fill(TYPED["referent"])
    page.locator("[data-carnet-field='notes']").fill(TYPED["notes"])
    page.reload()
    expect(page.locator("[data-carnet-field='referent']")).to_have_value(TYPED["referent"])
    expect(page.locator("[data-carnet-field='notes']")).to_have_value(TYPED["notes"])

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Exporter en CSV (tableur)").click()
    assert csv_download.value.suggested_filename == "mes-partenaires.csv"
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith('"Nom";"Type";') and name in text and TYPED["notes"] in text
    with page.expect_download() as vcard_download:
        page.get_by_role("button", name="Exporter en vCard (contacts)").click()
    vcard = Path(vcard_download.value.path()).read_bytes().decode("utf-8")
    assert vcard.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and "Ombeline Vastrac" in vcard

    page.get_by_role("button", name=f"Retirer {name} du carnet").click()
    expect(page.locator("[data-carnet-empty]")).to_be_visible()
    assert page.errors == []


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_nothing_typed_reaches_the_server(page, base_url, live_app, partner_path):
    records = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        page.add_init_script("window.print = function () {};")
        orient(page, base_url)
        write_liaison(page)
        page.check("#liaison-accord")
        page.get_by_role("button", name="Imprimer la fiche de liaison").click()
        expect(page.locator("[data-liaison-letter]")).to_contain_text(TYPED["situation"])
        page.goto(f"{base_url}{partner_path}/fiche?langue=ar")
        fill_carnet(page, base_url, partner_path)
        page.reload()
        expect(page.locator("[data-carnet-field='notes']")).to_have_value(TYPED["notes"])
    finally:
        root.removeHandler(records)
        root.setLevel(level)
    database = Path(live_app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    files = [database, *Path(database).parent.glob(database.name + "-*")]
    files += [p for p in Path(live_app.instance_path).rglob("*") if p.is_file()]
    logs = "\n".join(records.lines)
    assert records.lines  # the server did log this flow's requests
    for value in TYPED.values():
        assert value not in logs
        for path in files:
            data = path.read_bytes()
            assert value.encode() not in data and value.encode("utf-16-le") not in data, path


def test_handover_surfaces_pass_axe(page, base_url, partner_path):
    """The states the crawl cannot reach: a filled carnet, the fiche in Arabic and in plain
    French, the fiche de liaison being written."""
    found = []

    def axe(surface: str) -> None:
        response = AXE.run(page, options=AXE_OPTIONS).response
        found.extend((surface, v["id"]) for v in response["violations"])

    page.goto(base_url + partner_path)
    page.locator("[data-carnet-save]").click()
    for path in ("/carnet", partner_path + "/fiche?langue=ar", partner_path + "/fiche?langue=falc"):
        page.goto(base_url + path)
        axe(path)
    orient(page, base_url)
    write_liaison(page)
    axe("fiche de liaison")
    assert found == []
