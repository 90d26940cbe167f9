"""The personal link of a campaign mail: the message id, signed with ``SECRET_KEY``.

Stateless like the report form's token (itsdangerous, as Flask signs its sessions): the link
is the partner's only credential, so it names one campaign message (one partner, one
campaign) and expires after ``CAMPAIGN_LINK_DAYS``; a reminder carries a fresh one.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from recommender.errors import RelaisError

SALT = "relais.campagne"


class LinkExpired(RelaisError):
    status = 410
    code = "lien_expire"
    default_message = (
        "Ce lien de mise à jour a expiré. Répondez au courriel reçu ou écrivez à "
        "l'équipe Relais pour en recevoir un nouveau."
    )


class LinkInvalid(RelaisError):
    status = 404
    code = "lien_invalide"
    default_message = (
        "Ce lien de mise à jour n'est pas valide : vérifiez qu'il a été copié en entier."
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def link_token(message_id: int) -> str:
    return _serializer().dumps(message_id)


def message_id_of(token: str) -> int:
    """The campaign message a link names; :class:`LinkExpired` or :class:`LinkInvalid`."""
    max_age = int(current_app.config["CAMPAIGN_LINK_DAYS"]) * 86400
    try:
        value = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadData as exc:
        raise LinkInvalid() from exc
    if not isinstance(value, int):
        raise LinkInvalid()
    return value
