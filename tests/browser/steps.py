"""Steps several browser tests take the same way."""

from __future__ import annotations

from playwright.sync_api import expect


def orient(page, base_url: str) -> None:
    """The orientation of the browser tests: Beauvais, mobilité and justice."""
    page.goto(base_url + "/orientation")
    page.fill("#commune", "Beauvais")
    page.locator("#commune").press("Escape")
    page.locator("label[for='o-frein-mobilite']").click()
    page.locator("label[for='o-frein-justice']").click()
    page.get_by_role("button", name="Proposer des structures").click()
    expect(page.locator("#propositions-titre")).to_contain_text("Propositions autour de Beauvais")
