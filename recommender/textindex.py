"""The directory search's text index: French analysis of folded text and BM25 weights.

Fit-time helpers of :class:`recommender.search.PartnerSearch`: each distinct word is
folded and stemmed once (:class:`Vocabulary`), each field becomes a sparse documents ×
terms matrix of BM25 weights (:func:`bm25`), read back one posting at a time.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import sparse
from whoosh.analysis import RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stopwords_for_language

from .text import fold

_KEEP_WORDS = {"ai"}  # "AI" is an association intermédiaire, not the verb
K1, B = 1.2, 0.75  # BM25


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


@functools.cache
def analyzer():
    """The process's analyzer: its stem cache serves every build and query (the
    snowball stemmer takes about 0.1 ms a word)."""
    return french_analyzer()


def stems(words: list[str]) -> list[str | None]:
    """The stem of each distinct folded word, ``None`` for a stop word.

    One analyzer call for all of them; a number is its own stem (the stemmer only
    strips letters, and national data holds hundreds of thousands of numbers).
    """
    out: list[str | None] = [None] * len(words)
    at: dict[int, int] = {}
    offset, text = 0, []
    for i, word in enumerate(words):
        if word.isdigit():
            out[i] = word if len(word) >= 2 else None  # the analyzer drops 1-letter words
        else:
            at[offset] = i
            text.append(word)
            offset += len(word) + 1
    for token in analyzer()(" ".join(text), chars=True):
        out[at[token.startchar]] = token.text
    return out


def term_key(term: str) -> tuple[str, int, str]:
    """Vocabulary order: by first letter, then length, so that the terms within a
    typo of a word (same first letter, length ± 1 or 2) are one slice."""
    return term[0], len(term), term


class Vocabulary:
    """Fit-time helper: words of texts, each distinct word folded and stemmed once."""

    def __init__(self):
        self.folded: dict[str, list[str]] = {}  # raw token → folded words
        self.words: dict[str, int] = {}  # folded word → position

    def words_of(self, text: str) -> list[str]:
        # folding is per character, so folding each whitespace-separated token is folding
        # the text; names, descriptions and communes share most of their tokens
        out: list[str] = []
        for token in text.split():
            words = self.folded.get(token)
            if words is None:
                words = self.folded[token] = fold(token).split()
                for word in words:
                    self.words.setdefault(word, len(self.words))
            out += words
        return out

    def terms(self) -> list[str]:
        """Sort the stems into the vocabulary; ``counts`` then maps words to it."""
        found = stems(list(self.words))
        terms = sorted({s for s in found if s is not None}, key=term_key)
        column = {term: i for i, term in enumerate(terms)}
        self.column = np.array([-1 if s is None else column[s] for s in found], dtype=np.int32)
        return terms

    def counts(self, texts: list[list[str]], n_terms: int) -> sparse.csr_matrix:
        """Term counts, one row per text (given as its words)."""
        position = self.words
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        words = np.fromiter((position[w] for ws in texts for w in ws), np.int64, lengths.sum())
        rows = np.repeat(np.arange(len(texts)), lengths)
        cols = self.column[words]
        kept = cols >= 0
        data = np.ones(int(kept.sum()), dtype=np.float32)
        return sparse.csr_matrix(
            (data, (rows[kept], cols[kept])), shape=(len(texts), n_terms), dtype=np.float32
        )


def bm25(counts: sparse.csr_matrix, boost: float) -> sparse.csr_matrix:
    """BM25 weight of each (document, term) of one field, as whoosh's BM25F scores a
    field: the boost multiplies the term frequency, the length is the number of terms."""
    n = counts.shape[0]
    lengths = np.asarray(counts.sum(axis=1), dtype=float).ravel()
    average = lengths.sum() / max(n, 1) or 1.0
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log(max(n, 1) / (doc_freq + 1.0)) + 1.0
    tf = counts.data * boost
    norm = np.repeat(K1 * (1 - B + B * lengths / average), np.diff(counts.indptr))
    data = idf[counts.indices] * tf * (K1 + 1) / (tf + norm)
    return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def column_posting(weights: sparse.csc_matrix, column: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (ascending) and weights of one column."""
    start, end = weights.indptr[column], weights.indptr[column + 1]
    return weights.indices[start:end], weights.data[start:end]
