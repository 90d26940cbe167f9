"""What the JSON API and the pages both answer: one function per question.

Every function takes a request's parameters (query args, form or JSON body), reads them
with :mod:`recommender.params` (the one parser) and returns the API's JSON shape.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import selectinload

from recommender.errors import NotFound
from recommender.geo import default_gazetteer
from recommender.params import (
    PARTNER_ID,
    Params,
    SearchQuery,
    parse_communes,
    parse_fit,
    parse_partner_id,
    parse_recommendation,
    parse_search,
)
from recommender.reliability import Fiabilite, fiabilite
from recommender.taxonomy import default_taxonomy
from recommender.types import LocationDict, Plan, Recommendation, SearchFacets

from .clock import now
from .db import get_session
from .index.holder import IndexState, current_index
from .index.records import freshness, json_as_text, json_codes
from .models import Partner, PartnerSource

# --------------------------------------------------------------------------- answers
# The JSON API's bodies (the pages render the same), each named after its OpenAPI schema
# (app/api/spec.py); the engine's own answers, without the partners, are in recommender.types.


class TypeRef(TypedDict):
    code: str
    label: str


class CommuneRef(TypedDict):
    code_insee: str | None
    nom: str | None


class Zone(TypedDict):
    kind: str
    codes: list[str]
    radius_km: NotRequired[float]


class SourceRef(TypedDict):
    source: str
    source_id: str
    updated_at: str | None


class ApiPartner(TypedDict):
    """A partner (schema ``Partner``)."""

    id: str
    nom: str
    type: TypeRef
    adresse: str
    code_postal: str | None
    commune: CommuneRef
    departement: str | None
    lat: float | None
    lon: float | None
    coordonnees_exactes: bool | None
    telephone: str | None
    email: str | None
    site_web: str | None
    horaires: str | None
    horaires_structures: dict[str, object] | None
    services: list[dict[str, object]]
    description: str | None
    freins: list[str]
    freins_deduits: list[str]
    thematiques: list[str]
    publics: list[str]
    age_min: int | None
    age_max: int | None
    zone: Zone
    statut: str | None
    sources: list[SourceRef]
    updated_at: str | None
    fiabilite: Fiabilite


class ApiPartnerHit(ApiPartner):
    """A partner of a search page, with its distance to the place searched."""

    distance_km: float | None


class ApiSearchPage(TypedDict):
    """One page of a partner search (schema ``SearchPage``)."""

    total: int
    page: int
    per_page: int
    results: list[ApiPartnerHit]
    facets: SearchFacets
    location: NotRequired[LocationDict]
    radius_km: NotRequired[float | None]
    radius_widened: NotRequired[bool]


class ApiResult(TypedDict):
    """One proposed partner for one frein (schema ``Result``)."""

    partner: ApiPartner
    score: float
    distance_km: float | None
    verdict: str
    reasons: list[str]
    warnings: list[str]
    fiabilite: Fiabilite


class ApiPartnerRef(TypedDict):
    """A partner named in passing: its id, name and type."""

    id: str
    nom: str
    type: dict[str, str]


class ApiLeftOut(TypedDict):
    """An expected partner that a rule removed, and why (schema ``Ecarte``)."""

    partner: ApiPartnerRef
    distance_km: float | None
    raison: str


class ApiFreinRecommendations(TypedDict):
    frein: str
    label: str
    results: list[ApiResult]
    ecartes: list[ApiLeftOut]


class ApiRecommendations(TypedDict):
    """The partners proposed for each frein, and the plan (schema ``Recommendation``)."""

    location: LocationDict
    freins: list[ApiFreinRecommendations]
    plan: Plan


class ApiFitCheck(TypedDict):
    """The verdict on one orientation, with its details (schema ``FitCheck``)."""

    distance_km: float | None
    verdict: str
    score: float
    reasons: list[str]
    blockers: list[str]
    freins_traites: list[str]
    freins_non_traites: list[str]
    warnings: list[str]
    frein: str | None
    fiabilite: Fiabilite
    partner: ApiPartner


# --------------------------------------------------------------------------- questions


def partner_dict(partner: Partner | Row, sources: Iterable[PartnerSource | Row]) -> ApiPartner:
    """The contract's Partner object, plus a few documented extra fields.

    ``partner`` is a :class:`Partner` or a row of its table, ``sources`` its source rows.
    """
    ptype = default_taxonomy().partner_type(partner.type_code)
    updated = freshness(partner.source_updated_at, partner.verified_at)
    zone: Zone = {
        "kind": partner.zone_kind,
        "codes": list(json_codes(partner.zone_codes)),
    }
    if partner.zone_radius_km:
        zone["radius_km"] = partner.zone_radius_km
    return {
        "id": partner.id,
        "nom": partner.nom,
        "type": {"code": ptype.code, "label": ptype.label},
        "adresse": ", ".join(x for x in (partner.adresse, partner.complement_adresse) if x),
        "code_postal": partner.code_postal,
        "commune": {"code_insee": partner.code_insee, "nom": partner.commune_nom},
        "departement": partner.departement,
        "lat": partner.lat,
        "lon": partner.lon,
        "coordonnees_exactes": partner.coords_exact,
        "telephone": partner.telephone,
        "email": partner.email,
        "site_web": partner.site_web,
        "horaires": partner.horaires,
        "horaires_structures": _json_value(partner.horaires_structures),
        "services": _json_value(partner.services) or [],
        "description": partner.description,
        "freins": list(json_codes(partner.freins)),
        "freins_deduits": list(json_codes(partner.freins_inferred)),
        "thematiques": list(json_codes(partner.thematiques)),
        "publics": list(json_codes(partner.publics)),
        "age_min": partner.age_min,
        "age_max": partner.age_max,
        "zone": zone,
        "statut": partner.status,
        "sources": [
            {
                "source": s.source,
                "source_id": s.source_id,
                "updated_at": s.source_updated_at.isoformat() if s.source_updated_at else None,
            }
            for s in sources
        ],
        "updated_at": updated.isoformat() if updated else None,
        # (cached with the partner for its data version: its day may lag by that long)
        "fiabilite": fiabilite(
            updated,
            approximate=not partner.coords_exact
            and (partner.lat is not None or bool(partner.code_insee)),
            today=date.today(),
        ),
    }


def _json_value(raw: object) -> Any:
    """A JSON column read as text by the plain-row query (SQLite), or already decoded."""
    return json.loads(raw) if isinstance(raw, str) else raw


# built once (a statement costs more to build than to run): IN lists expand at execution
_PARTNERS_QUERY = select(
    *json_as_text(
        getattr(Partner, name)
        for name in (
            "id", "nom", "type_code", "adresse", "complement_adresse", "code_postal",
            "code_insee", "commune_nom", "departement", "lat", "lon", "coords_exact",
            "telephone", "email", "site_web", "horaires", "horaires_structures", "services",
            "description", "freins",
            "freins_inferred", "thematiques", "publics", "age_min", "age_max", "zone_kind",
            "zone_codes", "zone_radius_km", "status", "source_updated_at", "verified_at",
        )
    )
).where(Partner.id.in_(bindparam("ids", expanding=True)))  # fmt: skip
_SOURCES_QUERY = (
    select(
        PartnerSource.partner_id,
        PartnerSource.source,
        PartnerSource.source_id,
        PartnerSource.source_updated_at,
    )
    .where(PartnerSource.partner_id.in_(bindparam("ids", expanding=True)))
    .order_by(PartnerSource.id)
)


def _fetch_partners(ids: list[str]) -> dict[str, ApiPartner]:
    """Plain rows, no ORM objects: building twenty partners' objects cost more than the
    engine's whole answer."""
    connection = get_session().connection()
    sources: dict[str, list[Row]] = defaultdict(list)
    for row in connection.execute(_SOURCES_QUERY, {"ids": ids}):
        sources[row.partner_id].append(row)
    rows = connection.execute(_PARTNERS_QUERY, {"ids": ids})
    return {row.id: partner_dict(row, sources[row.id]) for row in rows}


