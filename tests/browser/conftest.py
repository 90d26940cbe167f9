"""Browser tests: Debian's Chromium driven by Playwright, against the app served on 127.0.0.1.

The app runs in a thread (werkzeug ``make_server``) on a free port, over a temporary SQLite
database loaded with a subset of the real shared data through the importer. Nothing leaves
127.0.0.1: every other request (map tiles included) is aborted. Screenshots go to
``tests/artifacts/`` (always for the search and orientation pages, and on any failure).
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import db

from ..chromium_support import chromium_path as find_chromium
from ..chromium_support import examples_origin, launched, local_only
from ..pages_support import add_user, make_app, seed

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "partners"
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


def _subset(source: Path, target: Path, keep) -> None:
    with (
        source.open(newline="", encoding="utf-8") as src,
        target.open("w", newline="", encoding="utf-8") as dst,
    ):
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for row in reader:
            if keep(row):
                writer.writerow(row)


def load_real_data(app, workdir: Path) -> list[str]:
    """Import a few départements of the shared partner files; [] when they are absent."""
    if not SHARED.is_dir():
        return []
    from app.importers import run_import

    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    fs = SHARED / "france_services_2024-08.csv"
    if fs.exists():
        files.append(workdir / fs.name)
        _subset(fs, files[-1], lambda r: r.get("insee_dep") in DEPARTEMENTS)
    annuaire = SHARED / "annuaire_services_publics_2016-02.csv"
    if annuaire.exists():
        files.append(workdir / annuaire.name)
        _subset(annuaire, files[-1], lambda r: (r.get("code_insee") or "")[:2] in DEPARTEMENTS)
    auto = SHARED / "auto_ecoles_sociales_liste_manuelle.csv"
    if auto.exists():
        files.append(auto)
    with app.app_context():
        for path in files:
            with db.session_scope(app) as session:
                run_import(session, path)
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
    monkeypatch = pytest.MonkeyPatch()
    app = make_app(
        tmp,
        monkeypatch,
        f"sqlite:///{tmp / 'relais.sqlite3'}",
        ENGINE_CHECK_SECONDS=0.5,
    )
    seed(app)
    app.config["RELAIS_IMPORTED"] = load_real_data(app, tmp / "data")
    add_user(app, ADMIN_EMAIL, role="global", departements=())
    yield app
    app.extensions["relais.engine"].dispose()
    monkeypatch.undo()


def _serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture(scope="session")
def base_url(live_app) -> Iterator[str]:
    yield from _serve(live_app)


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
