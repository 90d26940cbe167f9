"""Territorial coverage as the API, the page and ``relais coverage`` answer it: the engine's
nearest eligible partners (:mod:`recommender.coverage`), cached per data version, turned
into the contract's JSON, CSV and GeoJSON."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import TypedDict

import numpy as np

from recommender.coverage import (
    CoverageQuery,
    Nearest,
    ReferenceProfile,
    Territory,
    nearest_eligible,
    parse_coverage,
    summary,
)
from recommender.engine import Recommender
from recommender.geo import default_gazetteer
from recommender.params import Params
from recommender.taxonomy import default_taxonomy

from .db import get_session
from .index.holder import IndexState, current_index
from .services import _partners_by_id

CSV_COLUMNS = (
    "code_insee", "nom", "departement", "epci", "population",
    "distance_km", "partner_id", "partner_nom", "zone_blanche",
)  # fmt: skip


class ApiCoverageCommune(TypedDict):
    code_insee: str
    nom: str
    population: int
    distance_km: float | None
    partner_id: str | None
    partner_nom: str | None
    zone_blanche: bool
    departement: str
    epci: str | None


class ApiEpciSummary(TypedDict):
    code: str | None
    nom: str
    resume: dict[str, object]


class ApiCoverage(TypedDict):
    """Schema ``Couverture`` of the OpenAPI document."""

    frein: str
    label: str
    zone: dict[str, str]
    profil: dict[str, object]
    seuil_km: float
    communes: list[ApiCoverageCommune]
    resume: dict[str, object]
    epci: list[ApiEpciSummary]


def cached_nearest(
    index: IndexState, frein: str, territory: Territory, profile: ReferenceProfile
) -> Nearest:
    """The territory's table for ``frein``, computed once per data version and profile."""
    key = (frein, territory.kind, territory.code, profile)
    cache = index.coverage
    return cache.get(
        key,
        lambda: nearest_eligible(
            index.recommender, frein, territory.communes, profile, cache.coverings
        ),
    )


def _distance(value: float) -> float | None:
    return round(float(value), 1) if np.isfinite(value) else None


def answer(query: CoverageQuery) -> ApiCoverage:
    """The contract's body for a parsed query (plus ``label``, ``partner_nom``, ``epci``)."""
    index = current_index(get_session())
    territory, profile = query.territory, query.profile
    nearest = cached_nearest(index, query.frein, territory, profile)
    table = index.recommender.table_
    ids = [table.ids[r] if r >= 0 else None for r in nearest.rows.tolist()]
    partners = _partners_by_id(index, sorted({i for i in ids if i}))
    populations = np.array([c.population for c in territory.communes], dtype=np.int64)
    communes: list[ApiCoverageCommune] = []
    for c, partner_id, dist in zip(territory.communes, ids, nearest.distance.tolist(), strict=True):
        partner = partners.get(partner_id) if partner_id else None
        communes.append(
            {
                "code_insee": c.code_insee,
                "nom": c.nom,
                "population": c.population,
                "distance_km": _distance(dist),
                "partner_id": partner_id,
                "partner_nom": partner["nom"] if partner else None,
                "zone_blanche": not dist <= query.seuil_km,
                "departement": c.departement,
                "epci": c.epci,
            }
        )
    zone = {territory.kind: territory.code or "", "nom": territory.nom}
    return {
        "frein": query.frein,
        "label": default_taxonomy().frein(query.frein).label,
        "zone": zone,
        "profil": profile.to_dict(),
        "seuil_km": query.seuil_km,
        "communes": communes,
        "resume": summary(populations, nearest.distance, query.seuil_km),
        "epci": epci_summaries(territory, populations, nearest.distance, query.seuil_km),
    }


def epci_summaries(
    territory: Territory, populations: np.ndarray, distance: np.ndarray, seuil_km: float
) -> list[ApiEpciSummary]:
    """One ``resume`` per EPCI of the territory (communes of an EPCI outside the territory
    are not counted), the least covered first."""
    gazetteer = default_gazetteer()
    members: dict[str | None, list[int]] = defaultdict(list)
    for i, c in enumerate(territory.communes):
        members[c.epci].append(i)
    out: list[ApiEpciSummary] = []
    for code, rows in members.items():
        idx = np.asarray(rows)
        nom = (gazetteer.epci_name(code) if code else None) or "Communes hors EPCI"
        out.append(
            {"code": code, "nom": nom, "resume": summary(populations[idx], distance[idx], seuil_km)}
        )
    out.sort(key=lambda e: (e["resume"]["part_population_couverte"] or 0.0, e["nom"]))
    return out


def coverage(params: Params) -> ApiCoverage:
    return answer(parse_coverage(params, default_gazetteer(), default_taxonomy()))


def as_csv(body: ApiCoverage) -> str:
    """The communes as CSV (UTF-8, comma-separated, decimal point: a spreadsheet's import)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in body["communes"]:
        row = {**c, "zone_blanche": "oui" if c["zone_blanche"] else "non"}
        writer.writerow(["" if row[k] is None else row[k] for k in CSV_COLUMNS])  # type: ignore[literal-required]
    return out.getvalue()


def as_geojson(body: ApiCoverage) -> dict[str, object]:
    """The communes as a GeoJSON FeatureCollection of their polygons (the shipped
    referential's, simplified); a commune without polygon has a ``null`` geometry."""
    import shapely

    polygons = default_gazetteer().shapes.polygons([c["code_insee"] for c in body["communes"]])
    features = []
    for c in body["communes"]:
        geom = polygons.get(c["code_insee"])
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None else None,
                "properties": dict(c),
            }
        )
    meta = {k: v for k, v in body.items() if k not in ("communes", "epci")}
    return {"type": "FeatureCollection", "features": features, "couverture": meta}


def compare_freins(query: CoverageQuery) -> list[dict[str, object]]:
    """Every frein's ``resume`` for the query's territory and profile (the page's table)."""
    index = current_index(get_session())
    populations = np.array([c.population for c in query.territory.communes], dtype=np.int64)
    rows = []
    for code, frein in default_taxonomy().freins.items():
        nearest = cached_nearest(index, code, query.territory, query.profile)
        resume = summary(populations, nearest.distance, query.seuil_km)
        rows.append({"frein": code, "label": frein.label, "resume": resume})
    return rows


def national_tables(
    recommender: Recommender, territory: Territory, profile: ReferenceProfile
) -> Iterator[tuple[str, Nearest]]:
    """``relais coverage``: each frein's table over ``territory`` (the zone-wide candidates
    of each commune found once for every frein)."""
    coverings: dict[str, np.ndarray] = {}
    for frein in recommender.table_.freins:
        yield frein, nearest_eligible(recommender, frein, territory.communes, profile, coverings)


def table_rows(
    frein: str, territory: Territory, nearest: Nearest, ids: list[str], seuil_km: float
) -> Iterator[list[object]]:
    """The CSV rows of one frein's table (columns of ``relais coverage``)."""
    found = zip(territory.communes, nearest.rows.tolist(), nearest.distance.tolist(), strict=True)
    for c, row, dist in found:
        yield [
            frein,
            c.code_insee,
            c.nom,
            c.departement,
            c.region,
            c.population,
            "" if _distance(dist) is None else _distance(dist),
            ids[row] if row >= 0 else "",
            "oui" if not dist <= seuil_km else "non",
        ]
