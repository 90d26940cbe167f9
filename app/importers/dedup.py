"""Cross-source deduplication: does an incoming record describe a partner already known
from another source?

Rules, strongest first (each recorded as a ``MergeDecision`` with its score and distance):

- ``identifiant``: the record names the other source's id (DILA's ``ancien_code_pivot``);
- ``siret``: same SIRET, same type family (or one side of unknown type), ≤ 50 km;
- ``nom``: same type family, folded names alike once generic words ("agence", "pôle
  emploi", the type's own words, the commune's name…) are removed (rapidfuzz
  ``token_set_ratio`` ≥ 85), ≤ 2 km — or same commune when a point is approximate;
- ``adresse``: same type family, same street (≥ 90) and house number, ≤ 3 km;
- ``proximite``: same type family, one of the names generic (nothing left once generic words are
  removed, e.g. "Pôle emploi de Belley" / "France Travail Belley"), in the same commune (≤ 2 km
  as well when both points are exact), the only such candidate there; and either the streets
  agree, the points are within 300 m, or the type keeps one office per town (a moved France
  Travail agency is still the town's agency).

A name that designates another kind of site than the other ("Mairie annexe", "Mairie -
Médiathèque", "Bus France services") never merges by name or proximity: an annex is a second
place to send a person to. Measured on hand-labelled samples of the merges of the shared data
(``bench/dedup_precision.py``, ``bench/dedup_labels.csv``).

Never across two type families (a France Services in a mairie stays two partners), never
into a partner that already holds a record of the incoming source. Candidates come from a
grid of ~5 km cells per family, so the cost is linear in the number of records.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from recommender.text import fold

NAME_THRESHOLD = 85.0
ADDRESS_THRESHOLD = 90.0
NAME_KM = 2.0
ADDRESS_KM = 3.0
SIRET_KM = 50.0
CELL_DEG = 0.05
# A proximity merge between two different streets needs the points this close.
PROXIMITY_OTHER_STREET_KM = 0.3
STREET_THRESHOLD = 60.0

# Types that describe the same kind of place under two codes.
FAMILY_ALIASES = {"france-travail-dda": "france-travail-direction", "france-travail-dra": ""}
# Types too vague for name/address rules (only identifiers and SIRET merge them).
VAGUE_TYPES = {"autre", "autre-service-public", "service-etat", "association-solidarite"}

GENERIC_WORDS = set(
    fold(
        "agence antenne accueil centre point site permanence bureau service services public "
        "publics espace maison relais direction territoriale departementale regionale "
        "locale local de du des la le les l d et en a au aux sur sous pour par"
    ).split()
)
# Words naming a kind of site distinct from the organisation's main office.
SITE_WORDS = frozenset(
    fold("annexe annexes mediatheque bibliotheque ludotheque bus itinerant itinerante").split()
)
# Types with one office per town: two records of the only one in a commune are that office
# even when its address changed between two sources' dates.
ONE_OFFICE_PER_TOWN = frozenset({"mairie", "france-travail", "mission-locale", "ccas-cias"})
_STREET_NOISE = re.compile(r"\b(bp|cs|tsa|cedex)\s*\d*\b")
_NUMBER = re.compile(r"^\s*(\d+)")


def family(type_code: str) -> str:
    return FAMILY_ALIASES.get(type_code, type_code)


@dataclass
class Candidate:
    """An existing partner that incoming records may merge into."""

    partner_id: str
    nom: str
    type_code: str
    lat: float | None
    lon: float | None
    coords_exact: bool
    code_insee: str | None
    siret: str | None
    adresse: str
    sources: set[str] = field(default_factory=set)
    # Computed on first comparison (most candidates are never compared).
    core: str | None = None
    street: str = ""
    number: str = ""
    site: frozenset[str] = frozenset()


@dataclass
class Match:
    partner_id: str
    rule: str
    score: float
    distance_km: float | None


class DedupIndex:
    def __init__(self, taxonomy: Any, haversine: Any, commune_name: Callable[[str], str]):
        self.tax = taxonomy
        self.haversine = haversine
        self.commune_name = commune_name
        self.cells: dict[tuple[str, int, int], list[Candidate]] = defaultdict(list)
        self.by_commune: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
        self.by_siret: dict[str, list[Candidate]] = defaultdict(list)
        self.by_id: dict[str, Candidate] = {}
        self._stop: dict[str, set[str]] = {}

    # ---------------------------------------------------------------- building
    def stopwords(self, type_code: str) -> set[str]:
        found = self._stop.get(type_code)
        if found is None:
            ptype = self.tax.partner_type(type_code)
            words = set(GENERIC_WORDS)
            for text in (ptype.label, ptype.code.replace("-", " "), *ptype.keywords):
                words.update(fold(text).split())
            # The France Travail network kept its old name in older sources.
            if family(type_code).startswith("france-travail"):
                words.update({"pole", "emploi", "france", "travail", "ale"})
            found = self._stop[type_code] = words
        return found

    def core_name(self, nom: str, type_code: str, code_insee: str | None) -> str:
        stop = self.stopwords(type_code)
        commune = set(fold(self.commune_name(code_insee) if code_insee else "").split())
        words = [w for w in fold(nom).split() if w not in stop and w not in commune]
        return " ".join(words)

    @staticmethod
    def street_of(adresse: str) -> tuple[str, str]:
        folded = _STREET_NOISE.sub(" ", fold(adresse or ""))
        m = _NUMBER.match(folded)
        return " ".join(folded.split()), (m[1] if m else "")

    def _prepare(self, cand: Candidate) -> Candidate:
        if cand.core is None:
            cand.core = self.core_name(cand.nom, cand.type_code, cand.code_insee)
            cand.street, cand.number = self.street_of(cand.adresse)
            cand.site = site_words(cand.nom)
        return cand

    def add(self, cand: Candidate) -> None:
        self.by_id[cand.partner_id] = cand
        fam = family(cand.type_code)
        if cand.siret:
            self.by_siret[cand.siret].append(cand)
        if fam in VAGUE_TYPES or not fam:
            return
        if cand.lat is not None and cand.lon is not None:
            self.cells[(fam, *self._cell(cand.lat, cand.lon))].append(cand)
        if cand.code_insee:
            self.by_commune[(fam, cand.code_insee)].append(cand)

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return int(lat // CELL_DEG), int(lon // CELL_DEG)

    def _near(self, fam: str, lat: float, lon: float) -> Iterable[Candidate]:
        i, j = self._cell(lat, lon)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                yield from self.cells.get((fam, i + di, j + dj), ())

    # ---------------------------------------------------------------- matching
    def matches(self, rec: dict[str, Any], source: str) -> list[Match]:
        """Every acceptable merge of one resolved record, best first."""
        found: dict[str, Match] = {}
        type_code = rec.get("type_code") or "autre"
        fam = family(type_code)
        lat, lon = rec.get("lat"), rec.get("lon")

        def dist(c: Candidate) -> float | None:
            if None in (lat, lon, c.lat, c.lon):
                return None
            return self.haversine(lat, lon, c.lat, c.lon)

        for match in self._by_identifier(rec, source, dist):
            _keep(found, match)
        if fam in VAGUE_TYPES or not fam:
            return self._sorted(found)
        pool = self._pool(fam, rec)
        if pool:
            for match in self._alike(rec, type_code, source, pool, dist):
                _keep(found, match)
        return self._sorted(found)

    def _by_identifier(
        self, rec: dict[str, Any], source: str, dist: Callable[[Candidate], float | None]
    ) -> Iterator[Match]:
        """The partners the record names (``_links``), then those of its SIRET."""
        for partner_id in rec.get("_links", ()):
            cand = self.by_id.get(partner_id)
            if cand and source not in cand.sources:
                yield Match(cand.partner_id, "identifiant", 1.0, _round(dist(cand)))
        siret = rec.get("siret")
        if not siret:
            return
        type_code = rec.get("type_code") or "autre"
        for cand in self.by_siret.get(siret, ()):
            if source in cand.sources:
                continue
            same_family = family(cand.type_code) == family(type_code)
            vague = "autre" in (cand.type_code, type_code)
            d = dist(cand)
            if (same_family or vague) and (d is None or d <= SIRET_KM):
                yield Match(cand.partner_id, "siret", 1.0, _round(d))

    def _pool(self, fam: str, rec: dict[str, Any]) -> dict[str, Candidate]:
        """The family's candidates near the record's point or in its commune."""
        pool: dict[str, Candidate] = {}
        lat, lon = rec.get("lat"), rec.get("lon")
        if lat is not None and lon is not None:
            for cand in self._near(fam, lat, lon):
                pool[cand.partner_id] = cand
        if rec.get("code_insee"):
            for cand in self.by_commune.get((fam, rec["code_insee"]), ()):
                pool[cand.partner_id] = cand
        return pool

    def _alike(
        self,
        rec: dict[str, Any],
        type_code: str,
        source: str,
        pool: dict[str, Candidate],
        dist: Callable[[Candidate], float | None],
    ) -> Iterator[Match]:
        """Name, address and generic-name matches among the pool's candidates."""
        core = self.core_name(rec["nom"], type_code, rec.get("code_insee"))
        street, number = self.street_of(rec.get("adresse", ""))
        exact = bool(rec.get("coords_exact"))
        insee = rec.get("code_insee")
        site = site_words(rec["nom"])
        generic_here = []
        for cand in pool.values():
            if source in cand.sources:
                continue
            self._prepare(cand)
            d = dist(cand)
            same_commune = bool(insee) and cand.code_insee == insee
            other_commune = bool(insee and cand.code_insee) and not same_commune
            approximate = not (exact and cand.coords_exact)
            close = same_commune if approximate else (d is not None and d <= NAME_KM)
            same_site = site == cand.site
            if close and same_site and (match := _by_name(core, cand, d)):
                yield match
            if match := _by_address(street, number, cand, d, same_commune):
                yield match
            if (not core or not cand.core) and close and same_site and not other_commune:
                generic_here.append((cand, d, same_commune))
        # Generic names ("Mairie - X", "Pôle emploi de X"): the one candidate of the same
        # commune, else the one candidate nearby.
        local = [g for g in generic_here if g[2]]
        if len(local) == 1 or (not local and len(generic_here) == 1):
            cand, d, _same = (local or generic_here)[0]
            if _same_place(street, cand, d, family(type_code)):
                yield Match(cand.partner_id, "proximite", 0.8, _round(d))

    @staticmethod
    def _sorted(found: dict[str, Match]) -> list[Match]:
        return sorted(
            found.values(),
            key=lambda m: (-_RULE_RANK[m.rule], -m.score, m.distance_km or 0.0),
        )


