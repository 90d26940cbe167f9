"""Polygons: the compact codec of the communes' contours, and point → commune or
département by shapely STR-trees (loaded on first use)."""

from __future__ import annotations

import gzip
import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .communes import Commune
from .keys import normalize_departement

POLYGONS_FILE = "communes_polygones.bin.gz"
DEPARTEMENT_POLYGONS_FILE = "departements.geojson.gz"
POLYGONS_MAGIC = b"RELAIS-POLYGONES/2\n"
# A point that falls in no polygon (simplified coastline, estuary) is given to the nearest
# commune within this distance, in degrees (about 1 km).
NEAREST_MAX_DEGREES = 0.01


def encode_polygons(codes: Sequence[str], geoms: Sequence[Any], grid: float) -> bytes:
    """Serialise (Multi)Polygons compactly: coordinates snapped to ``grid`` degrees,
    delta-encoded, zigzag-encoded as uint32 split into byte planes (so that gzip sees long
    runs of zero bytes), the whole gzipped deterministically.

    >>> import shapely
    >>> square = shapely.box(2.0, 49.0, 2.5, 49.5)
    >>> codes, geoms = decode_polygons(encode_polygons(["60057"], [square], 1e-4))
    >>> codes, geoms[0].equals(square)
    (['60057'], True)
    """
    import shapely

    kind, coords, offsets = shapely.to_ragged_array(np.asarray(list(geoms), dtype=object))
    if kind == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        geom_off = np.arange(len(poly_off), dtype=np.int64)
    elif kind == shapely.GeometryType.MULTIPOLYGON:
        ring_off, poly_off, geom_off = offsets
    else:
        raise ValueError(f"polygons expected, got {kind!r}")
    snapped = np.rint(coords / grid).astype(np.int64)
    deltas = np.diff(snapped, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).reshape(-1)
    if len(deltas) and np.abs(deltas).max() >= 2**31:
        raise ValueError("coordinates out of range for this grid")
    zigzag = ((deltas << 1) ^ (deltas >> 63)).astype("<u4")
    planes = zigzag.view(np.uint8).reshape(-1, 4).T.tobytes()
    counts = [np.diff(o).astype("<i4") for o in (geom_off, poly_off, ring_off)]
    header = {"grid": grid, "codes": list(codes), "sizes": [len(c) for c in counts] + [len(coords)]}
    if len(header["codes"]) != header["sizes"][0]:
        raise ValueError("one code per geometry expected")
    body = b"".join(
        [POLYGONS_MAGIC, json.dumps(header, separators=(",", ":")).encode(), b"\n"]
        + [c.tobytes() for c in counts]
        + [planes]
    )
    return gzip.compress(body, compresslevel=6, mtime=0)


def decode_polygons(data: bytes) -> tuple[list[str], np.ndarray]:
    """Inverse of :func:`encode_polygons`: the codes and an array of MultiPolygons."""
    import shapely

    raw = gzip.decompress(data)
    if not raw.startswith(POLYGONS_MAGIC):
        raise ValueError("not a Relais polygons file (or an older format: rebuild it)")
    start = len(POLYGONS_MAGIC)
    end = raw.index(b"\n", start)
    header = json.loads(raw[start:end])
    n_geoms, n_polys, n_rings, n_coords = header["sizes"]
    pos = end + 1
    counts = []
    for n in (n_geoms, n_polys, n_rings):
        counts.append(np.frombuffer(raw, dtype="<i4", count=n, offset=pos))
        pos += 4 * n
    planes = np.frombuffer(raw, dtype=np.uint8, count=8 * n_coords, offset=pos)
    zigzag = planes.reshape(4, -1).T.copy().view("<u4").reshape(-1).astype(np.int64)
    deltas = ((zigzag >> 1) ^ -(zigzag & 1)).reshape(-1, 2)
    coords = np.cumsum(deltas, axis=0) * header["grid"]
    offsets = tuple(np.concatenate([[0], np.cumsum(c, dtype=np.int64)]) for c in reversed(counts))
    geoms = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords, offsets)
    return header["codes"], geoms


def _point(lat: Any, lon: Any) -> Any | None:
    """A shapely point for valid coordinates, else ``None``."""
    import shapely

    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return shapely.Point(lon, lat)


