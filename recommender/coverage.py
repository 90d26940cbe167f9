"""Territorial coverage: for one frein and a reference profile, the nearest partner each
commune of an area could be oriented to, and how far it is ("zones blanches").

The engine's own candidates and rule decide: per frein, the k-d tree of ``rayon``
partners (queried for every commune at once, widened like :meth:`Recommender._rank`)
plus the zone-wide partners covering the commune, all judged by
:func:`recommender.eligibility.check` with the context
:func:`~recommender.eligibility.make_context` builds for a person living there. So a
change of the eligibility rules changes the coverage with no second copy of them.

Communes are batched: those whose covering zone-wide candidates are the same share one
context, whose ``lat``/``lon`` are then arrays aligned on the (commune, candidate) pairs
(``check`` is element-wise over its rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .eligibility import PersonContext, check, make_context
from .engine import Recommender
from .errors import InvalidParameter
from .geo.communes import Commune
from .geo.gazetteer import Gazetteer
from .geo.keys import normalize_departement
from .geo.names import region_name
from .params import (
    AGE_MAX,
    AGE_MIN,
    MAX_KM,
    Params,
    parse_bool,
    parse_float,
    parse_frein,
    parse_int,
    parse_publics,
    parse_string,
)
from .profile import Profile, location_from_commune
from .taxonomy import Taxonomy
from .text import fold
from .validation import check_is_fitted

# The reference person when the request says nothing: an adult (30: neither « jeunes »
# nor « seniors »), no stated public, no vehicle.
DEFAULT_AGE = 30
SEUIL_KM = {False: 15.0, True: 30.0}  # reachable without / with a vehicle
FIRST_K = 8  # nearest rayon partners judged first per commune (widened ×4 when needed)
# Paris, Lyon and Marseille are listed as their municipal arrondissements.
PLM = ("75056", "69123", "13055")


class UnknownTerritory(InvalidParameter):
    """A département or région code or name the referential does not hold (400)."""

    code = "territoire_inconnu"


@dataclass(frozen=True)
class ReferenceProfile:
    """The person the coverage is computed for (the same everywhere in the area)."""

    age: int | None = DEFAULT_AGE
    publics: tuple[str, ...] = ()
    vehicule: bool = False

    @property
    def seuil_km(self) -> float:
        return SEUIL_KM[self.vehicule]

    def to_dict(self) -> dict[str, object]:
        return {"age": self.age, "publics": list(self.publics), "vehicule": self.vehicule}


@dataclass(frozen=True)
class Territory:
    """A département, a région or France, and its communes (Paris, Lyon, Marseille as
    arrondissements; communes without coordinates included)."""

    kind: str  # "departement" | "region" | "france"
    code: str | None
    nom: str
    communes: tuple[Commune, ...]


@dataclass(frozen=True)
class Nearest:
    """Per commune of a territory (same order): the nearest eligible partner's row in the
    recommender's table (``-1``: none) and its distance in km (``inf``: none)."""

    rows: np.ndarray
    distance: np.ndarray


@dataclass(frozen=True)
class CoverageQuery:
    """``GET /api/v1/couverture`` and the coverage page."""

    frein: str
    territory: Territory
    profile: ReferenceProfile
    seuil_km: float


# --------------------------------------------------------------------------- territories


def territory_communes(gazetteer: Gazetteer, keep: object = None) -> tuple[Commune, ...]:
    """Communes (``kind == "commune"``) for which ``keep(commune)`` holds, by code, with
    Paris, Lyon and Marseille replaced by their arrondissements."""
    out: list[Commune] = []
    for c in gazetteer.communes.values():
        if c.kind != "commune" or (keep is not None and not keep(c)):  # type: ignore[operator]
            continue
        out.extend(sorted(gazetteer.arrondissements(c.code_insee), key=lambda a: a.code_insee))
        if c.code_insee not in PLM:
            out.append(c)
    return tuple(sorted(out, key=lambda c: c.code_insee))


def france(gazetteer: Gazetteer) -> Territory:
    return Territory("france", None, "France", territory_communes(gazetteer))


def _suggest(text: str, choices: dict[str, str]) -> list[str]:
    """The closest ``code`` of ``choices`` (code → name) to what was typed."""
    from rapidfuzz import fuzz, process

    labels = {code: fold(nom) for code, nom in choices.items()}
    found = process.extract(fold(text), labels, scorer=fuzz.ratio, limit=5, score_cutoff=50)
    return [code for _label, _score, code in found]


def _find(text: str, choices: dict[str, str], code: str | None) -> str | None:
    if code in choices:
        return code
    wanted = fold(text)
    for key, nom in choices.items():
        if fold(nom) == wanted:
            return key
    return None


