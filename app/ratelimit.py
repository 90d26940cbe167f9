"""Request rate limits per client, on the ``limits`` library (the core of Flask-Limiter).

One :class:`RateLimiter` per app (``app.extensions["relais.rate_limiter"]``), so that two apps
in one process (tests) never share counters. Its storage is ``RATELIMIT_STORAGE_URI``:
``memory://`` counts per process; several servers share counts through e.g.
``redis://host:6379`` (the ``limits`` storage URIs).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    """Moving-window counters keyed by a limit name and a client (or any other key)."""

    def __init__(self, storage_uri: str):
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limit: str, *key: str) -> bool:
        """Count one hit; False when the limit (e.g. ``"5 per 10 minutes"``) is exceeded."""
        return self._strategy.hit(parse(limit), *key)

    def allowed(self, limit: str, *key: str) -> bool:
        """Whether one more hit would still be within the limit (counts nothing)."""
        return self._strategy.test(parse(limit), *key)

    def clear(self, limit: str, *key: str) -> None:
        self._strategy.clear(parse(limit), *key)


def client_address() -> str:
    """The client the limits apply to (the proxy-corrected remote address)."""
    return request.remote_addr or "inconnue"


def rate_limiter() -> RateLimiter:
    return current_app.extensions["relais.rate_limiter"]


def init_app(app: Flask) -> None:
    app.extensions["relais.rate_limiter"] = RateLimiter(app.config["RATELIMIT_STORAGE_URI"])
