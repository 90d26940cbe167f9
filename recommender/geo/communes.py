"""The referential: communes, municipal arrondissements, EPCI, départements and régions as
``scripts/build_referentials.py`` writes them into ``data/referentiels/``, and the plain
indexes every look-up starts from (by code, by postal code, by département, by name key).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypedDict

from recommender.text import fold

from ..bulk import gc_paused
from .keys import ARTICLES, expand, normalize_code, normalize_departement

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "referentiels"

COMMUNES_FILE = "communes.csv.gz"
ANCIENNES_FILE = "communes_anciennes.csv.gz"
EPCI_FILE = "epci.csv.gz"
DEPARTEMENTS_FILE = "departements.csv"
REGIONS_FILE = "regions.csv"

_COMMUNE_COLUMNS = (
    "code_insee", "nom", "codes_postaux", "departement", "region", "epci",
    "population", "lat", "lon", "kind", "parent",
)  # fmt: skip

EpciRow = tuple[str, str, tuple[str, ...]]  # nom, type, member INSEE codes


class ReferentialFiles(TypedDict, total=False):
    """What :class:`Referential` reads besides the communes (all optional)."""

    epci: dict[str, EpciRow] | None
    departements: dict[str, tuple[str, str]] | None
    regions: dict[str, str] | None
    anciennes: Iterable[tuple[str, str, str, str]]
    directory: Path | None


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

        >>> from recommender.geo import default_gazetteer
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


def read_rows(directory: Path, name: str) -> tuple[dict[str, int], list[list[str]]]:
    """A referential CSV (gzipped or not): column positions and rows; nothing when absent."""
    path = directory / name
    if not path.exists():
        return {}, []
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        return {h: i for i, h in enumerate(header)}, list(reader)


def read_departements(directory: Path) -> dict[str, tuple[str, str]]:
    """Département code → (nom, région code)."""
    col, data = read_rows(directory, DEPARTEMENTS_FILE)
    return {r[col["code"]]: (r[col["nom"]], r[col["region"]]) for r in data}


def read_regions(directory: Path) -> dict[str, str]:
    """Région code → nom."""
    col, data = read_rows(directory, REGIONS_FILE)
    return {r[col["code"]]: r[col["nom"]] for r in data}


def _read_communes(directory: Path) -> list[Commune]:
    col, data = read_rows(directory, COMMUNES_FILE)
    if not data:
        raise FileNotFoundError(f"no communes referential in {directory}")
    i_code, i_nom, i_cp, i_dep, i_reg, i_epci, i_pop, i_lat, i_lon, i_kind, i_parent = (
        col[h] for h in _COMMUNE_COLUMNS
    )
    return [
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


def _read_epci(directory: Path) -> dict[str, EpciRow]:
    col, data = read_rows(directory, EPCI_FILE)
    return {
        r[col["code"]]: (
            r[col["nom"]],
            r[col["type"]],
            tuple(r[col["members"]].split("|")) if r[col["members"]] else (),
        )
        for r in data
    }


def _read_anciennes(directory: Path) -> list[tuple[str, str, str, str]]:
    col, data = read_rows(directory, ANCIENNES_FILE)
    return [
        (r[col["code_insee"]], r[col["nom"]], r[col["successeur"]], r[col["type"]]) for r in data
    ]


class Referential:
    """The communes referential and its plain indexes.

    ``communes`` maps INSEE codes to :class:`Commune`: the 34,969 communes of the official
    list and the 45 municipal arrondissements.
    """

    communes: dict[str, Commune]

    def __init__(
        self,
        communes: Iterable[Commune],
        *,
        epci: dict[str, EpciRow] | None = None,
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
        self._index_anciennes(anciennes)
        self._index_places()
        self._index_names()
        self._index_departement_names()
        self._index_epci()

    # ------------------------------------------------------------------ building
    def _index_anciennes(self, anciennes: Iterable[tuple[str, str, str, str]]) -> None:
        """Old and delegated codes → current code; delegated/associated names → aliases."""
        self.successors: dict[str, str] = {}
        self.aliases: list[tuple[str, str]] = []
        for code, nom, successor, _kind in anciennes:
            if successor not in self.communes:
                continue
            if code not in self.communes:
                self.successors.setdefault(code, successor)
            if nom:
                self.aliases.append((nom, successor))

    def _index_places(self) -> None:
        self.by_postal: dict[str, list[str]] = {}
        self.by_departement: dict[str, list[str]] = {}
        self._arrondissements: dict[str, list[Commune]] = {}
        for code, c in self.communes.items():
            for cp in c.codes_postaux:
                self.by_postal.setdefault(cp, []).append(code)
            if c.kind == "commune":
                self.by_departement.setdefault(c.departement, []).append(code)
            elif c.parent:
                self._arrondissements.setdefault(c.parent, []).append(c)
        self.postal_sorted = sorted(self.by_postal)

    def _index_names(self) -> None:
        """Name index: key → [(code, priority)]; 0 official name, 1 without article, 2 alias;
        and the expanded tokens of each commune's name."""
        self.tokens: dict[str, list[str]] = {}
        by_key: dict[str, list[tuple[str, int]]] = {}
        folded: dict[str, list[str]] = {}

        def tokens_of(nom: str) -> list[str]:
            found = folded.get(nom)
            if found is None:
                found = folded[nom] = expand(fold(nom).split())
            return found

        def add(key: str, code: str, priority: int) -> None:
            slot = by_key.get(key)
            if slot is None:
                by_key[key] = [(code, priority)]
            elif all(c != code for c, _p in slot):
                slot.append((code, priority))

        def add_name(tokens: list[str], code: str, priority: int, without_article: int) -> None:
            add("".join(tokens), code, priority)
            if len(tokens) > 1 and tokens[0] in ARTICLES:
                add("".join(tokens[1:]), code, without_article)

        for code, c in self.communes.items():
            tokens = self.tokens[code] = tokens_of(c.nom)
            add_name(tokens, code, 0, 1)
        for nom, successor in self.aliases:
            add_name(tokens_of(nom), successor, 2, 2)
        by_key.pop("", None)
        for slot in by_key.values():
            if len(slot) > 1:
                slot.sort(key=lambda cp: cp[1])
        self.by_key = by_key

    def _index_departement_names(self) -> None:
        """Département names as qualifiers ("Saint-Denis La Réunion", "Valence Drôme")."""
        self.departement_names: dict[str, str] = {}
        for code, (nom, _region) in self._departements.items():
            tokens = fold(nom).split()
            self.departement_names[" ".join(tokens)] = code
            if len(tokens) > 1 and tokens[0] in ARTICLES:
                self.departement_names[" ".join(tokens[1:])] = code

    def _index_epci(self) -> None:
        self._epci_members: dict[str, frozenset[str]] = {}
        for code, (_nom, _type, members) in self._epci.items():
            codes = set(members)
            for m in members:
                codes.update(a.code_insee for a in self._arrondissements.get(m, ()))
            self._epci_members[code] = frozenset(codes)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: Path | None = None) -> Self:
        """Load the referential written by ``scripts/build_referentials.py`` (by default the
        repository's ``data/referentiels``); polygons are read later, on first use.

        >>> from recommender.geo import Gazetteer
        >>> gaz = Gazetteer.load()
        >>> sum(c.kind == "commune" for c in gaz.communes.values())
        34969
        """
        directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        with gc_paused():
            return cls(
                _read_communes(directory),
                epci=_read_epci(directory),
                departements=read_departements(directory),
                regions=read_regions(directory),
                anciennes=_read_anciennes(directory),
                directory=directory,
            )

    # ------------------------------------------------------------------ simple look-ups
    def get(self, code_insee: str) -> Commune | None:
        """The commune or arrondissement with this current INSEE code.

        >>> from recommender.geo import default_gazetteer
        >>> default_gazetteer().get("2A004").nom
        'Ajaccio'
        >>> default_gazetteer().get("99999") is None
        True
        """
        code = normalize_code(code_insee)
        return self.communes.get(code) if code else None

    def successor(self, code_insee: str) -> Commune | None:
        """The current commune for a current, delegated, associated or merged INSEE code.

        >>> from recommender.geo import default_gazetteer
        >>> default_gazetteer().successor("49069").nom  # Champtoceaux, now in Orée d'Anjou
        "Orée d'Anjou"
        """
        code = normalize_code(code_insee)
        if not code:
            return None
        found = self.communes.get(code)
        if found is None and code in self.successors:
            found = self.communes.get(self.successors[code])
        return found

    def epci_members(self, epci_code: str) -> frozenset[str]:
        """INSEE codes of the communes of an EPCI (by SIREN), with the municipal
        arrondissements of its member cities; empty for an unknown code.

        >>> from recommender.geo import default_gazetteer
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

        >>> from recommender.geo import default_gazetteer
        >>> gaz = default_gazetteer()
        >>> gaz.departement_name("2a"), gaz.departement_name("1"), gaz.departement_name("974")
        ('Corse-du-Sud', 'Ain', 'La Réunion')
        """
        dep = normalize_departement(code)
        if dep not in self._departements:
            raise KeyError(code)
        return self._departements[dep][0]

    def is_departement(self, code: str | None) -> bool:
        """Is this (normalized) code a département or overseas collectivity?"""
        return code in self._departements

    def region_name(self, code: str) -> str:
        """The région's name; ``KeyError`` for an unknown code.

        >>> from recommender.geo import default_gazetteer
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
    def weight(c: Commune) -> float:
        """What ranks homonyms last, by the API contract's rule: the population, overseas
        communes as any other ("Saint-Denis" is Saint-Denis de La Réunion, the larger)."""
        return c.population

    def descend(self, c: Commune, postal: str | None) -> Commune:
        """Paris/Lyon/Marseille and a postal code of one arrondissement → that arrondissement."""
        if postal and c.code_insee in self._arrondissements:
            for a in self._arrondissements[c.code_insee]:
                if postal in a.codes_postaux:
                    return a
        return c

    def postal_ranked(self, postal: str) -> list[Commune]:
        """The communes of a postal code: arrondissement first, then by population."""
        return sorted(
            (self.communes[c] for c in self.by_postal.get(postal, ())),
            key=lambda c: (c.kind != "arrondissement", -self.weight(c), c.code_insee),
        )

    def postal_communes(self, postal: str | None) -> list[str] | None:
        """Codes of the communes (not arrondissements) of a postal code; ``None`` for an
        unknown one."""
        if not postal or postal not in self.by_postal:
            return None
        return [c for c in self.by_postal[postal] if self.communes[c].kind == "commune"]
