"""A consistent copy of the database, and back (``relais backup`` / ``relais restore``).

SQLite uses the online backup API (consistent while the app keeps serving);
PostgreSQL uses ``pg_dump -Fc`` / ``pg_restore --clean --if-exists``. A restore
checks that the file really is a Relais backup, asks before overwriting the
current data (unless ``--yes``) and brings the schema up to date afterwards.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from sqlalchemy.engine import URL

SQLITE_HEADER = b"SQLite format 3\x00"
REQUIRED_TABLES = ("alembic_version", "partner")


class BackupError(click.ClickException):
    """A French message for the user, exit status 1."""


# --------------------------------------------------------------------------- helpers


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("Base SQLite en mémoire : rien à sauvegarder ni à restaurer.")
    return Path(url.database)


def pg_binary(name: str) -> str:
    """A PostgreSQL client (``pg_dump``, ``pg_restore``): PATH first, then Debian's layout."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not candidates:
        raise BackupError(f"« {name} » introuvable : installez les outils clients PostgreSQL.")
    return candidates[-1]


def _pg_target(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URI (without password) and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)


def _replace_atomically(tmp: Path, target: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


# --------------------------------------------------------------------------- backup


def backup_sqlite(db_path: Path, target: Path) -> None:
    if not db_path.is_file():
        raise BackupError(f"Base SQLite introuvable : « {db_path} ».")
    tmp = target.with_name(target.name + ".partiel")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            # a self-contained file: no WAL beside it
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    _replace_atomically(tmp, target)


def backup_postgres(url: URL, target: Path) -> None:
    uri, env = _pg_target(url)
    tmp = target.with_name(target.name + ".partiel")
    tmp.unlink(missing_ok=True)
    done = _run([pg_binary("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp), "-d", uri], env)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump a échoué : {done.stderr.strip()}")
    _replace_atomically(tmp, target)


# --------------------------------------------------------------------------- checks


def check_sqlite_backup(path: Path) -> None:
    """Raise :class:`BackupError` unless ``path`` is a SQLite file with Relais's tables."""
    with open(path, "rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"« {path} » n'est pas une sauvegarde SQLite de Relais.")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not set(REQUIRED_TABLES) <= tables:
            raise BackupError(
                f"« {path} » est une base SQLite mais pas une sauvegarde de Relais "
                "(tables partner et alembic_version absentes)."
            )
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"« {path} » est endommagé (contrôle d'intégrité en échec).")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"« {path} » est illisible : {exc}.") from None
    finally:
        conn.close()


def check_postgres_backup(path: Path) -> None:
    listed = _run([pg_binary("pg_restore"), "--list", str(path)])
    if listed.returncode != 0:
        raise BackupError(f"« {path} » n'est pas une sauvegarde pg_dump (format -Fc) valide.")
    for table in REQUIRED_TABLES:
        if not re.search(rf"\bTABLE \S+ {table}\b", listed.stdout):
            raise BackupError(f"« {path} » n'est pas une sauvegarde de Relais (table {table}).")


# --------------------------------------------------------------------------- restore


def restore_sqlite(source: Path, db_path: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(db_path, timeout=30)
        try:
            # one page-by-page copy under the destination's write lock: readers see the
            # old or the new database, never a mix
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def restore_postgres(source: Path, url: URL) -> None:
    uri, env = _pg_target(url)
    done = _run(
        [
            pg_binary("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            uri,
            str(source),
        ],
        env,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore a échoué : {done.stderr.strip()}")
