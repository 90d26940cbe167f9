"""The endpoints of the contract. Views only translate HTTP to :mod:`app.services`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for

from recommender.errors import InvalidParameter
from recommender.taxonomy import default_taxonomy

from .. import services
from .spec import Param, document, openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_JSON_BYTES = 64 * 1024

STRING_OR_LIST = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
LOCATION = (
    Param("commune", "Code INSEE, code postal ou nom de commune (tolérant aux fautes)."),
    Param("lat", "Latitude (WGS 84), avec lon.", {"type": "number"}),
    Param("lon", "Longitude (WGS 84), avec lat.", {"type": "number"}),
)
PROFILE = (
    *LOCATION,
    Param("freins", "Codes de freins séparés par des virgules.", required=True),
    Param("age", "Âge de la personne.", {"type": "integer", "minimum": 0, "maximum": 120}),
    Param("publics", "Codes de publics data·inclusion séparés par des virgules."),
    Param("vehicule", "La personne dispose-t-elle d'un véhicule ?", {"type": "boolean"}),
    Param("max_km", "Distance maximale en km.", {"type": "number", "exclusiveMinimum": 0}),
)
PROFILE_BODY = {
    "type": "object",
    "properties": {
        "commune": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "freins": STRING_OR_LIST,
        "age": {"type": "integer"},
        "publics": STRING_OR_LIST,
        "vehicule": {"type": "boolean"},
        "max_km": {"type": "number"},
        "limit": {"type": "integer"},
    },
}


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a French 400/415."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise InvalidParameter("body", "Le corps de la requête est trop volumineux.")
    if not request.is_json:
        raise InvalidParameter("body", "Envoyez un objet JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("body", "Le corps de la requête doit être un objet JSON valide.")
    return body


def read_response(payload: dict[str, Any], max_age: int = 300):
    """A cacheable answer for read endpoints, with an ETag for conditional requests."""
    response = jsonify(payload)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


def private_response(payload: dict[str, Any]):
    """An answer about a person: never cached anywhere."""
    response = jsonify(payload)
    response.cache_control.no_store = True
    return response


@bp.get("/freins")
@document("/freins", "get", "Liste des freins et des types de partenaires associés", errors=())
def freins():
    return read_response(services.list_freins(), max_age=3600)


@bp.get("/communes")
@document(
    "/communes",
    "get",
    "Autocomplétion des communes",
    params=(
        Param("q", "Début du nom, code postal ou code INSEE.", required=True),
        Param("limit", "Nombre de résultats (1 à 50).", {"type": "integer"}),
    ),
)
def communes():
    return read_response(services.search_communes(request.args), max_age=86400)


@bp.get("/partners")
@document(
    "/partners",
    "get",
    "Recherche de partenaires",
    params=(
        Param("q", "Texte libre (accents, pluriels et fautes tolérés)."),
        Param("frein", "Code(s) de frein, séparés par des virgules."),
        Param("type", "Code(s) de type de partenaire."),
        *LOCATION,
        Param("radius_km", "Rayon autour du lieu, en km.", {"type": "number"}),
        Param("public", "Code(s) de public."),
        Param("page", "Page (à partir de 1).", {"type": "integer", "minimum": 1}),
        Param("per_page", "Résultats par page (1 à 100).", {"type": "integer"}),
    ),
    errors=(400, 404),
)
def partners():
    return read_response(services.search_partners(request.args), max_age=60)


@bp.get("/partners/<partner_id>")
@document(
    "/partners/{partner_id}",
    "get",
    "Fiche d'un partenaire",
    params=(Param("partner_id", "Identifiant du partenaire.", location="path"),),
    errors=(404,),
)
def partner(partner_id: str):
    return read_response(services.get_partner(partner_id), max_age=60)


@bp.get("/recommendations")
@document(
    "/recommendations",
    "get",
    "Recommandations par frein pour une personne",
    params=(*PROFILE, Param("limit", "Résultats par frein (1 à 50, 5 par défaut).")),
    errors=(400, 404),
)
def recommendations_get():
    return private_response(services.recommend(request.args))


@bp.post("/recommendations")
@document(
    "/recommendations",
    "post",
    "Recommandations (profil dans le corps JSON, conseillé)",
    body=PROFILE_BODY,
    errors=(400, 404),
)
def recommendations_post():
    return private_response(services.recommend(json_body()))


@bp.post("/fit")
@document(
    "/fit",
    "post",
    "Vérifier qu'une orientation convient (vue du référent SIAO)",
    body={
        **PROFILE_BODY,
        "required": ["partner_id"],
        "properties": {
            **PROFILE_BODY["properties"],
            "partner_id": {"type": "string"},
            "frein": {"type": "string"},
        },
    },
    errors=(400, 404),
)
def fit():
    return private_response(services.fit_check(json_body()))


@bp.get("/openapi.json")
def openapi():
    frein_codes = list(default_taxonomy().freins)
    server = url_for("api.freins", _external=True).rsplit("/freins", 1)[0]
    return read_response(openapi_document(frein_codes, server), max_age=3600)


@bp.after_request
def cors(response):
    """Open to every site without credentials: the widget and partner tools call it cross-site."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
