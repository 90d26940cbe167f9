"""The endpoints of the contract. Views only translate HTTP to :mod:`app.services`."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from recommender.errors import InvalidParameter, UnknownParameter
from recommender.params import COMMUNES_LIMIT_MAX
from recommender.taxonomy import default_taxonomy

from .. import coverage, services
from .spec import (
    COVERAGE_FORMATS,
    OPERATIONS,
    Param,
    coverage_params,
    document,
    fit_body,
    openapi_document,
    operation_id,
    profile_body,
    profile_params,
    query_integer,
    query_names,
    search_params,
    text,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_JSON_BYTES = 64 * 1024


def json_body() -> dict[str, object]:
    """The request's JSON object, or a French 400 (too large, not JSON, nested too deep)."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise InvalidParameter("body", "Le corps de la requête est trop volumineux.")
    if not request.is_json:
        raise InvalidParameter("body", "Envoyez un objet JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # json's parser recurses once per nesting level
        raise InvalidParameter("body", "Le corps de la requête est trop imbriqué.") from None
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
@document(
    "/freins",
    "get",
    "Liste des freins et des types de partenaires associés",
    response="Freins",
    conditional=True,
)
def freins():
    return read_response(services.list_freins(), max_age=3600)


@bp.get("/communes")
@document(
    "/communes",
    "get",
    "Autocomplétion des communes",
    response="Communes",
    conditional=True,
    params=lambda taxonomy: (
        Param("q", "Début du nom, code postal ou code INSEE.", text(required=True), True),
        Param(
            "limit",
            "Nombre de résultats (10 par défaut).",
            query_integer(1, COMMUNES_LIMIT_MAX),
        ),
    ),
)
def communes():
    return read_response(services.search_communes(request.args), max_age=86400)


@bp.get("/partners")
@document(
    "/partners",
    "get",
    "Recherche de partenaires",
    response="SearchPage",
    conditional=True,
    params=search_params,
    errors=(400, 404),
    links={
        "fiche": {
            "operationId": operation_id("get", "/partners/{partner_id}"),
            "parameters": {"partner_id": "$response.body#/results/0/id"},
            "description": "La fiche du premier résultat.",
        }
    },
)
def partners():
    return read_response(services.search_partners(request.args), max_age=60)


@bp.get("/partners/<partner_id>")
@document(
    "/partners/{partner_id}",
    "get",
    "Fiche d'un partenaire",
    response="Partner",
    conditional=True,
    params=lambda taxonomy: (
        Param("partner_id", "Identifiant du partenaire.", text(1000, required=True), True, "path"),
    ),
    errors=(400, 404),
)
def partner(partner_id: str):
    return read_response(services.get_partner(partner_id), max_age=60)


@bp.get("/recommendations")
@document(
    "/recommendations",
    "get",
    "Recommandations par frein pour une personne",
    response="Recommendation",
    params=profile_params,
    errors=(400, 404),
)
def recommendations_get():
    return private_response(services.recommend(request.args))


@bp.post("/recommendations")
@document(
    "/recommendations",
    "post",
    "Recommandations (profil dans le corps JSON, conseillé)",
    response="Recommendation",
    body=lambda taxonomy: profile_body(taxonomy, require_freins=True),
    errors=(400, 404),
)
def recommendations_post():
    return private_response(services.recommend(json_body()))


@bp.post("/fit")
@document(
    "/fit",
    "post",
    "Vérifier qu'une orientation convient (vue du référent SIAO)",
    response="FitCheck",
    body=fit_body,
    errors=(400, 404),
)
def fit():
    return private_response(services.fit_check(json_body()))


@bp.get("/couverture")
@document(
    "/couverture",
    "get",
    "Couverture territoriale d'un frein : partenaire accessible le plus proche de chaque "
    "commune, zones blanches",
    response="Couverture",
    params=coverage_params,
    errors=(400,),
    description="Pour chaque commune du département ou de la région (Paris, Lyon et Marseille "
    "par arrondissement municipal), le partenaire le plus proche vers lequel la personne de "
    "référence pourrait être orientée pour ce frein (mêmes règles que les recommandations : "
    "zone, âge, publics, mission), sa distance et `zone_blanche` (aucun au-delà de "
    "`seuil_km`). Communes sans coordonnées (certaines collectivités d'outre-mer) : "
    "`distance_km` nul, en zone blanche. En plus du contrat : `label`, `partner_nom`, "
    "`departement`, `epci` par commune et `epci` (résumé par intercommunalité).",
    alternates={
        "text/csv": {"type": "string"},
        "application/geo+json": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array"}},
        },
    },
)
def couverture():
    fmt = request.args.get("format")
    if fmt is not None and fmt not in COVERAGE_FORMATS:
        raise InvalidParameter(
            "format", "« format » vaut json, csv ou geojson.", valid=list(COVERAGE_FORMATS)
        )
    if fmt is None:
        best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
        fmt = "csv" if best == "text/csv" else "json"
    body = coverage.coverage(request.args)
    if fmt == "json":
        return read_response(dict(body))
    if fmt == "csv":
        data, mimetype = coverage.as_csv(body), "text/csv"
        name = f"couverture-{body['frein']}-{'-'.join(v for v in body['zone'].values())}.csv"
    else:
        data = json.dumps(coverage.as_geojson(body), ensure_ascii=False, separators=(",", ":"))
        mimetype, name = "application/geo+json", f"couverture-{body['frein']}.geojson"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(name)}"'
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)


def _ascii(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)


@bp.get("/openapi.json")
def openapi():
    # Never the request's Host header: the answer is cached publicly.
    server = current_app.config["RELAIS_PUBLIC_URL"].rstrip("/") + bp.url_prefix
    return read_response(openapi_document(default_taxonomy(), server), max_age=3600)


@bp.before_request
def refuse_unknown_parameters() -> None:
    """A parameter the document does not list is refused, never ignored: a typo
    (``?ville=Amiens``) would otherwise answer for the whole of France."""
    rule = request.url_rule
    if rule is None:
        return
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(bp.url_prefix or ""))
    known = _query_names().get((request.method.lower(), path))
    if known is None:
        return
    unknown = sorted(name for name in request.args if name not in known)
    if unknown:
        raise UnknownParameter(
            unknown[0],
            f"Paramètre inconnu : « {unknown[0]} ».",
            valid=sorted(known),
        )


@cache
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    taxonomy = default_taxonomy()
    return {(op.method, op.path): query_names(op, taxonomy) for op in OPERATIONS}


@bp.after_request
def cors(response):
    """Open to every site without credentials: the widget and partner tools call it cross-site."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
