"""A partner's columns from its source records (one, or several once merged).

Records are ranked: structures before data·inclusion services, then the freshest
(``source_updated_at``), then the most complete. Each scalar field comes from the best
record that has it; the location block (address, commune, point) comes as a whole from the
best record with exact coordinates; lists declared by sources are united; what no source
declares comes from the partner type's defaults (freins, publics, ages, zone).
"""

from __future__ import annotations

from datetime import date
from typing import Any

_LOCATION = (
    "adresse",
    "complement_adresse",
    "code_postal",
    "code_insee",
    "commune_nom",
    "departement",
    "region",
    "lat",
    "lon",
    "coords_exact",
)
# Text columns stored as "" rather than NULL.
_CONTACTS = ("telephone", "email", "site_web", "horaires", "description")
_ADDRESS_TEXT = ("adresse", "complement_adresse", "code_postal", "commune_nom")
_SCALARS = (*_CONTACTS, "siret")
_COMPLETENESS = ("adresse", *_SCALARS)
# Lists united across records, with no default from the partner type.
_DECLARED_LISTS = ("modes_accueil", "frais")

# Partner columns an importer owns (and an admin edit can lock).
OWNED_COLUMNS = (
    "nom",
    "type_code",
    *_LOCATION,
    *_SCALARS,
    "horaires_structures",
    "services",
    "freins",
    "thematiques",
    "publics",
    *_DECLARED_LISTS,
    "age_min",
    "age_max",
    "zone_kind",
    "zone_codes",
    "zone_radius_km",
    "status",
    "source_updated_at",
)

Record = dict[str, Any]


def _rank(fields: Record) -> tuple:
    updated = fields.get("source_updated_at") or ""
    filled = sum(1 for key in _COMPLETENESS if fields.get(key))
    return (not fields.get("service"), updated, filled)


def _first_with(ranked: list[Record], key: str) -> Record | None:
    return next((r for r in ranked if r.get(key)), None)


def compose(records: list[Record], taxonomy: Any) -> Record:
    """Partner columns (without ``id``) from the records' resolved fields."""
    ranked = sorted(records, key=_rank, reverse=True) if len(records) > 1 else records
    out = _identity(ranked)
    located = _located(ranked)
    out.update(_location(ranked, located))
    out.update(_scalars(ranked))
    hours = _first_with(ranked, "horaires_structures")
    out["horaires_structures"] = hours["horaires_structures"] if hours else None
    out["services"] = _services(ranked)
    ptype = taxonomy.partner_type(out["type_code"])
    out.update(_lists(ranked, taxonomy, ptype))
    for key in ("age_min", "age_max"):
        out[key] = next((r[key] for r in ranked if r.get(key) is not None), getattr(ptype, key))
    out.update(_zone(ranked, out, located, ptype))
    out["status"] = "archived" if all(r.get("inactive") for r in ranked) else "active"
    dates = [r["source_updated_at"] for r in ranked if r.get("source_updated_at")]
    out["source_updated_at"] = date.fromisoformat(max(dates)) if dates else None
    return out


def _services(ranked: list[Record]) -> list[dict[str, Any]] | None:
    """Every record's services, once each (a service may come with two sources)."""
    out: list[dict[str, Any]] = []
    for record in ranked:
        for service in record.get("services") or ():
            if service not in out:
                out.append(service)
    return out or None


def _identity(ranked: list[Record]) -> Record:
    """The name of the best-named structure, the first known type."""
    named = max(ranked, key=lambda r: (not r.get("service"), r.get("nom_quality", 1)))
    typed = next((r for r in ranked if r.get("type_code") not in (None, "autre")), ranked[0])
    return {"nom": named["nom"], "type_code": typed.get("type_code") or "autre"}


def _located(ranked: list[Record]) -> Record:
    """The record whose location block wins: exact coordinates, else a known commune."""
    return _first_with(ranked, "coords_exact") or _first_with(ranked, "code_insee") or ranked[0]


