"""Directory search: French full text, filters, distance and facets, all in numpy.

The text index folds accents and ligatures, drops French stop words and stems
(snowball), so ``auto ecoles`` finds « Auto-école sociale »; a query term of
four letters or more that the index does not know is matched with one typo
(two from nine letters). A query naming a frein by one of its synonyms
(``permis`` → mobilité) also finds the partners whose main mission is that
frein, and one naming a partner type by its keywords (``maison de justice``)
the partners of that type. Relevance is BM25F (the name weighing double).

Everything ``fit`` learns is numpy or scipy arrays (postings as a sparse
documents × terms matrix of BM25 weights) and a few small lists: the fitted
search pickles small and loads fast, so the app can build it once per data
version and every worker load it. A search first applies the filters
(freins, types, publics, archived, radius), then matches and scores the text
on the partners left only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .errors import InvalidParameter
from .geo import EARTH_RADIUS_KM, haversine_radians
from .hours import departement_column, open_on
from .records import PartnerRecord
from .referentials import without_shared
from .strings import StringColumn
from .text import fold
from .textindex import Vocabulary, analyzer, bm25, column_posting, term_key
from .types import GazetteerLike, SearchFacets, SearchHit, SearchPage
from .validation import check_is_fitted

if TYPE_CHECKING:
    from .taxonomy import Taxonomy

NAME_BOOST = 2.0  # a word of the name counts twice
TYPO_WEIGHT = 0.5  # a term matched through a typo
TYPE_WEIGHT, FREIN_WEIGHT = 0.5, 0.3  # a partner of the type, or the frein, the query names
FREIN_SIDE_WEIGHT = 0.15  # a partner addressing that frein as a secondary or inferred mission
# With a place and no radius, the search is local: this radius first, widened step by step
# while nothing matches (``None``: the whole of France, so a match is never lost).
RADIUS_STEPS_KM: tuple[float | None, ...] = (30.0, 60.0, 120.0, 250.0, 500.0, None)
# Text relevance and distance blend as ``relevance / (1 + d / BLEND_KM)``: at 10 km a
# match weighs half as much as the same match next door.
BLEND_KM = 10.0


def _first(key: np.ndarray, rank: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest ``key`` values, in order, ties by ``rank``.

    Only the candidates for the first ``k`` (the ``k`` smallest and their ties) are sorted.
    """
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if key.size > k:
        positions = np.flatnonzero(key <= np.partition(key, k - 1)[k - 1])
    else:
        positions = np.arange(key.size)
    return positions[np.lexsort((rank[positions], key[positions]))][:k]


