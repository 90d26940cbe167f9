"""Département and région names: one copy, the shipped referential's."""

from __future__ import annotations

from recommender.geo import default_gazetteer
from recommender.geo.names import (
    departement_label,
    departement_names,
    departement_phrase,
    region_name,
    region_names,
)

OVERSEAS_COLLECTIVITIES = {"975", "977", "978", "984", "986", "987", "988", "989"}


def test_names_are_the_gazetteers():
    gaz = default_gazetteer()
    assert departement_names() == dict(gaz.departements())
    assert all(region_name(code) == gaz.region_name(code) for code in region_names())


def test_every_departement_reads_with_its_article():
    for code, name in departement_names().items():
        phrase = departement_phrase(code)
        assert phrase == departement_phrase(code, default_gazetteer())
        if code in OVERSEAS_COLLECTIVITIES:
            assert phrase == f"le département {name} ({code})"
        else:
            assert phrase.endswith(name) and phrase[: -len(name)] in {
                "",
                "l'",
                "le ",
                "la ",
                "les ",
            }


def test_overseas_collectivities_are_labelled_by_name():
    assert departement_label("975") == "Saint-Pierre-et-Miquelon (975)"
    assert departement_label("2B") == "Haute-Corse (2B)"
    assert departement_label("99") == "99"
    assert region_name("975") == "Saint-Pierre-et-Miquelon"
    assert region_name("00") == "région 00"
