"""One look at a page in Chromium: reflow at three widths, axe-core, console and server errors."""

from __future__ import annotations

from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe

from .findings import Finding, Ledger, body_findings

WIDTHS = (1280, 390, 320)
AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _local(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"


def watch(page) -> None:
    """Keep the page's console errors, uncaught exceptions and 5xx responses for :func:`check`."""
    page.problems = []

    def console(message) -> None:
        where = message.location.get("url", "") if message.location else ""
        # Requests we abort ourselves (map tiles, anything not 127.0.0.1) are not defects.
        aborted_by_us = bool(where) and not _local(where)
        # Chromium logs the status of an error page itself; the page is judged on its own.
        error_page = where == page.url and message.text.startswith("Failed to load resource")
        if message.type == "error" and not aborted_by_us and not error_page:
            page.problems.append(Finding("console", page.url, message.text[:300]))

    def response(resp) -> None:
        if resp.status >= 500 and _local(resp.url):
            page.problems.append(Finding("5xx", resp.url, f"HTTP {resp.status}"))

    page.on("console", console)
    page.on("pageerror", lambda exc: page.problems.append(Finding("console", page.url, str(exc))))
    page.on("response", response)


def check(page, ledger: Ledger, surface: str, *, axe_scope: str | None = None) -> None:
    """Everything the lane asks of one page; findings go to the ledger, the test decides.

    ``axe_scope`` limits axe to our own element on a page we do not own (a partner's site).
    """
    ledger.surfaces.add(surface)
    ledger.count("browser_pages")
    url = page.url
    page.wait_for_load_state("load")
    found = body_findings(url, 200, page.locator("body").inner_text())
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.evaluate(SETTLE)
        if axe_scope is None:
            overflow = page.evaluate(OVERFLOW)
        else:
            overflow = page.locator(axe_scope).first.evaluate(
                "e => Math.max(e.scrollWidth - e.clientWidth,"
                " e.getBoundingClientRect().right - window.innerWidth)"
            )
        ledger.count("reflow_checks")
        if overflow > 0:
            found.append(Finding("reflow", url, f"{width} px : {overflow:.0f} px de trop"))
    page.set_viewport_size(original)
    page.evaluate(SETTLE)
    results = AXE.run(page, context=axe_scope, options=AXE_OPTIONS).response
    ledger.count("axe_runs")
    for violation in results["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        found.append(Finding("axe", url, f"{violation['id']} ({violation['impact']}) : {targets}"))
    ledger.audit.append(
        {
            "surface": surface,
            "url": url,
            "axe": [f.detail for f in found if f.kind == "axe"],
            "reflow": [f.detail for f in found if f.kind == "reflow"],
        }
    )
    found.extend(page.problems)
    page.problems.clear()
    ledger.add(found)
