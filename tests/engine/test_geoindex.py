"""``recommender/geoindex.py``'s promises: chord order is great-circle order, the trees hold
only addressable ``rayon`` partners with a point, ``nearest`` bounds every other one, and
zone-wide partners are found by their codes however far their office is."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.geo import haversine_km
from recommender.geoindex import (
    COMMUNES,
    DEPARTEMENT,
    FRANCE,
    RAYON,
    REGION,
    GeoIndex,
    RowsNear,
    chord_to_km,
    unit_vectors,
)
from tests.support.factories import COMMUNES as PLACES

BY_NAME = {c.nom: c for c in PLACES if c.departement in ("60", "80", "75")}


def test_a_chord_on_the_unit_sphere_gives_the_great_circle_distance():
    a, b = BY_NAME["Beauvais"], BY_NAME["Amiens"]
    points = unit_vectors(np.array([a.lat, b.lat]), np.array([a.lon, b.lon]))
    assert np.allclose(np.linalg.norm(points, axis=1), 1.0)
    chord = float(np.linalg.norm(points[0] - points[1]))
    assert chord_to_km(chord) == pytest.approx(haversine_km(a.lat, a.lon, b.lat, b.lon), rel=1e-6)


def _index(kinds, codes, addressable=None, lat=None, lon=None, k=10) -> GeoIndex:
    names = ("Beauvais", "Creil", "Amiens", "Paris")
    lat = np.array([BY_NAME[n].lat for n in names]) if lat is None else lat
    lon = np.array([BY_NAME[n].lon for n in names]) if lon is None else lon
    if addressable is None:
        addressable = np.ones((len(names), 1), dtype=bool)
    return GeoIndex(candidate_k=k).fit(lat, lon, addressable, np.array(kinds), codes)


def test_nearest_returns_rayon_partners_by_distance_and_bounds_the_others():
    index = _index([RAYON] * 4, [()] * 4)
    beauvais = BY_NAME["Beauvais"]
    rows, reach = index.nearest(0, beauvais.lat, beauvais.lon, k=2)
    assert rows.tolist() == [0, 1]  # Beauvais itself, then Creil (Amiens and Paris farther)
    creil = BY_NAME["Creil"]
    assert reach == pytest.approx(haversine_km(beauvais.lat, beauvais.lon, creil.lat, creil.lon))
    for other in ("Amiens", "Paris"):
        place = BY_NAME[other]
        assert haversine_km(beauvais.lat, beauvais.lon, place.lat, place.lon) >= reach


def test_trees_hold_only_addressable_rayon_partners_with_a_point():
    lat = np.array([BY_NAME["Beauvais"].lat, np.nan, BY_NAME["Amiens"].lat, BY_NAME["Paris"].lat])
    lon = np.array([BY_NAME["Beauvais"].lon, np.nan, BY_NAME["Amiens"].lon, BY_NAME["Paris"].lon])
    addressable = np.array([[True, False], [True, False], [True, False], [False, False]])
    index = _index([RAYON, RAYON, DEPARTEMENT, RAYON], [(), (), ("80",), ()], addressable, lat, lon)
    assert index.tree_rows(0).tolist() == [0]  # no point, a zone-wide one, not addressable: out
    assert index.size(1) == 0
    rows, reach = index.nearest(1, 49.0, 2.0)
    assert rows.size == 0 and reach == float("inf")


def test_zone_wide_partners_cover_their_place_however_far_their_office_is():
    index = _index([DEPARTEMENT, REGION, COMMUNES, FRANCE], [("60",), ("32",), ("80021",), ()])
    assert sorted(index.covering(departement="60", region=None, communes=()).tolist()) == [0, 3]
    found = index.covering(departement="80", region="32", communes=("80021",))
    assert sorted(found.tolist()) == [1, 2, 3]
    assert index.covering(departement="974", region="04", communes=("97411",)).tolist() == [3]
    assert index.tree_rows(0).size == 0  # none of them is found by distance


def test_rows_near_finds_what_a_scan_of_every_row_finds():
    """``Recommender._left_out`` looks for zone-wide partners near the person through
    ``RowsNear`` (a k-d tree), not a distance to each of the country's."""
    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(41, 51, 5000), rng.uniform(-5, 9, 5000)
    rows = np.flatnonzero(rng.random(5000) < 0.5)
    near = RowsNear(rows, lat, lon)
    for plat, plon, km in [(49.4, 2.1, 40.0), (43.3, 5.4, 30.0), (48.85, 2.35, 400.0)]:
        found = near.within(plat, plon, km)
        exact = found[haversine_km(plat, plon, lat[found], lon[found]) <= km]
        scan = rows[haversine_km(plat, plon, lat[rows], lon[rows]) <= km]
        assert sorted(exact.tolist()) == sorted(scan.tolist()) and scan.size > 0
    assert RowsNear(rows[:0], lat, lon).within(49.4, 2.1, 40.0).size == 0
