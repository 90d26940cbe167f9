"""The shipped referential (built by scripts/build_referentials.py) checked against the
reference copy kept in ../shared/data (built independently from the same two packages)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest
import shapely

from recommender.geo import decode_polygons, default_gazetteer, haversine_km

ROOT = Path(__file__).resolve().parents[2]
REFERENTIELS = ROOT / "data" / "referentiels"
MAIRIES = ROOT / "data" / "partners" / "mairies.csv.gz"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REFERENCE = SHARED / "referentiels" / "communes_2026_reference.csv.gz"
REFERENCE_DEPARTEMENTS = SHARED / "referentiels" / "departements_2026.geojson"

# Communes nouvelles whose polygon the sources only give through their delegated communes:
# rebuilt by the build script, without a point in the reference.
REBUILT = {"12218", "14581", "49126", "69114"}
# Communes restored in Cantal (2024-2025): no polygon of their own in the sources.
RESTORED_WITHOUT_POLYGON = {"15031", "15035", "15047", "15171"}

needs_shared = pytest.mark.skipif(
    not REFERENCE.exists(),
    reason=f"reference data absent ({REFERENCE}): the shared data set is not next to the repo",
)
pytestmark = pytest.mark.slow


def read_csv(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def ours() -> dict[str, dict[str, str]]:
    return {r["code_insee"]: r for r in read_csv(REFERENTIELS / "communes.csv.gz")}


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, str]]:
    return {r["code_insee"]: r for r in read_csv(REFERENCE)}


# --------------------------------------------------------------------------- without shared data


def test_generated_files_fit_the_budget():
    files = [*REFERENTIELS.iterdir(), MAIRIES]
    sizes = {f.name: f.stat().st_size for f in files if f.is_file()}
    assert sum(sizes.values()) <= 15_000_000, sizes
    assert max(sizes.values()) <= 10_000_000, sizes
    for name in (
        "communes.csv.gz",
        "communes_anciennes.csv.gz",
        "epci.csv.gz",
        "departements.csv",
        "regions.csv",
        "communes_polygones.bin.gz",
        "departements.geojson.gz",
        "sources.json",
        "SOURCES.md",
    ):
        assert name in sizes, name


def test_communes_file_shape(ours):
    header = [
        "code_insee", "nom", "codes_postaux", "departement", "region", "epci", "population",
        "lat", "lon", "kind", "parent",
    ]  # fmt: skip
    assert list(next(iter(ours.values()))) == header
    kinds = [r["kind"] for r in ours.values()]
    assert kinds.count("commune") == 34969 and kinds.count("arrondissement") == 45
    for r in ours.values():
        if r["lat"]:
            assert re.fullmatch(r"-?\d+(\.\d{1,5})?", r["lat"]), r
            assert re.fullmatch(r"-?\d+(\.\d{1,5})?", r["lon"]), r
        assert (r["kind"] == "arrondissement") == bool(r["parent"])


def test_epci_file(ours):
    epci = {r["code"]: r for r in read_csv(REFERENTIELS / "epci.csv.gz")}
    assert len(epci) == 1255
    for code, r in epci.items():
        assert re.fullmatch(r"\d{9}", code) and r["type"] in {"CC", "CA", "CU", "METRO", "MET69"}
        for member in r["members"].split("|"):
            assert ours[member]["epci"] == code
    in_epci = sum(1 for r in ours.values() if r["kind"] == "commune" and r["epci"])
    assert in_epci == 34969 - 98  # islands without EPCI and the overseas collectivities


def test_every_point_is_inside_its_commune(ours):
    gaz = default_gazetteer()
    with_point = [r for r in ours.values() if r["lat"] and r["kind"] == "commune"]
    found = 0
    for r in with_point:
        c = gaz.commune_at(float(r["lat"]), float(r["lon"]))
        found += c is not None and c.code_insee == r["code_insee"]
    assert found >= 0.995 * len(with_point), (found, len(with_point))
    for r in ours.values():
        if r["kind"] == "arrondissement":
            a = gaz.arrondissement_at(float(r["lat"]), float(r["lon"]))
            assert a.code_insee == r["code_insee"]


def test_polygons_are_valid():
    codes, geoms = decode_polygons((REFERENTIELS / "communes_polygones.bin.gz").read_bytes())
    assert len(codes) == len(set(codes)) == 34871 + 45
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()


def test_mairies_file(ours):
    rows = read_csv(MAIRIES)
    assert list(rows[0]) == [
        "code_insee", "nom", "adresse", "code_postal", "commune", "telephone", "email",
        "site_web", "horaires", "lat", "lon", "coord_ok",
    ]  # fmt: skip
    codes = [r["code_insee"] for r in rows]
    assert len(codes) == len(set(codes)) and set(codes) <= set(ours)
    hours = re.compile(
        r"^((Du \w+ au \w+|\w+ et \w+|\w+) : \d\d:\d\d–\d\d:\d\d( / \d\d:\d\d–\d\d:\d\d)*"
        r"( ; |$))+$"
    )
    for r in rows:
        assert r["nom"].startswith("Mairie - ")
        assert r["coord_ok"] in {"0", "1"}
        assert r["horaires"] == "" or hours.match(r["horaires"]), r["horaires"]
        assert r["code_postal"] == "" or re.fullmatch(r"\d{5}", r["code_postal"])
        if r["coord_ok"] == "0" and r["lat"]:
            c = ours[r["code_insee"]]
            assert (r["lat"], r["lon"]) == (c["lat"], c["lon"])  # the commune's point
    assert sum(r["site_web"].startswith("http") for r in rows) == sum(
        bool(r["site_web"]) for r in rows
    )


# --------------------------------------------------------------------------- against the reference


@needs_shared
def test_same_communes_as_the_reference(ours, reference):
    communes = {code for code, r in ours.items() if r["kind"] == "commune"}
    assert len(reference) == 34969
    assert communes == set(reference)


@needs_shared
def test_same_names_departements_postal_codes_population(ours, reference):
    diffs = [
        (code, field)
        for code, ref in reference.items()
        for field, ref_field in (
            ("nom", "nom"),
            ("departement", "departement"),
            ("region", "region"),
            ("codes_postaux", "codes_postaux"),
            ("population", "population"),
        )
        if ours[code][field] != ref[ref_field]
    ]
    assert diffs == []


@needs_shared
def test_same_communes_with_coordinates(ours, reference):
    ref_with = {code for code, r in reference.items() if r["lat_centre"]}
    our_with = {code for code, r in ours.items() if r["kind"] == "commune" and r["lat"]}
    # Every commune the reference places, we place; and four more, rebuilt from their
    # delegated communes' polygons.
    assert our_with - ref_with == REBUILT
    assert ref_with <= our_with
    without = {code for code, r in ours.items() if r["kind"] == "commune" and not r["lat"]}
    overseas = {code for code in without if len(ours[code]["departement"]) == 3}
    assert len(overseas) == 94 and all(ours[c]["departement"] >= "975" for c in overseas)
    assert without - overseas == RESTORED_WITHOUT_POLYGON
    assert len(our_with) == 34871


@needs_shared
def test_points_agree_with_the_reference(ours, reference):
    gaz = default_gazetteer()
    both = [c for c, r in reference.items() if r["lat_centre"] and ours[c]["lat"]]
    near = same = 0
    for code in both:
        ref, mine = reference[code], ours[code]
        ref_lat, ref_lon = float(ref["lat_centre"]), float(ref["lon_centre"])
        near += haversine_km(float(mine["lat"]), float(mine["lon"]), ref_lat, ref_lon) <= 2.0
        found = gaz.commune_at(ref_lat, ref_lon)
        same += found is not None and found.code_insee == code
    assert near >= 0.99 * len(both), (near, len(both))
    assert same >= 0.995 * len(both), (same, len(both))


@needs_shared
def test_mairies_agree_with_the_reference(reference):
    mairies = {r["code_insee"]: r for r in read_csv(MAIRIES)}
    ref_mairies = {code for code, r in reference.items() if r["mairie_adresse"]}
    communes = {code for code in mairies if code in reference}
    assert communes == ref_mairies
    arrondissements = set(mairies) - communes
    assert len(arrondissements) == 34 and all(c[:2] in {"13", "69", "75"} for c in arrondissements)
    gaz = default_gazetteer()
    same_point = outside_ok = 0
    for code in communes:
        ref, mine = reference[code], mairies[code]
        assert mine["telephone"] == ref["mairie_telephone"]
        assert mine["email"] == ref["mairie_email"]
        street = ref["mairie_adresse"].rsplit(", ", 1)[0]
        assert mine["adresse"] == "" or street.startswith(mine["adresse"]), (mine, ref)
        if mine["coord_ok"] == "1":
            # A point kept as exact is the source's point and lies in (or just by) its commune.
            if ref["lat_mairie"]:
                d = haversine_km(
                    float(mine["lat"]),
                    float(mine["lon"]),
                    float(ref["lat_mairie"]),
                    float(ref["lon_mairie"]),
                )
                same_point += d < 0.01
            found = gaz.commune_at(float(mine["lat"]), float(mine["lon"]))
            outside_ok += found is None or found.code_insee != code
        elif ref["mairie_coord_ok"] == "1":
            # We are stricter than the reference (which only flags points > 20 km from the
            # centre): a point we flag is outside its commune's polygon.
            found = gaz.commune_at(float(ref["lat_mairie"]), float(ref["lon_mairie"]))
            assert found is None or found.code_insee != code, code
    kept = sum(m["coord_ok"] == "1" for m in mairies.values() if m["code_insee"] in communes)
    assert same_point >= 0.999 * kept
    assert outside_ok <= 0.02 * kept  # within the 300 m tolerance, near a border
    # Every mairie the reference flags is flagged by us too, unless it lies in its commune.
    for code in communes:
        if reference[code]["mairie_coord_ok"] == "0" and mairies[code]["coord_ok"] == "1":
            found = gaz.commune_at(float(mairies[code]["lat"]), float(mairies[code]["lon"]))
            assert found is not None and found.code_insee == code, code


@needs_shared
def test_departement_polygons_agree_with_the_reference():
    ours = json.loads(gzip.decompress((REFERENTIELS / "departements.geojson.gz").read_bytes()))
    ref = json.loads(REFERENCE_DEPARTEMENTS.read_text(encoding="utf-8"))

    def shapes(collection):
        return {
            f["properties"]["code"]: shapely.from_geojson(json.dumps(f["geometry"]))
            for f in collection["features"]
        }

    mine, theirs = shapes(ours), shapes(ref)
    assert set(mine) == set(theirs) and len(mine) == 101
    for code, geom in mine.items():
        assert geom.is_valid, code
        other = theirs[code]
        assert geom.symmetric_difference(other).area <= 0.06 * other.area, code
