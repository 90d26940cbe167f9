"""Multi-frein plan: the fewest proposed partners covering the freins."""

from __future__ import annotations

from datetime import date

from recommender.engine import Recommender
from recommender.plan import greedy_cover
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record


def test_one_partner_covering_two_freins_beats_two():
    plan = greedy_cover(
        {
            "numerique": [("epn", 0.9), ("fs", 0.8)],
            "acces-aux-droits": [("caf", 0.85), ("fs", 0.8)],
            "justice": [("spip", 0.7)],
        }
    )
    assert plan == {
        "partners": ["fs", "spip"],
        "covers": {"fs": ["numerique", "acces-aux-droits"], "spip": ["justice"]},
        "uncovered": [],
    }


def test_a_far_generalist_does_not_replace_much_better_specialists():
    plan = greedy_cover(
        {"numerique": [("epn", 0.9), ("fs", 0.2)], "acces-aux-droits": [("caf", 0.9), ("fs", 0.2)]}
    )
    assert plan["partners"] == ["epn", "caf"]
    assert plan["covers"] == {"epn": ["numerique"], "caf": ["acces-aux-droits"]}


def test_uncovered_freins_in_request_order():
    plan = greedy_cover({"justice": [], "mobilite": [("ae", 0.5)], "logement": []})
    assert plan == {
        "partners": ["ae"],
        "covers": {"ae": ["mobilite"]},
        "uncovered": ["justice", "logement"],
    }


def test_empty():
    assert greedy_cover({}) == {"partners": [], "covers": {}, "uncovered": []}


def test_ties_go_to_the_first_proposed():
    plan = greedy_cover({"emploi": [("a", 0.5), ("b", 0.5)]})
    assert plan["partners"] == ["a"]


def test_recommend_plan_uses_france_services_for_two_freins():
    partners = [
        make_record(id="fs", type_code="france-service", freins=("numerique", "acces-aux-droits"),
                    lat=49.435, lon=2.09),
        make_record(id="epn", type_code="espace-numerique", freins=("numerique",),
                    lat=49.432, lon=2.095),
        make_record(id="spip", type_code="spip", freins=("justice",), zone_kind="departement",
                    zone_codes=("60",)),
    ]  # fmt: skip
    engine = Recommender(
        taxonomy=default_taxonomy(), gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1)
    ).fit(partners)
    answer = engine.recommend(
        make_profile(("numerique", "acces-aux-droits", "justice", "logement"))
    )
    assert [f["frein"] for f in answer["freins"]] == [
        "numerique",
        "acces-aux-droits",
        "justice",
        "logement",
    ]
    assert answer["plan"] == {
        "partners": ["fs", "spip"],
        "covers": {"fs": ["numerique", "acces-aux-droits"], "spip": ["justice"]},
        "uncovered": ["logement"],
    }
