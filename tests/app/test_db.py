"""The schema comes from Alembic migrations and is the same on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect, select

from app import db
from app.models import AuditLog, Base


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


def test_postgres_is_psycopg_on_15_in_read_committed(app):
    """The lane tests what production runs: psycopg 3, PostgreSQL 15, its default isolation."""
    engine = app.extensions["relais.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.dialect.server_version_info[0] == 15
        assert conn.get_isolation_level() == "READ COMMITTED"
        assert conn.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"


def test_json_columns_round_trip(app):
    """Accents, nesting, nulls and numbers come back as written, on either database."""
    changes = {
        "nom": ["Crèche « Les Lutins »", "Crèche"],
        "zone": {"codes": ["2A004"], "rayon": 12.5},
        "age_min": 16,
        "email": None,
    }
    with db.session_scope(app) as session:
        session.add(AuditLog(action="partner.edit", target="mobil60", changes=changes))
    with db.session_scope(app) as session:
        assert session.scalar(select(AuditLog.changes)) == changes
