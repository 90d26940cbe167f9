"""Debian's Chromium through Playwright, shared by the browser tests and the end-to-end lane.

Nothing leaves 127.0.0.1: every other request (map tiles included) is aborted. A second
origin serving ``examples/`` stands for a partner's site embedding the widget.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium")


@contextmanager
def launched(executable: str):
    """A headless Chromium for the duration of the block (never a Playwright download)."""
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_only(route) -> None:
    """Route handler: let 127.0.0.1 through, abort everything else."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    """``server`` (bound on 127.0.0.1) run in a thread; its address while the block runs."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def examples_origin(port: int = 0) -> Iterator[str]:
    """``examples/`` served on another port of 127.0.0.1, like a partner's site."""
    handler = functools.partial(_QuietHandler, directory=str(EXAMPLES))
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)) as url:
        yield url