class PartnerSearch:
    """Search the directory: full text, filters, radius, pagination and facets.

    Parameters
    ----------
    taxonomy : optional
        ``None`` means ``default_taxonomy()`` at fit time (type labels, keywords,
        frein synonyms).
    fuzzy : bool
        Accept typos in query terms.
    gazetteer : optional
        Gives the name of each partner's commune, indexed too (so ``caf
        beauvais`` finds the CAF whose address is in Beauvais); ``None`` means
        ``default_gazetteer()`` at fit time, ``False`` indexes no commune name.

    Raises
    ------
    ValueError
        From ``fit``, when ``fuzzy`` is not a boolean.
    recommender.validation.NotFittedError
        From ``search`` before ``fit``.

    Notes
    -----
    Only ``fit`` reads the taxonomy and the gazetteer: the fitted search keeps none
    of their objects, nor the records, and pickles to arrays (joblib stores those
    without the slow pure-Python pickler it uses for lists). A parameter holding the
    process's default referential is pickled as ``None``, which means the same.

    Examples
    --------
    >>> from recommender.records import PartnerRecord
    >>> search = PartnerSearch().fit([
    ...     PartnerRecord(id="a", nom="Auto-école sociale du Beauvaisis",
    ...                   type_code="auto-ecole-sociale", freins=("mobilite",)),
    ...     PartnerRecord(id="b", nom="Mission locale du Beauvaisis",
    ...                   type_code="mission-locale", freins=("emploi",)),
    ... ])
    >>> [r["partner_id"] for r in search.search(q="auto ecole")["results"]]
    ['a']
    >>> search.search(q="permis")["results"][0]["partner_id"]
    'a'
    >>> search.search()["facets"]["type"]
    {'auto-ecole-sociale': 1, 'mission-locale': 1}
    >>> PartnerSearch().search(q="permis")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    NotFittedError: This PartnerSearch instance is not fitted yet: call 'fit' before using it.
    """

    def __init__(
        self,
        *,
        taxonomy: Taxonomy | None = None,
        fuzzy: bool = True,
        gazetteer: GazetteerLike | Literal[False] | None = None,
    ):
        self.taxonomy = taxonomy
        self.fuzzy = fuzzy
        self.gazetteer = gazetteer

    def __getstate__(self) -> dict[str, Any]:
        return without_shared(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------ fit

    def fit(self, records: Iterable[PartnerRecord]) -> PartnerSearch:
        """Index ``records``: BM25 weights of their text, and columns for the filters.

        Raises
        ------
        ValueError
            When ``fuzzy`` is not a boolean (checked here, as scikit-learn does).
        """
        if not isinstance(self.fuzzy, bool):
            raise ValueError(f"fuzzy must be True or False, got {self.fuzzy!r}.")
        from .geo import default_gazetteer
        from .taxonomy import default_taxonomy

        tax = default_taxonomy() if self.taxonomy is None else self.taxonomy
        gazetteer = default_gazetteer() if self.gazetteer is None else self.gazetteer or None
        records = list(records)
        # UTF-8 bytes: a numpy array of strings pickles as one block
        self.ids_ = np.array([r.id.encode() for r in records], dtype=bytes)
        self.freins_ = tuple(tax.freins)
        self.public_codes_ = tuple(tax.publics)
        self.type_codes_ = tuple(sorted({r.type_code for r in records}))
        self._fit_profiles(records, tax)
        self.open_days_ = np.fromiter((r.open_days for r in records), np.uint8, len(records))
        self.departements_ = departement_column([r.departement for r in records])
        self._fit_geo(records)
        self._fit_text(records, tax, gazetteer)
        self._fit_phrases(tax)
        return self

    def _fit_profiles(self, records: list[PartnerRecord], tax: Taxonomy) -> None:
        """Partners share a few thousand (type, freins, publics): the filters, facets and
        frein expansions read tables of these profiles."""
        profiles: dict[tuple, int] = {}
        self.profile_of_ = np.fromiter(
            (
                profiles.setdefault(
                    (r.type_code, r.freins, r.freins_inferred, r.publics), len(profiles)
                )
                for r in records
            ),
            dtype=np.int32,
            count=len(records),
        )
        type_pos = {code: i for i, code in enumerate(self.type_codes_)}
        frein_pos = {code: i for i, code in enumerate(self.freins_)}
        public_pos = {code: i for i, code in enumerate(self.public_codes_)}
        self.profile_type_ = np.zeros(len(profiles), dtype=np.int32)
        self.profile_freins_ = np.zeros((len(profiles), len(self.freins_)), dtype=bool)
        self.profile_core_ = np.zeros_like(self.profile_freins_)  # the main missions
        self.profile_publics_ = np.zeros((len(profiles), len(self.public_codes_)), dtype=bool)
        for p, (type_code, declared, inferred, publics) in enumerate(profiles):
            self.profile_type_[p] = type_pos[type_code]
            ptype = tax.partner_types.get(type_code)
            side = ptype.freins_side if ptype is not None else ()
            for code in (*declared, *inferred):
                if code in frein_pos:
                    self.profile_freins_[p, frein_pos[code]] = True
                    self.profile_core_[p, frein_pos[code]] |= code in declared and code not in side
            for code in publics:
                if code in public_pos:
                    self.profile_publics_[p, public_pos[code]] = True
        self.active_ = np.fromiter((r.active for r in records), dtype=bool, count=len(records))

    def _fit_geo(self, records: list[PartnerRecord]) -> None:
        lat = np.array([np.nan if r.lat is None else r.lat for r in records], dtype=float)
        lon = np.array([np.nan if r.lon is None else r.lon for r in records], dtype=float)
        self.lat_rad_, self.lon_rad_ = np.radians(lat), np.radians(lon)
        self.cos_lat_ = np.cos(self.lat_rad_)
        # partners by latitude: those within a radius lie in a band of it (no point last)
        self.lat_order_ = np.argsort(self.lat_rad_, kind="stable").astype(np.int32)
        self.lat_sorted_ = self.lat_rad_[self.lat_order_]

    def _fit_text(
        self, records: list[PartnerRecord], tax: Taxonomy, gazetteer: GazetteerLike | None
    ) -> None:
        """Name and body (type label, description, commune name) as one matrix of BM25
        weights; the body's parts repeat a lot, so each distinct one is analysed once."""
        vocabulary = Vocabulary()
        names = [vocabulary.words_of(r.nom) for r in records]
        # rank by folded name, the order without a query
        folded = np.array([" ".join(words) for words in names], dtype=object)
        self.name_rank_ = np.empty(len(records), dtype=np.int32)
        self.name_rank_[np.argsort(folded, kind="stable")] = np.arange(len(records))

        labels = []
        for code in self.type_codes_:
            ptype = tax.partner_types.get(code)
            labels.append(vocabulary.words_of(ptype.label if ptype is not None else code))
        descriptions: dict[str, int] = {}
        description_of = np.fromiter(
            (descriptions.setdefault(r.description, len(descriptions)) for r in records),
            dtype=np.int64,
            count=len(records),
        )
        communes: dict[str, int] = {}
        commune_of = np.fromiter(
            (communes.setdefault(name, len(communes)) for name in _communes(records, gazetteer)),
            dtype=np.int64,
            count=len(records),
        )
        parts = [
            (labels, self.profile_type_[self.profile_of_]),
            ([vocabulary.words_of(text) for text in descriptions], description_of),
            ([vocabulary.words_of(text) for text in communes], commune_of),
        ]
        self.terms_ = StringColumn(vocabulary.terms())
        n_terms = len(self.terms_)
        body = sum(vocabulary.counts(texts, n_terms)[index] for texts, index in parts)
        name = vocabulary.counts(names, n_terms)
        weights = bm25(name, NAME_BOOST) + bm25(body.tocsr(), 1.0)
        self.weights_ = weights.tocsc().astype(np.float32)
        self.weights_.sort_indices()  # postings in row order: looked up by bisection

    def _fit_phrases(self, tax: Taxonomy) -> None:
        """Partner types and frein synonyms as sequences of index terms."""
        type_pos = {code: i for i, code in enumerate(self.type_codes_)}
        # phrase → types with partners (a phrase of a type without any still names a type)
        self.type_phrases_: dict[tuple[str, ...], list[int]] = {}
        for phrase, code in _type_phrases(tax):
            key = tuple(self._query_terms(phrase))
            if key:
                types = self.type_phrases_.setdefault(key, [])
                if code in type_pos and type_pos[code] not in types:
                    types.append(type_pos[code])
        frein_pos = {code: i for i, code in enumerate(self.freins_)}
        self.synonym_phrases_: dict[tuple[str, ...], list[int]] = {}  # phrase → freins
        for phrase, codes in tax.synonyms().items():
            key = tuple(self._query_terms(phrase))
            if key:
                freins = self.synonym_phrases_.setdefault(key, [])
                freins += [
                    frein_pos[c] for c in codes if c in frein_pos and frein_pos[c] not in freins
                ]
        self.phrase_length_ = max(
            map(len, [*self.type_phrases_, *self.synonym_phrases_]), default=0
        )

    # ------------------------------------------------------------------ search

    def search(
        self,
        *,
        q: str | None = None,
        freins: Iterable[str] = (),
        types: Iterable[str] = (),
        publics: Iterable[str] = (),
        lat: float | None = None,
        lon: float | None = None,
        radius_km: float | None = None,
        include_archived: bool = False,
        open_day: date | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> SearchPage:
        """One page of partners matching everything given, with facet counts.

        Order: with a point, text relevance blended with distance when ``q``
        (``relevance / (1 + d / BLEND_KM)``), else distance; without one, relevance when
        ``q``, else name. A query that is just a partner type's name (« mairie »,
        « CAF », « mission locale ») lists that type's partners, all equally relevant.
        Facets count the whole filtered result set.

        With a point and no ``radius_km`` the search is local: within the first of
        ``RADIUS_STEPS_KM`` that holds a match; the answer's ``radius_km`` says which
        (``None``: the whole of France) and ``radius_widened`` whether it grew.
        """
        check_is_fitted(self, "weights_")
        point = (lat, lon) if lat is not None and lon is not None else None
        filters = (include_archived, freins, types, publics)
        steps = RADIUS_STEPS_KM if point is not None and radius_km is None else (radius_km,)
        for radius in steps:
            found = self._search(q, point, radius, filters, open_day, page, per_page)
            if found["total"]:
                break
        if point is not None:
            found["radius_km"] = radius
            found["radius_widened"] = radius != steps[0]
        return found

    def _search(
        self,
        q: str | None,
        point: tuple[float, float] | None,
        radius_km: float | None,
        filters: tuple[bool, Iterable[str], Iterable[str], Iterable[str]],
        open_day: date | None,
        page: int,
        per_page: int,
    ) -> SearchPage:
        """One page of :meth:`search` within one radius (``None``: no radius)."""
        rows, distance = self._candidates(point, radius_km, filters)
        if open_day is not None:  # only partners whose structured hours open that day
            opened = open_on(self.open_days_[rows], open_day, self.departements_[rows])
            rows = rows[opened]
            distance = None if distance is None else distance[opened]
        text = (q or "").strip()
        scores: np.ndarray | None = None  # relevance of each of rows, when ranked by it
        if text:
            terms = self._split_terms(text)
            wanted = self.type_phrases_.get(tuple(terms))
            if wanted:  # the query names a partner type: its partners, all equally relevant
                kept = np.isin(self.profile_type_, wanted)[self.profile_of_[rows]]
            else:
                kept, scores = self._text_match(terms, rows, local=radius_km is not None)
            rows = rows[kept]
            distance = None if distance is None else distance[kept]

        start, end = (page - 1) * per_page, page * per_page
        if scores is None:
            page_rows = self._first_rows(rows, point, distance, end)[start:]
            page_scores = [1.0] * page_rows.size if text else None
        else:
            page_rows, page_scores = self._most_relevant(rows, scores, point, distance, start, end)
        return {
            "total": int(rows.size),
            "results": self._results(page_rows, page_scores, point),
            "facets": self._facets(rows),
        }

    def _candidates(
        self,
        point: tuple[float, float] | None,
        radius_km: float | None,
        filters: tuple[bool, Iterable[str], Iterable[str], Iterable[str]],
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The rows passing the filters and within the radius, and their distances
        (``None`` without a radius)."""
        if radius_km is None:
            return self._filter(None, *filters), None
        if point is None:
            raise InvalidParameter(
                "radius_km",
                "« radius_km » demande un lieu : indiquez une commune ou lat/lon.",
            )
        if not radius_km > 0:
            raise InvalidParameter("radius_km", "« radius_km » doit être strictement positif.")
        lat, lon = point
        rows = self._filter(self.lat_order_[self._band(lat, radius_km)], *filters)
        return self._within(rows, lat, lon, radius_km)

    def _first_rows(
        self,
        rows: np.ndarray,
        point: tuple[float, float] | None,
        distance: np.ndarray | None,
        end: int,
    ) -> np.ndarray:
        """The first ``end`` of ``rows`` without relevance: by distance to the point, else
        by name."""
        if point is None:
            return rows[_first(self.name_rank_[rows], self.name_rank_[rows], end)]
        if distance is None:
            return self._nearest(rows, *point, end)
        return rows[_first(distance, self.name_rank_[rows], end)]

    def _most_relevant(
        self,
        rows: np.ndarray,
        scores: np.ndarray,
        point: tuple[float, float] | None,
        distance: np.ndarray | None,
        start: int,
        end: int,
    ) -> tuple[np.ndarray, list[float]]:
        """Rows ``start:end`` by relevance blended with distance when a point is given
        (see :meth:`search`; a partner without a point counts as far away), and their
        relative relevance."""
        scores = scores / scores.max() if scores.size else scores
        rank = self.name_rank_[rows]
        if point is not None:
            if distance is None:
                distance = self._distance_km(*point, rows)
            far = np.where(np.isnan(distance), np.inf, distance)
            blended = scores / (1.0 + far / BLEND_KM)
            order = _first(-blended, rank, end)[start:]
        else:
            order = _first(-scores, rank, end)[start:]
        return rows[order], scores[order].tolist()

    def _results(
        self,
        page_rows: np.ndarray,
        page_scores: list[float] | None,
        point: tuple[float, float] | None,
    ) -> list[SearchHit]:
        page_distances: list[float | None] = [None] * page_rows.size
        if point is not None:
            found = self._distance_km(*point, page_rows).tolist()
            page_distances = [None if np.isnan(d) else round(d, 1) for d in found]
        return [
            {
                "partner_id": partner_id.decode(),
                "distance_km": page_distances[pos],
                "score": None if page_scores is None else round(page_scores[pos], 3),
            }
            for pos, partner_id in enumerate(self.ids_[page_rows].tolist())
        ]

    def _facets(self, rows: np.ndarray) -> SearchFacets:
        """Partners of ``rows`` per type and per frein (zero counts left out)."""
        per_profile = np.bincount(self.profile_of_[rows], minlength=self.profile_type_.size)
        type_counts = np.bincount(
            self.profile_type_, weights=per_profile, minlength=len(self.type_codes_)
        )
        frein_counts = per_profile @ self.profile_freins_
        return {
            "type": {self.type_codes_[i]: int(c) for i, c in enumerate(type_counts.tolist()) if c},
            "frein": {
                code: int(c)
                for code, c in zip(self.freins_, frein_counts.tolist(), strict=True)
                if c
            },
        }

    def _filter(
        self,
        rows: np.ndarray | None,
        include_archived: bool,
        freins: Iterable[str],
        types: Iterable[str],
        publics: Iterable[str],
    ) -> np.ndarray:
        """The ``rows`` (``None``: all) passing the filters: any of the freins, types,
        publics given."""
        profiles = None
        for codes, known, table in (
            (freins, self.freins_, self.profile_freins_),
            (publics, self.public_codes_, self.profile_publics_),
            (types, self.type_codes_, None),
        ):
            codes = [c for c in codes if c]
            if codes:
                cols = [known.index(c) for c in codes if c in known]
                if table is None:
                    wanted = np.isin(self.profile_type_, cols)
                else:
                    wanted = table[:, cols].any(axis=1)
                profiles = wanted if profiles is None else profiles & wanted
        index = slice(None) if rows is None else rows
        size = self.active_.size if rows is None else rows.size
        keep = np.ones(size, dtype=bool) if include_archived else self.active_[index]
        if profiles is not None:
            keep = keep & profiles[self.profile_of_[index]]
        return np.flatnonzero(keep) if rows is None else rows[keep]

    def _band(self, lat: float, radius_km: float) -> slice:
        """Where in ``lat_order_`` are the partners within ``radius_km`` of latitude
        ``lat`` (and some beyond).

        A great-circle distance is at least the one along the meridian: only these can
        be within the radius (the margin absorbs rounding).
        """
        band = radius_km / EARTH_RADIUS_KM * (1 + 1e-9)
        lo = np.searchsorted(self.lat_sorted_, np.radians(lat) - band, side="left")
        hi = np.searchsorted(self.lat_sorted_, np.radians(lat) + band, side="right")
        return slice(lo, hi)

    def _within(
        self, rows: np.ndarray, lat: float, lon: float, radius_km: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``rows`` within ``radius_km`` of the point, and their distances."""
        angle, lat0, lon0 = radius_km / EARTH_RADIUS_KM, np.radians(lat), np.radians(lon)
        if angle < np.pi / 2 - abs(lat0):  # the circle holds no pole: a box of longitudes
            width = np.arcsin(np.sin(angle) / np.cos(lat0)) * (1 + 1e-9)
            offset = self.lon_rad_[rows] - lon0
            if abs(lon0) + width > np.pi:  # across the antimeridian
                offset = (offset + np.pi) % (2 * np.pi) - np.pi
            rows = rows[np.abs(offset) <= width]
        distance = self._distance_km(lat, lon, rows)
        near = distance <= radius_km  # NaN compares False
        return rows[near], distance[near]

    def _nearest(self, rows: np.ndarray, lat: float, lon: float, k: int) -> np.ndarray:
        """The ``k`` of ``rows`` nearest to the point, in order, ties by name.

        Only the rows in a band of latitudes are measured, the band widening until the
        k-th nearest lies well inside it: a row outside is farther than its half-width.
        """
        member = np.zeros(self.active_.size, dtype=bool)
        member[rows] = True
        width = 10.0  # km
        while k > 0 and width < np.pi * EARTH_RADIUS_KM:
            band = self.lat_order_[self._band(lat, width)]
            band = band[member[band]]
            if band.size >= k:
                distance = self._distance_km(lat, lon, band)
                distance[np.isnan(distance)] = np.inf
                first = _first(distance, self.name_rank_[band], k)
                if distance[first[-1]] < width * (1 - 1e-9):
                    return band[first]
            width *= 4
        distance = self._distance_km(lat, lon, rows)
        distance[np.isnan(distance)] = np.inf
        return rows[_first(distance, self.name_rank_[rows], k)]

    def _distance_km(self, lat: float, lon: float, rows: np.ndarray) -> np.ndarray:
        """Great-circle distances to ``rows``, from the columns computed in fit."""
        return haversine_radians(
            np.radians(lat),
            np.radians(lon),
            self.lat_rad_[rows],
            self.lon_rad_[rows],
            self.cos_lat_[rows],
        )

    # ------------------------------------------------------------------ text

    def _text_match(
        self, terms: list[str], rows: np.ndarray, *, local: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``rows`` matching the index ``terms`` of a text, and their relevance.

        All the terms must match (unknown terms with a typo); failing that, every
        term with a typo; failing that, any term. A partner type named in the text
        (« spip », « caf ») also brings that type's partners matching the other
        terms; a frein named by a synonym (« permis ») those whose main mission it is,
        and with less weight those addressing it otherwise. The first of these that
        matches a partner anywhere decides: when it matches none of ``rows``, the
        filters leave nothing — except in a radius (``local``), where the looser
        attempts are tried on the partners around before giving up.
        """
        named = self._named(terms)
        attempts = [(False, np.logical_and), (True, np.logical_and)] if terms and rows.size else []
        if len(terms) > 1:
            attempts.append((True, np.logical_or))
        everywhere = self.active_.size
        for fuzzy, combine in attempts:
            scores = self._scores(terms, named, fuzzy, combine, rows)
            matched = np.flatnonzero(scores)
            if matched.size:
                return matched, scores[matched]
            if (
                not local
                and rows.size < everywhere
                and self._scores(terms, named, fuzzy, combine, np.arange(everywhere)).any()
            ):
                break
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)

    def _named(self, terms: list[str]) -> list[tuple[np.ndarray, float, tuple[str, ...]]]:
        """(profiles, weight, phrase) for each partner type the terms name, or else each
        frein they name by a synonym."""
        phrases = dict.fromkeys(
            tuple(terms[i:j])
            for i in range(len(terms))
            for j in range(i + 1, min(len(terms), i + self.phrase_length_) + 1)
        )
        named = [
            (np.isin(self.profile_type_, self.type_phrases_[phrase]), TYPE_WEIGHT, phrase)
            for phrase in phrases
            if phrase in self.type_phrases_
        ]
        return named or [
            (kind, weight, phrase)
            for phrase in phrases
            for col in self.synonym_phrases_.get(phrase, ())
            for kind, weight in (
                (self.profile_core_[:, col], FREIN_WEIGHT),
                (self.profile_freins_[:, col] & ~self.profile_core_[:, col], FREIN_SIDE_WEIGHT),
            )
        ]

    def _scores(
        self,
        terms: list[str],
        named: list[tuple[np.ndarray, float, tuple[str, ...]]],
        fuzzy: bool,
        combine: np.ufunc,
        rows: np.ndarray,
    ) -> np.ndarray:
        """Relevance of each of ``rows`` for one attempt of :meth:`_text_match` (0: no match)."""
        slots = {t: self._term_weights(t, fuzzy, rows) for t in set(terms)}
        parts = [slots[t] for t in terms]
        total = np.where(combine.reduce([p > 0 for p in parts]), np.sum(parts, axis=0), 0.0)
        if named:
            profiles = self.profile_of_[rows]
        for kind, weight, phrase in named:
            rest = [slots[t] for t in terms if t not in phrase]
            match = kind[profiles] & np.logical_and.reduce([p > 0 for p in rest])
            total += np.where(match, weight + np.sum(rest, axis=0), 0.0)
        return total

    def _term_weights(self, term: str, fuzzy: bool, rows: np.ndarray) -> np.ndarray:
        """BM25 weight of ``term`` in each of ``rows`` (name and body); with typos when
        ``fuzzy`` or when the index does not know the term, a typo weighing half."""
        column = self._column(term)
        variants = [] if column is None else [(column, 1.0)]
        if self.fuzzy and (fuzzy or column is None) and len(term) >= 4:
            variants += [(c, TYPO_WEIGHT) for c in self._near_columns(term) if c != column]
        weights = self.weights_
        if rows.size * 16 < weights.shape[0]:  # a few partners (a place): look each up
            out = np.zeros(rows.size, dtype=np.float32)
            for col, factor in variants:
                posting, values = column_posting(weights, col)
                at = np.minimum(np.searchsorted(posting, rows), posting.size - 1)
                found = posting[at] == rows
                np.maximum(out, np.where(found, values[at] * factor, 0.0), out=out)
            return out
        full = np.zeros(weights.shape[0], dtype=np.float32)
        for col, factor in variants:
            posting, values = column_posting(weights, col)
            full[posting] = np.maximum(full[posting], values * factor)
        return full[rows]

    def _column(self, term: str) -> int | None:
        """The term's column in the index, ``None`` when no partner has it."""
        i = bisect_left(self.terms_, term_key(term), key=term_key)
        return i if i < len(self.terms_) and self.terms_[i] == term else None

    def _near_columns(self, term: str) -> list[int]:
        """Columns of the terms within one typo of ``term`` (two from nine letters),
        the first letter kept (as whoosh's ``FuzzyTerm(prefixlength=1)``)."""
        maxdist = 2 if len(term) >= 9 else 1
        lo = bisect_left(self.terms_, (term[0], len(term) - maxdist, ""), key=term_key)
        hi = bisect_left(self.terms_, (term[0], len(term) + maxdist + 1, ""), key=term_key)
        found = process.extract(
            term, self.terms_[lo:hi], scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
        )
        return [lo + i for _, _, i in found]

    def _known(self, term: str) -> int:
        """How many partners have ``term``."""
        column = self._column(term)
        return 0 if column is None else column_posting(self.weights_, column)[0].size

    @staticmethod
    def _query_terms(text: str) -> list[str]:
        return [t.text for t in analyzer()(fold(text))]

    def _split_terms(self, text: str) -> list[str]:
        """The index terms of ``text``; a word the index does not know that is two known
        words glued together (« autoecole ») counts as those two."""
        terms: list[str] = []
        for word in fold(text).split():
            stems = self._query_terms(word)
            if not stems:
                continue
            if len(word) >= 6 and not self._known(stems[0]):
                best: tuple[int, list[str]] | None = None
                for cut in range(3, len(word) - 2):
                    parts = self._query_terms(word[:cut]) + self._query_terms(word[cut:])
                    if len(parts) == 2:
                        weight = min(self._known(part) for part in parts)
                        if weight and (best is None or weight > best[0]):
                            best = (weight, parts)
                if best is not None:
                    terms.extend(best[1])
                    continue
            terms.extend(stems)
        return terms


def _communes(records: list[PartnerRecord], gazetteer: GazetteerLike | None) -> Iterator[str]:
    """The name of each record's commune: its own, else the gazetteer's."""
    by_code: dict[str, str] = {}
    for record in records:
        name = (record.extra or {}).get("commune_nom", "")
        if not name and gazetteer is not None and record.code_insee:
            name = by_code.get(record.code_insee)
            if name is None:
                commune = gazetteer.get(record.code_insee)
                name = by_code[record.code_insee] = getattr(commune, "nom", "") or ""
        yield name


def _type_phrases(tax: Taxonomy) -> list[tuple[str, str]]:
    """(folded phrase, type code): keywords, label and acronym of each partner type."""
    pairs: list[tuple[str, str]] = []
    for ptype in tax.partner_types.values():
        label = ptype.label
        phrases = [*ptype.keywords, label.split("(")[0]]
        if "(" in label:
            phrases.append(label.split("(", 1)[1].rstrip(")"))
        for phrase in phrases:
            folded = fold(phrase)
            if len(folded) >= 3:
                pairs.append((folded, ptype.code))
    return pairs
