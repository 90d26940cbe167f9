"""Text normalisation shared by the gazetteer, the importers and the search index."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase, strip accents and ligatures, keep letters and digits separated by one space.

    >>> fold("  Saint-Étienne-du-Rouvray / Œuvre ")
    'saint etienne du rouvray oeuvre'
    """
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()
