"""The schema comes from Alembic migrations and is the same on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect

from app import db
from app.models import Base


def test_migrations_create_every_table(app):
    engine = app.extensions["relais.engine"]
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(app):
    db.upgrade(app.extensions["relais.engine"])


def test_sqlite_runs_in_wal_mode(app):
    engine = app.extensions["relais.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
