"""Multi-frein plan: the fewest proposed partners covering the freins."""

from __future__ import annotations

import itertools
import random
from datetime import date

from recommender.engine import Recommender
from recommender.plan import _smallest_set, minimal_cover
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record


def test_one_partner_covering_two_freins_beats_two():
    plan = minimal_cover(
        {
            "numerique": [("epn", 0.9, True), ("fs", 0.8, True)],
            "acces-aux-droits": [("caf", 0.85, True), ("fs", 0.8, True)],
            "justice": [("spip", 0.7, True)],
        }
    )
    assert plan == {
        "partners": ["fs", "spip"],
        "covers": {"fs": ["numerique", "acces-aux-droits"], "spip": ["justice"]},
        "uncovered": [],
    }


def test_a_far_generalist_does_not_replace_much_better_specialists():
    plan = minimal_cover(
        {
            "numerique": [("epn", 0.9, True), ("fs", 0.2, True)],
            "acces-aux-droits": [("caf", 0.9, True), ("fs", 0.2, True)],
        }
    )
    assert plan["partners"] == ["epn", "caf"]
    assert plan["covers"] == {"epn": ["numerique"], "caf": ["acces-aux-droits"]}


def test_uncovered_freins_in_request_order():
    plan = minimal_cover({"justice": [], "mobilite": [("ae", 0.5, True)], "logement": []})
    assert plan == {
        "partners": ["ae"],
        "covers": {"ae": ["mobilite"]},
        "uncovered": ["justice", "logement"],
    }


def test_empty():
    assert minimal_cover({}) == {"partners": [], "covers": {}, "uncovered": []}


def test_ties_go_to_the_first_proposed():
    plan = minimal_cover({"emploi": [("a", 0.5, True), ("b", 0.5, True)]})
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
        make_profile(
            ("numerique", "acces-aux-droits", "justice", "logement"),
            publics=("personnes-en-situation-juridique-specifique",),
        )
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


def test_exact_search_beats_the_greedy_trap():
    # greedy takes "big" (3 freins) and then needs two more; two partners suffice
    plan = minimal_cover(
        {
            "a": [("big", 0.9, True), ("left", 0.8, True)],
            "b": [("big", 0.9, True), ("left", 0.8, True)],
            "c": [("big", 0.9, True), ("right", 0.8, True)],
            "d": [("left", 0.8, True)],
            "e": [("right", 0.8, True)],
        }
    )
    assert sorted(plan["partners"]) == ["left", "right"]


def test_a_secondary_mission_does_not_cover_a_frein_with_a_core_partner_proposed():
    # France Services is proposed for logement in passing; the ADIL's mission is logement
    plan = minimal_cover(
        {
            "numerique": [("fs", 0.9, True)],
            "logement": [("fs", 0.8, False), ("adil", 0.5, True)],
        }
    )
    assert plan["covers"] == {"fs": ["numerique"], "adil": ["logement"]}


def test_a_secondary_mission_covers_when_nothing_better_is_proposed():
    plan = minimal_cover({"numerique": [("fs", 0.9, True)], "logement": [("fs", 0.8, False)]})
    assert plan == {
        "partners": ["fs"],
        "covers": {"fs": ["numerique", "logement"]},
        "uncovered": [],
    }


def _every_set(coverable, first_seen, wanted):
    """The plan's former search, over every set of partners: the reference."""
    candidates = sorted(coverable, key=lambda pid: first_seen[pid])
    need = set(wanted)
    for size in range(1, len(wanted) + 1):
        best, best_set = None, ()
        for combo in itertools.combinations(candidates, size):
            if not need <= {f for pid in combo for f in coverable[pid]}:
                continue
            total = sum(max(coverable[p].get(f, 0.0) for p in combo) for f in need)
            key = (total, -sum(first_seen[p][0] * 100 + first_seen[p][1] for p in combo))
            if best is None or key > best:
                best, best_set = key, combo
        if best is not None:
            return list(best_set)
    raise AssertionError("no cover")


def test_smallest_set_by_masks_is_the_search_over_every_set():
    rng = random.Random(7)
    freins = [f"f{k}" for k in range(6)]
    for _ in range(300):
        wanted = freins[: rng.randint(1, 6)]
        coverable, first_seen = {}, {}
        for rank in range(rng.randint(len(wanted), 14)):
            pid = f"p{rank}"
            covered = rng.sample(wanted, rng.randint(1, min(3, len(wanted))))
            coverable[pid] = {f: rng.choice([0.5, 0.7, 0.9]) for f in covered}
            first_seen[pid] = (rank // 3, rank % 3)
        for f in wanted:  # every frein coverable
            coverable.setdefault(f"q-{f}", {})[f] = 0.6
            first_seen.setdefault(f"q-{f}", (9, 0))
        assert _smallest_set(coverable, first_seen, wanted) == _every_set(
            coverable, first_seen, wanted
        )
