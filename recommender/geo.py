"""The communes referential: look-up, resolution of free text, point → commune.

Everything here reads the files that ``scripts/build_referentials.py`` writes into
``data/referentiels/`` (the 2026 official list of communes with their postal codes, EPCI,
population, a point inside each commune, simplified polygons). Nothing here touches the
network.

The entry point is :func:`default_gazetteer`:

>>> gaz = default_gazetteer()
>>> gaz.resolve("beauvai").commune.nom
'Beauvais'
>>> gaz.commune_at(49.4295, 2.0807).code_insee
'60057'
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import functools
import gc
import gzip
import heapq
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recommender.errors import InvalidParameter, UnknownCommune
from recommender.text import fold

__all__ = [
    "Commune",
    "Gazetteer",
    "Resolution",
    "decode_polygons",
    "default_gazetteer",
    "encode_polygons",
    "haversine_km",
    "haversine_radians",
    "name_key",
]

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "referentiels"

EARTH_RADIUS_KM = 6371.0088
MAX_QUERY_LENGTH = 200
MAX_ALTERNATIVES = 5
MAX_SUGGESTIONS = 5
# An unqualified name shared by a metropolitan and an overseas commune most often means the
# metropolitan one; overseas users add their département ("Saint-Denis 974"). Overseas
# populations are weighted by this factor when homonyms are ranked.
OVERSEAS_WEIGHT = 0.5
# Similarity (rapidfuzz ratio, 0-100) a name needs within a postal code or a département.
POOL_CUTOFF = 80.0
# A point that falls in no polygon (simplified coastline, estuary) is given to the nearest
# commune within this distance, in degrees (about 1 km).
NEAREST_MAX_DEGREES = 0.01

COMMUNES_FILE = "communes.csv.gz"
ANCIENNES_FILE = "communes_anciennes.csv.gz"
EPCI_FILE = "epci.csv.gz"
DEPARTEMENTS_FILE = "departements.csv"
REGIONS_FILE = "regions.csv"
POLYGONS_FILE = "communes_polygones.bin.gz"
DEPARTEMENT_POLYGONS_FILE = "departements.geojson.gz"

POLYGONS_MAGIC = b"RELAIS-POLYGONES/2\n"

# Municipal arrondissements: city → (code of the first one, how many).
_ARRONDISSEMENTS = {"paris": (75101, 20), "marseille": (13201, 16), "lyon": (69381, 9)}
_ARRONDISSEMENT_RE = re.compile(
    r"^(paris|marseille|lyon) (\d{1,2}) ?(?:e|er|re|eme|em|ieme)?"
    r"(?: (?:arrondissement|arr|arrt|ardt|arrdt))?$"
)
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_INNER_ABBREVIATIONS = {"s": "sur", "ss": "sous"}  # "Bar s/ Seine", "Bois ss Bois"
_ARTICLES = frozenset({"l", "le", "la", "les"})
# First words too common to designate a commune by themselves.
_COMMON_FIRST_WORDS = frozenset(
    {"saint", "sainte", "saints", "saintes", "notre", "villeneuve", "chateau", "mont", "bourg"}
)
_CEDEX_RE = re.compile(r"\bcedex\b(?: \d{1,3}\b)?")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune of the official list, or a municipal arrondissement of Paris, Lyon or
    Marseille (``kind="arrondissement"``, ``parent`` = the city's code).

    ``lat``/``lon`` is a point inside the commune (``None`` for the 94 overseas
    collectivities and the few communes the sources give no polygon for).
    """

    code_insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    departement: str
    region: str
    epci: str | None
    population: int
    lat: float | None
    lon: float | None
    kind: str = "commune"
    parent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The API shape of a commune.

        >>> d = default_gazetteer().get("60057").to_dict()
        >>> d["code_insee"], d["nom"], d["codes_postaux"], d["departement"]
        ('60057', 'Beauvais', ['60000'], '60')
        """
        return {
            "code_insee": self.code_insee,
            "nom": self.nom,
            "codes_postaux": list(self.codes_postaux),
            "departement": self.departement,
            "lat": self.lat,
            "lon": self.lon,
        }

    @property
    def overseas(self) -> bool:
        """True for the DROM and the overseas collectivities (départements 97x, 98x)."""
        return len(self.departement) == 3


@dataclass(frozen=True, slots=True)
class Resolution:
    """What :meth:`Gazetteer.resolve` understood: the best commune, the other candidates
    (best first, at most five) and how it was found: ``"code_insee"``, ``"code_postal"``,
    ``"nom"`` (exact name, accents, case and separators aside), ``"fuzzy"`` (typos, a name
    cut short) or ``"point"``."""

    commune: Commune
    alternatives: tuple[Commune, ...]
    matched_by: str

    def to_dict(self) -> dict[str, Any]:
        """The API's ``location`` object."""
        c = self.commune
        return {
            "code_insee": c.code_insee,
            "nom": c.nom,
            "departement": c.departement,
            "lat": c.lat,
            "lon": c.lon,
            "matched_by": self.matched_by,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


# --------------------------------------------------------------------------- helpers


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in kilometres.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Degrees: floats, or numpy arrays that broadcast together.

    Returns
    -------
    float or numpy.ndarray
        A float for scalars, an array otherwise.

    Examples
    --------
    >>> round(haversine_km(48.8566, 2.3522, 45.7640, 4.8357), 1)  # Paris → Lyon
    391.5
    >>> haversine_km(49.0, 2.0, np.array([49.0, 50.0]), np.array([2.0, 2.0])).round(1)
    array([  0. , 111.2])
    """
    if all(isinstance(v, (int, float)) for v in (lat1, lon1, lat2, lon2)):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    d = haversine_radians(p1, l1, p2, l2)
    return float(d) if np.ndim(d) == 0 else d


def haversine_radians(
    lat1: Any, lon1: Any, lat2: np.ndarray, lon2: np.ndarray, cos_lat2: np.ndarray | None = None
) -> np.ndarray:
    """:func:`haversine_km` of points in radians (NaN stays NaN); ``cos_lat2`` may come
    precomputed with the points (columns fitted once, searched many times)."""
    if cos_lat2 is None:
        cos_lat2 = np.cos(lat2)
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * cos_lat2 * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _expand(tokens: Sequence[str]) -> list[str]:
    out = []
    last = len(tokens) - 1
    for i, t in enumerate(tokens):
        if t in _ABBREVIATIONS:
            t = _ABBREVIATIONS[t]
        elif 0 < i < last and t in _INNER_ABBREVIATIONS:
            t = _INNER_ABBREVIATIONS[t]
        out.append(t)
    return out


def name_key(text: str) -> str:
    """The matching key of a commune name: folded, abbreviations expanded, no separators.

    >>> name_key("St-Quentin"), name_key("Sainte  Maxime"), name_key("L'Haÿ-les-Roses")
    ('saintquentin', 'saintemaxime', 'lhaylesroses')
    >>> name_key("Bar s/ Seine")
    'barsurseine'
    """
    return "".join(_expand(fold(text).split()))


def _normalize_code(value: Any) -> str | None:
    """An INSEE or postal code as written in files: trimmed, Corsica upper-cased, the leading
    zero a spreadsheet dropped restored; ``None`` when it is not code-shaped."""
    if value is None:
        return None
    raw = str(value).strip().replace(" ", "").upper()
    if raw.endswith(".0"):
        raw = raw[:-2]
    if re.fullmatch(r"\d{4}", raw):
        raw = "0" + raw
    return raw if re.fullmatch(r"\d{5}|2[AB]\d{3}", raw) else None


def _normalize_departement(value: Any) -> str | None:
    if value is None:
        return None
    raw = str(value).strip().upper()
    if re.fullmatch(r"\d", raw):
        raw = "0" + raw
    return raw or None


def _departements_of_postal(cp: str) -> tuple[str, ...]:
    if cp.startswith(("97", "98")):
        return (cp[:3],)
    if cp.startswith("20"):
        return ("2A", "2B")
    return (cp[:2],)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building the indexes creates hundreds of thousands of small objects: without this,
    the cyclic garbage collector rescans them again and again (a third of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------- polygons codec


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


# --------------------------------------------------------------------------- gazetteer


@dataclass(frozen=True, slots=True)
class _Query:
    key: str  # name key, qualifiers removed
    postal: str | None = None
    departement: str | None = None
    code: str | None = None  # an INSEE code given next to a name
    arrondissement: str | None = None
    # The same text read with its last words as a département name ("Valence Drôme").
    variant: _Query | None = None
    words: tuple[str, ...] = ()  # the name's words, abbreviations expanded


@dataclass(slots=True)
class _FuzzyIndex:
    keys_by_length: list[str]
    length_start: list[int]
    keys_of: dict[str, list[str]]  # code → its name keys
    first_words: dict[str, list[str]]  # the first words of a name → codes
    # (position 0 or 1, letter, length) → keys: one edit away from a query, a key shares
    # its first letter, or its second letter, or has them swapped or shifted by one.
    by_letter: dict[tuple[int, str, int], list[str]]


class Gazetteer:
    """The communes referential, loaded once per process (see :func:`default_gazetteer`).

    ``communes`` maps INSEE codes to :class:`Commune`: the 34,969 communes of the official
    list and the 45 municipal arrondissements. Typo indexes, autocomplete indexes and
    polygons are built on first use.
    """

    communes: dict[str, Commune]

    def __init__(
        self,
        communes: Iterable[Commune],
        *,
        epci: dict[str, tuple[str, str, tuple[str, ...]]] | None = None,
        departements: dict[str, tuple[str, str]] | None = None,
        regions: dict[str, str] | None = None,
        anciennes: Iterable[tuple[str, str, str, str]] = (),
        directory: Path | None = None,
    ):
        self.communes = {c.code_insee: c for c in communes}
        self.directory = directory
        self._epci = epci or {}
        self._departements = departements or {}
        self._regions = regions or {}
        self._lock = threading.RLock()
        self._fuzzy_index: _FuzzyIndex | None = None
        self._autocomplete_index: tuple[tuple[list[str], list[str], np.ndarray], ...] | None
        self._autocomplete_index = None
        self._shapes: dict[str, Any] | None = None
        self._departement_shapes: dict[str, Any] | None = None

        # Old and delegated codes → current code; delegated/associated names → aliases.
        self._successors: dict[str, str] = {}
        self._aliases: list[tuple[str, str]] = []
        aliases = self._aliases
        for code, nom, successor, _kind in anciennes:
            if successor not in self.communes:
                continue
            if code not in self.communes:
                self._successors.setdefault(code, successor)
            if nom:
                aliases.append((nom, successor))

        self._arrondissements: dict[str, list[Commune]] = {}
        self._by_postal: dict[str, list[str]] = {}
        self._by_departement: dict[str, list[str]] = {}
        self._tokens: dict[str, list[str]] = {}  # code → expanded tokens of its name
        # Name index: key → [(code, priority)]; 0 official name, 1 without article, 2 alias.
        by_key: dict[str, list[tuple[str, int]]] = {}
        folded: dict[str, list[str]] = {}

        def tokens_of(nom: str) -> list[str]:
            found = folded.get(nom)
            if found is None:
                found = folded[nom] = _expand(fold(nom).split())
            return found

        def add(key: str, code: str, priority: int) -> None:
            slot = by_key.get(key)
            if slot is None:
                by_key[key] = [(code, priority)]
            elif all(c != code for c, _p in slot):
                slot.append((code, priority))

        for code, c in self.communes.items():
            tokens = self._tokens[code] = tokens_of(c.nom)
            add("".join(tokens), code, 0)
            if len(tokens) > 1 and tokens[0] in _ARTICLES:
                add("".join(tokens[1:]), code, 1)
            for cp in c.codes_postaux:
                self._by_postal.setdefault(cp, []).append(code)
            if c.kind == "commune":
                self._by_departement.setdefault(c.departement, []).append(code)
            elif c.parent:
                self._arrondissements.setdefault(c.parent, []).append(c)
        for nom, successor in aliases:
            tokens = tokens_of(nom)
            add("".join(tokens), successor, 2)
            if len(tokens) > 1 and tokens[0] in _ARTICLES:
                add("".join(tokens[1:]), successor, 2)
        by_key.pop("", None)
        for slot in by_key.values():
            if len(slot) > 1:
                slot.sort(key=lambda cp: cp[1])
        self._by_key = by_key
        self._postal_sorted = sorted(self._by_postal)

        # Département names as qualifiers ("Saint-Denis La Réunion", "Valence Drôme").
        self._departement_names: dict[str, str] = {}
        for code, (nom, _region) in self._departements.items():
            tokens = fold(nom).split()
            self._departement_names[" ".join(tokens)] = code
            if len(tokens) > 1 and tokens[0] in _ARTICLES:
                self._departement_names[" ".join(tokens[1:])] = code

        self._epci_members: dict[str, frozenset[str]] = {}
        for code, (_nom, _type, members) in self._epci.items():
            codes = set(members)
            for m in members:
                codes.update(a.code_insee for a in self._arrondissements.get(m, ()))
            self._epci_members[code] = frozenset(codes)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: Path | None = None) -> Gazetteer:
        """Load the referential written by ``scripts/build_referentials.py`` (by default the
        repository's ``data/referentiels``); polygons are read later, on first use.

        >>> gaz = Gazetteer.load()
        >>> sum(c.kind == "commune" for c in gaz.communes.values())
        34969
        """
        directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        with _gc_paused():
            return cls._load(directory)

    @classmethod
    def _load(cls, directory: Path) -> Gazetteer:
        def rows(name: str) -> tuple[dict[str, int], list[list[str]]]:
            path = directory / name
            if not path.exists():
                return {}, []
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", newline="") as f:
                reader = csv.reader(f)
                header = next(reader, [])
                return {h: i for i, h in enumerate(header)}, list(reader)

        col, data = rows(COMMUNES_FILE)
        if not data:
            raise FileNotFoundError(f"no communes referential in {directory}")
        i_code, i_nom, i_cp, i_dep, i_reg, i_epci, i_pop, i_lat, i_lon, i_kind, i_parent = (
            col[h]
            for h in (
                "code_insee", "nom", "codes_postaux", "departement", "region", "epci",
                "population", "lat", "lon", "kind", "parent",
            )
        )  # fmt: skip
        communes = [
            Commune(
                r[i_code],
                r[i_nom],
                tuple(r[i_cp].split("|")) if r[i_cp] else (),
                r[i_dep],
                r[i_reg],
                r[i_epci] or None,
                int(r[i_pop]) if r[i_pop] else 0,
                float(r[i_lat]) if r[i_lat] else None,
                float(r[i_lon]) if r[i_lon] else None,
                r[i_kind] or "commune",
                r[i_parent] or None,
            )
            for r in data
        ]
        col, data = rows(EPCI_FILE)
        epci = {
            r[col["code"]]: (
                r[col["nom"]],
                r[col["type"]],
                tuple(r[col["members"]].split("|")) if r[col["members"]] else (),
            )
            for r in data
        }
        col, data = rows(DEPARTEMENTS_FILE)
        departements = {r[col["code"]]: (r[col["nom"]], r[col["region"]]) for r in data}
        col, data = rows(REGIONS_FILE)
        regions = {r[col["code"]]: r[col["nom"]] for r in data}
        col, data = rows(ANCIENNES_FILE)
        anciennes = [
            (r[col["code_insee"]], r[col["nom"]], r[col["successeur"]], r[col["type"]])
            for r in data
        ]
        return cls(
            communes,
            epci=epci,
            departements=departements,
            regions=regions,
            anciennes=anciennes,
            directory=directory,
        )

    # ------------------------------------------------------------------ simple look-ups
    def get(self, code_insee: str) -> Commune | None:
        """The commune or arrondissement with this current INSEE code.

        >>> default_gazetteer().get("2A004").nom
        'Ajaccio'
        >>> default_gazetteer().get("99999") is None
        True
        """
        code = _normalize_code(code_insee)
        return self.communes.get(code) if code else None

    def successor(self, code_insee: str) -> Commune | None:
        """The current commune for a current, delegated, associated or merged INSEE code.

        >>> default_gazetteer().successor("49069").nom  # Champtoceaux, now in Orée d'Anjou
        "Orée d'Anjou"
        """
        code = _normalize_code(code_insee)
        if not code:
            return None
        found = self.communes.get(code)
        if found is None and code in self._successors:
            found = self.communes.get(self._successors[code])
        return found

    def epci_members(self, epci_code: str) -> frozenset[str]:
        """INSEE codes of the communes of an EPCI (by SIREN), with the municipal
        arrondissements of its member cities; empty for an unknown code.

        >>> gaz = default_gazetteer()
        >>> "60057" in gaz.epci_members(gaz.get("60057").epci)
        True
        >>> {"69123", "69383"} <= gaz.epci_members(gaz.get("69123").epci)
        True
        """
        return self._epci_members.get(str(epci_code).strip(), frozenset())

    def epci_name(self, epci_code: str) -> str | None:
        """The EPCI's name, ``None`` when unknown."""
        found = self._epci.get(str(epci_code).strip())
        return found[0] if found else None

    def departement_name(self, code: str) -> str:
        """The département's name; ``KeyError`` for an unknown code.

        >>> gaz = default_gazetteer()
        >>> gaz.departement_name("2a"), gaz.departement_name("1"), gaz.departement_name("974")
        ('Corse-du-Sud', 'Ain', 'La Réunion')
        """
        dep = _normalize_departement(code)
        if dep not in self._departements:
            raise KeyError(code)
        return self._departements[dep][0]

    def region_name(self, code: str) -> str:
        """The région's name; ``KeyError`` for an unknown code.

        >>> default_gazetteer().region_name("32")
        'Hauts-de-France'
        """
        return self._regions[str(code).strip()]

    def departements(self) -> list[tuple[str, str]]:
        """(code, nom) of the 101 départements and the 8 overseas collectivities, by code."""
        return sorted((code, v[0]) for code, v in self._departements.items())

    def arrondissements(self, code_insee: str) -> list[Commune]:
        """The municipal arrondissements of Paris, Lyon or Marseille (empty otherwise)."""
        return list(self._arrondissements.get(code_insee, ()))

    # ------------------------------------------------------------------ ranking helpers
    @staticmethod
    def _weight(c: Commune) -> float:
        return c.population * (OVERSEAS_WEIGHT if c.overseas else 1.0)

    @staticmethod
    def _mismatch(c: Commune, q: _Query) -> int:
        """How many of the qualifiers given (postal code, département) the commune fails."""
        miss = 0
        if q.postal and q.postal not in c.codes_postaux:
            miss += 1
        if q.departement and c.departement != q.departement:
            miss += 1
        return miss

    def _descend(self, c: Commune, postal: str | None) -> Commune:
        """Paris/Lyon/Marseille and a postal code of one arrondissement → that arrondissement."""
        if postal and c.code_insee in self._arrondissements:
            for a in self._arrondissements[c.code_insee]:
                if postal in a.codes_postaux:
                    return a
        return c

    def _index(self) -> _FuzzyIndex:
        """Keys by length (for typos), keys of each code, first words of names (built once)."""
        if self._fuzzy_index is None:
            with self._lock, _gc_paused():
                if self._fuzzy_index is None:
                    keys_of: dict[str, list[str]] = {}
                    for key, slot in self._by_key.items():
                        for code, _priority in slot:
                            keys_of.setdefault(code, []).append(key)
                    first_words: dict[str, list[str]] = {}
                    for code, tokens in self._tokens.items():
                        for k in range(1, len(tokens)):
                            first_words.setdefault("".join(tokens[:k]), []).append(code)
                    for nom, successor in self._aliases:
                        tokens = _expand(fold(nom).split())
                        for k in range(1, len(tokens)):
                            codes = first_words.setdefault("".join(tokens[:k]), [])
                            if successor not in codes:
                                codes.append(successor)
                    by_length = sorted(sorted(self._by_key), key=len)
                    lengths = [len(k) for k in by_length]
                    starts = [bisect.bisect_left(lengths, n) for n in range(lengths[-1] + 2)]
                    by_letter: dict[tuple[int, str, int], list[str]] = {}
                    for k in by_length:
                        for position, letter in enumerate(k[:2]):
                            by_letter.setdefault((position, letter, len(k)), []).append(k)
                    self._fuzzy_index = _FuzzyIndex(
                        by_length, starts, keys_of, first_words, by_letter
                    )
        return self._fuzzy_index

    # ------------------------------------------------------------------ parsing
    def _parse(self, text: str) -> _Query:
        """Split free text into a name key and qualifiers (postal code, INSEE code,
        département code or name, arrondissement number)."""
        tokens = _CEDEX_RE.sub(" ", fold(text)).split()
        postal = code = departement = None
        rest: list[str] = []
        for t in tokens:
            if postal is None and code is None and re.fullmatch(r"\d{5}|2[ab]\d{3}", t):
                upper = t.upper()
                if upper in self._by_postal or upper not in self.communes:
                    postal = upper
                else:
                    code = upper
            else:
                rest.append(t)
        m = _ARRONDISSEMENT_RE.match(" ".join(rest))
        if m:
            first, count = _ARRONDISSEMENTS[m.group(1)]
            number = int(m.group(2))
            if 1 <= number <= count:
                return _Query(m.group(1), postal, None, code, str(first + number - 1))
        if len(rest) > 1:  # a département code first or last
            for i in (len(rest) - 1, 0):
                candidate = _normalize_departement(rest[i])
                if candidate in self._departements and not candidate.isalpha():
                    departement = candidate
                    rest.pop(i)
                    break
        key = "".join(_expand(rest))
        variant = None
        if departement is None and len(rest) > 1 and key not in self._by_key:
            # A département name last: "Saint-Denis La Réunion", "Valence Drôme".
            for n in range(min(4, len(rest) - 1), 0, -1):
                found = self._departement_names.get(" ".join(rest[-n:]))
                if found:
                    words = tuple(_expand(rest[:-n]))
                    variant = _Query("".join(words), postal, found, code, words=words)
                    break
        words = tuple(_expand(rest))
        return _Query(key, postal, departement, code, variant=variant, words=words)

    # ------------------------------------------------------------------ resolve
    def resolve(self, text: str) -> Resolution:
        """Understand the API's ``commune`` parameter.

        Parameters
        ----------
        text
            What the user typed: an INSEE code, a postal code, or a name with optional
            qualifiers (postal code, département code or name, arrondissement number).

        Returns
        -------
        Resolution
            The best commune, up to five alternatives, and how it was matched.

        Notes
        -----
        Accepts an INSEE code, a postal code, a name with or without accents, case,
        hyphens, apostrophes, abbreviations or a typo, optionally with a postal code, a
        département code or name, and the arrondissements of Paris, Lyon and Marseille. An
        ambiguous name resolves to the best candidate — exact name, then the postal code or
        département given, then population (overseas populations weighted by
        ``OVERSEAS_WEIGHT``) — and the others are listed in ``alternatives``.

        A five-digit number is first an INSEE code (the API's identifier), then a postal
        code: ``02100`` is Bony (INSEE 02100); Saint-Quentin (postal code 02100) comes
        first in the alternatives. With a name (``02100 Saint-Quentin``) it is a postal code.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> r = gaz.resolve("Saint-Denis")
        >>> r.commune.code_insee, r.matched_by, [a.code_insee for a in r.alternatives][:1]
        ('93066', 'nom', ['97411'])
        >>> gaz.resolve("Saint-Denis (974)").commune.code_insee
        '97411'
        >>> gaz.resolve("02100 St Quentin").commune.code_insee
        '02691'
        >>> gaz.resolve("75015").commune.nom, gaz.resolve("Paris 15e").matched_by
        ('Paris 15e Arrondissement', 'nom')
        >>> gaz.resolve("Atlantide")
        Traceback (most recent call last):
        ...
        recommender.errors.UnknownCommune: Commune « Atlantide » introuvable.

        Raises
        ------
        InvalidParameter
            Empty text, or more than 200 characters.
        UnknownCommune
            Nothing close enough; ``details["suggestions"]`` lists the closest communes.
        """
        if not isinstance(text, str):
            raise InvalidParameter("commune", "Le paramètre « commune » doit être un texte.")
        if not text.strip():
            raise InvalidParameter("commune", "Le paramètre « commune » est vide.")
        if len(text) > MAX_QUERY_LENGTH:
            raise InvalidParameter(
                "commune",
                f"Le paramètre « commune » est trop long ({MAX_QUERY_LENGTH} caractères au plus).",
            )
        stripped = text.strip()
        if re.fullmatch(r"[0-9AaBb ]{4,6}", stripped):
            code = _normalize_code(stripped)
            found = self._resolve_code(code) if code else None
            if found is not None:
                return found
        q = self._parse(stripped)
        if q.arrondissement and q.arrondissement in self.communes:
            c = self.communes[q.arrondissement]
            return Resolution(c, (self.communes[c.parent],) if c.parent else (), "nom")
        if not q.key:
            for code in (q.code, q.postal):
                found = self._resolve_code(code) if code else None
                if found is not None:
                    return found
            raise self._unknown(text, [])
        if q.code and q.code in self.communes:
            return Resolution(self.communes[q.code], (), "code_insee")

        found = self._by_name(q, in_place=True)
        if found is None and q.variant is not None:
            found = self._by_name(q.variant, in_place=False)
        if found is not None:
            return found
        ranked = self._approximate(q)
        if ranked:
            return self._resolution(ranked, q, "fuzzy")
        if q.variant is not None:
            found = self._by_name(q.variant, in_place=True)
            if found is not None:
                return found
            ranked = self._approximate(q.variant)
            if ranked:
                return self._resolution(ranked, q.variant, "fuzzy")
        ranked = self._leading_words(stripped)
        if ranked:
            return self._resolution(ranked, q, "fuzzy")
        if not q.key.isalpha() and q.key.upper() in self._departements:
            # A département alone: suggest its main communes.
            top = sorted(
                self._by_departement.get(q.key.upper(), ()),
                key=lambda c: -self.communes[c].population,
            )
            raise self._unknown(text, [self.communes[c] for c in top[:MAX_SUGGESTIONS]])
        raise self._unknown(text, self._suggestions(q.key))

    def _by_name(self, q: _Query, *, in_place: bool) -> Resolution | None:
        """The exact name (homonyms ranked by the qualifiers, then population); with a
        qualifier that no homonym satisfies, a name of that place starting so or close."""
        exact = [(self.communes[code], p) for code, p in self._by_key.get(q.key, ())]
        if exact and all(p == 2 for _c, p in exact):
            # Only former communes bear this name: current names starting with it compete
            # ("Boulogne" → Boulogne-Billancourt rather than a delegated village).
            known = {c.code_insee for c, _p in exact}
            exact += [
                (self.communes[code], 2)
                for code in self._index().first_words.get(q.key, ())
                if code not in known
            ]
        exact.sort(
            key=lambda cp: (
                cp[1] > 1,
                self._mismatch(cp[0], q),
                cp[1],
                -self._weight(cp[0]),
                cp[0].code_insee,
            )
        )
        exact_communes = [c for c, _p in exact]
        qualified = bool(q.postal or q.departement)
        if exact and (not qualified or self._mismatch(exact[0][0], q) == 0):
            return self._resolution(exact_communes, q, "nom")
        if qualified and in_place:
            found = self._in_place(q)
            if found:
                return self._resolution(found + exact_communes, q, "fuzzy")
        if exact:
            return self._resolution(exact_communes, q, "nom")
        return None

    def _leading_words(self, text: str) -> list[Commune]:
        """Last resort: the longest run of first words that names a commune exactly
        ("Cergy Pontoise" → Cergy)."""
        tokens = _expand(_CEDEX_RE.sub(" ", fold(text)).split())
        for n in range(len(tokens) - 1, 0, -1):
            key = "".join(tokens[:n])
            if len(key) >= 4 and key in self._by_key:
                found = [self.communes[code] for code, _p in self._by_key[key]]
                return sorted(found, key=lambda c: (-self._weight(c), c.code_insee))
        return []

    def _resolution(self, ranked: list[Commune], q: _Query, matched_by: str) -> Resolution:
        best = self._descend(ranked[0], q.postal)
        alternatives: list[Commune] = [ranked[0]] if best is not ranked[0] else []
        seen = {best.code_insee, ranked[0].code_insee}
        for c in ranked[1:]:
            if c.code_insee not in seen:
                seen.add(c.code_insee)
                alternatives.append(c)
        return Resolution(best, tuple(alternatives[:MAX_ALTERNATIVES]), matched_by)

    def _postal_ranked(self, postal: str) -> list[Commune]:
        return sorted(
            (self.communes[c] for c in self._by_postal.get(postal, ())),
            key=lambda c: (c.kind != "arrondissement", -self._weight(c), c.code_insee),
        )

    def _resolve_code(self, code: str) -> Resolution | None:
        """A bare code: current INSEE code, else postal code, else old INSEE code."""
        postal = self._postal_ranked(code)
        if code in self.communes:
            others = [c for c in postal if c.code_insee != code]
            return Resolution(self.communes[code], tuple(others[:MAX_ALTERNATIVES]), "code_insee")
        if postal:
            best = postal[0]
            others = [c for c in postal[1:] if c.code_insee != best.parent]
            return Resolution(best, tuple(others[:MAX_ALTERNATIVES]), "code_postal")
        if code in self._successors:
            return Resolution(self.communes[self._successors[code]], (), "code_insee")
        return None

    def _pool(self, q: _Query) -> list[str]:
        """Communes of the postal code given, else of the département given."""
        if q.postal and q.postal in self._by_postal:
            return [c for c in self._by_postal[q.postal] if self.communes[c].kind == "commune"]
        if q.departement:
            return self._by_departement.get(q.departement, [])
        return []

    def _in_place(self, q: _Query) -> list[Commune]:
        """Names starting with the key, else similar names, else names the words designate
        (see :meth:`_words_in_pool`), among the pool's communes."""
        pool = self._pool(q)
        if not pool:
            return []
        index = self._index()
        starting = set(index.first_words.get(q.key, ())) & set(pool)
        if starting:
            return sorted(
                (self.communes[c] for c in starting), key=lambda c: (-self._weight(c), c.code_insee)
            )
        similar = [c for c, score in self._scored(q.key, pool) if score >= POOL_CUTOFF]
        if similar:
            return similar
        found = self._words_in_pool(q.words, pool, loose=bool(q.postal))
        return [found] if found is not None else []

    def _scored(
        self, key: str, pool: Sequence[str], cutoff: float = 60.0
    ) -> list[tuple[Commune, float]]:
        """The pool's communes by similarity of their names to the key (best first)."""
        keys_of = self._index().keys_of
        codes = [code for code in pool for _k in keys_of.get(code, ())]
        keys = [k for code in pool for k in keys_of.get(code, ())]
        best: dict[str, float] = {}
        for _k, score, i in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            if score > best.get(codes[i], -1.0):
                best[codes[i]] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], -self._weight(self.communes[kv[0]])))
        return [(self.communes[code], score) for code, score in ranked]

    @staticmethod
    def _max_edits(n: int) -> int:
        return 0 if n < 2 else 1 if n < 9 else 2 if n < 16 else 3

    def _band(self, n: int, edits: int) -> list[str]:
        index = self._index()
        starts = index.length_start
        lo = min(max(0, n - edits), len(starts) - 1)
        hi = min(len(starts) - 1, n + edits + 1)
        return index.keys_by_length[starts[lo] : starts[hi]]

    def _approximate(self, q: _Query) -> list[Commune]:
        """Names within one edit (a transposition counts as one), and names whose first
        words are the key ("Châlons" → Châlons-en-Champagne), ranked by edits (a name cut
        short counts as one), then qualifiers, then population; two or three edits are tried
        for long names when nothing is one edit away."""
        index = self._index()
        cost: dict[str, tuple[int, int]] = {}
        for code in index.first_words.get(q.key, ()):
            cost[code] = (1, 0)
        max_edits = self._max_edits(len(q.key))
        for edits in sorted({min(1, max_edits), max_edits}):
            if edits == 0:
                continue
            choices = (
                self._one_edit_candidates(q.key) if edits == 1 else self._band(len(q.key), edits)
            )
            hits = process.extract(
                q.key, choices, scorer=OSA.distance, score_cutoff=edits, limit=None
            )
            for k, distance, _i in hits:
                for code, priority in self._by_key[k]:
                    rank = (int(distance), priority)
                    if code not in cost or rank < cost[code]:
                        cost[code] = rank
            if cost:
                break
        ranked = sorted(
            cost,
            key=lambda code: (
                cost[code][0],
                self._mismatch(self.communes[code], q),
                cost[code][1],
                -self._weight(self.communes[code]),
                code,
            ),
        )
        return [self.communes[code] for code in ranked]

    def _one_edit_candidates(self, key: str) -> list[str]:
        """Keys that can be one edit (OSA) from ``key``: a length within one, and the same
        first letter, or the same second letter, or one of them shifted or swapped."""
        by_letter = self._index().by_letter
        first, second = key[0], key[1] if len(key) > 1 else ""
        out: list[str] = []
        for n in (len(key) - 1, len(key), len(key) + 1):
            for slot in {(0, first), (0, second), (1, second), (1, first)}:
                out.extend(by_letter.get((*slot, n), ()))
        return out

    def _suggestions(self, key: str) -> list[Commune]:
        """The closest communes for an error message: similar names, names starting so."""
        found: dict[str, float] = {}
        for k, score, _i in process.extract(
            key, self._band(len(key), 4), scorer=fuzz.ratio, limit=3 * MAX_SUGGESTIONS
        ):
            for code, _priority in self._by_key[k]:
                found.setdefault(code, score)
        ranked = sorted(
            found, key=lambda code: (-round(found[code] / 5), -self._weight(self.communes[code]))
        )
        return [self.communes[code] for code in ranked[:MAX_SUGGESTIONS]]

    def _unknown(self, text: str, suggestions: list[Commune]) -> UnknownCommune:
        return UnknownCommune(
            f"Commune « {text.strip()} » introuvable.",
            details={"query": text, "suggestions": [c.to_dict() for c in suggestions]},
        )

    # ------------------------------------------------------------------ match (importers)
    def match(
        self,
        *,
        nom: str | None = None,
        code_postal: str | None = None,
        departement: str | None = None,
        code_insee: str | None = None,
    ) -> Commune | None:
        """The commune a source row designates, or ``None`` when unsure.

        Parameters
        ----------
        nom, code_postal, departement, code_insee
            The row's fields, as written (any may be missing or damaged).

        Returns
        -------
        Commune or None
            ``None`` unless one commune fits.

        Notes
        -----
        Tolerates spreadsheet damage (lost leading zero), CEDEX, abbreviations, old INSEE
        codes of merged communes, names of delegated communes and small typos, but never
        chooses between homonyms without a postal code or a département to decide.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> gaz.match(nom="ST QUENTIN CEDEX", code_postal="02100").code_insee
        '02691'
        >>> gaz.match(nom="Saint-Denis") is None  # homonyms, nothing to choose
        True
        >>> gaz.match(nom="Saint Denis", departement="974").code_insee
        '97411'
        >>> gaz.match(code_insee="1053").nom
        'Bourg-en-Bresse'
        >>> gaz.match(nom="Paris", code_postal="75015").code_insee
        '75115'
        """
        cp = _normalize_code(code_postal)
        if cp and not cp.isdigit():
            cp = None
        dep = _normalize_departement(departement)
        if dep not in self._departements:
            dep = None
        code = _normalize_code(code_insee)
        if code:
            found = self.successor(code)
            if found is not None and (not nom or self._name_compatible(found, nom)):
                return found
            if code in self._by_postal and not cp:
                cp = code  # a postal code in the INSEE column
        if not nom or not fold(nom):
            if cp:
                ranked = self._postal_ranked(cp)
                if ranked and ranked[0].kind == "arrondissement":
                    return ranked[0]
                if len(ranked) == 1:
                    return ranked[0]
            return None

        q = self._parse(nom)
        if q.arrondissement and q.arrondissement in self.communes:
            return self.communes[q.arrondissement]
        if not q.key:
            return None
        cp = cp or q.postal
        dep = dep or q.departement
        deps = (dep,) if dep else _departements_of_postal(cp) if cp else ()

        def unique(cands: list[tuple[Commune, int]]) -> Commune | None:
            if len(cands) == 1:
                return cands[0][0]
            official = [c for c, p in cands if p == 0]
            return official[0] if len(official) == 1 else None

        exact = [(self.communes[c], p) for c, p in self._by_key.get(q.key, ())]
        if exact:
            if cp:
                with_cp = [(c, p) for c, p in exact if cp in c.codes_postaux]
                if with_cp:
                    found = unique(with_cp)
                    return self._descend(found, cp) if found else None
            if not deps:
                return unique(exact)
            in_dep = [(c, p) for c, p in exact if c.departement in deps]
            if in_dep:
                found = unique(in_dep)
                return self._descend(found, cp) if found else None
        # No exact name (or none in the place given): a name starting so, or close, there.
        index = self._index()
        pools: list[list[str]] = []
        if cp and cp in self._by_postal:
            pools.append([c for c in self._by_postal[cp] if self.communes[c].kind == "commune"])
        pools.extend(self._by_departement.get(d, []) for d in deps)
        for i, pool in enumerate(pools):
            starting = set(index.first_words.get(q.key, ())) & set(pool)
            if len(starting) == 1:
                return self._descend(self.communes[starting.pop()], cp)
            if starting:
                return None
            scored = self._scored(q.key, pool)
            if (
                scored
                and scored[0][1] >= 85
                and (len(scored) == 1 or scored[1][1] < scored[0][1] - 5)
            ):
                return self._descend(scored[0][0], cp)
            found = self._words_in_pool(q.words, pool, loose=i == 0 and bool(cp))
            if found is not None:
                return self._descend(found, cp)
        if not deps and len(q.key) >= 5:
            hits = process.extract(
                q.key, self._band(len(q.key), 1), scorer=OSA.distance, score_cutoff=1, limit=None
            )
            codes = {c for k, _d, _i in hits for c, _p in self._by_key[k]}
            if len(codes) == 1:
                return self.communes[codes.pop()]
        return None

    def _words_in_pool(
        self, words: Sequence[str], pool: Sequence[str], *, loose: bool
    ) -> Commune | None:
        """The one commune of a small pool that the words designate: its name followed by
        more words ("Berck sur Mer" → Berck, "Seyne-les-Alpes" → Seyne), or the words inside
        its name ("Saint-Auban" → Château-Arnoux-Saint-Auban); with ``loose`` (the pool of a
        postal code), a name sharing a long first word ("Verdun-sur-le-Doubs" → Verdun-Ciel).
        ``None`` when no commune or several do."""
        if not words or not pool:
            return None
        keys_of = self._index().keys_of
        for n in range(len(words) - 1, 0, -1):
            key = "".join(words[:n])
            if len(key) < 4:
                break
            found = {code for code in pool if key in keys_of.get(code, ())}
            if found:
                return self.communes[found.pop()] if len(found) == 1 else None
        key = "".join(words)
        inside = set()
        for code in pool:
            tokens = self._tokens[code]
            for i in range(1, len(tokens)):
                for j in range(i + 1, len(tokens) + 1):
                    if "".join(tokens[i:j]) == key:
                        inside.add(code)
        if inside:
            return self.communes[inside.pop()] if len(inside) == 1 else None
        first = words[0]
        if loose and len(first) >= 5 and first not in _COMMON_FIRST_WORDS:
            shared = {code for code in pool if self._tokens[code][0] == first}
            if len(shared) == 1:
                return self.communes[shared.pop()]
        return None

    def _name_compatible(self, c: Commune, nom: str) -> bool:
        """Does a name written next to an INSEE code fit that commune?"""
        key = self._parse(nom).key
        if not key:
            return True
        keys_of = self._index().keys_of
        keys = [*keys_of.get(c.code_insee, ()), *keys_of.get(c.parent or "", ())]
        return any(k.startswith(key) or key.startswith(k) or fuzz.ratio(key, k) >= 80 for k in keys)

    # ------------------------------------------------------------------ autocomplete
    def _ac_index(self) -> tuple[tuple[list[str], list[str], np.ndarray], ...]:
        """For whole names, and names from their second word on: sorted keys, the code of
        each, and a rank (arrondissements after communes, then by population)."""
        if self._autocomplete_index is None:
            with self._lock, _gc_paused():
                if self._autocomplete_index is None:
                    rank_of = {code: self._rank_value(code) for code in self.communes}
                    full: list[str] = []
                    words: list[str] = []
                    for code, tokens in self._tokens.items():
                        full.append("".join(tokens) + "\0" + code)
                        words.extend(
                            "".join(tokens[i:]) + "\0" + code for i in range(1, len(tokens))
                        )
                    index = []
                    for entries in (full, words):
                        entries.sort()
                        pairs = [e.split("\0") for e in entries]
                        codes = [code for _k, code in pairs]
                        rank = np.array([rank_of[code] for code in codes])
                        index.append(([k for k, _c in pairs], codes, rank))
                    self._autocomplete_index = tuple(index)
        return self._autocomplete_index

    def _rank_value(self, code: str) -> float:
        c = self.communes[code]
        return -self._weight(c) + (1e9 if c.kind == "arrondissement" else 0.0)

    def autocomplete(self, q: str, limit: int = 10) -> list[Commune]:
        """Communes for a search box.

        Parameters
        ----------
        q
            The text typed so far (a name or its beginning, or digits).
        limit
            At most this many communes (capped at 100).

        Returns
        -------
        list of Commune
            The exact name, then names starting with the input, then names with a later word
            starting with it (each by population, arrondissements last), then names whose
            beginning is a typo away; for digits, the INSEE code itself, the communes of the
            postal code, then postal code prefixes.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> [c.nom for c in gaz.autocomplete("beauv", limit=3)]
        ['Beauvais', 'Beauvoisin', 'Beauvallon']
        >>> [c.nom for c in gaz.autocomplete("quentin", limit=1)]
        ['Saint-Quentin']
        >>> [c.nom for c in gaz.autocomplete("baeuvais", limit=1)]
        ['Beauvais']
        >>> [c.nom for c in gaz.autocomplete("6000", limit=1)]
        ['Beauvais']
        """
        if not isinstance(q, str) or limit <= 0:
            return []
        text = q.strip()[:MAX_QUERY_LENGTH]
        compact = text.replace(" ", "").upper()
        if not compact:
            return []
        if re.fullmatch(r"\d{1,5}|2[AB]\d{0,3}", compact):
            return [self.communes[c] for c in self._autocomplete_code(compact, min(limit, 100))]
        key = "".join(_expand(_CEDEX_RE.sub(" ", fold(text)).split()))
        if not key:
            return []
        return [self.communes[c] for c in self._autocomplete_codes(key, min(limit, 100))]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one gazetteer per process, kept
    def _autocomplete_codes(self, key: str, limit: int) -> tuple[str, ...]:
        out: dict[str, None] = dict.fromkeys(code for code, _p in self._by_key.get(key, ()))
        for keys, codes, rank in self._ac_index():
            lo = bisect.bisect_left(keys, key)
            hi = bisect.bisect_left(keys, key + "\uffff")
            want = 2 * limit + len(out)
            if hi - lo > want:
                top = lo + np.argpartition(rank[lo:hi], want)[:want]
            else:
                top = np.arange(lo, hi)
            for i in sorted(top.tolist(), key=lambda i: (rank[i], codes[i])):
                out.setdefault(codes[i], None)
            if len(out) >= limit:
                break
        if len(out) < limit and len(key) >= 3:
            for code in self._autocomplete_fuzzy(key, limit):
                out.setdefault(code, None)
        return tuple(list(out)[:limit])

    def _autocomplete_fuzzy(self, key: str, limit: int) -> list[str]:
        """Names whose beginning is within one edit (two for long input) of the input."""
        edits = 1 if len(key) < 8 else 2
        keys, codes, rank = self._ac_index()[0]
        lo = bisect.bisect_left(keys, key[0])
        hi = bisect.bisect_left(keys, key[0] + "\uffff")
        n = len(key)
        bucket = keys[lo:hi]
        best: dict[int, int] = {}
        for m in (n - 1, n, n + 1):
            hits = process.extract(
                key, [k[:m] for k in bucket], scorer=OSA.distance, score_cutoff=edits, limit=None
            )
            for _prefix, distance, j in hits:
                if distance < best.get(j, 99):
                    best[j] = int(distance)
        top = heapq.nsmallest(limit, best, key=lambda j: (best[j], rank[lo + j], codes[lo + j]))
        return [codes[lo + j] for j in top]

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one gazetteer per process, kept
    def _autocomplete_code(self, prefix: str, limit: int) -> tuple[str, ...]:
        """The INSEE code itself, the communes of a whole postal code (arrondissement
        first), then communes by postal code (or INSEE code) prefix."""
        found: dict[str, None] = {}
        if prefix in self.communes:
            found[prefix] = None
        for c in self._postal_ranked(prefix):
            found.setdefault(c.code_insee, None)
        lo = bisect.bisect_left(self._postal_sorted, prefix)
        hi = bisect.bisect_left(self._postal_sorted, prefix + "\uffff")
        candidates: set[str] = set()
        for cp in self._postal_sorted[lo:hi]:
            candidates.update(self._by_postal[cp])
        if len(prefix) >= 3:
            candidates.update(code for code in self.communes if code.startswith(prefix))
        for code in heapq.nsmallest(
            limit, candidates, key=lambda code: (self._rank_value(code), code)
        ):
            found.setdefault(code, None)
        return tuple(list(found)[:limit])

    # ------------------------------------------------------------------ points
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

    @staticmethod
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

    def _at(self, kind: str, lat: float, lon: float, nearest: bool) -> Commune | None:
        point = self._point(lat, lon)
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

    def commune_at(self, lat: float, lon: float) -> Commune | None:
        """The commune containing a point (never an arrondissement: see
        :meth:`arrondissement_at`).

        Parameters
        ----------
        lat, lon
            Degrees (WGS 84).

        Returns
        -------
        Commune or None
            The commune whose polygon contains the point, else the nearest one within about
            1 km (a beach beyond the simplified coastline); ``None`` elsewhere or for invalid
            coordinates. Polygons are loaded on the first call (about 0.3 s).

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> gaz.commune_at(48.8414, 2.3004).nom  # Paris 15e: the commune, not the arrondissement
        'Paris'
        >>> gaz.commune_at(46.5, -5.0) is None  # Atlantic Ocean
        True
        """
        return self._at("commune", lat, lon, nearest=True)

    def arrondissement_at(self, lat: float, lon: float) -> Commune | None:
        """The municipal arrondissement of Paris, Lyon or Marseille containing the point.

        >>> default_gazetteer().arrondissement_at(48.8414, 2.3004).code_insee
        '75115'
        """
        return self._at("arrondissement", lat, lon, nearest=False)

    def locate(self, lat: float, lon: float) -> Resolution | None:
        """A point as a :class:`Resolution` (``matched_by="point"``), or ``None``."""
        c = self.commune_at(lat, lon)
        return Resolution(c, (), "point") if c is not None else None

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

    def departement_at(self, lat: float, lon: float) -> str | None:
        """The département code of the point: the commune's, else by the département
        polygons (which also cover the few areas the commune polygons miss).

        >>> default_gazetteer().departement_at(41.9192, 8.7386)  # Ajaccio
        '2A'
        """
        c = self.commune_at(lat, lon)
        if c is not None:
            return c.departement
        point = self._point(lat, lon)
        shapes = self._load_departement_shapes()
        if point is None or shapes["tree"] is None:
            return None
        hits = shapes["tree"].query(point, predicate="intersects")
        if len(hits) == 0:
            hits = shapes["tree"].query_nearest(point, max_distance=2 * NEAREST_MAX_DEGREES)
        return shapes["codes"][int(hits[0])] if len(hits) else None

    def departement_polygon(self, code: str) -> Any | None:
        """The simplified polygon of a département (shapely), ``None`` when unknown."""
        return self._load_departement_shapes()["by_code"].get(_normalize_departement(code))


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer of the repository's ``data/referentiels``, loaded once per process."""
    return Gazetteer.load()
