"""Fixtures in Flask's tutorial order: app → client → runner, plus the shared real data."""

from __future__ import annotations

from pathlib import Path

import itertools
import os

import pytest

from app import create_app, db

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_db_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster when RELAIS_TEST_POSTGRES=1 (the CI's second lane)."""
    if os.environ.get("RELAIS_TEST_POSTGRES") != "1":
        yield None
        return
    from .pgcluster import PostgresCluster

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
def app(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("RELAIS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    db.upgrade(app.extensions["relais.engine"])
    yield app
    app.extensions["relais.engine"].dispose()


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