_RULE_RANK = {"identifiant": 5, "siret": 4, "nom": 3, "adresse": 2, "proximite": 1}
# What each rule means, for the admin (the codes stay as stored in MergeDecision.rule).
RULE_LABELS = {
    "identifiant": "Identifiant de l'autre source",
    "siret": "Même SIRET",
    "nom": "Nom proche",
    "adresse": "Même adresse",
    "proximite": "Nom générique, même lieu",
    "structure": "Service de la structure",
}


def _keep(found: dict[str, Match], m: Match) -> None:
    """Keep the best match per partner (the first among equals)."""
    old = found.get(m.partner_id)
    if old is None or (_RULE_RANK[m.rule], m.score) > (_RULE_RANK[old.rule], old.score):
        found[m.partner_id] = m


def site_words(nom: str) -> frozenset[str]:
    """The words of a name that designate a distinct kind of site (an annex, a library…)."""
    return SITE_WORDS.intersection(fold(nom).split())


def _same_place(street: str, cand: Candidate, d: float | None, fam: str) -> bool:
    """A proximity merge's second signal: same street, very close, or the town's one office."""
    if fam in ONE_OFFICE_PER_TOWN or not street or not cand.street:
        return True
    if d is not None and d <= PROXIMITY_OTHER_STREET_KM:
        return True
    return fuzz.token_set_ratio(street, cand.street) >= STREET_THRESHOLD


