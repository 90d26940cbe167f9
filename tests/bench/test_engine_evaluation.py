"""The evaluation harness: case file, metrics, and (slow) the real-data targets."""

from __future__ import annotations

import pytest

from bench.evaluation import harness
from recommender.taxonomy import default_taxonomy

TAX = default_taxonomy()


def test_cases_are_valid_and_cover_every_frein():
    cases = harness.load_cases()
    assert len(cases) >= 40
    assert len({c["id"] for c in cases}) == len(cases)
    asked = {f for c in cases for f in c["freins"]}
    assert asked == set(TAX.freins)
    for case in cases:
        assert set(case["expected"]) <= set(case["freins"]), case["id"]
        for expect in case["expected"].values():
            assert expect["types"] <= set(TAX.partner_types), (case["id"], expect["types"])
            assert all(TAX.partner_types[t].recommendable for t in expect["types"])
    departements = {e["departement"] for c in cases for e in c["expected"].values()}
    assert {"60", "80", "974", "973"} <= departements  # border and overseas SPIP cases
    assert any(c.get("vehicule") is False for c in cases)
    assert any(c.get("age", 99) <= 25 for c in cases)
    assert any("lat" in c for c in cases)


def test_metrics():
    assert harness.dcg([1, 0, 0]) == 1.0
    rows = [
        {"frein": "emploi", "hit@1": 1, "hit@3": 1, "ndcg@5": 1.0},
        {"frein": "emploi", "hit@1": 0, "hit@3": 1, "ndcg@5": 0.5},
        {"frein": "justice", "hit@1": 0, "hit@3": 0, "ndcg@5": 0.0},
    ]
    summary = harness.summarize(rows)
    assert summary["emploi"] == {"n": 2, "hit@1": 0.5, "hit@3": 1.0, "ndcg@5": 0.75}
    assert summary["tous"]["hit@3"] == pytest.approx(2 / 3)
    table = harness.format_table(summary, ["emploi", "justice"])
    assert table.splitlines()[-1].split() == ["tous", "3", "0.33", "0.67", "0.50"]


@pytest.mark.slow
def test_real_data_reaches_the_targets(real_app):
    from app import db
    from app.index.records import records_from_session
    from recommender.engine import Recommender

    with real_app.app_context(), db.session_scope() as session:
        records = records_from_session(session)
    recommender = Recommender().fit(records)
    summary = harness.summarize(harness.evaluate(recommender, records, harness.load_cases()))
    assert summary["tous"]["hit@3"] >= 0.9
    assert summary["justice"]["hit@3"] == 1.0  # the département rule of the SPIP
