"""The root group's error boundary: French one-liners, the traceback only with --verbose."""

from __future__ import annotations

import pytest

from app.cli import imports as import_commands
from app.cli import users as user_commands

FILE = "partenaires.csv"


@pytest.fixture
def broken_import(monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(import_commands, "run_import", explode)


def test_an_unexpected_error_is_one_french_line(runner, broken_import):
    result = runner.invoke(args=["import", FILE])
    assert result.exit_code == 1
    assert result.output == (
        "Erreur : Problème inattendu (RuntimeError). "
        "Relancez avec « relais --verbose … » pour voir le détail.\n"
    )


@pytest.mark.parametrize("how", [["--verbose"], []])
def test_verbose_lets_the_traceback_through(runner, broken_import, monkeypatch, how):
    if not how:
        monkeypatch.setenv("RELAIS_VERBOSE", "1")
    result = runner.invoke(args=[*how, "import", FILE])
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"


def test_a_database_error_names_what_to_check(app, runner, monkeypatch):
    """The schema gone from under a command: the boundary says to run init-db."""
    from sqlalchemy import text

    from app.db import session_scope

    with session_scope(app) as session:
        cascade = "" if session.bind.dialect.name == "sqlite" else " CASCADE"
        session.execute(text(f"DROP TABLE user_account{cascade}"))
    monkeypatch.setattr(user_commands, "ensure_schema", lambda: None)
    result = runner.invoke(args=["user", "list"])
    assert result.exit_code == 1
    assert result.output == "Erreur : La base n'a pas de schéma : lancez « relais init-db ».\n"
