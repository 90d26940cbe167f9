"""Département and région names as a sentence uses them ("compétent pour l'Oise").

The names come from the shipped referential (``departements.csv``, ``regions.csv``), the
one copy of them; only the article before each département's name is kept here, since
the referential does not carry it.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Protocol

from .communes import DEFAULT_DIRECTORY, read_departements, read_regions

# Article used before a département's name ("pour l'Oise", "pour le Nord"), by article.
_CODES_BY_ARTICLE = {
    "l'": "01 02 03 07 09 10 11 12 27 28 34 35 36 37 38 60 61 89 91",
    "le ": "14 15 18 25 29 30 32 39 41 45 46 47 49 56 59 62 63 67 68 69 81 82 83 84 90 94 95",
    "la ": "16 17 19 2A 2B 21 23 24 26 31 33 42 43 44 48 50 51 52 53 54 55 57 58 70 71 72 73 "
    "74 76 77 80 85 86 87 93 971 972 973",
    "les ": "04 05 06 08 13 22 40 64 65 66 78 79 88 92",
    "": "75 974 976",  # Paris, La Réunion, Mayotte
}
_ARTICLES = {
    code: article for article, codes in _CODES_BY_ARTICLE.items() for code in codes.split()
}


class DepartementNames(Protocol):
    """What :func:`departement_phrase` asks of a gazetteer."""

    def departement_name(self, code: str) -> str | None: ...


@functools.cache
def departement_names() -> dict[str, str]:
    """Code → name of the 101 départements and the 8 overseas collectivities."""
    return {code: nom for code, (nom, _region) in read_departements(DEFAULT_DIRECTORY).items()}


@functools.cache
def region_names() -> dict[str, str]:
    """Code → name of the régions (and of the overseas collectivities)."""
    return read_regions(DEFAULT_DIRECTORY)


def departement_phrase(code: str | None, gazetteer: DepartementNames | None = None) -> str:
    """The département with its article: ``l'Oise``, ``le Nord``, ``La Réunion``; the
    gazetteer's name when one is given.

    >>> departement_phrase("60"), departement_phrase("59"), departement_phrase("974")
    ("l'Oise", 'le Nord', 'La Réunion')
    """
    if not code:
        return "département inconnu"
    name = departement_names().get(code, "")
    if gazetteer is not None:
        with contextlib.suppress(KeyError, LookupError, AttributeError):
            name = gazetteer.departement_name(code) or name
    if not name:
        return f"le département {code}"
    if code not in _ARTICLES:
        return f"le département {name} ({code})"
    return f"{_ARTICLES[code]}{name}"


def region_name(code: str | None) -> str:
    """A région's name from its INSEE code.

    >>> region_name("32")
    'Hauts-de-France'
    """
    return region_names().get(code or "", f"région {code}")


def departement_label(code: str | None) -> str:
    """A département code with its name.

    >>> departement_label("60")
    'Oise (60)'
    """
    if not code:
        return ""
    name = departement_names().get(code)
    return f"{name} ({code})" if name else code
