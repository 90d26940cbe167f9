"""Logs never hold a beneficiary's profile: query strings of profile endpoints are removed.

``GET /api/v1/recommendations?commune=…&age=…`` carries a profile in its address, which an
access log would keep (see ``docs/rgpd.md``). The servers we document are covered:

- gunicorn: ``gunicorn -c python:app.gunicorn_conf …`` installs
  :class:`app.gunicorn_conf.GunicornLogger`, whose access-log atoms (request line, query
  string, referrer, environ copies) go through :func:`strip_profile_queries`; every other
  address is logged as usual;
- waitress (``relais serve``) writes no access log;
- Werkzeug's development server (``flask run``) logs request lines through the
  ``werkzeug`` logger, which :func:`init_app` gives a :class:`ProfileQueryFilter`.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

from .security import PROFILE_PATHS

# A profile path followed by its query string, in a request line, an address or a referrer.
_PROFILE_QUERY = re.compile(
    "(" + "|".join(re.escape(path) for path in sorted(PROFILE_PATHS)) + r")/?\?[^\s\"']*"
)


def strip_profile_queries(text: str) -> str:
    """``text`` with the query string of every profile address removed.

    >>> strip_profile_queries('GET /api/v1/recommendations?commune=Beauvais&age=40 HTTP/1.1')
    'GET /api/v1/recommendations HTTP/1.1'
    >>> strip_profile_queries('GET /api/v1/partners?commune=Beauvais HTTP/1.1')
    'GET /api/v1/partners?commune=Beauvais HTTP/1.1'
    """
    return _PROFILE_QUERY.sub(r"\1", text)


class ProfileQueryFilter(logging.Filter):
    """Rewrites a record's message and arguments without profile query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = strip_profile_queries(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                strip_profile_queries(a) if isinstance(a, str) else a for a in record.args
            )
        return True


def init_app(app: Flask) -> None:
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, ProfileQueryFilter) for f in werkzeug.filters):
        werkzeug.addFilter(ProfileQueryFilter())