def _location(ranked: list[Record], located: Record) -> Record:
    out = {key: located.get(key) for key in _LOCATION}
    if not out["adresse"]:
        with_address = _first_with(ranked, "adresse")
        if with_address and with_address.get("code_insee") == out["code_insee"]:
            out["adresse"] = with_address["adresse"]
            out["complement_adresse"] = with_address.get("complement_adresse", "")
    for key in _ADDRESS_TEXT:
        out[key] = out[key] or ""
    out["coords_exact"] = bool(out["coords_exact"])
    return out


def _scalars(ranked: list[Record]) -> Record:
    out: Record = {key: next((r[key] for r in ranked if r.get(key)), None) for key in _SCALARS}
    for key in _CONTACTS:
        out[key] = out[key] or ""
    if services := sorted({r["service_nom"] for r in ranked if r.get("service_nom")}):
        out["description"] = _with_services(services, out["description"])
    return out


def _lists(ranked: list[Record], taxonomy: Any, ptype: Any) -> Record:
    """Declared lists united; freins, thematiques and publics default to the type's."""
    declared = set(_union(r.get("freins") for r in ranked))
    freins = [c for c in taxonomy.freins if c in declared] if declared else list(ptype.freins)
    thematiques = _union(r.get("thematiques") for r in ranked)
    out: Record = {
        "freins": freins,
        "thematiques": thematiques or _thematiques_of(taxonomy, tuple(freins)),
        "publics": _publics(ranked, ptype),
    }
    for key in _DECLARED_LISTS:
        out[key] = _union(r.get(key) for r in ranked)
    return out


def _publics(ranked: list[Record], ptype: Any) -> list[str]:
    if any(r.get("publics_declared") and not r.get("publics") for r in ranked):
        return []  # one service is open to everyone
    return _union(r.get("publics") for r in ranked) or list(ptype.publics)


def _zone(ranked: list[Record], out: Record, located: Record, ptype: Any) -> Record:
    """The first declared zone; without codes, the partner's own place at the zone's level
    (and a radius when there is none: a zone without codes would match nobody)."""
    zoned = _first_with(ranked, "zone_kind")
    kind = zoned["zone_kind"] if zoned else ptype.zone_kind
    codes = list(zoned.get("zone_codes") or []) if zoned else []
    if not codes:
        default = {
            "departement": out["departement"],
            "communes": out["code_insee"],
            "region": out["region"],
            "epci": located.get("epci"),
        }.get(kind)
        codes = [default] if default else []
        if kind not in ("rayon", "france") and not codes:
            kind = "rayon"
    radius = ptype.zone_radius_km if kind == "rayon" else None
    if kind == "rayon" and radius is None:
        radius = 30.0
    return {"zone_kind": kind, "zone_codes": codes, "zone_radius_km": radius}


def _with_services(services: list[str], description: str) -> str:
    """The services' names above the description: a partner made of services only (a
    data·inclusion extract without structures) would otherwise show one service's text."""
    if len(services) == 1:
        head = f"Service : {services[0]}"
    else:
        head = "Services proposés :\n" + "\n".join(f"- {name}" for name in services)
    return f"{head}\n\n{description}" if description else head


_THEMATIQUES_CACHE: dict[tuple[int, tuple[str, ...]], list[str]] = {}


def _thematiques_of(taxonomy: Any, freins: tuple[str, ...]) -> list[str]:
    key = (id(taxonomy), freins)
    found = _THEMATIQUES_CACHE.get(key)
    if found is None:
        found = _THEMATIQUES_CACHE[key] = list(taxonomy.thematiques_of(freins))
    return list(found)


def _union(lists) -> list[str]:
    out: list[str] = []
    for items in lists:
        for item in items or ():
            if item not in out:
                out.append(item)
    return out


def from_partner_row(row: Any) -> dict[str, Any]:
    """Resolved-like fields of an existing partner whose sources carry none (admin-created,
    or imported by another tool): the lowest-ranked record of a recomposition."""
    keys = ("nom", "type_code", *_LOCATION, *_SCALARS, "horaires_structures", "services")
    fields = {key: getattr(row, key, None) for key in keys}
    fields["source_updated_at"] = ""
    fields["nom_quality"] = 0
    return fields