def _by_name(core: str, cand: Candidate, d: float | None) -> Match | None:
    """Names alike once generic words are removed (the candidate is close enough)."""
    if not core or not cand.core:
        return None
    score = fuzz.token_set_ratio(core, cand.core)
    return (
        Match(cand.partner_id, "nom", score / 100, _round(d)) if score >= NAME_THRESHOLD else None
    )


def _by_address(
    street: str, number: str, cand: Candidate, d: float | None, same_commune: bool
) -> Match | None:
    """Same house number, streets alike, near or in the same commune."""
    if not (street and cand.street and number and number == cand.number):
        return None
    if not ((d is not None and d <= ADDRESS_KM) or same_commune):
        return None
    score = fuzz.token_set_ratio(street, cand.street)
    return (
        Match(cand.partner_id, "adresse", score / 100, _round(d))
        if score >= ADDRESS_THRESHOLD
        else None
    )


def _round(d: float | None) -> float | None:
    return None if d is None else round(d, 3)


def assign(proposals: list[tuple[int, list[Match]]], source: str) -> dict[int, Match]:
    """One partner per incoming record and one incoming record per partner (of this source):
    the globally best pairs first, so two agencies of a town don't fight over one partner."""
    pairs = [(m, idx) for idx, matches in proposals for m in matches]
    pairs.sort(key=lambda p: (-_RULE_RANK[p[0].rule], -p[0].score, p[0].distance_km or 0.0, p[1]))
    taken_records: dict[int, Match] = {}
    taken_partners: set[str] = set()
    for match, idx in pairs:
        if idx in taken_records or match.partner_id in taken_partners:
            continue
        taken_records[idx] = match
        taken_partners.add(match.partner_id)
    return taken_records
