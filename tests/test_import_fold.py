"""One ``fold`` for the importers and the engine, faithful to its definition on every string
of the shared data."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from app.importers import normalize
from app.importers.formats.base import Context
from app.importers.pipeline import detect_format
from recommender import text

from .shared_data import partner_files


def test_the_importers_fold_is_the_engines():
    assert normalize.fold is text.fold


def _reference_fold(value: str) -> str:
    """The definition: ligatures spelled out, NFKD, combining marks dropped, lower case, one
    space between runs of letters and digits."""
    for ligature, spelled in (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae")):
        value = value.replace(ligature, spelled)
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


@pytest.mark.parametrize(
    "value", ["", "  Saint-Étienne-du-Rouvray / Œuvre ", "Straße ǅ ﬁ İ Σ", "L'Haÿ-les-Roses"]
)
def test_fold_follows_its_definition(value):
    assert text.fold(value) == _reference_fold(value)


def _strings(value: object, out: set[str]) -> None:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


@pytest.mark.slow
@pytest.mark.parametrize("path", partner_files(), ids=lambda p: p.name)
def test_fold_follows_its_definition_on_every_string_of_the_shared_data(path: Path):
    fmt = detect_format(path, path.name)
    ctx = Context(path=path, source=fmt.default_source, file_date=None, publics={})
    strings: set[str] = set()
    for _line, raw in fmt.records(path, ctx):
        _strings(raw, strings)
    assert strings
    assert [s for s in strings if text.fold(s) != _reference_fold(s)] == []
