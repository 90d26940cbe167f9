"""gunicorn settings Relais needs, whatever the command line adds:
``gunicorn -c python:app.gunicorn_conf -w 2 -b … --access-logfile - "app:create_app()"``.

Only gunicorn imports this module (gunicorn is not a dependency of the package).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger

from app.logging_config import strip_profile_queries
from app.security import PROFILE_PATHS


class GunicornLogger(Logger):
    """gunicorn's logger, minus the query strings of profile endpoints in the access log
    (request line, query string, referrer and their environ copies)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        if (environ.get("PATH_INFO") or "").rstrip("/") in PROFILE_PATHS:
            atoms["q"] = atoms["{query_string}e"] = ""
        return {k: strip_profile_queries(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = GunicornLogger


def post_worker_init(worker: Any) -> None:
    """Load the indexes before the worker accepts a connection: a (re)started worker
    takes requests only once it can answer them (from the saved file, or the newest saved
    version while the current one is fitted elsewhere), instead of queueing them behind
    its first load."""
    app = worker.wsgi
    if not isinstance(app, Flask):
        return
    from app.db import session_scope
    from app.index.holder import current_index

    try:
        with app.app_context(), session_scope(app) as session:
            current_index(session)
    except Exception:  # the first request retries, and answers its error in French
        logging.getLogger(__name__).exception("indexes not loaded at worker start")
