"""« Signaler une erreur » in Chromium: the confirmation is on screen after sending, and
the reader got no cookie."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}]
)
def test_report_confirmation_is_visible_and_focused(browser, base_url, artifacts, viewport):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base_url + "/partenaires/spip60")
        page.get_by_label("Ce qui est inexact").fill(
            f"Horaires faux le lundi ({viewport['width']})."
        )
        page.get_by_role("button", name="Envoyer le signalement").click()
        confirmation = page.locator("#signalement-envoye")
        expect(confirmation).to_have_attribute("role", "status")
        expect(confirmation).to_contain_text("Merci : votre signalement a été transmis.")
        expect(confirmation).to_be_in_viewport()
        expect(confirmation).to_be_focused()
        expect(page.get_by_role("button", name="Envoyer le signalement")).to_have_count(0)
        page.screenshot(path=str(artifacts / f"signalement-{viewport['width']}.png"))
        assert context.cookies() == []
        assert errors == []
    finally:
        context.close()
