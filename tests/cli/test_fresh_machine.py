"""Every ``relais`` command on a fresh machine, as a user runs it.

The venv's real ``relais`` binary in a subprocess, a fresh instance folder, no test
configuration: every command × every database situation answers in French, with the
expected exit code, no traceback, no English from click or Flask, and a failure leaves no
empty SQLite file behind.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from app.cli import relais

RELAIS = Path(sys.executable).parent / "relais"
PASSWORD = "un-mot-de-passe-solide\n"
# What click, Flask, Python or a driver print in English; none may reach a user.
ENGLISH = (
    "Traceback",
    "Usage:",
    "Error:",
    "Show this message",
    "Run a development server",
    "Try '",
    "Aborted",
    "No such",
    "Missing",
    "Invalid value",
    "does not exist",
    "Exception",
    "sqlalchemy",
    "psycopg",
    "sqlite3.",
)


@dataclass(frozen=True)
class Situation:
    """A database as a fresh machine may have it; ``reachable``: commands can succeed."""

    name: str
    url: str | None
    reachable: bool


SITUATIONS = (
    Situation("sans base", None, True),
    Situation("base vide", "sqlite:///{tmp}/vide.sqlite3", True),
    Situation("dossier absent", "sqlite:////nonexistent/dir/x.db", False),
    Situation("adresse invalide", "garbage://x", False),
    Situation("postgresql injoignable", "postgresql://relais@127.0.0.1:1/relais", False),
)


@dataclass(frozen=True)
class Case:
    """A command line; it succeeds (printing ``success``) only on a reachable database."""

    args: tuple[str, ...]
    success: str | None = None
    stdin: str = ""


MISSING = "{tmp}/absent.csv"
COMMANDS = (
    Case(("import", MISSING)),
    Case(("import", "--dry-run", MISSING)),
    Case(("reindex",), success="Index reconstruits"),
    Case(("user", "list"), success="Aucun compte"),
    Case(
        ("user", "create", "cip@relais.test", "--role", "global", "--password-stdin"),
        success="Compte créé",
        stdin=PASSWORD,
    ),
    Case(("user", "set-password", "personne@relais.test", "--password-stdin"), stdin=PASSWORD),
    Case(("init-db",), success="Base de données à jour"),
    Case(("backup", "/proc/relais-sauvegarde.db")),
    Case(("restore", "--yes", "{tmp}/absente.db")),
    Case(("serve", "--port", "{busy_port}")),
    Case(("demo", "--port", "{busy_port}")),
)


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A port some other server already listens on."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def _environment(instance: Path, url: str | None) -> dict[str, str]:
    """The user's environment: none of the project's settings, only a fresh instance folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RELAIS_", "FLASK_")) and key not in ("DATABASE_URL", "SECRET_KEY")
    }
    env["RELAIS_INSTANCE_PATH"] = str(instance)
    if url is not None:
        env["DATABASE_URL"] = url
    return env


def _sqlite_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.sqlite3*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
@pytest.mark.parametrize("case", COMMANDS, ids=lambda c: " ".join(c.args[:2]))
def test_command_on_a_fresh_machine(case, situation, tmp_path, busy_port):
    values = {"tmp": tmp_path, "busy_port": busy_port}
    url = situation.url.format(**values) if situation.url else None
    if situation.name == "base vide":
        sqlite3.connect(tmp_path / "vide.sqlite3").close()  # a file without any table
    instance = tmp_path / "instance"
    done = subprocess.run(
        [str(RELAIS), *(arg.format(**values) for arg in case.args)],
        input=case.stdin,
        capture_output=True,
        text=True,
        env=_environment(instance, url),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    for english in ENGLISH:
        assert english not in output, output
    succeeds = case.success is not None and situation.reachable
    if succeeds:
        assert done.returncode == 0, output
        assert case.success in output
    else:
        assert done.returncode != 0, output
        assert "Erreur : " in done.stderr, output
        assert len(done.stderr.strip().splitlines()) <= 4, output  # a message, not a dump
        # a failed command leaves no database file it created
        assert _sqlite_files(instance) == [], output
    if situation.name == "base vide":
        assert (tmp_path / "vide.sqlite3").exists()  # the user's file is never removed


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_help_is_french_only(tmp_path):
    """``relais --help`` without any database, then every command's help: no Flask command,
    no English option or text."""
    done = subprocess.run(
        [str(RELAIS), "--help"],
        capture_output=True,
        text=True,
        env=_environment(tmp_path / "instance", "garbage://x"),
        timeout=60,
        check=True,
    )
    assert done.stdout.startswith("Utilisation : relais [OPTIONS] COMMANDE")
    listed = {line.split()[0] for line in done.stdout.split("Commandes:")[1].splitlines() if line}
    assert listed == set(relais.commands) and not listed & {"run", "shell", "routes"}
    runner = CliRunner()
    helps = [done.stdout]
    for path in _commands(relais):
        result = runner.invoke(relais, [*path, "--help"], prog_name="relais")
        assert result.exit_code == 0, result.output
        helps.append(result.output)
    for text in helps:
        for english in (*ENGLISH, "default:", "required", "TEXT ", "INTEGER", "[ARGS]", "PATH"):
            assert english not in text, text
        assert "Afficher cette aide et quitter." in text
    assert len(helps) == 1 + len(list(_commands(relais)))
