"""Columnar partner table and candidate retrieval at national scale.

:class:`PartnerTable` holds, for every fitted partner, numpy columns that the
eligibility rules and the ranking read in one vectorised pass.
:class:`GeoIndex` finds candidates for one frein around a point: a
k-d tree per frein over unit vectors (the nearest partners) plus lookup
tables by zone (département, région, commune, France entière), so that a
départemental service 60 km away is not missed because another
département's office is nearer. Everything is built once in ``fit``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .geo import EARTH_RADIUS_KM
from .records import ZONE_KINDS
from .rules import SituationRule
from .strings import StringColumn
from .validation import check_int, check_is_fitted

RAYON = ZONE_KINDS.index("rayon")
COMMUNES = ZONE_KINDS.index("communes")
EPCI = ZONE_KINDS.index("epci")
DEPARTEMENT = ZONE_KINDS.index("departement")
REGION = ZONE_KINDS.index("region")
FRANCE = ZONE_KINDS.index("france")

# Mission kinds of a (partner, frein) pair, stored in PartnerTable.mission.
MISSION_NONE, MISSION_CORE, MISSION_SIDE, MISSION_INFERRED, MISSION_INFERRED_SIDE = range(5)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: the straight-line (chord) order of neighbours is their
    great-circle order, so a k-d tree finds them several times faster than a haversine
    BallTree."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord_to_km(chord: np.ndarray | float) -> np.ndarray | float:
    """Great-circle distance (km) of a chord between two points of the unit sphere."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0))


def km_to_chord(km: float) -> float:
    """The chord of a great-circle distance, rounded up (a ball query of that chord finds
    every point at most ``km`` away, and perhaps a few just beyond)."""
    return 2.0 * math.sin(min(km / (2.0 * EARTH_RADIUS_KM), math.pi / 2)) * (1 + 1e-9) + 1e-12


@dataclass
class PartnerTable:
    """Numpy columns over the fitted partners (row ``i`` is partner ``ids[i]``).

    No Python object per partner is kept: the table of national data stays small
    in memory and quick to save and load.

    ``mission[i, f]`` is the kind (``MISSION_*``) of partner ``i``'s mission for frein
    ``f``, and ``mission_weight[kind]`` the coverage the ranking gives it (core 1.0, side
    0.4, inferred × the inferred weight; 0 when the partner does not address the frein):
    one byte a pair rather than a float beside the kind. ``radius`` is the
    intervention radius of ``rayon`` zones (``inf`` for the other kinds).
    Targeted publics (``publics_mask``, for the ranking bonus) and the publics a
    type receives exclusively (``exclusive_mask``, a hard rule; 0 when open to
    all) are bit masks over ``public_codes``. ``rule_rows[i, k]``: rule ``rules[k]``
    (``data/taxonomy/rules.json``) concerns partner ``i``; ``rule_follows[k, t]``: the
    partners of an ``apres`` rule ``k`` rank after those of type ``type_codes[t]``;
    ``exclude_rules[f]`` and ``after_rules[f]``: the ``ecarter`` and ``apres`` rules of
    frein ``f``, in the order they apply.
    ``input_order[i]``: the position of row ``i``'s record in those fitted (the rows
    follow the places; ties between partners are broken by this order).
    """

    ids: StringColumn
    type_codes: tuple[str, ...]
    type_idx: np.ndarray
    freins: tuple[str, ...]
    public_codes: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    has_point: np.ndarray
    approx: np.ndarray
    active: np.ndarray
    recommendable: np.ndarray
    zone_kind: np.ndarray
    zone_codes: list[tuple[str, ...]]
    radius: np.ndarray
    age_min: np.ndarray
    age_max: np.ndarray
    years_old: np.ndarray
    mission: np.ndarray
    mission_weight: np.ndarray
    publics_mask: np.ndarray
    exclusive_mask: np.ndarray
    rule_rows: np.ndarray
    rule_follows: np.ndarray
    exclude_rules: tuple[tuple[int, ...], ...]
    after_rules: tuple[tuple[int, ...], ...]
    input_order: np.ndarray
    rules: tuple[SituationRule, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, partner_id: str) -> int | None:
        """The row of a partner, ``None`` when it is not in the table."""
        return self.ids.find(partner_id)

    def weights(
        self, rows: int | slice | np.ndarray = slice(None), frein: int | slice = slice(None)
    ) -> np.ndarray:
        """The coverage of ``frein`` by ``rows`` (by default every row and frein)."""
        return self.mission_weight[self.mission[rows, frein]]

    def type_code(self, row: int) -> str:
        return self.type_codes[self.type_idx[row]]

    def frein_index(self, code: str) -> int:
        return self.freins.index(code)

    def publics_bits(self, codes: Iterable[str]) -> int:
        bits = 0
        for code in codes:
            if code in self.public_codes:
                bits |= 1 << self.public_codes.index(code)
        return bits

    def publics_of(self, mask: int) -> list[str]:
        return [c for b, c in enumerate(self.public_codes) if mask >> b & 1]


