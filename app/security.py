"""Security headers on every response.

Pages may only be framed by themselves, except the widget page, which partner
sites embed (``WIDGET_FRAME_ANCESTORS``, every site by default). Answers about a
person (:data:`PROFILE_PATHS`) and admin pages are ``no-store``, errors included.
"""

from __future__ import annotations

from flask import Flask, Response, request

from recommender.errors import InvalidParameter

TILES = "https://tile.openstreetmap.org"
# Endpoints that receive a beneficiary's profile (see docs/rgpd.md): never cached, and
# their query strings never logged (app.logging_config).
PROFILE_PATHS = frozenset({"/api/v1/recommendations", "/api/v1/fit", "/orientation"})


def is_private_path(path: str) -> bool:
    """A profile answer or an admin page: no cache may keep it."""
    return path.rstrip("/") in PROFILE_PATHS or path == "/admin" or path.startswith("/admin/")


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {TILES}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def refuse_nul_bytes() -> None:
    """No field of ours may hold a NUL byte (PostgreSQL text cannot): refuse it up front."""
    if b"%00" in request.query_string or "\x00" in request.query_string.decode("latin-1"):
        raise InvalidParameter("query", "Caractère nul interdit dans l'adresse.")
    if request.mimetype == "application/x-www-form-urlencoded" and any(
        "\x00" in value for values in request.form.listvalues() for value in values
    ):
        raise InvalidParameter("form", "Caractère nul interdit dans le formulaire.")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)

    @app.after_request
    def security_headers(response: Response) -> Response:
        widget_page = request.path == "/widget"
        ancestors = app.config["WIDGET_FRAME_ANCESTORS"] if widget_page else "'self'"
        response.headers.setdefault("Content-Security-Policy", content_security_policy(ancestors))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not widget_page:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if is_private_path(request.path):
            response.headers["Cache-Control"] = "no-store"
        return response
