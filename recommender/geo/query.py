"""Free text split into a name key and the qualifiers written around it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from recommender.text import fold

from .communes import Referential
from .keys import CEDEX_RE, expand, normalize_departement

# Municipal arrondissements: city → (code of the first one, how many).
_ARRONDISSEMENTS = {"paris": (75101, 20), "marseille": (13201, 16), "lyon": (69381, 9)}
_ARRONDISSEMENT_RE = re.compile(
    r"^(paris|marseille|lyon) (\d{1,2}) ?(?:e|er|re|eme|em|ieme)?"
    r"(?: (?:arrondissement|arr|arrt|ardt|arrdt))?$"
)


@dataclass(frozen=True, slots=True)
class Query:
    key: str  # name key, qualifiers removed
    postal: str | None = None
    departement: str | None = None
    code: str | None = None  # an INSEE code given next to a name
    arrondissement: str | None = None
    # The same text read with its last words as a département name ("Valence Drôme").
    variant: Query | None = None
    words: tuple[str, ...] = ()  # the name's words, abbreviations expanded


def parse_query(ref: Referential, text: str) -> Query:
    """Split free text into a name key and qualifiers (postal code, INSEE code,
    département code or name, arrondissement number)."""
    postal, code, rest = _split_code(ref, CEDEX_RE.sub(" ", fold(text)).split())
    m = _ARRONDISSEMENT_RE.match(" ".join(rest))
    if m:
        first, count = _ARRONDISSEMENTS[m.group(1)]
        number = int(m.group(2))
        if 1 <= number <= count:
            return Query(m.group(1), postal, None, code, str(first + number - 1))
    departement = _pop_departement_code(ref, rest)
    key = "".join(expand(rest))
    variant = None
    if departement is None and len(rest) > 1 and key not in ref.by_key:
        variant = _departement_name_last(ref, rest, postal, code)
    words = tuple(expand(rest))
    return Query(key, postal, departement, code, variant=variant, words=words)


def _split_code(ref: Referential, tokens: list[str]) -> tuple[str | None, str | None, list[str]]:
    """The first five-character code (a postal code, else an INSEE code) and the other words."""
    postal = code = None
    rest: list[str] = []
    for t in tokens:
        if postal is None and code is None and re.fullmatch(r"\d{5}|2[ab]\d{3}", t):
            upper = t.upper()
            if upper in ref.by_postal or upper not in ref.communes:
                postal = upper
            else:
                code = upper
        else:
            rest.append(t)
    return postal, code, rest


def _pop_departement_code(ref: Referential, rest: list[str]) -> str | None:
    """A département code first or last (removed from ``rest``)."""
    if len(rest) <= 1:
        return None
    for i in (len(rest) - 1, 0):
        candidate = normalize_departement(rest[i])
        if candidate and ref.is_departement(candidate) and not candidate.isalpha():
            rest.pop(i)
            return candidate
    return None


def _departement_name_last(
    ref: Referential, rest: list[str], postal: str | None, code: str | None
) -> Query | None:
    """A département name last: "Saint-Denis La Réunion", "Valence Drôme"."""
    for n in range(min(4, len(rest) - 1), 0, -1):
        found = ref.departement_names.get(" ".join(rest[-n:]))
        if found:
            words = tuple(expand(rest[:-n]))
            return Query("".join(words), postal, found, code, words=words)
    return None
