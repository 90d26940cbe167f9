"""Prototype, for the measurements of ``RESULTS.md`` only: the text part of
``PartnerSearch`` as a sparse matrix (scipy) instead of whoosh.

``python -m bench.textindex_prototype --database-url URL [--queries N]``

Same analysis as ``recommender.search.french_analyzer`` (fold, stop words, French
snowball stems), but computed once per distinct word (names, descriptions and commune
names repeat a lot), postings as a CSC matrix (documents × terms, name terms weighted
twice), BM25 in numpy, typos through the vocabulary with rapidfuzz, and the place filter
applied before scoring. It is not a drop-in replacement (no synonyms, no type phrases):
it shows the order of magnitude of building and querying at 200k partners.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np


class SparseTextIndex:
    def __init__(self, analyzer: Any, fold: Any):
        self.analyzer = analyzer
        self.fold = fold
        self.stem_of: dict[str, str | None] = {}
        self.vocab: dict[str, int] = {}

    def _terms(self, text: str) -> list[int]:
        out = []
        for word in self.fold(text).split():
            stem = self.stem_of.get(word, "")
            if stem == "":
                tokens = [t.text for t in self.analyzer(word)]
                stem = self.stem_of[word] = tokens[0] if tokens else None
            if stem is not None:
                out.append(self.vocab.setdefault(stem, len(self.vocab)))
        return out

    def fit(self, names: list[str], bodies: list[str]) -> SparseTextIndex:
        from scipy import sparse

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        memo: dict[str, list[int]] = {}
        for i, (name, body) in enumerate(zip(names, bodies, strict=True)):
            for weight, text in ((2.0, name), (1.0, body)):
                terms = memo.get(text)
                if terms is None:
                    terms = memo[text] = self._terms(text)
                rows.extend([i] * len(terms))
                cols.extend(terms)
                vals.extend([weight] * len(terms))
        n = len(names)
        tf = sparse.csr_matrix(
            (np.asarray(vals, np.float32), (np.asarray(rows), np.asarray(cols))),
            shape=(n, len(self.vocab)),
        )
        tf.sum_duplicates()
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        df = np.diff(tf.tocsc().indptr)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        k1, b = 1.2, 0.75
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
        data = tf.data * (k1 + 1) / (tf.data + np.repeat(norm, np.diff(tf.indptr)))
        self.bm25 = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape).tocsc()
        self.terms = list(self.vocab)
        return self

    def expand(self, term: str) -> list[int]:
        """The term, or the vocabulary terms within 1–2 typos when it is unknown."""
        if term in self.vocab:
            return [self.vocab[term]]
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        maxdist = 2 if len(term) >= 8 else 1
        found = process.extract(
            term, self.terms, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
        )
        return [self.vocab[t] for t, _d, _i in found]

    def search(self, text: str, keep: np.ndarray, limit: int = 20) -> tuple[int, np.ndarray]:
        """Rows matching every word (a word: its term or its typo variants), best first."""
        n = keep.size
        total = np.zeros(n, dtype=np.float32)
        matched = keep.copy()
        indptr, indices, data = self.bm25.indptr, self.bm25.indices, self.bm25.data
        for word in self.fold(text).split():
            tokens = [t.text for t in self.analyzer(word)]
            if not tokens:
                continue
            ids = self.expand(tokens[0])
            if not ids:
                return 0, np.empty(0, dtype=np.int64)
            part = np.zeros(n, dtype=np.float32)
            for term in ids:
                rows = indices[indptr[term] : indptr[term + 1]]
                values = data[indptr[term] : indptr[term + 1]] * self.idf[term]
                part[rows] = np.maximum(part[rows], values)
            matched &= part > 0
            total += part
        hits = np.flatnonzero(matched)
        if hits.size == 0:
            return 0, hits
        values = total[hits]
        k = min(limit, hits.size)
        top = np.argpartition(-values, k - 1)[:k]
        return int(hits.size), hits[top[np.argsort(-values[top], kind="stable")]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from app import create_app
    from app.db import get_session
    from app.engine import records_from_session
    from recommender.geo import default_gazetteer
    from recommender.geoindex import haversine_km
    from recommender.profile import parse_location
    from recommender.search import french_analyzer
    from recommender.taxonomy import default_taxonomy
    from recommender.text import fold

    from .stats import percentile
    from .workload import Workload

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    gazetteer, taxonomy = default_gazetteer(), default_taxonomy()
    with app.app_context():
        records = records_from_session(get_session())
    labels = {c: t.label for c, t in taxonomy.partner_types.items()}
    started = time.perf_counter()
    names = [r.nom for r in records]
    bodies = [
        " ".join(
            filter(
                None,
                [
                    labels.get(r.type_code, r.type_code),
                    r.description,
                    getattr(gazetteer.get(r.code_insee or ""), "nom", ""),
                ],
            )
        )
        for r in records
    ]
    index = SparseTextIndex(french_analyzer(), fold).fit(names, bodies)
    build_s = time.perf_counter() - started
    lat = np.array([np.nan if r.lat is None else r.lat for r in records])
    lon = np.array([np.nan if r.lon is None else r.lon for r in records])
    active = np.array([r.active for r in records])
    wl = Workload(args.seed, gazetteer=gazetteer, taxonomy=taxonomy)
    searches = [(s, parse_location(s, gazetteer)) for s in wl.searches(args.queries)]
    times = []
    for params, loc in searches:
        t = time.perf_counter()
        keep = active & (haversine_km(loc.lat, loc.lon, lat, lon) <= float(params["radius_km"]))
        index.search(params["q"], keep)
        times.append((time.perf_counter() - t) * 1000)
    out = {
        "records": len(records),
        "vocabulary": len(index.vocab),
        "build_s": round(build_s, 2),
        "query_median_ms": round(percentile(times, 50), 2),
        "query_p95_ms": round(percentile(times, 95), 2),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
