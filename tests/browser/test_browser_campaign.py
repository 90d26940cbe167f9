"""A campaign mail followed in Chromium: the partner opens its personal link, confirms its
record, then sends a correction; no cookie, confirmations on screen and focused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import db
from app.models import CampaignMessage, CorrectionRequest, Partner, utcnow

from ..e2e.browser_checks import AXE, AXE_OPTIONS, OVERFLOW, SETTLE

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390, 320)


def assert_accessible(page) -> None:
    """What the e2e lane asks of a page it cannot reach (a personal link): no horizontal
    scroll at any width, no axe-core WCAG A/AA violation."""
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLE)
        assert page.evaluate(OVERFLOW) <= 0, f"défilement horizontal à {width} px"
    page.set_viewport_size(original)
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in violations]


@pytest.fixture
def mailed(live_app, base_url, smtp, monkeypatch):
    """One Oise partner mailed by ``relais campaign send`` through the local SMTP server,
    its links on the served app; ``(link, partner id)``."""
    monkeypatch.setitem(live_app.config, "RELAIS_SMTP_URL", smtp.url)
    monkeypatch.setitem(live_app.config, "RELAIS_PUBLIC_URL", base_url)
    result = live_app.test_cli_runner().invoke(
        args=["campaign", "send", "--departement", "60", "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    [mail] = smtp.messages
    with db.session_scope(live_app) as session:
        message = session.scalars(
            select(CampaignMessage).order_by(CampaignMessage.id.desc()).limit(1)
        ).one()
        assert message.email == mail["To"]
        partner_id = message.partner_id
    return smtp.link(mail), partner_id


def test_mailed_link_confirm_then_correct(browser, live_app, mailed, artifacts):
    link, partner_id = mailed
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(link)
        expect(page.locator("h1")).to_contain_text("Votre fiche sur Relais")
        assert_accessible(page)
        page.get_by_role("button", name="Ces informations sont exactes").click()
        confirmation = page.locator("#reponse")
        expect(confirmation).to_contain_text("la fiche est marquée comme à jour")
        expect(confirmation).to_be_focused()
        page.screenshot(path=str(artifacts / "campagne-confirmee-390.png"))
        with db.session_scope(live_app) as session:
            assert session.get(Partner, partner_id).verified_at.date() == utcnow().date()

        page.get_by_label("Site web").fill("www.sans-protocole.example")
        page.get_by_role("button", name="Envoyer les corrections").click()
        expect(page.locator(".error-summary")).to_contain_text("Le site web doit commencer")
        assert_accessible(page)
        page.get_by_label("Site web").fill("")
        page.get_by_label("Téléphone").fill("03 44 99 99 99")
        page.get_by_role("button", name="Envoyer les corrections").click()
        expect(page.locator("#reponse")).to_contain_text("vos corrections ont été transmises")
        with db.session_scope(live_app) as session:
            item = session.scalars(
                select(CorrectionRequest).where(CorrectionRequest.partner_id == partner_id)
            ).one()
            assert item.kind == "correction"
            assert item.changes == {"telephone": "03 44 99 99 99"}
            assert session.get(Partner, partner_id).telephone != "03 44 99 99 99"
        page.goto(link + "/desabonnement")
        assert_accessible(page)
        assert context.cookies() == []
        assert errors == []
    finally:
        context.close()


def test_proposal_form_in_chromium(browser, base_url):
    context = browser.new_context(viewport={"width": 320, "height": 800}, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(base_url + "/proposer-une-structure")
        page.get_by_role("button", name="Envoyer la proposition").click()
        expect(page.locator(".error-summary")).to_contain_text("Choisissez un type de structure.")
        assert_accessible(page)
        assert context.cookies() == []
    finally:
        context.close()