def departement(gazetteer: Gazetteer, text: str) -> Territory:
    """A département by code (``60``, ``2a``, ``1``) or name (``Oise``).

    >>> from recommender.geo import default_gazetteer
    >>> t = departement(default_gazetteer(), "oise")
    >>> t.code, t.nom, len(t.communes)
    ('60', 'Oise', 680)
    """
    choices = dict(gazetteer.departements())
    found = _chosen("departement", text, choices, normalize_departement(text))
    return Territory(
        "departement",
        found,
        choices[found],
        territory_communes(gazetteer, lambda c: c.departement == found),
    )


_UNKNOWN = {"departement": "Département « {} » inconnu.", "region": "Région « {} » inconnue."}


def _chosen(kind: str, text: str, choices: dict[str, str], code: str) -> str:
    """The code ``text`` names among ``choices``, or :class:`UnknownTerritory`."""
    found = _find(text, choices, code)
    if found is None:
        raise UnknownTerritory(
            kind,
            _UNKNOWN[kind].format(text),
            suggestions=[{"code": s, "nom": choices[s]} for s in _suggest(text, choices)],
            valid=sorted(choices),
        )
    return found


def region(gazetteer: Gazetteer, text: str) -> Territory:
    """A région by INSEE code (``32``) or name (``Hauts-de-France``)."""
    present = {c.region for c in gazetteer.communes.values()}
    choices = {code: region_name(code) for code in sorted(present) if code}
    found = _chosen("region", text, choices, text.strip())
    return Territory(
        "region", found, choices[found], territory_communes(gazetteer, lambda c: c.region == found)
    )


def parse_coverage(params: Params, gazetteer: Gazetteer, taxonomy: Taxonomy) -> CoverageQuery:
    """``frein`` (one code), ``departement`` or ``region`` (one of them), ``age``,
    ``publics``, ``vehicule``, ``seuil_km``, read by :mod:`recommender.params`' rules."""
    frein = parse_frein(params, taxonomy)
    if frein is None:
        raise InvalidParameter(
            "frein", "Indiquez un frein (par exemple : mobilite).", valid=list(taxonomy.freins)
        )
    given = [name for name in ("departement", "region") if name in params]
    if len(given) != 1:
        raise InvalidParameter(
            "departement",
            "Indiquez un département (departement=) ou une région (region=), pas les deux.",
        )
    text = parse_string(params, given[0])
    if not text:
        raise InvalidParameter(given[0], f"Le paramètre « {given[0]} » est vide.")
    territory = (
        departement(gazetteer, text) if given[0] == "departement" else region(gazetteer, text)
    )
    age = parse_int(params, "age", default=DEFAULT_AGE, minimum=AGE_MIN, maximum=AGE_MAX)
    profile = ReferenceProfile(
        age=age,
        publics=parse_publics(params, taxonomy),
        vehicule=bool(parse_bool(params, "vehicule")),
    )
    seuil = parse_float(params, "seuil_km", minimum=0.0, maximum=MAX_KM, min_exclusive=True)
    return CoverageQuery(frein, territory, profile, seuil or profile.seuil_km)


# --------------------------------------------------------------------------- nearest


def _context(rec: Recommender, commune: Commune, frein: str | None, profile: ReferenceProfile):
    """The engine's context of a person of ``profile`` living in ``commune``."""
    person = Profile(
        location=location_from_commune(commune),
        freins=(frein,) if frein else (),
        age=profile.age,
        publics=profile.publics,
        vehicule=profile.vehicule,
        max_km=None,
    )
    return make_context(person, rec.table_, rec.index_, rec.gazetteer_, max_km_default=None)


def _eligible(ctx: PersonContext, rec: Recommender, lat, lon, rows: np.ndarray, f: int):
    """``check`` over (commune, candidate) pairs: ``rows`` is ``(n, k)``, one line per
    commune; returns eligibility and distances, same shape."""
    n, k = rows.shape
    pairs = replace(ctx, lat=np.repeat(lat, k), lon=np.repeat(lon, k))
    checks = check(rec.table_, pairs, rows.reshape(-1), f)
    return checks.eligible.reshape(n, k), checks.distance.reshape(n, k)


