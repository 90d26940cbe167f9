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
_SCALARS = ("telephone", "email", "site_web", "horaires", "description", "siret")
_COMPLETENESS = ("adresse", "telephone", "email", "site_web", "horaires", "description", "siret")

# Partner columns an importer owns (and an admin edit can lock).
OWNED_COLUMNS = (
    "nom",
    "type_code",
    *_LOCATION,
    *_SCALARS,
    "freins",
    "thematiques",
    "publics",
    "modes_accueil",
    "frais",
    "age_min",
    "age_max",
    "zone_kind",
    "zone_codes",
    "zone_radius_km",
    "status",
    "source_updated_at",
)


def _rank(fields: dict[str, Any]) -> tuple:
    updated = fields.get("source_updated_at") or ""
    filled = 0
    for key in _COMPLETENESS:
        if fields.get(key):
            filled += 1
    return (not fields.get("service"), updated, filled)


def compose(records: list[dict[str, Any]], taxonomy: Any) -> dict[str, Any]:
    """Partner columns (without ``id``) from the records' resolved fields."""
    ranked = sorted(records, key=_rank, reverse=True) if len(records) > 1 else records
    primary = ranked[0]
    out: dict[str, Any] = {}

    named = max(ranked, key=lambda r: (not r.get("service"), r.get("nom_quality", 1)))
    out["nom"] = named["nom"]
    typed = next((r for r in ranked if r.get("type_code") not in (None, "autre")), primary)
    out["type_code"] = typed.get("type_code") or "autre"

    located = next((r for r in ranked if r.get("coords_exact")), None) or next(
        (r for r in ranked if r.get("code_insee")), primary
    )
    for key in _LOCATION:
        out[key] = located.get(key)
    if not out["adresse"]:
        with_address = next((r for r in ranked if r.get("adresse")), None)
        if with_address and with_address.get("code_insee") == out["code_insee"]:
            out["adresse"] = with_address["adresse"]
            out["complement_adresse"] = with_address.get("complement_adresse", "")
    if len(ranked) == 1:
        for key in _SCALARS:
            out[key] = primary.get(key) or None
    else:
        for key in _SCALARS:
            out[key] = next((r[key] for r in ranked if r.get(key)), None)
    for key in ("telephone", "email", "site_web", "horaires", "description"):
        out[key] = out[key] or ""
    if services := sorted({r["service_nom"] for r in ranked if r.get("service_nom")}):
        out["description"] = _with_services(services, out["description"])
    for key in ("adresse", "complement_adresse", "code_postal", "commune_nom"):
        out[key] = out[key] or ""
    out["coords_exact"] = bool(out["coords_exact"])

    ptype = taxonomy.partner_type(out["type_code"])
    declared_freins = _union(r.get("freins") for r in ranked)
    if declared_freins:
        wanted = set(declared_freins)
        out["freins"] = [c for c in taxonomy.freins if c in wanted]
    else:
        out["freins"] = list(ptype.freins)
    declared_them = _union(r.get("thematiques") for r in ranked)
    out["thematiques"] = declared_them or _thematiques_of(taxonomy, tuple(out["freins"]))
    if any(r.get("publics_declared") and not r.get("publics") for r in ranked):
        out["publics"] = []  # one service is open to everyone
    else:
        out["publics"] = _union(r.get("publics") for r in ranked) or list(ptype.publics)
    out["modes_accueil"] = _union(r.get("modes_accueil") for r in ranked)
    out["frais"] = _union(r.get("frais") for r in ranked)
    for key in ("age_min", "age_max"):
        declared = [r[key] for r in ranked if r.get(key) is not None]
        out[key] = declared[0] if declared else getattr(ptype, key)

    zoned = next((r for r in ranked if r.get("zone_kind")), None)
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
        if kind != "rayon" and kind != "france" and not codes:
            kind = "rayon"  # a zone without codes would match nobody
    out["zone_kind"] = kind
    out["zone_codes"] = codes
    out["zone_radius_km"] = ptype.zone_radius_km if kind == "rayon" else None
    if kind == "rayon" and out["zone_radius_km"] is None:
        out["zone_radius_km"] = 30.0

    live = [r for r in ranked if not r.get("inactive")]
    out["status"] = "active" if live else "archived"
    dates = [r["source_updated_at"] for r in ranked if r.get("source_updated_at")]
    out["source_updated_at"] = date.fromisoformat(max(dates)) if dates else None
    return out


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
    fields = {key: getattr(row, key, None) for key in ("nom", "type_code", *_LOCATION, *_SCALARS)}
    fields["source_updated_at"] = ""
    fields["nom_quality"] = 0
    return fields
