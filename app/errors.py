"""One place that turns every error into the JSON error shape (API, widget) or a French page."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from recommender.errors import RelaisError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("requete_invalide", "La requête est invalide."),
    401: ("authentification_requise", "Connexion requise."),
    403: ("acces_refuse", "Accès refusé."),
    404: ("introuvable", "Page ou ressource introuvable."),
    405: ("methode_non_autorisee", "Méthode HTTP non autorisée pour cette adresse."),
    413: ("contenu_trop_volumineux", "Le contenu envoyé est trop volumineux."),
    415: ("type_de_contenu_invalide", "Type de contenu non pris en charge."),
    429: ("trop_de_requetes", "Trop de requêtes : réessayez dans un instant."),
    500: ("erreur_interne", "Erreur interne du serveur. L'équipe a été prévenue."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


def error_response(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "details": details or {}}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def handle_relais_error(exc: RelaisError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    code, message = HTTP_MESSAGES.get(status, ("erreur_http", "Erreur."))
    response = make_response(error_response(status, code, message))
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_unexpected(exc: Exception):
    log.exception("Unhandled error on %s %s", request.method, request.path)
    code, message = HTTP_MESSAGES[500]
    return error_response(500, code, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(RelaisError, handle_relais_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