def _nearest_rayon(rec: Recommender, ctx: PersonContext, f: int, lat, lon):
    """Nearest eligible ``rayon`` partner of each commune: the tree's k nearest, judged,
    widened for the communes still without one until no farther partner could be
    eligible (beyond every radius of the frein's tree) or the tree is exhausted."""
    index = rec.index_
    n = lat.size
    best_row, best_dist = np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    size, max_radius = index.size(f), rec.tree_bounds_[f][3]
    todo = np.arange(n)
    k = FIRST_K
    while todo.size and size:
        rows, reach = index.nearest_many(f, lat[todo], lon[todo], k=k)
        ok, dist = _eligible(ctx, rec, lat[todo], lon[todo], rows, f)
        dist = np.where(ok, dist, np.inf)
        j = np.argmin(dist, axis=1)
        found = np.isfinite(dist[np.arange(todo.size), j])
        best_row[todo[found]] = rows[found, j[found]]
        best_dist[todo[found]] = dist[found, j[found]]
        if rows.shape[1] >= size:
            break
        todo = todo[~found & (reach <= max_radius)]
        k *= 4
    return best_row, best_dist


def nearest_eligible(
    rec: Recommender,
    frein: str,
    communes: Sequence[Commune],
    profile: ReferenceProfile,
    coverings: dict[str, np.ndarray] | None = None,
) -> Nearest:
    """For each commune, the nearest partner ``profile`` could be oriented to for
    ``frein`` if living there, as :meth:`Recommender.recommend` would judge it (no
    distance cap); zone-wide partners without a point have no distance and are left out.

    ``coverings`` (commune code → zone-wide rows covering it, whatever the frein and the
    profile) is filled and may be kept by the caller for the next calls.
    """
    check_is_fitted(rec, "table_")
    f = rec.table_.frein_index(frein)
    n = len(communes)
    best_row, best_dist = np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    coverings = {} if coverings is None else coverings
    by_departement: dict[str, list[int]] = {}
    for i, c in enumerate(communes):
        if c.lat is not None and c.lon is not None:
            by_departement.setdefault(c.departement, []).append(i)
    for members in by_departement.values():  # chunks: the pairs stay few
        idx = np.asarray(members, dtype=np.int64)
        row, dist = _nearest_in(rec, f, frein, [communes[i] for i in members], profile, coverings)
        best_row[idx], best_dist[idx] = row, dist
    return Nearest(best_row, best_dist)


def _nearest_in(
    rec: Recommender,
    f: int,
    frein: str,
    communes: list[Commune],
    profile: ReferenceProfile,
    coverings: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_eligible` over located communes: one context for all of them, its
    ``covered`` the union of their zone-wide candidates, each commune judged only with
    the candidates covering it (so ``covered`` is true for every pair, as it is for that
    commune's own context)."""
    table = rec.table_
    n = len(communes)
    lat = np.array([c.lat for c in communes], dtype=float)
    lon = np.array([c.lon for c in communes], dtype=float)
    covering = []
    for c in communes:
        found = coverings.get(c.code_insee)
        if found is None:
            found = coverings[c.code_insee] = _context(rec, c, None, profile).covering
        covering.append(found)
    pair_row = np.concatenate(covering) if covering else np.empty(0, dtype=np.int64)
    pair_of = np.repeat(np.arange(n), [rows.size for rows in covering])
    keep = rec.addressable_[pair_row, f]
    pair_row, pair_of = pair_row[keep], pair_of[keep]
    covered = np.zeros(len(table), dtype=bool)
    covered[pair_row] = True
    ctx = replace(_context(rec, communes[0], frein, profile), covered=covered)
    row, dist = _nearest_rayon(rec, ctx, f, lat, lon)
    if pair_row.size:
        pairs = replace(ctx, lat=lat[pair_of], lon=lon[pair_of])
        checks = check(table, pairs, pair_row, f)
        zdist = np.where(checks.eligible & ~np.isnan(checks.distance), checks.distance, np.inf)
        nearest_zone = np.full(n, np.inf)
        np.minimum.at(nearest_zone, pair_of, zdist)
        best = np.isfinite(zdist) & (zdist == nearest_zone[pair_of]) & (zdist < dist[pair_of])
        row[pair_of[best]] = pair_row[best]
        dist[pair_of[best]] = zdist[best]
    return row, dist


# --------------------------------------------------------------------------- summary


def summary(populations: np.ndarray, distance: np.ndarray, seuil_km: float) -> dict[str, object]:
    """The contract's ``resume``: communes, population, population beyond ``seuil_km``,
    share of the population covered and median distance (km, over the communes with a
    reachable partner at any distance, weighted by nothing: a commune is a place)."""
    blank = ~(distance <= seuil_km)
    total = int(populations.sum())
    outside = int(populations[blank].sum())
    finite = distance[np.isfinite(distance)]
    return {
        "communes": int(distance.size),
        "population": total,
        "population_zone_blanche": outside,
        "part_population_couverte": round(1 - outside / total, 4) if total else None,
        "distance_mediane_km": round(float(np.median(finite)), 1) if finite.size else None,
    }
