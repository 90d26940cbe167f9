"""The import's fast paths keep the slow paths' answers (issue 18: ≥ 5,000 rows/s)."""

from __future__ import annotations

import json

import pytest

from app.importers.formats import by_name
from app.importers.formats.base import Context
from app.importers.hours import from_text
from app.importers.reading import _holds_nul
from app.importers.resolve import Resolver
from app.importers.store import _json
from recommender.geo import default_gazetteer
from recommender.taxonomy import default_taxonomy


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"nom": "Mairie", "commune": "Lille"}, False),
        ({"nom": "Mai\x00rie", "commune": "Lille"}, True),
        ({"no\x00m": "Mairie"}, True),
        ({"nom": "Mairie", "age": 30, "tags": ["a", "b\x00"]}, True),  # not only text
        ({"nom": "Mairie", "adresse": {"rue": "1 rue\x00 X"}}, True),
        ({"nom": "Mairie", "adresse": {"rue": "1 rue X"}, "n": None}, False),
    ],
)
def test_a_nul_character_is_found_in_flat_and_nested_records(record, expected):
    assert _holds_nul(record) is expected


@pytest.mark.parametrize(
    "value",
    [
        {"format": "generic-csv", "line": 2, "record": {"nom": "Épicerie « Œuvre »"}},
        {"fields": {"lat": 48.8566, "lon": 2.3522, "publics": ["jeunes"]}},
        {1: "clé entière", "big": 2**70},  # orjson refuses both: the json module writes them
    ],
)
def test_stored_json_reads_back_as_the_standard_library_writes_it(value):
    text = _json(value)
    assert isinstance(text, str)
    assert json.loads(text) == json.loads(json.dumps(value, ensure_ascii=False))
    assert "\\u" not in text  # accents kept as text, as before


def test_records_with_the_same_hours_text_get_the_week_once_read_each_its_own(tmp_path):
    hours = "Du lundi au vendredi de 9h à 12h et de 14h à 17h"
    path = tmp_path / "lieux.csv"
    path.write_text(
        "id,nom,commune,code_insee,horaires\n"
        f'a,Mairie de Laon,Laon,02408,"{hours}"\n'
        f'b,CCAS de Laon,Laon,02408,"{hours}"\n',
        encoding="utf-8",
    )
    taxonomy, fmt = default_taxonomy(), by_name("generic-csv")
    ctx = Context(path=path, source="liste", file_date=None, publics={}, taxonomy=taxonomy)
    resolver = Resolver(default_gazetteer(), taxonomy, fmt, "liste", None)
    first, second = (resolver.resolve(fmt.parse(n, raw, ctx)) for n, raw in fmt.records(path, ctx))
    assert first["horaires_structures"] == second["horaires_structures"] == from_text(hours)
    first["horaires_structures"]["jours"]["lundi"].clear()  # one partner's week edited
    assert second["horaires_structures"] == from_text(hours)
