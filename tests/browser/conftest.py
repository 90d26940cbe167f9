"""Browser tests: Debian's Chromium driven by Playwright, against the app served on 127.0.0.1.

The app runs in a thread (werkzeug ``make_server``) on a free port, over a temporary SQLite
database loaded with a subset of the real shared data through the importer. Nothing leaves
127.0.0.1: every other request (map tiles included) is aborted. Screenshots go to
``tests/artifacts/`` (always for the search and orientation pages, and on any failure).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import db

from ..support.apps import build_app
from ..support.chromium_support import chromium_path as find_chromium
from ..support.chromium_support import examples_origin, launched, local_only, serving
from ..support.pages_support import add_user, seed
from ..support.shared_data import PARTNERS, partner_files

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEPARTEMENTS = {"60", "80", "02"}
ADMIN_EMAIL = "admin@relais.test"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        if page is not None:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"echec-{item.name}.png"), full_page=True)
            except Exception as exc:  # the page may be gone: keep the test's own failure
                report.sections.append(("screenshot", f"capture impossible : {exc}"))
    return report


# Columns that tell a CSV row's département (directly, or as the start of a code).
_DEPARTEMENT_COLUMNS = ("insee_dep", "ET-Département Code", "departement", "department")
_CODE_COLUMNS = ("code_insee", "insee_com", "ET-Commune Code", "code_postal", "post_code")


def _departement(row: dict[str, str]) -> str | None:
    """The row's département, repairing codes that lost their leading zero; None if unknown."""
    for column in _DEPARTEMENT_COLUMNS:
        value = (row.get(column) or "").strip().upper()
        if (value.isdigit() and len(value) <= 3) or value in ("2A", "2B"):
            return value.zfill(2)
    for column in _CODE_COLUMNS:
        if (value := (row.get(column) or "").strip()) and value[:1].isdigit():
            return value.zfill(5)[:2]
    return None


def _subset(source: Path, target: Path) -> Path:
    """The rows of ``source`` in DEPARTEMENTS (rows of no known département are kept)."""
    with (
        source.open(newline="", encoding="utf-8-sig") as src,
        target.open("w", newline="", encoding="utf-8") as dst,
    ):
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for row in reader:
            if _departement(row) in (None, *DEPARTEMENTS):
                writer.writerow(row)
    return target


def load_real_data(app, workdir: Path) -> list[str]:
    """Import every shared partner file (a new one is loaded the day it appears), CSV files
    cut to a few départements to keep the session short; [] when the data is absent."""
    from app.importers import ImportOptions, run_import
    from app.inference import store_inferred_freins

    workdir.mkdir(parents=True, exist_ok=True)
    files = [
        _subset(path, workdir / path.name) if path.suffix.lower() == ".csv" else path
        for path in partner_files(PARTNERS)
    ]
    with app.app_context():
        for path in files:
            with db.session_scope(app) as session:
                run_import(session, path, ImportOptions(after_write=store_inferred_freins))
    return [p.name for p in files]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium absent (/usr/bin/chromium) : apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("relais-browser")
    # a live server: the data version re-read at most twice a second, not at every asset request
    app = build_app(tmp, f"sqlite:///{tmp / 'relais.sqlite3'}", ENGINE_CHECK_SECONDS=0.5)
    seed(app)
    app.config["RELAIS_IMPORTED"] = load_real_data(app, tmp / "data")
    add_user(app, ADMIN_EMAIL, role="global", departements=())
    yield app
    app.extensions["relais.engine"].dispose()


@pytest.fixture(scope="session")
def base_url(live_app) -> Iterator[str]:
    with serving(make_server("127.0.0.1", 0, live_app, threaded=True)) as url:
        yield url


@pytest.fixture(scope="session")
def host_url() -> Iterator[str]:
    """A second origin (another port) serving ``examples/``, like a partner's site."""
    with examples_origin() as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path):
    with launched(chromium_path) as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.route("**/*", local_only)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
