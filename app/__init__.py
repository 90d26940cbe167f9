"""Relais web app: the directory, the orientation pages, the JSON API and the widget."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from . import db


def _secret_key(instance_path: str) -> str:
    """A stable secret per instance: from the environment, or generated once and kept."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, database, blueprints, errors, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    instance = os.environ.get("RELAIS_INSTANCE_PATH")
    if instance:
        app.instance_path = instance
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.from_mapping(
        DATABASE_URL=db.database_url(app.instance_path),
        INDEX_DIR=str(Path(app.instance_path) / "index"),
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.update(test_config)
    app.config.setdefault("SECRET_KEY", _secret_key(app.instance_path))
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db.init_app(app)

    from . import admin, api, backup, cli, engine, errors, pages, security, widget
    from .admin import commands as admin_commands

    security.init_app(app)
    engine.init_app(app)
    errors.init_app(app)
    admin.init_app(app)
    cli.init_app(app)
    backup.init_app(app)
    admin_commands.init_app(app)
    for blueprint in (api.bp, pages.bp, widget.bp, admin.bp):
        app.register_blueprint(blueprint)
    return app