class RowsNear:
    """Rows with a point, found within a distance through a k-d tree instead of a
    distance to every one of them (a scan grows with the national table)."""

    def __init__(self, rows: np.ndarray, lat: np.ndarray, lon: np.ndarray):
        self.rows = rows
        self.tree = cKDTree(unit_vectors(lat[rows], lon[rows])) if rows.size else None

    def within(self, lat: float, lon: float, km: float) -> np.ndarray:
        """The rows at most ``km`` away, and perhaps a few just beyond (a chord a little
        longer than ``km``'s): filter them by their exact distance."""
        if self.tree is None:
            return self.rows[:0]
        return rows_within(self.tree, self.rows, lat, lon, km)


def rows_within(tree: cKDTree, rows: np.ndarray, lat: float, lon: float, km: float) -> np.ndarray:
    """The ``rows`` (the points of ``tree``, in its order) at most ``km`` from the point, and
    perhaps a few just beyond (the chord is rounded up), in no particular order."""
    point = unit_vectors(np.array([lat]), np.array([lon]))[0]
    found = tree.query_ball_point(point, km_to_chord(km))
    return rows[np.asarray(found, dtype=np.int64)]


def _rows(rows: list[int]) -> np.ndarray:
    return np.asarray(rows, dtype=np.int64)


