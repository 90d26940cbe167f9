"""``relais init-db``, ``relais backup`` and ``relais restore`` (mechanics in :mod:`app.backup`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import Engine

from .. import db
from ..backup import (
    BackupError,
    backup_postgres,
    backup_sqlite,
    check_postgres_backup,
    check_sqlite_backup,
    is_sqlite,
    restore_postgres,
    restore_sqlite,
    sqlite_path,
)
from ..index.holder import data_changed
from .context import ensure_schema, with_app
from .errors import os_reason


def _engine() -> Engine:
    return current_app.extensions["relais.engine"]


def _check_reachable(engine: Engine) -> None:
    """Connect once to a server database, so that its absence is told in French and not in
    pg_dump's words (SQLite is a local file: connecting would create it)."""
    if not is_sqlite(engine.url):
        engine.connect().close()


def _check_writable(folder: Path) -> None:
    if not folder.is_dir():
        raise BackupError(f"Dossier introuvable : « {folder} ».")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise BackupError(f"Impossible d'écrire dans « {folder} » ({os_reason(exc)}).") from None


@click.command("init-db")
@with_app
def init_db_command() -> None:
    """Crée ou met à jour le schéma de la base de données."""
    ensure_schema()
    click.echo("Base de données à jour.")


@click.command("backup")
@click.argument("path", metavar="FICHIER", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Remplacer le fichier s'il existe déjà.")
@with_app
def backup_command(path: Path, yes: bool) -> None:
    """Sauvegarde la base de données dans FICHIER (cohérente même en service)."""
    engine = _engine()
    url = engine.url
    if path.exists() and not yes:
        click.confirm(f"Le fichier « {path} » existe déjà. Le remplacer ?", abort=True)
    _check_writable(path.parent)
    _check_reachable(engine)
    if is_sqlite(url):
        backup_sqlite(sqlite_path(url), path)
    else:
        backup_postgres(url, path)
    size = path.stat().st_size / 1e6
    click.echo(f"Sauvegarde écrite dans « {path} » ({size:.1f} Mo).")


@click.command("restore")
@click.argument(
    "path", metavar="FICHIER", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
@with_app
def restore_command(path: Path, yes: bool) -> None:
    """Restaure la base de données depuis la sauvegarde FICHIER (remplace les données actuelles)."""
    engine = _engine()
    url = engine.url
    sqlite = is_sqlite(url)
    _check_reachable(engine)
    if sqlite:
        check_sqlite_backup(path)
    else:
        check_postgres_backup(path)
    if not yes:
        click.confirm(
            "Toutes les données actuelles seront remplacées par celles de la sauvegarde. "
            "Continuer ?",
            abort=True,
        )
    engine.dispose()
    if sqlite:
        restore_sqlite(path, sqlite_path(url))
    else:
        restore_postgres(path, url)
    engine.dispose()
    db.upgrade(engine)
    data_changed()
    click.echo(f"Base restaurée depuis « {path} » et schéma mis à jour.")
