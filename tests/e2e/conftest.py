"""The end-to-end lane's fixtures: the app as a user runs it, reached only over HTTP.

These tests run only when ``RELAIS_E2E_URL`` names a served Relais (``make e2e`` starts one
the README's way and sets it); ``make test`` skips them. Nothing here builds an app or sets
a configuration: what is tested is what the README's command serves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ..support.chromium_support import chromium_path, examples_origin, launched, local_only
from .browser_checks import watch
from .findings import Ledger

URL = os.environ.get("RELAIS_E2E_URL", "").rstrip("/")


def pytest_collection_modifyitems(config, items):
    if URL:
        return
    skip = pytest.mark.skip(
        reason="RELAIS_E2E_URL absent : la voie de bout en bout se lance par make e2e"
    )
    for item in items:
        if item.path.is_relative_to(os.path.dirname(__file__)):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url() -> str:
    return URL


@pytest.fixture(scope="session")
def admin() -> tuple[str, str]:
    """The account the lane made with ``relais user create … --password-stdin``."""
    return os.environ["RELAIS_E2E_ADMIN_EMAIL"], os.environ["RELAIS_E2E_ADMIN_PASSWORD"]


@pytest.fixture(scope="session")
def ledger() -> Iterator[Ledger]:
    book = Ledger()
    yield book
    book.write()


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium absent (/usr/bin/chromium) : apt-get install chromium")
    with launched(path) as browser:
        yield browser


@pytest.fixture(scope="session")
def host_url() -> Iterator[str]:
    """A partner's site: ``examples/`` on a second origin (``RELAIS_E2E_HOST_PORT``)."""
    with examples_origin(int(os.environ.get("RELAIS_E2E_HOST_PORT", "0"))) as url:
        yield url


@pytest.fixture
def page(browser, ledger):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.route("**/*", local_only)
    page = context.new_page()
    page.set_default_timeout(20_000)
    watch(page)
    yield page
    context.close()
