"""Database engine and sessions, wired into Flask with ``init_app``.

SQLite (a file in the instance folder, WAL) is the embedded default;
``DATABASE_URL`` points the same code at PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` names no database this app can open (the message is in French)."""


def _safe(url: str) -> str:
    """``url`` without its password, for a message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1] if "@" in url else url


def make_engine(url: str) -> Engine:
    try:
        return _make_engine(url)
    except ModuleNotFoundError as exc:
        raise DatabaseUrlError(
            f"Pilote de base de données absent ({exc.name}) pour « {_safe(url)} » : "
            "installez-le, par exemple « pip install 'relais[postgres]' »."
        ) from exc
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"DATABASE_URL invalide : « {_safe(url)} ». Attendu : sqlite:///chemin/relais.sqlite3 "
            "ou postgresql://utilisateur@hôte/base."
        ) from exc


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``, the latest by default (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def refresh_statistics(connection: Connection, tables: Iterable[str]) -> None:
    """The PostgreSQL planner's statistics of ``tables``, after a bulk write and in its
    transaction (they commit with the rows). Until autovacuum's next pass, a freshly loaded
    ``partner_source`` has none: the sources of twenty partners were read by scanning the
    whole table (20 ms at 200,000 rows, against 0.1 ms through its index). SQLite plans
    from its indexes without statistics."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{t}"' for t in tables))


def get_session() -> Session:
    """The request's session, closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["relais.sessionmaker"]()
    return g.db_session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session outside requests (CLI, importer), committed or rolled back as a whole."""
    maker = (app or current_app).extensions["relais.sessionmaker"]
    session = maker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["relais.engine"] = engine
    app.extensions["relais.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)
