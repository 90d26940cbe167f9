"""Administration (``/admin``): sign-in, partner edits, imports, reviews; plus CSRF for the app.

The app factory registers :data:`bp` and calls :func:`init_app` (CSRF protection,
session cookie settings, login rate limiter). The views are one blueprint whose routes
live in a module per surface: ``sessions``, ``dashboard``, ``partners`` (with
``partner_form``), ``reviews``, ``campaigns``, ``imports``, ``journal``. ``relais user
create`` lives in :mod:`app.cli.users`.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..errors import error_response
from . import (  # noqa: F401 (routes)
    campaigns,
    dashboard,
    imports,
    journal,
    partners,
    reviews,
    sessions,
)
from .auth import LoginLimiter
from .blueprint import bp

__all__ = ["bp", "csrf", "init_app"]

csrf = CSRFProtect()

# Views that must work without a session cookie: the read-only orientation form (no token
# needed) and the public forms that write, which check their own stateless token
# (app.pages.report): the report form, the proposal form, a partner's campaign page.
CSRF_EXEMPT_VIEWS = (
    "pages.orientation",
    "pages.report_error",
    "pages.proposal",
    "pages.campaign_confirm",
    "pages.campaign_correct",
    "pages.campaign_unsubscribe",
)


def init_app(app: Flask) -> None:
    # Session cookie: Secure unless testing/debugging (see RELAIS_SECURE_COOKIES).
    if app.config["RELAIS_SECURE_COOKIES"] and not (app.testing or app.debug):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.extensions["relais.login_limiter"] = LoginLimiter(
        app.extensions["relais.rate_limiter"],
        max_failures=app.config["ADMIN_LOGIN_MAX_FAILURES"],
        window_s=app.config["ADMIN_LOGIN_WINDOW_SECONDS"],
    )

    # CSRFProtect's own hook is replaced by ours, which skips the JSON API (token-less,
    # cookie-less clients) and the read-only orientation form, then checks everything else.
    check_default = app.config.get("WTF_CSRF_CHECK_DEFAULT", True)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def csrf_protect() -> None:
        blueprint = request.blueprint or ""
        # An unrouted API request (e.g. PUT → 405) has no blueprint: check the path too.
        if blueprint == "api" or blueprint.startswith("api.") or request.path.startswith("/api/"):
            return
        # Size limits apply before any form parsing (the CSRF check reads the form).
        if request.endpoint == "admin.import_new":
            request.max_content_length = app.config["ADMIN_IMPORT_MAX_BYTES"]
        elif request.method in ("POST", "PUT", "PATCH"):
            request.max_content_length = app.config["FORM_MAX_BYTES"]
        if not app.config.get("WTF_CSRF_ENABLED", True) or not check_default:
            return
        # An unrouted request (404, 405) changes nothing: let it say so rather than
        # "formulaire expiré".
        if request.routing_exception is not None or request.endpoint in CSRF_EXEMPT_VIEWS:
            return
        csrf.protect()

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError):
        message = (
            "Le formulaire a expiré ou n'a pas pu être vérifié. "
            "Rechargez la page et envoyez-le de nouveau."
        )
        return error_response(400, "formulaire_expire", message)