class Shapes:
    """Point → commune, arrondissement or département; polygons read on first use."""

    def __init__(self, communes: dict[str, Commune], directory: Path | None):
        self.communes = communes
        self.directory = directory
        self._lock = threading.RLock()
        self._shapes: dict[str, Any] | None = None
        self._departement_shapes: dict[str, Any] | None = None

    def _load_shapes(self) -> dict[str, Any]:
        if self._shapes is not None:
            return self._shapes
        with self._lock:
            if self._shapes is None:
                import shapely

                if self.directory is None:
                    raise FileNotFoundError("no polygons for a gazetteer built in memory")
                codes, geoms = decode_polygons((self.directory / POLYGONS_FILE).read_bytes())
                kinds = np.array(
                    [self.communes[c].kind if c in self.communes else "" for c in codes]
                )
                shapes: dict[str, Any] = {}
                for kind in ("commune", "arrondissement"):
                    idx = np.flatnonzero(kinds == kind)
                    sub = geoms[idx]
                    shapes[kind] = (
                        shapely.STRtree(sub),
                        sub,
                        [codes[i] for i in idx],
                        shapely.area(sub),
                    )
                self._shapes = shapes
        return self._shapes

    def at(self, kind: str, lat: float, lon: float, nearest: bool) -> Commune | None:
        """The commune (or arrondissement) of ``kind`` containing the point, else with
        ``nearest`` the nearest one within ``NEAREST_MAX_DEGREES``."""
        point = _point(lat, lon)
        if point is None:
            return None
        tree, _geoms, codes, areas = self._load_shapes()[kind]
        hits = tree.query(point, predicate="intersects")
        if len(hits) == 0 and nearest:
            hits = tree.query_nearest(point, max_distance=NEAREST_MAX_DEGREES)
        if len(hits) == 0:
            return None
        best = min(hits, key=lambda i: areas[i])  # overlaps: the more specific polygon
        return self.communes[codes[best]]

    def commune_polygon(self, code: str) -> Any | None:
        """The simplified polygon of a commune (shapely), ``None`` when unknown."""
        return self.polygons([code]).get(code)

    def polygons(self, codes: Sequence[str]) -> dict[str, Any]:
        """The polygons (shapely) of these communes or arrondissements, by code (those
        without a polygon are left out)."""
        found: dict[str, Any] = {}
        for _tree, geoms, kind_codes, _areas in self._load_shapes().values():
            position = {code: i for i, code in enumerate(kind_codes)}
            for code in codes:
                if code in position:
                    found[code] = geoms[position[code]]
        return found

    def _load_departement_shapes(self) -> dict[str, Any]:
        if self._departement_shapes is not None:
            return self._departement_shapes
        with self._lock:
            if self._departement_shapes is None:
                import shapely

                shapes: dict[str, Any] = {}
                path = self.directory / DEPARTEMENT_POLYGONS_FILE if self.directory else None
                if path is not None and path.exists():
                    collection = json.loads(gzip.decompress(path.read_bytes()))
                    for feature in collection["features"]:
                        shapes[feature["properties"]["code"]] = shapely.from_geojson(
                            json.dumps(feature["geometry"])
                        )
                codes = list(shapes)
                geoms = np.array([shapes[c] for c in codes], dtype=object)
                tree = shapely.STRtree(geoms) if codes else None
                self._departement_shapes = {"by_code": shapes, "codes": codes, "tree": tree}
        return self._departement_shapes

    def departement_by_polygon(self, lat: float, lon: float) -> str | None:
        """The département whose polygon contains the point (or is within about 2 km)."""
        point = _point(lat, lon)
        shapes = self._load_departement_shapes()
        if point is None or shapes["tree"] is None:
            return None
        hits = shapes["tree"].query(point, predicate="intersects")
        if len(hits) == 0:
            hits = shapes["tree"].query_nearest(point, max_distance=2 * NEAREST_MAX_DEGREES)
        return shapes["codes"][int(hits[0])] if len(hits) else None

    def departement_polygon(self, code: str) -> Any | None:
        """The simplified polygon of a département (shapely), ``None`` when unknown."""
        return self._load_departement_shapes()["by_code"].get(normalize_departement(code))