class GeoIndex:
    """Candidate retrieval: nearest partners per frein plus the zones covering a place.

    Partners with a ``rayon`` zone are found by distance (a k-d tree per frein);
    zone-wide partners (département, région, communes, EPCI, France) by code
    lists, which is exact: they serve a place if and only if their codes cover
    it, however far their office is.

    Parameters
    ----------
    candidate_k : int
        How many nearest partners a tree query returns per frein.

    Examples
    --------
    >>> import numpy as np
    >>> lat, lon = np.array([49.43, 49.9, 49.5]), np.array([2.08, 2.3, 2.1])
    >>> addr = np.array([[True], [True], [True]])
    >>> kinds = np.array([DEPARTEMENT, RAYON, RAYON])
    >>> index = GeoIndex(candidate_k=1).fit(lat, lon, addr, kinds, [("60",), (), ()])
    >>> rows, reach = index.nearest(0, 49.88, 2.29, k=1)
    >>> rows.tolist(), round(reach, 1)
    ([1], 2.3)
    >>> index.covering(departement="60", region=None, communes=()).tolist()
    [0]
    """

    def __init__(self, *, candidate_k: int = 200):
        self.candidate_k = candidate_k

    def fit(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        addressable: np.ndarray,
        zone_kind: np.ndarray,
        zone_codes: list[tuple[str, ...]],
    ) -> GeoIndex:
        """Build one k-d tree per frein column of ``addressable`` and the zone tables.

        ``addressable[i, f]`` says that row ``i`` may be proposed for frein ``f``
        (active, recommendable, addresses it): the trees hold those with a point
        and a ``rayon`` zone. The zone tables hold every zone-wide row, so that a
        zone can be checked for any partner (filter them with ``addressable`` for
        retrieval).
        """
        check_int("candidate_k", self.candidate_k, minimum=1)
        has_point = ~(np.isnan(lat) | np.isnan(lon))
        points = unit_vectors(np.nan_to_num(lat), np.nan_to_num(lon))
        by_distance = has_point & (zone_kind == RAYON)
        self.trees_: list[tuple[cKDTree, np.ndarray] | None] = []
        for f in range(addressable.shape[1]):
            rows = np.flatnonzero(addressable[:, f] & by_distance)
            if rows.size == 0:
                self.trees_.append(None)
                continue
            self.trees_.append((cKDTree(points[rows]), rows))
        by_dep: dict[str, list[int]] = defaultdict(list)
        by_region: dict[str, list[int]] = defaultdict(list)
        by_commune: dict[str, list[int]] = defaultdict(list)
        france: list[int] = []
        for i, kind in enumerate(zone_kind.tolist()):
            if kind == DEPARTEMENT:
                for code in zone_codes[i]:
                    by_dep[code].append(i)
            elif kind == REGION:
                for code in zone_codes[i]:
                    by_region[code].append(i)
            elif kind in (COMMUNES, EPCI):
                for code in zone_codes[i]:
                    by_commune[code].append(i)
            elif kind == FRANCE:
                france.append(i)
        self.by_departement_ = {k: _rows(v) for k, v in by_dep.items()}
        self.by_region_ = {k: _rows(v) for k, v in by_region.items()}
        self.by_commune_ = {k: _rows(v) for k, v in by_commune.items()}
        self.france_ = _rows(france)
        self.n_rows_ = int(addressable.shape[0])
        return self

    def tree_rows(self, f: int) -> np.ndarray:
        """Rows held by the tree of frein ``f``."""
        check_is_fitted(self, "trees_")
        entry = self.trees_[f]
        return np.empty(0, dtype=np.int64) if entry is None else entry[1]

    def nearest(
        self, f: int, lat: float, lon: float, *, k: int | None = None
    ) -> tuple[np.ndarray, float]:
        """The ``k`` ``rayon`` partners of frein ``f`` nearest to the point, and how far
        the farthest of them is (km): every other one is at least that far."""
        check_is_fitted(self, "trees_")
        entry = self.trees_[f]
        if entry is None:
            return np.empty(0, dtype=np.int64), float("inf")
        tree, rows = entry
        k = min(k or self.candidate_k, rows.size)
        chord, idx = tree.query(unit_vectors(np.array([lat]), np.array([lon]))[0], k=k)
        return rows[np.atleast_1d(idx)], float(chord_to_km(np.atleast_1d(chord)[-1]))

    def within(self, f: int, lat: float, lon: float, km: float) -> np.ndarray:
        """The ``rayon`` partners of frein ``f`` at most ``km`` away (and perhaps a few just
        beyond: the chord is rounded up), in no particular order."""
        check_is_fitted(self, "trees_")
        entry = self.trees_[f]
        if entry is None:
            return np.empty(0, dtype=np.int64)
        return rows_within(*entry, lat, lon, km)

    def nearest_many(
        self, f: int, lat: np.ndarray, lon: np.ndarray, *, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`nearest` for many points at once (one tree query): rows ``(n, k)``
        nearest first (``-1`` past the tree's size) and each point's reach (km)."""
        check_is_fitted(self, "trees_")
        entry = self.trees_[f]
        n = len(lat)
        if entry is None or n == 0:
            return np.full((n, 0), -1, dtype=np.int64), np.full(n, np.inf)
        tree, rows = entry
        k = min(k, rows.size)
        chord, idx = tree.query(unit_vectors(lat, lon), k=k)
        chord, idx = chord.reshape(n, k), idx.reshape(n, k)
        return rows[idx], np.asarray(chord_to_km(chord[:, -1]), dtype=float)

    def size(self, f: int) -> int:
        entry = self.trees_[f]
        return 0 if entry is None else int(entry[1].size)

    def covering(
        self, *, departement: str | None, region: str | None, communes: Iterable[str]
    ) -> np.ndarray:
        """Rows whose zone (département, région, communes/EPCI, France) covers the place,
        each once, in no particular order (a row has one zone kind: only the lists of
        several communes, an arrondissement and its city, may share rows)."""
        check_is_fitted(self, "france_")
        parts = [self.france_]
        if departement and departement in self.by_departement_:
            parts.append(self.by_departement_[departement])
        if region and region in self.by_region_:
            parts.append(self.by_region_[region])
        local = [self.by_commune_[code] for code in communes if code in self.by_commune_]
        if len(local) > 1:
            local = [np.unique(np.concatenate(local))]
        return np.concatenate(parts + local) if len(parts) + len(local) > 1 else self.france_
