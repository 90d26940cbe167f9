"""How names and codes are written down before they are compared: folded names with
abbreviations expanded, INSEE/postal codes repaired from spreadsheet damage."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from recommender.text import fold

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_INNER_ABBREVIATIONS = {"s": "sur", "ss": "sous"}  # "Bar s/ Seine", "Bois ss Bois"
ARTICLES = frozenset({"l", "le", "la", "les"})
CEDEX_RE = re.compile(r"\bcedex\b(?: \d{1,3}\b)?")


def expand(tokens: Sequence[str]) -> list[str]:
    """Folded words with their abbreviations written out ("st" → "saint", an inner "s" →
    "sur")."""
    out = []
    last = len(tokens) - 1
    for i, t in enumerate(tokens):
        if t in _ABBREVIATIONS:
            t = _ABBREVIATIONS[t]
        elif 0 < i < last and t in _INNER_ABBREVIATIONS:
            t = _INNER_ABBREVIATIONS[t]
        out.append(t)
    return out


def name_key(text: str) -> str:
    """The matching key of a commune name: folded, abbreviations expanded, no separators.

    >>> name_key("St-Quentin"), name_key("Sainte  Maxime"), name_key("L'Haÿ-les-Roses")
    ('saintquentin', 'saintemaxime', 'lhaylesroses')
    >>> name_key("Bar s/ Seine")
    'barsurseine'
    """
    return "".join(expand(fold(text).split()))


def query_words(text: str) -> list[str]:
    """The words of typed text, CEDEX mentions dropped and abbreviations expanded."""
    return expand(CEDEX_RE.sub(" ", fold(text)).split())


def normalize_code(value: Any) -> str | None:
    """An INSEE or postal code as written in files: trimmed, Corsica upper-cased, the leading
    zero a spreadsheet dropped restored; ``None`` when it is not code-shaped."""
    if value is None:
        return None
    raw = str(value).strip().replace(" ", "").upper()
    if raw.endswith(".0"):
        raw = raw[:-2]
    if re.fullmatch(r"\d{4}", raw):
        raw = "0" + raw
    return raw if re.fullmatch(r"\d{5}|2[AB]\d{3}", raw) else None


def normalize_departement(value: Any) -> str | None:
    """A département code as written in files: trimmed, upper-cased, ``"1"`` → ``"01"``."""
    if value is None:
        return None
    raw = str(value).strip().upper()
    if re.fullmatch(r"\d", raw):
        raw = "0" + raw
    return raw or None


def departements_of_postal(cp: str) -> tuple[str, ...]:
    """The départements a postal code can belong to (both Corsicas for 20xxx)."""
    if cp.startswith(("97", "98")):
        return (cp[:3],)
    if cp.startswith("20"):
        return ("2A", "2B")
    return (cp[:2],)
