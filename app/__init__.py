"""Relais web app: the directory, the orientation pages, the JSON API and the widget."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db, settings
from .json_provider import OrjsonProvider


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Application factory: configuration, database, blueprints, errors.

    ``test_config`` overrides settings for a test; production passes nothing and reads
    :mod:`app.settings` (defaults, ``<instance>/config.py``, environment).
    """
    app = Flask(__name__, instance_path=settings.instance_path(), instance_relative_config=True)
    app.json = OrjsonProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.load(app, test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    if app.config["RELAIS_PROXY_COUNT"]:
        # The client address (login lockout, logs) and scheme come from the trusted proxies'
        # X-Forwarded-For/-Proto; never X-Forwarded-Host (links must not follow the Host).
        proxies = int(app.config["RELAIS_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    db.init_app(app)

    from . import admin, api, errors, i18n, logging_config, pages, ratelimit, security, widget
    from .cli import CliRunner
    from .index import holder as index_holder

    security.init_app(app)
    i18n.init_app(app)
    ratelimit.init_app(app)
    logging_config.init_app(app)
    index_holder.init_app(app)
    errors.init_app(app)
    admin.init_app(app)
    # The ``relais`` command lives in app.cli, not on ``app.cli`` (Flask's ``flask`` command);
    # ``app.test_cli_runner()`` runs it.
    app.test_cli_runner_class = CliRunner
    for blueprint in (api.bp, pages.bp, widget.bp, admin.bp):
        app.register_blueprint(blueprint)
    return app