def _partners_by_id(index: IndexState, ids: Iterable[str]) -> dict[str, ApiPartner]:
    """The answers of the partners an engine result names (shared: never modify them)."""
    return index.partners.get_many(ids, _fetch_partners)


def list_freins() -> dict[str, list[dict[str, object]]]:
    return {"freins": [f.to_dict() for f in default_taxonomy().freins.values()]}


def search_communes(params: Params) -> dict[str, list[dict[str, object]]]:
    query = parse_communes(params)
    found = default_gazetteer().autocomplete(query.q, limit=query.limit)
    return {"results": [c.to_dict() for c in found]}


def search_partners(params: Params) -> ApiSearchPage:
    return search(parse_search(params, default_gazetteer(), default_taxonomy()))


def search(query: SearchQuery) -> ApiSearchPage:
    """A parsed partner search (the search page parses first, to show the codes it read)."""
    location = query.location
    index = current_index(get_session())
    found = index.search.search(
        q=query.q,
        freins=list(query.freins),
        types=list(query.types),
        publics=list(query.publics),
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        radius_km=query.radius_km,
        open_day=now().date() if query.ouvert else None,
        page=query.page,
        per_page=query.per_page,
    )
    partners = _partners_by_id(index, (r["partner_id"] for r in found["results"]))
    results: list[ApiPartnerHit] = []
    for hit in found["results"]:
        if hit["partner_id"] in partners:
            results.append({**partners[hit["partner_id"]], "distance_km": hit["distance_km"]})
    body: ApiSearchPage = {
        "total": found["total"],
        "page": query.page,
        "per_page": query.per_page,
        "results": results,
        "facets": found["facets"],
    }
    if location is not None:
        body["location"] = location.to_dict()
        body["radius_km"] = found.get("radius_km")
        body["radius_widened"] = found.get("radius_widened", False)
    return body


