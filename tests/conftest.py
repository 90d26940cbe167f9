"""Fixtures in Flask's tutorial order: app → client → runner, plus the shared real data."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from app import db

from .support.apps import build_app
from .support.shared_data import SHARED_DATA, partner_files

_db_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster when RELAIS_TEST_POSTGRES=1 (the CI's second lane)."""
    if os.environ.get("RELAIS_TEST_POSTGRES") != "1":
        yield None
        return
    from .support.pgcluster import PostgresCluster

    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(tmp_path, postgres) -> str:
    """A fresh, empty database for one test: SQLite by default, PostgreSQL in its lane."""
    if postgres is None:
        return f"sqlite:///{tmp_path / 'relais-test.sqlite3'}"
    return postgres.create_database(f"relais_test_{next(_db_numbers)}")


@pytest.fixture
def app(request, tmp_path, monkeypatch, database_url):
    """A fresh app on an empty database (CSRF on, as in production).

    ``@pytest.mark.seeded`` adds a few partners around Beauvais and Amiens, and
    ``@pytest.mark.admins`` an admin of the Oise and a global admin.
    """
    app = build_app(tmp_path, database_url)
    if request.node.get_closest_marker("seeded"):
        from .support.pages_support import seed

        seed(app)
    if request.node.get_closest_marker("admins"):
        from .support.pages_support import add_user

        add_user(app, "oise@relais.test", role="admin", departements=("60",))
        add_user(app, "national@relais.test", role="global", departements=())
    yield app
    app.extensions["relais.engine"].dispose()


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 (see ``tests/support/smtp.py``)."""
    from .support.smtp import smtp_server

    with smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data beside the checkout (../shared/data)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"données partagées absentes ({SHARED_DATA}) : tests sur données réelles ignorés"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_app(tmp_path_factory, shared_data, postgres):
    """One app per test session with every shared partner file and the shipped mairies loaded.

    Read-only: tests that write use the function-scoped ``app``.
    """
    from app.cli.serve import SHIPPED_PARTNERS
    from app.importers import ImportOptions, run_import
    from app.index.holder import reindex
    from app.inference import store_inferred_freins

    tmp = tmp_path_factory.mktemp("real")
    url = (
        f"sqlite:///{tmp / 'relais-real.sqlite3'}"
        if postgres is None
        else postgres.create_database("relais_real")
    )
    # read-only and built once: the production check interval, no CSRF token to fetch
    app = build_app(tmp, url, ENGINE_CHECK_SECONDS=2.0, WTF_CSRF_ENABLED=False)
    with app.app_context():
        files = [SHIPPED_PARTNERS / "mairies.csv.gz"]
        files += partner_files(shared_data / "partners")
        for path in files:
            with db.session_scope() as session:
                run_import(session, path, ImportOptions(after_write=store_inferred_freins))
        with db.session_scope() as session:
            reindex(session)
    yield app
    app.extensions["relais.engine"].dispose()


@pytest.fixture
def real_client(real_app):
    return real_app.test_client()
