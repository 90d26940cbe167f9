"""Suggestions for a search box: names or postal codes as they are being typed."""

from __future__ import annotations

import bisect
import functools
import heapq
import re
import threading

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..bulk import gc_paused
from .communes import Commune, Referential
from .keys import query_words
from .resolve import MAX_QUERY_LENGTH

# Sorted keys, the code of each key, and the rank of each (lower first).
_Entries = tuple[list[str], list[str], np.ndarray]


class Autocomplete:
    """:meth:`Gazetteer.autocomplete`; its index is built on first use."""

    def __init__(self, ref: Referential):
        self.ref = ref
        self._lock = threading.RLock()
        self._index: tuple[_Entries, ...] | None = None

    def _entries(self) -> tuple[_Entries, ...]:
        """For whole names, and names from their second word on: sorted keys, the code of
        each, and a rank (arrondissements after communes, then by population)."""
        if self._index is None:
            with self._lock, gc_paused():
                if self._index is None:
                    self._index = self._build()
        return self._index

    def _build(self) -> tuple[_Entries, ...]:
        rank_of = {code: self._rank_value(code) for code in self.ref.communes}
        full: list[str] = []
        words: list[str] = []
        for code, tokens in self.ref.tokens.items():
            full.append("".join(tokens) + "\0" + code)
            words.extend("".join(tokens[i:]) + "\0" + code for i in range(1, len(tokens)))
        index = []
        for entries in (full, words):
            entries.sort()
            pairs = [e.split("\0") for e in entries]
            codes = [code for _k, code in pairs]
            rank = np.array([rank_of[code] for code in codes])
            index.append(([k for k, _c in pairs], codes, rank))
        return tuple(index)

    def _rank_value(self, code: str) -> float:
        c = self.ref.communes[code]
        return -self.ref.weight(c) + (1e9 if c.kind == "arrondissement" else 0.0)

    def autocomplete(self, q: str, limit: int = 10) -> list[Commune]:
        """See :meth:`Gazetteer.autocomplete`."""
        if not isinstance(q, str) or limit <= 0:
            return []
        text = q.strip()[:MAX_QUERY_LENGTH]
        compact = text.replace(" ", "").upper()
        if not compact:
            return []
        communes = self.ref.communes
        if re.fullmatch(r"\d{1,5}|2[AB]\d{0,3}", compact):
            return [communes[c] for c in self.by_code(compact, min(limit, 100))]
        key = "".join(query_words(text))
        if not key:
            return []
        return [communes[c] for c in self.by_name(key, min(limit, 100))]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one gazetteer per process, kept
    def by_name(self, key: str, limit: int) -> tuple[str, ...]:
        """Codes for a name key: the exact name, names starting so, later words starting
        so, then names whose beginning is a typo away."""
        out: dict[str, None] = dict.fromkeys(code for code, _p in self.ref.by_key.get(key, ()))
        for keys, codes, rank in self._entries():
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
            for code in self._fuzzy(key, limit):
                out.setdefault(code, None)
        return tuple(list(out)[:limit])

    def _fuzzy(self, key: str, limit: int) -> list[str]:
        """Names whose beginning is within one edit (two for long input) of the input."""
        edits = 1 if len(key) < 8 else 2
        keys, codes, rank = self._entries()[0]
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
    def by_code(self, prefix: str, limit: int) -> tuple[str, ...]:
        """The INSEE code itself, the communes of a whole postal code (arrondissement
        first), then communes by postal code (or INSEE code) prefix."""
        ref = self.ref
        found: dict[str, None] = {}
        if prefix in ref.communes:
            found[prefix] = None
        for c in ref.postal_ranked(prefix):
            found.setdefault(c.code_insee, None)
        lo = bisect.bisect_left(ref.postal_sorted, prefix)
        hi = bisect.bisect_left(ref.postal_sorted, prefix + "\uffff")
        candidates: set[str] = set()
        for cp in ref.postal_sorted[lo:hi]:
            candidates.update(ref.by_postal[cp])
        if len(prefix) >= 3:
            candidates.update(code for code in ref.communes if code.startswith(prefix))
        for code in heapq.nsmallest(
            limit, candidates, key=lambda code: (self._rank_value(code), code)
        ):
            found.setdefault(code, None)
        return tuple(list(found)[:limit])
