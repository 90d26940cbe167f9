"""What the JSON API and the pages both answer: one function per question.

Every function takes a request's parameters (query args, form or JSON body), reads them
with :mod:`recommender.params` (the one parser) and returns the API's JSON shape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
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
from recommender.taxonomy import default_taxonomy

from .db import get_session
from .index.holder import IndexState, current_index
from .index.records import freshness, json_as_text, json_codes
from .models import Partner, PartnerSource


def partner_dict(partner: Any, sources: Iterable[Any]) -> dict[str, Any]:
    """The contract's Partner object, plus a few documented extra fields.

    ``partner`` is a :class:`Partner` or a row of its table, ``sources`` its source rows.
    """
    ptype = default_taxonomy().partner_type(partner.type_code)
    updated = freshness(partner.source_updated_at, partner.verified_at)
    zone: dict[str, Any] = {
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
    }


# built once (a statement costs more to build than to run): IN lists expand at execution
_PARTNERS_QUERY = select(
    *json_as_text(
        getattr(Partner, name)
        for name in (
            "id", "nom", "type_code", "adresse", "complement_adresse", "code_postal",
            "code_insee", "commune_nom", "departement", "lat", "lon", "coords_exact",
            "telephone", "email", "site_web", "horaires", "description", "freins",
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


def _fetch_partners(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Plain rows, no ORM objects: building twenty partners' objects cost more than the
    engine's whole answer."""
    connection = get_session().connection()
    sources: dict[str, list[Any]] = defaultdict(list)
    for row in connection.execute(_SOURCES_QUERY, {"ids": ids}):
        sources[row.partner_id].append(row)
    rows = connection.execute(_PARTNERS_QUERY, {"ids": ids})
    return {row.id: partner_dict(row, sources[row.id]) for row in rows}


def _partners_by_id(index: IndexState, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The answers of the partners an engine result names (shared: never modify them)."""
    return index.partners.get_many(ids, _fetch_partners)


def list_freins() -> dict[str, Any]:
    return {"freins": [f.to_dict() for f in default_taxonomy().freins.values()]}


def search_communes(params: Params) -> dict[str, Any]:
    query = parse_communes(params)
    found = default_gazetteer().autocomplete(query.q, limit=query.limit)
    return {"results": [c.to_dict() for c in found]}


def search_partners(params: Params) -> dict[str, Any]:
    return search(parse_search(params, default_gazetteer(), default_taxonomy()))


def search(query: SearchQuery) -> dict[str, Any]:
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
        page=query.page,
        per_page=query.per_page,
    )
    partners = _partners_by_id(index, (r["partner_id"] for r in found["results"]))
    results = []
    for hit in found["results"]:
        if hit["partner_id"] in partners:
            results.append({**partners[hit["partner_id"]], "distance_km": hit["distance_km"]})
    body: dict[str, Any] = {
        "total": found["total"],
        "page": query.page,
        "per_page": query.per_page,
        "results": results,
        "facets": found["facets"],
    }
    if location is not None:
        body["location"] = location.to_dict()
    return body


def get_partner_row(partner_id: str) -> Partner:
    if not PARTNER_ID.fullmatch(partner_id):
        raise NotFound("Partenaire introuvable.", details={"id": str(partner_id)[:64]})
    partner = get_session().get(Partner, partner_id, options=[selectinload(Partner.sources)])
    if partner is None:
        raise NotFound("Partenaire introuvable.", details={"id": partner_id})
    return partner


def get_partner(partner_id: str) -> dict[str, Any]:
    partner = get_partner_row(partner_id)
    return partner_dict(partner, partner.sources)


def recommend(params: Params) -> dict[str, Any]:
    query = parse_recommendation(params, default_gazetteer(), default_taxonomy())
    index = current_index(get_session())
    answer = index.recommender.recommend(query.profile, limit=query.limit)
    ids = [r["partner_id"] for f in answer["freins"] for r in f["results"]]
    partners = _partners_by_id(index, ids)
    for frein in answer["freins"]:
        frein["results"] = [
            {"partner": partners[r.pop("partner_id")], **r}
            for r in frein["results"]
            if r["partner_id"] in partners
        ]
    return answer


def fit_check(params: Params) -> dict[str, Any]:
    partner = get_partner(parse_partner_id(params))
    query = parse_fit(params, default_gazetteer(), default_taxonomy())
    answer = current_index(get_session()).recommender.fit_check(
        query.profile, query.partner_id, frein=query.frein, details=True
    )
    answer.pop("partner_id", None)
    answer["partner"] = partner
    return answer
