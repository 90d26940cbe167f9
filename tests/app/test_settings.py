"""Settings as production reads them: no test configuration is passed to ``create_app`` here."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from app import create_app, settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """A fresh instance folder and an environment without any Relais setting."""
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    folder = tmp_path / "instance"
    monkeypatch.setenv(settings.INSTANCE_ENV, str(folder))
    return folder


def _dispose(app) -> None:
    app.extensions["relais.engine"].dispose()


def test_secret_key_is_generated_once_private_and_reused(instance):
    first = create_app()
    key_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert second.config["DATABASE_URL"] == f"sqlite:///{instance / 'relais.sqlite3'}"
    for app in (first, second):
        _dispose(app)


def test_instance_config_file_is_read(instance):
    instance.mkdir(parents=True)
    (instance / "config.py").write_text('SECRET_KEY = "depuis-config"\nENGINE_CHECK_SECONDS = 7\n')
    app = create_app()
    assert app.config["SECRET_KEY"] == "depuis-config"
    assert app.config["ENGINE_CHECK_SECONDS"] == 7
    assert not (instance / "secret_key").exists()
    _dispose(app)


def test_environment_wins_over_config_file(instance, monkeypatch):
    instance.mkdir(parents=True)
    (instance / "config.py").write_text('SECRET_KEY = "depuis-config"\n')
    monkeypatch.setenv("SECRET_KEY", "depuis-environnement")
    monkeypatch.setenv("DATABASE_URL", "postgresql://relais@db.invalid/relais")
    monkeypatch.setenv("RELAIS_SECURE_COOKIES", "false")
    app = create_app()
    assert app.config["SECRET_KEY"] == "depuis-environnement"
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://relais@db.invalid/relais"
    assert app.config["RELAIS_SECURE_COOKIES"] is False
    assert "SESSION_COOKIE_SECURE" not in app.config or not app.config["SESSION_COOKIE_SECURE"]
    _dispose(app)


def test_production_pages_that_need_the_key_answer(instance):
    """The regression behind this module: CSRF forms answered 500 without a configured key."""
    from app import db

    app = create_app()
    db.upgrade(app.extensions["relais.engine"])
    client = app.test_client()
    for path in ("/admin/connexion", "/"):
        assert client.get(path).status_code == 200, path
    _dispose(app)


def test_every_setting_is_documented():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOCS.read_text(), flags=re.M))
    assert documented == {setting.name for setting in settings.SETTINGS}


def test_no_module_reads_settings_elsewhere():
    """Settings are declared in one registry, not read or defaulted here and there."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in (root / "app").rglob("*.py")
        if path.name != "settings.py"
        and re.search(r"config\.setdefault\(|os\.environ\.get\(|os\.getenv\(", path.read_text())
    ]
    assert offenders == []
