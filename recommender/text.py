"""Text normalisation shared by the gazetteer, the importers and the search index."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}


class _FoldTable(dict):
    """Per-character fold, filled on demand (``str.translate`` table): decomposition is per
    character and combining marks are dropped, so folding a string is one ``translate``."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        char = _LIGATURES.get(char, char)
        decomposed = unicodedata.normalize("NFKD", char)
        value = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lowercase, strip accents and ligatures, keep letters and digits separated by one space.

    >>> fold("  Saint-Étienne-du-Rouvray / Œuvre Straße ǅ ﬁ İ ")
    'saint etienne du rouvray oeuvre stra e dz fi i'
    """
    if not text:
        return ""
    if text.isascii():
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    return _NON_ALNUM.sub(" ", text.translate(_FOLD_TABLE)).strip()
