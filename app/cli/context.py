"""How a command reaches the app: created when a command needs it (never for ``--help``),
the schema brought up to date on demand, no empty database left behind by a failure."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import update_wrapper
from pathlib import Path
from typing import ParamSpec, TypeVar

import click
from flask import current_app
from flask.cli import ScriptInfo
from sqlalchemy.engine import URL, Engine

from .. import db

P = ParamSpec("P")
R = TypeVar("R")
# Where ``with_app`` leaves the database URL for the error boundary (ctx.meta is shared).
URL_KEY = "relais.database_url"


def with_app(command: Callable[P, R]) -> Callable[P, R]:
    """Run ``command`` in the app's context, the app created now by the group's loader.

    SQLite creates its file on first connect: when the command fails, a database file it
    created and left without data is removed, so the next try starts clean.
    """

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: P.args, **kwargs: P.kwargs) -> R:
        app = ctx.ensure_object(ScriptInfo).load_app()
        engine: Engine = app.extensions["relais.engine"]
        ctx.meta[URL_KEY] = engine.url
        created = _new_sqlite_file(engine.url)
        try:
            with app.app_context():
                return ctx.invoke(command, *args, **kwargs)
        except BaseException as exc:
            if created is not None and not _succeeded(exc):
                _remove_if_empty(engine, created)
            raise

    return update_wrapper(wrapper, command)  # type: ignore[return-value]


def ensure_schema() -> None:
    """Create or upgrade the schema (idempotent): commands that touch data call it first."""
    db.upgrade(current_app.extensions["relais.engine"])


def _new_sqlite_file(url: URL) -> Path | None:
    """The SQLite file of ``url`` if it does not exist yet (this command may create it)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.exists() else path


def _succeeded(exc: BaseException) -> bool:
    """Whether ``exc`` is a successful exit (click's or ``sys.exit(0)``)."""
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code == 0
    return isinstance(exc, SystemExit) and exc.code in (0, None)


def _remove_if_empty(engine: Engine, path: Path) -> None:
    engine.dispose()
    if not path.is_file() or _holds_rows(path):
        return
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


# Rows a failed command may leave in a database it created: the schema version, and the
# record of its own failed import (history of a database that never held anything).
NOT_DATA = ("alembic_version", "import_run")


def _holds_rows(path: Path) -> bool:
    """Whether any table but :data:`NOT_DATA` holds a row (an unreadable file counts as data)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return True
    try:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in NOT_DATA
        ]
        return any(conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() for name in tables)
    except sqlite3.Error:
        return True
    finally:
        conn.close()
