"""The public "signaler une erreur" form: its CSRF check, its duplicates, its rate limit.

The CSRF check and the rate limit serve every public form that writes (the proposal form,
a partner's campaign page): each signs its own subject and counts under its own name.

CSRF without a session. Flask-WTF keeps its token in the session, which would give every
reader of a partner page a cookie. The form carries no authority (anyone may report), so the
threat is a third-party page making visitors' browsers post reports: that is refused by
checking the browser's ``Origin`` header (sent with every cross-site POST by current
browsers), or failing that its ``Referer``, against our own host. On top, the form carries a
token signed with ``SECRET_KEY`` (itsdangerous) that names the partner and expires after
``WTF_CSRF_TIME_LIMIT``: a post that never loaded the page (blind scripts) or a token copied
to another partner is refused too. This is stateless, so it holds behind several servers
sharing ``SECRET_KEY``, and the reader gets no cookie unless they sign in to the admin.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf.csrf import CSRFError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from recommender.errors import RelaisError

from .. import db
from ..models import CorrectionRequest, utcnow
from ..ratelimit import client_address, rate_limiter

SALT = "relais.signalement"
DUPLICATE_WINDOW = timedelta(hours=24)
# Check-then-insert of one report at a time in this process (a double click sends two posts).
_record_lock = threading.Lock()


class TooManyReports(RelaisError):
    status = 429
    code = "trop_de_signalements"
    default_message = (
        "Trop de formulaires envoyés depuis votre connexion : réessayez dans quelques minutes."
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def form_token(subject: str) -> str:
    """The token the form carries: what it is about (a partner id…), signed and dated."""
    return _serializer().dumps(subject)


def _same_host(url: str | None) -> bool:
    return bool(url) and urlsplit(url).netloc == request.host


def check_csrf(subject: str) -> None:
    """Refuse a cross-site or token-less post with the app's "formulaire expiré" error."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):  # as for every other form
        return
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    if origin is not None and not _same_host(origin):  # "null" included
        raise CSRFError("Origine du formulaire refusée.")
    if origin is None and referer is not None and not _same_host(referer):
        raise CSRFError("Page d'origine du formulaire refusée.")
    try:
        signed = _serializer().loads(
            request.form.get("csrf_token", ""), max_age=current_app.config["WTF_CSRF_TIME_LIMIT"]
        )
    except BadData as exc:
        raise CSRFError("Jeton du formulaire absent, invalide ou expiré.") from exc
    if signed != subject:
        raise CSRFError("Jeton du formulaire émis pour une autre fiche.")


def check_rate_limit(form: str = "signalement") -> None:
    """Count one post of ``form`` from this client (429 beyond ``REPORT_RATE_LIMIT``)."""
    if not rate_limiter().hit(current_app.config["REPORT_RATE_LIMIT"], form, client_address()):
        raise TooManyReports()


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def record(partner_id: str, message: str, contact: str) -> bool:
    """Store a report unless the same one arrived in the last 24 h; True if stored."""
    key = (_normalized(message), _normalized(contact))
    session = db.get_session()
    with _record_lock:
        recent = session.scalars(
            select(CorrectionRequest).where(
                CorrectionRequest.partner_id == partner_id,
                CorrectionRequest.created_at >= utcnow() - DUPLICATE_WINDOW,
            )
        )
        if any((_normalized(r.message), _normalized(r.contact or "")) == key for r in recent):
            return False
        session.add(CorrectionRequest(partner_id=partner_id, message=message, contact=contact))
        session.commit()
    return True
