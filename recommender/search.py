"""Directory search: French full text (whoosh) plus filters, distance and facets (numpy).

The text index folds accents and ligatures, drops French stop words and stems
(snowball), so ``auto ecoles`` finds « Auto-école sociale »; a query term of
four letters or more that the index does not know is matched with one typo
(two from nine letters). A query naming a frein by one of its synonyms
(``permis`` → mobilité) also finds the partners whose main mission is that
frein, and one naming a partner type by its keywords (``maison de justice``)
the partners of that type. Relevance (BM25F, the name weighing double) is
only computed for the page asked; totals and facets count every match.
Filters (freins, types, publics, archived), the radius, the ordering and the
facet counts work on numpy columns built in ``fit``.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import fields, query
from whoosh.analysis import RegexTokenizer, StemFilter, StopFilter
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.lang import stopwords_for_language

from .errors import InvalidParameter
from .geoindex import haversine_km
from .records import PartnerRecord
from .text import fold

_KEEP_WORDS = {"ai"}  # "AI" is an association intermédiaire, not the verb
# Up to this many matches every one is scored, and equally relevant ones (same tenth of the
# best score) come nearest first; beyond, only the asked page is scored.
FULL_SCORING_MAX = 5000
COMPLETE_MARKER = "COMPLET"


def french_analyzer():
    """Analyzer of *folded* text (see :func:`recommender.text.fold`): split, drop French
    stop words, stem (snowball). Folding first (lowercase, no accents, ligatures
    expanded) is done once per text, which keeps indexing fast.

    >>> [t.text for t in french_analyzer()(fold("Auto-écoles sociales de l'Oise"))]
    ['auto', 'ecol', 'social', 'ois']
    """
    stops = {fold(w) for w in stopwords_for_language("fr")} - _KEEP_WORDS
    return (
        RegexTokenizer(r"[a-z0-9]+")
        | StopFilter(stoplist=stops, minsize=2)
        | StemFilter(lang="fr", cachesize=-1)
    )


class PartnerSearch:
    """Search the directory: full text, filters, radius, pagination and facets.

    Parameters
    ----------
    taxonomy : optional
        ``None`` means ``default_taxonomy()`` at fit time (type labels, keywords,
        frein synonyms).
    index_dir : str or Path, optional
        Where to write the whoosh index; ``None`` keeps it in memory.
    fuzzy : bool
        Accept typos in query terms.
    gazetteer : optional
        Gives the name of each partner's commune, indexed too (so ``caf
        beauvais`` finds the CAF whose address is in Beauvais); ``None`` means
        ``default_gazetteer()`` at fit time, ``False`` indexes no commune name.

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
    """

    def __init__(
        self,
        *,
        taxonomy: Any = None,
        index_dir: str | Path | None = None,
        fuzzy: bool = True,
        gazetteer: Any = None,
    ):
        self.taxonomy = taxonomy
        self.index_dir = index_dir
        self.fuzzy = fuzzy
        self.gazetteer = gazetteer

    # ------------------------------------------------------------------ fit

    def fit(self, records: Iterable[PartnerRecord]) -> PartnerSearch:
        """Index ``records`` (text in whoosh, everything else in numpy columns)."""
        if self.taxonomy is None:
            from .taxonomy import default_taxonomy

            self.taxonomy_ = default_taxonomy()
        else:
            self.taxonomy_ = self.taxonomy
        tax = self.taxonomy_
        if self.gazetteer is None:
            from .geo import default_gazetteer

            self.gazetteer_ = default_gazetteer()
        else:
            self.gazetteer_ = self.gazetteer or None
        self.records_ = list(records)
        n = len(self.records_)
        self.freins_ = tuple(tax.freins)
        frein_pos = {code: i for i, code in enumerate(self.freins_)}
        self.public_codes_ = tuple(tax.publics)
        public_pos = {code: i for i, code in enumerate(self.public_codes_)}
        type_codes = sorted({r.type_code for r in self.records_})
        type_pos = {code: i for i, code in enumerate(type_codes)}
        self.type_codes_ = tuple(type_codes)

        self.lat_ = np.array([np.nan if r.lat is None else r.lat for r in self.records_], float)
        self.lon_ = np.array([np.nan if r.lon is None else r.lon for r in self.records_], float)
        self.active_ = np.array([r.active for r in self.records_], dtype=bool)
        self.type_idx_ = np.array([type_pos[r.type_code] for r in self.records_], dtype=np.int32)
        self.frein_matrix_ = np.zeros((n, len(self.freins_)), dtype=bool)
        self.public_matrix_ = np.zeros((n, len(self.public_codes_)), dtype=bool)
        for i, r in enumerate(self.records_):
            for code in r.all_freins:
                if code in frein_pos:
                    self.frein_matrix_[i, frein_pos[code]] = True
            for code in r.publics:
                if code in public_pos:
                    self.public_matrix_[i, public_pos[code]] = True
        names = [fold(r.nom) for r in self.records_]
        self.name_order_ = np.argsort(np.array(names, dtype=object), kind="stable")
        self.name_rank_ = np.empty(n, dtype=np.int64)
        self.name_rank_[self.name_order_] = np.arange(n)
        self.ids_ = {r.id: i for i, r in enumerate(self.records_)}

        self.synonyms_ = sorted(tax.synonyms().items(), key=lambda kv: -len(kv[0]))
        self._build_index()
        return self

    def _schema(self) -> fields.Schema:
        analyzer = french_analyzer()
        return fields.Schema(
            nom=fields.TEXT(analyzer=analyzer, phrase=False, field_boost=2.0),
            body=fields.TEXT(analyzer=analyzer, phrase=False),
            freins_core=fields.KEYWORD(commas=True),
            type=fields.ID(),
        )

    def _build_index(self) -> None:
        if self.index_dir is None:
            self.index_ = RamStorage().create_index(self._schema())
            self._write_documents()
        else:
            self.index_ = self._shared_index(Path(self.index_dir))
        with self.index_.searcher() as searcher:
            # one writer, one segment: document numbers are the insertion order
            assert searcher.doc_count_all() == len(self.records_)
        self._build_phrase_terms()

    def _shared_index(self, path: Path):
        """Open the index at ``path`` if a process already built it, else build it once.

        Each build writes into a private folder renamed into place when complete,
        so every worker of a version shares one index and none sees a half-written one.
        The records must come in the same order (the app sorts them by id).
        """
        if (path / COMPLETE_MARKER).exists():
            index = FileStorage(str(path)).open_index()
            with index.searcher() as searcher:
                if searcher.doc_count_all() == len(self.records_):
                    return index
            path = path.with_name(f"{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
        building = path.with_name(f".{path.name}-{os.getpid()}-{secrets.token_hex(4)}")
        building.mkdir(parents=True)
        self.index_ = FileStorage(str(building)).create_index(self._schema())
        self._write_documents()
        (building / COMPLETE_MARKER).write_text(str(len(self.records_)))
        try:
            building.rename(path)
        except OSError:
            if not (path / COMPLETE_MARKER).exists():  # a leftover folder: keep ours private
                return FileStorage(str(building)).open_index()
            shutil.rmtree(building, ignore_errors=True)  # another process finished first
        return FileStorage(str(path)).open_index()

    def _write_documents(self) -> None:
        tax = self.taxonomy_
        labels: dict[str, str] = {}
        writer = self.index_.writer(limitmb=512)
        for r in self.records_:
            ptype = tax.partner_types.get(r.type_code)
            if r.type_code not in labels:
                labels[r.type_code] = fold(ptype.label) if ptype is not None else fold(r.type_code)
            side = ptype.freins_side if ptype is not None else ()
            body = " ".join(
                filter(None, [labels[r.type_code], r.description, self._commune_name(r)])
            )
            writer.add_document(
                nom=fold(r.nom),
                body=fold(body),
                freins_core=",".join(f for f in r.freins if f not in side),
                type=r.type_code,
            )
        writer.commit()

    def _build_phrase_terms(self) -> None:
        # partner types and frein synonyms as sequences of index terms
        self.type_terms_: list[tuple[tuple[str, ...], str]] = []
        self.type_names_: dict[tuple[str, ...], set[str]] = {}
        for phrase, code in self._type_phrases():
            key = tuple(self._query_terms(phrase))
            if key:
                self.type_terms_.append((key, code))
                self.type_names_.setdefault(key, set()).add(code)
        self.synonym_terms_: list[tuple[tuple[str, ...], list[str]]] = []
        for phrase, codes in self.synonyms_:
            key = tuple(self._query_terms(phrase))
            if key:
                self.synonym_terms_.append((key, codes))

    def _type_phrases(self) -> list[tuple[str, str]]:
        """(folded phrase, type code): keywords, label and acronym of each partner type."""
        pairs: list[tuple[str, str]] = []
        for ptype in self.taxonomy_.partner_types.values():
            label = ptype.label
            phrases = [*ptype.keywords, label.split("(")[0]]
            if "(" in label:
                phrases.append(label.split("(", 1)[1].rstrip(")"))
            for phrase in phrases:
                folded = fold(phrase)
                if len(folded) >= 3:
                    pairs.append((folded, ptype.code))
        return pairs

    def _commune_name(self, record: PartnerRecord) -> str:
        name = (record.extra or {}).get("commune_nom", "")
        if not name and self.gazetteer_ is not None and record.code_insee:
            commune = self.gazetteer_.get(record.code_insee)
            name = getattr(commune, "nom", "") or ""
        return name

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
        page: int = 1,
        per_page: int = 20,
    ) -> dict[str, Any]:
        """One page of partners matching everything given, with facet counts.

        Order: text relevance when ``q`` (then distance, when a point is given, among
        results of about the same relevance); else distance when a point is given;
        else name. A query that is just a partner type's name (« mairie », « CAF »,
        « mission locale ») lists that type's partners, all equally relevant, in
        distance or name order. Facets count the whole filtered result set.
        """
        n = len(self.records_)
        keep = np.ones(n, dtype=bool) if include_archived else self.active_.copy()
        freins = [f for f in freins if f]
        if freins:
            cols = [self.freins_.index(f) for f in freins if f in self.freins_]
            keep &= self.frein_matrix_[:, cols].any(axis=1) if cols else False
        types = [t for t in types if t]
        if types:
            wanted = [self.type_codes_.index(t) for t in types if t in self.type_codes_]
            keep &= np.isin(self.type_idx_, wanted)
        publics = [p for p in publics if p]
        if publics:
            cols = [self.public_codes_.index(p) for p in publics if p in self.public_codes_]
            keep &= self.public_matrix_[:, cols].any(axis=1) if cols else False
        has_point = lat is not None and lon is not None
        distance = None
        if has_point:
            distance = haversine_km(lat, lon, self.lat_, self.lon_)
        if radius_km is not None:
            if not has_point:
                raise InvalidParameter(
                    "radius_km",
                    "« radius_km » demande un lieu : indiquez une commune ou lat/lon.",
                )
            if not radius_km > 0:
                raise InvalidParameter("radius_km", "« radius_km » doit être strictement positif.")
            keep &= distance <= radius_km  # NaN (no point) compares False

        text = (q or "").strip()
        start = (page - 1) * per_page
        page_scores: list[float] = []
        if text:
            with self.index_.searcher() as searcher:
                terms = self._split_terms(searcher, text)
                type_codes = self.type_names_.get(tuple(terms), ())
                wanted = [self.type_codes_.index(c) for c in type_codes if c in self.type_codes_]
                if wanted:
                    # the query names a partner type: its partners, all equally relevant
                    rows = self._order(
                        np.flatnonzero(keep & np.isin(self.type_idx_, wanted)), distance
                    )
                    page_rows = rows[start : start + per_page]
                    page_scores = [1.0] * page_rows.size
                else:
                    rows, page_rows, page_scores = self._text_page(
                        searcher, terms, keep, distance, start, per_page
                    )
        else:
            rows = self._order(np.flatnonzero(keep), distance)
            page_rows = rows[start : start + per_page]

        total = int(rows.size)
        results = []
        for pos, row in enumerate(page_rows.tolist()):
            d = None if distance is None else float(distance[row])
            results.append(
                {
                    "partner_id": self.records_[row].id,
                    "distance_km": None if d is None or np.isnan(d) else round(d, 1),
                    "score": round(page_scores[pos], 3) if page_scores else None,
                }
            )
        type_counts = np.bincount(self.type_idx_[rows], minlength=len(self.type_codes_))
        frein_counts = self.frein_matrix_[rows].sum(axis=0)
        facets = {
            "type": {self.type_codes_[i]: int(c) for i, c in enumerate(type_counts.tolist()) if c},
            "frein": {
                code: int(c)
                for code, c in zip(self.freins_, frein_counts.tolist(), strict=True)
                if c
            },
        }
        return {"total": total, "results": results, "facets": facets}

    def _text_page(
        self,
        searcher: Any,
        terms: list[str],
        keep: np.ndarray,
        distance: np.ndarray | None,
        start: int,
        per_page: int,
    ) -> tuple[np.ndarray, np.ndarray, list[float]]:
        """All matching rows, the asked page's rows and their relevance in [0, 1]."""
        page_scores: list[float] = []
        found, docnums = self._text_query(searcher, terms)
        rows = docnums[keep[docnums]]  # document number == row
        page_rows = np.empty(0, dtype=np.int64)
        if rows.size and start < rows.size and found is not None:
            allowed = None if rows.size == docnums.size else set(rows.tolist())
            if rows.size <= FULL_SCORING_MAX:
                # score every match: equally relevant ones nearest (or by name) first
                hits = searcher.search(found, limit=None, filter=allowed)
                ids = np.fromiter((h.docnum for h in hits), np.int64, count=len(hits))
                values = np.fromiter((h.score for h in hits), float, count=len(hits))
                values = values / values.max()
                if distance is None:
                    order = np.lexsort((self.name_rank_[ids], -values))
                else:
                    d = np.where(np.isnan(distance[ids]), np.inf, distance[ids])
                    order = np.lexsort((self.name_rank_[ids], d, -np.round(values, 1)))
                rows, values = ids[order], values[order]
                page_rows = rows[start : start + per_page]
                page_scores = values[start : start + per_page].tolist()
            else:  # very broad query: relevance of the page only
                hits = searcher.search(found, limit=start + per_page, filter=allowed)
                top = hits.score(0) if len(hits) else 0.0
                ranked = [(hit.docnum, hit.score) for hit in hits][start:]
                page_rows = np.array([d for d, _ in ranked], dtype=np.int64)
                page_scores = [v / top if top else 0.0 for _, v in ranked]
        return rows, page_rows, page_scores

    def _order(self, rows: np.ndarray, distance: np.ndarray | None) -> np.ndarray:
        """``rows`` nearest first when there is a point, else by name."""
        if distance is not None:
            d = np.where(np.isnan(distance[rows]), np.inf, distance[rows])
            return rows[np.lexsort((self.name_rank_[rows], d))]
        return rows[np.argsort(self.name_rank_[rows], kind="stable")]

    def _query_terms(self, text: str) -> list[str]:
        return [t.text for t in self.index_.schema["nom"].analyzer(fold(text))]

    def _term_query(self, searcher: Any, term: str, *, fuzzy: bool = False) -> query.Query:
        """One query term in the name or the body; with typos when ``fuzzy`` or when the
        index does not know the term."""
        if not fuzzy:
            fuzzy = not any(searcher.doc_frequency(field, term) for field in ("nom", "body"))
        clauses: list[query.Query] = []
        for field in ("nom", "body"):
            clauses.append(query.Term(field, term))
            if self.fuzzy and fuzzy and len(term) >= 4:
                maxdist = 2 if len(term) >= 9 else 1
                clauses.append(
                    query.FuzzyTerm(field, term, boost=0.5, maxdist=maxdist, prefixlength=1)
                )
        return query.Or(clauses)

    def _known(self, searcher: Any, term: str) -> int:
        return sum(searcher.doc_frequency(field, term) for field in ("nom", "body"))

    def _split_terms(self, searcher: Any, text: str) -> list[str]:
        """The index terms of ``text``; a word the index does not know that is two known
        words glued together (« autoecole ») counts as those two."""
        terms: list[str] = []
        for word in fold(text).split():
            stems = self._query_terms(word)
            if not stems:
                continue
            if len(word) >= 6 and not self._known(searcher, stems[0]):
                best: tuple[int, list[str]] | None = None
                for cut in range(3, len(word) - 2):
                    parts = self._query_terms(word[:cut]) + self._query_terms(word[cut:])
                    if len(parts) == 2:
                        weight = min(self._known(searcher, part) for part in parts)
                        if weight and (best is None or weight > best[0]):
                            best = (weight, parts)
                if best is not None:
                    terms.extend(best[1])
                    continue
            terms.extend(stems)
        return terms

    @staticmethod
    def _contains(terms: list[str], phrase: tuple[str, ...]) -> bool:
        n = len(phrase)
        return any(tuple(terms[i : i + n]) == phrase for i in range(len(terms) - n + 1))

    def _text_query(self, searcher: Any, terms: list[str]) -> tuple[query.Query | None, np.ndarray]:
        """The query for the index ``terms`` of a text and the numbers of all the documents
        it matches.

        All the terms must match (unknown terms with a typo); failing that, every
        term with a typo; failing that, any term. A partner type named in the text
        (« spip », « caf ») also brings that type's partners matching the other
        terms; a frein named by a synonym (« permis ») those whose main mission it is.
        """
        named: list[tuple[str, str, tuple[str, ...]]] = [
            ("type", code, phrase)
            for phrase, code in self.type_terms_
            if self._contains(terms, phrase)
        ]
        if not named:
            named = [
                ("freins_core", code, phrase)
                for phrase, codes in self.synonym_terms_
                if self._contains(terms, phrase)
                for code in codes
            ]

        def expansions(fuzzy: bool) -> list[query.Query]:
            out: list[query.Query] = []
            for field, code, phrase in named:
                own = set(phrase)
                rest = [self._term_query(searcher, t, fuzzy=fuzzy) for t in terms if t not in own]
                boost = 0.5 if field == "type" else 0.3
                out.append(query.And([query.Term(field, code, boost=boost), *rest]))
            return out

        attempts = []
        if terms:
            attempts.append(([self._term_query(searcher, t) for t in terms], False, query.And))
            attempts.append(
                ([self._term_query(searcher, t, fuzzy=True) for t in terms], True, query.And)
            )
            if len(terms) > 1:
                attempts.append(
                    ([self._term_query(searcher, t, fuzzy=True) for t in terms], True, query.Or)
                )
        found: query.Query | None = None
        docnums = np.empty(0, dtype=np.int64)
        for parts, fuzzy, combine in attempts or [([], False, query.Or)]:
            clauses = ([combine(parts)] if parts else []) + expansions(fuzzy)
            if not clauses:
                break
            found = query.Or(clauses) if len(clauses) > 1 else clauses[0]
            docnums = np.fromiter(searcher.docs_for_query(found), dtype=np.int64)
            if docnums.size:
                break
        return found, np.sort(docnums)
