"""What the JSON API and the pages both answer: one function per question.

Every function takes plain parameters (request args or a JSON body), validates
them with the engine's parsers and returns the API's JSON shape.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from recommender.errors import (
    InvalidParameter,
    MissingParameter,
    NotFound,
    UnknownFrein,
    UnknownPublic,
)
from recommender.geo import default_gazetteer
from recommender.profile import parse_int, parse_location, parse_profile
from recommender.taxonomy import default_taxonomy

from .db import get_session
from .index.holder import IndexState, current_index
from .index.records import freshness, json_as_text, json_codes
from .models import Partner, PartnerSource

MAX_TEXT = 200
PARTNER_ID = re.compile(r"[\w.-]{1,64}")


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


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidParameter(name, f"Le paramètre « {name} » doit être un texte.")
    if len(value) > MAX_TEXT:
        raise InvalidParameter(
            name, f"Le paramètre « {name} » dépasse {MAX_TEXT} caractères.", max_length=MAX_TEXT
        )
    return value.strip() or None


def _float(params: Mapping[str, Any], name: str, *, minimum: float, maximum: float):
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"« {name} » doit être un nombre.") from None
    if not minimum < number <= maximum:
        raise InvalidParameter(
            name,
            f"« {name} » doit être compris entre {minimum:g} (exclu) et {maximum:g}.",
            minimum=minimum,
            maximum=maximum,
        )
    return number


def _codes(params: Mapping[str, Any], name: str, valid: Mapping[str, Any], error_cls) -> list[str]:
    """A comma list (or repeated parameter) of codes, each checked against ``valid``."""
    getlist = getattr(params, "getlist", None)
    raw = getlist(name) if getlist else params.get(name)
    if raw is None or raw == "" or raw == []:
        return []
    values = raw if isinstance(raw, list) else [raw]
    codes: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidParameter(name, f"« {name} » doit être une liste de codes.")
        if len(value) > 2000:
            raise InvalidParameter(name, f"« {name} » est trop long.")
        codes.extend(c.strip() for c in value.split(",") if c.strip())
    for code in codes:
        if code not in valid:
            raise error_cls(name, f"Code inconnu pour « {name} » : « {code} ».", valid=list(valid))
    return list(dict.fromkeys(codes))


def list_freins() -> dict[str, Any]:
    return {"freins": [f.to_dict() for f in default_taxonomy().freins.values()]}


def search_communes(params: Mapping[str, Any]) -> dict[str, Any]:
    q = _text(params, "q")
    if q is None:
        raise InvalidParameter("q", "Indiquez le début du nom, le code postal ou le code INSEE.")
    limit = parse_int(params, "limit", default=10, minimum=1, maximum=50)
    return {"results": [c.to_dict() for c in default_gazetteer().autocomplete(q, limit=limit)]}


def search_partners(params: Mapping[str, Any]) -> dict[str, Any]:
    taxonomy = default_taxonomy()
    q = _text(params, "q")
    freins = _codes(params, "frein", taxonomy.freins, UnknownFrein)
    types = _codes(params, "type", taxonomy.partner_types, InvalidParameter)
    publics = _codes(params, "public", taxonomy.publics, UnknownPublic)
    location = parse_location(params, default_gazetteer(), required=False)
    radius_km = _float(params, "radius_km", minimum=0, maximum=1000)
    if radius_km is not None and location is None:
        raise InvalidParameter(
            "radius_km", "Un rayon demande une commune (commune=) ou un point (lat= et lon=)."
        )
    page = parse_int(params, "page", default=1, minimum=1, maximum=10_000)
    per_page = parse_int(params, "per_page", default=20, minimum=1, maximum=100)

    index = current_index(get_session())
    found = index.search.search(
        q=q,
        freins=freins,
        types=types,
        publics=publics,
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        radius_km=radius_km,
        page=page,
        per_page=per_page,
    )
    partners = _partners_by_id(index, (r["partner_id"] for r in found["results"]))
    results = []
    for hit in found["results"]:
        if hit["partner_id"] in partners:
            results.append({**partners[hit["partner_id"]], "distance_km": hit["distance_km"]})
    body: dict[str, Any] = {
        "total": found["total"],
        "page": page,
        "per_page": per_page,
        "results": results,
        "facets": found["facets"],
    }
    if location is not None:
        body["location"] = location.to_dict()
    return body


def get_partner_row(partner_id: str) -> Partner:
    if not isinstance(partner_id, str) or not PARTNER_ID.fullmatch(partner_id):
        raise NotFound("Partenaire introuvable.", details={"id": str(partner_id)[:64]})
    partner = get_session().get(Partner, partner_id, options=[selectinload(Partner.sources)])
    if partner is None:
        raise NotFound("Partenaire introuvable.", details={"id": partner_id})
    return partner


def get_partner(partner_id: str) -> dict[str, Any]:
    partner = get_partner_row(partner_id)
    return partner_dict(partner, partner.sources)


def recommend(params: Mapping[str, Any]) -> dict[str, Any]:
    profile = parse_profile(params, default_gazetteer(), default_taxonomy())
    limit = parse_int(params, "limit", default=5, minimum=1, maximum=50)
    index = current_index(get_session())
    answer = index.recommender.recommend(profile, limit=limit)
    ids = [r["partner_id"] for f in answer["freins"] for r in f["results"]]
    partners = _partners_by_id(index, ids)
    for frein in answer["freins"]:
        frein["results"] = [
            {"partner": partners[r.pop("partner_id")], **r}
            for r in frein["results"]
            if r["partner_id"] in partners
        ]
    return answer


def fit_check(params: Mapping[str, Any]) -> dict[str, Any]:
    partner_id = params.get("partner_id")
    if partner_id is None or partner_id == "":
        raise MissingParameter("partner_id", "Indiquez le partenaire à vérifier (partner_id).")
    if not isinstance(partner_id, str):
        raise InvalidParameter("partner_id", "« partner_id » doit être un texte.")
    partner = get_partner(partner_id)
    profile = parse_profile(params, default_gazetteer(), default_taxonomy(), require_freins=False)
    frein = _text(params, "frein")
    answer = current_index(get_session()).recommender.fit_check(
        profile, partner_id, frein=frein, details=True
    )
    answer.pop("partner_id", None)
    answer["partner"] = partner
    return answer