def get_partner_row(partner_id: str) -> Partner:
    if not PARTNER_ID.fullmatch(partner_id):
        raise NotFound("Partenaire introuvable.", details={"id": str(partner_id)[:64]})
    partner = get_session().get(Partner, partner_id, options=[selectinload(Partner.sources)])
    if partner is None:
        raise NotFound("Partenaire introuvable.", details={"id": partner_id})
    return partner


def get_partner(partner_id: str) -> ApiPartner:
    partner = get_partner_row(partner_id)
    return partner_dict(partner, partner.sources)


def recommend(params: Params) -> ApiRecommendations:
    query = parse_recommendation(params, default_gazetteer(), default_taxonomy())
    index = current_index(get_session())
    answer = index.recommender.recommend(
        query.profile, limit=query.limit, open_day=now().date() if query.ouvert else None
    )
    ids = [r["partner_id"] for f in answer["freins"] for r in (*f["results"], *f["ecartes"])]
    partners = _partners_by_id(index, ids)
    return {
        "location": answer["location"],
        "freins": [
            {
                "frein": frein["frein"],
                "label": frein["label"],
                "results": [
                    _with_partner(r, partners[r["partner_id"]])
                    for r in frein["results"]
                    if r["partner_id"] in partners
                ],
                "ecartes": [
                    {
                        "partner": _partner_ref(partners[e["partner_id"]]),
                        "distance_km": e["distance_km"],
                        "raison": e["raison"],
                    }
                    for e in frein["ecartes"]
                    if e["partner_id"] in partners
                ],
            }
            for frein in answer["freins"]
        ],
        "plan": answer["plan"],
    }


def _partner_ref(partner: ApiPartner) -> ApiPartnerRef:
    return {"id": partner["id"], "nom": partner["nom"], "type": partner["type"]}


def _with_partner(result: Recommendation, partner: ApiPartner) -> ApiResult:
    """An engine result with the partner it names in place of its id."""
    return {
        "partner": partner,
        "score": result["score"],
        "distance_km": result["distance_km"],
        "verdict": result["verdict"],
        "reasons": result["reasons"],
        "warnings": result["warnings"],
        "fiabilite": partner["fiabilite"],
    }


def fit_check(params: Params) -> ApiFitCheck:
    partner = get_partner(parse_partner_id(params))
    query = parse_fit(params, default_gazetteer(), default_taxonomy())
    answer = current_index(get_session()).recommender.fit_check(
        query.profile, query.partner_id, frein=query.frein, details=True
    )
    return {
        "distance_km": answer["distance_km"],
        "verdict": answer["verdict"],
        "score": answer["score"],
        "reasons": answer["reasons"],
        "blockers": answer["blockers"],
        "freins_traites": answer["freins_traites"],
        "freins_non_traites": answer["freins_non_traites"],
        "warnings": answer["warnings"],
        "frein": answer["frein"],
        "fiabilite": partner["fiabilite"],
        "partner": partner,
    }
