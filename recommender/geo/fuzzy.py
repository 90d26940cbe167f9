"""Names that are close to a key: typo candidates by length and letter, names starting
with the key, similarity within a small pool of communes (a postal code, a département)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from recommender.text import fold

from ..bulk import gc_paused
from .communes import Commune, Referential
from .keys import expand

# First words too common to designate a commune by themselves.
_COMMON_FIRST_WORDS = frozenset(
    {"saint", "sainte", "saints", "saintes", "notre", "villeneuve", "chateau", "mont", "bourg"}
)


@dataclass(slots=True)
class FuzzyIndex:
    keys_by_length: list[str]
    length_start: list[int]
    keys_of: dict[str, list[str]]  # code → its name keys
    first_words: dict[str, list[str]]  # the first words of a name → codes
    # (position 0 or 1, letter, length) → keys: one edit away from a query, a key shares
    # its first letter, or its second letter, or has them swapped or shifted by one.
    by_letter: dict[tuple[int, str, int], list[str]]


def max_edits(n: int) -> int:
    """The typos tolerated in a key of ``n`` letters."""
    return 0 if n < 2 else 1 if n < 9 else 2 if n < 16 else 3


class NameIndex:
    """The typo and first-words indexes over a referential's names, built on first use."""

    def __init__(self, ref: Referential):
        self.ref = ref
        self._lock = threading.RLock()
        self._index: FuzzyIndex | None = None

    def index(self) -> FuzzyIndex:
        """Keys by length (for typos), keys of each code, first words of names (built once)."""
        if self._index is None:
            with self._lock, gc_paused():
                if self._index is None:
                    self._index = self._build()
        return self._index

    def _build(self) -> FuzzyIndex:
        ref = self.ref
        keys_of: dict[str, list[str]] = {}
        for key, slot in ref.by_key.items():
            for code, _priority in slot:
                keys_of.setdefault(code, []).append(key)
        by_length = sorted(sorted(ref.by_key), key=len)
        lengths = [len(k) for k in by_length]
        starts = [bisect.bisect_left(lengths, n) for n in range(lengths[-1] + 2)]
        by_letter: dict[tuple[int, str, int], list[str]] = {}
        for k in by_length:
            for position, letter in enumerate(k[:2]):
                by_letter.setdefault((position, letter, len(k)), []).append(k)
        return FuzzyIndex(by_length, starts, keys_of, self._first_words(), by_letter)

    def _first_words(self) -> dict[str, list[str]]:
        first_words: dict[str, list[str]] = {}
        for code, tokens in self.ref.tokens.items():
            for k in range(1, len(tokens)):
                first_words.setdefault("".join(tokens[:k]), []).append(code)
        for nom, successor in self.ref.aliases:
            tokens = expand(fold(nom).split())
            for k in range(1, len(tokens)):
                codes = first_words.setdefault("".join(tokens[:k]), [])
                if successor not in codes:
                    codes.append(successor)
        return first_words

    # ------------------------------------------------------------------ candidates
    def band(self, n: int, edits: int) -> list[str]:
        """Keys whose length is within ``edits`` of ``n``."""
        index = self.index()
        starts = index.length_start
        lo = min(max(0, n - edits), len(starts) - 1)
        hi = min(len(starts) - 1, n + edits + 1)
        return index.keys_by_length[starts[lo] : starts[hi]]

    def one_edit_candidates(self, key: str) -> list[str]:
        """Keys that can be one edit (OSA) from ``key``: a length within one, and the same
        first letter, or the same second letter, or one of them shifted or swapped."""
        by_letter = self.index().by_letter
        first, second = key[0], key[1] if len(key) > 1 else ""
        out: list[str] = []
        for n in (len(key) - 1, len(key), len(key) + 1):
            for slot in {(0, first), (0, second), (1, second), (1, first)}:
                out.extend(by_letter.get((*slot, n), ()))
        return out

    def scored(
        self, key: str, pool: Sequence[str], cutoff: float = 60.0
    ) -> list[tuple[Commune, float]]:
        """The pool's communes by similarity of their names to the key (best first)."""
        keys_of = self.index().keys_of
        codes = [code for code in pool for _k in keys_of.get(code, ())]
        keys = [k for code in pool for k in keys_of.get(code, ())]
        best: dict[str, float] = {}
        for _k, score, i in process.extract(
            key, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
        ):
            if score > best.get(codes[i], -1.0):
                best[codes[i]] = score
        communes, weight = self.ref.communes, self.ref.weight
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], -weight(communes[kv[0]])))
        return [(communes[code], score) for code, score in ranked]

    # ------------------------------------------------------------------ words in a pool
    def words_in_pool(
        self, words: Sequence[str], pool: Sequence[str], *, loose: bool
    ) -> Commune | None:
        """The one commune of a small pool that the words designate: its name followed by
        more words ("Berck sur Mer" → Berck, "Seyne-les-Alpes" → Seyne), or the words inside
        its name ("Saint-Auban" → Château-Arnoux-Saint-Auban); with ``loose`` (the pool of a
        postal code), a name sharing a long first word ("Verdun-sur-le-Doubs" → Verdun-Ciel).
        ``None`` when no commune or several do."""
        if not words or not pool:
            return None
        for designated in (self._named_by_first_words, self._naming_words_inside):
            found = designated(words, pool)
            if found:
                return self.ref.communes[found.pop()] if len(found) == 1 else None
        return self._sharing_first_word(words, pool) if loose else None

    def _named_by_first_words(self, words: Sequence[str], pool: Sequence[str]) -> set[str]:
        """Codes whose name is the longest run of first words (four letters at least)."""
        keys_of = self.index().keys_of
        for n in range(len(words) - 1, 0, -1):
            key = "".join(words[:n])
            if len(key) < 4:
                break
            found = {code for code in pool if key in keys_of.get(code, ())}
            if found:
                return found
        return set()

    def _naming_words_inside(self, words: Sequence[str], pool: Sequence[str]) -> set[str]:
        """Codes whose name holds the words after its first word."""
        key = "".join(words)
        inside = set()
        for code in pool:
            tokens = self.ref.tokens[code]
            for i in range(1, len(tokens)):
                for j in range(i + 1, len(tokens) + 1):
                    if "".join(tokens[i:j]) == key:
                        inside.add(code)
        return inside

    def _sharing_first_word(self, words: Sequence[str], pool: Sequence[str]) -> Commune | None:
        first = words[0]
        if len(first) < 5 or first in _COMMON_FIRST_WORDS:
            return None
        shared = {code for code in pool if self.ref.tokens[code][0] == first}
        return self.ref.communes[shared.pop()] if len(shared) == 1 else None
