"""Ranking: order, scores, reasons and warnings as a CIP reads them."""

from __future__ import annotations

from datetime import date

import pytest

from recommender.eligibility import format_km
from recommender.engine import Recommender
from recommender.ranking import RankingParams, competent_word, proximity
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record

FRESH, OLD = date(2025, 6, 1), date(2016, 3, 1)

PARTNERS = [
    make_record(id="ae", nom="Auto-école sociale", type_code="auto-ecole-sociale",
                freins=("mobilite",), lat=49.4303, lon=2.1530, updated_at=FRESH),
    make_record(id="ml", type_code="mission-locale",
                freins=("emploi", "formation", "savoir-etre", "mobilite"),
                lat=49.4400, lon=2.0952, updated_at=FRESH),
    make_record(id="pm", type_code="plateforme-mobilite", freins=("mobilite",),
                lat=49.52, lon=2.0952, updated_at=OLD, coords_exact=False),
    make_record(id="inf", type_code="autre", freins=(), freins_inferred=("mobilite",),
                lat=49.4303, lon=2.10, updated_at=FRESH),
]  # fmt: skip


@pytest.fixture(scope="module")
def engine():
    return Recommender(
        taxonomy=default_taxonomy(), gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1)
    ).fit(PARTNERS)


AUTO_ECOLE = {
    "partner_id": "ae",
    "distance_km": 4.2,
    "verdict": "compatible",
    "reasons": ["à 4,2 km", "mission principale : mobilité"],
    "warnings": [],
}
MISSION_LOCALE_YOUNG = {
    "partner_id": "ml",
    "distance_km": 0.4,
    "verdict": "a_verifier",
    "reasons": ["à 0,4 km", "mission secondaire : mobilité", "public accueilli : jeunes"],
    "warnings": ["mission secondaire pour ce frein : vérifier que la structure peut aider"],
}
# an old record placed at its commune's centre: a good fit all the same (its age and
# precision are the answer's ``fiabilite``, not the verdict's)
PLATEFORME = {
    "partner_id": "pm",
    "distance_km": 9.3,
    "verdict": "compatible",
    "reasons": ["à 9,3 km", "mission principale : mobilité"],
    "warnings": [],
}
INFERRED = {
    "partner_id": "inf",
    "distance_km": 0.7,
    "verdict": "a_verifier",
    "reasons": [
        "à 0,7 km",
        "mission probable (déduite de sa description) : mobilité",
        # its type is « autre »: rules.json, "structure-sans-type-apres-les-acteurs"
        "structure sans type reconnu : proposée après les acteurs dont c'est la mission",
    ],
    "warnings": ["mission déduite de la description de la structure : à confirmer"],
}


def results(engine, **kw):
    answer = engine.recommend(make_profile(("mobilite",), **kw))
    return answer["freins"][0]["results"]


MOBILITY_AFTER = (
    "aide à la mobilité en appoint : proposée après l'auto-école sociale, "
    "la plateforme mobilité ou le garage solidaire"
)


def test_without_vehicle_a_secondary_mission_stays_after_the_main_one(engine):
    # the mission locale next door (0.377 on its own) stays below the auto-école
    # sociale: rules.json, "mobilite-services-specialises-d-abord"
    got = results(engine, vehicule=False, age=20)
    assert [{k: v for k, v in r.items() if k != "score"} for r in got] == [
        AUTO_ECOLE,
        {**MISSION_LOCALE_YOUNG, "reasons": [*MISSION_LOCALE_YOUNG["reasons"], MOBILITY_AFTER]},
        INFERRED,
        PLATEFORME,
    ]
    assert [r["score"] for r in got] == [0.389, 0.377, 0.316, 0.155]


def test_with_vehicle_the_main_mission_wins(engine):
    got = results(engine, vehicule=True, age=20)
    assert [r["partner_id"] for r in got] == ["ae", "pm", "ml", "inf"]
    assert got[0] == {**AUTO_ECOLE, "score": 0.623}  # 1.0 × 0.7 (tout public) × 2^(-4.2/25)
    assert got[1] == {**PLATEFORME, "score": 0.436}
    assert got[2]["score"] == 0.395  # 0.4 (secondaire) × 1.0 (dédiée aux jeunes) × 2^(-0.4/25)


def test_unknown_age_warns_on_the_mission_locale(engine):
    got = {r["partner_id"]: r for r in results(engine)}
    assert got["ml"]["reasons"] == ["à 0,4 km", "mission secondaire : mobilité", MOBILITY_AFTER]
    assert got["ml"]["warnings"] == [
        "mission secondaire pour ce frein : vérifier que la structure peut aider",
        "âge à vérifier : réservé aux personnes de 16 à 25 ans",
    ]


def test_limit_and_scores_in_unit_interval(engine):
    got = results(engine, vehicule=None, age=22)
    assert len(got) == 4
    assert all(0.0 <= r["score"] <= 1.0 for r in got)
    assert [r["score"] for r in got] == sorted((r["score"] for r in got), reverse=True)
    answer = engine.recommend(make_profile(("mobilite",), age=22), limit=2)
    assert len(answer["freins"][0]["results"]) == 2


def test_stale_records_ranked_lower_never_hidden():
    twins = [
        make_record(id="new", type_code="garage-solidaire", freins=("mobilite",), updated_at=FRESH),
        make_record(id="old", type_code="garage-solidaire", freins=("mobilite",), updated_at=OLD),
    ]
    engine = Recommender(
        taxonomy=default_taxonomy(), gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1)
    ).fit(twins)
    got = results(engine)
    assert [r["partner_id"] for r in got] == ["new", "old"]
    assert got[1]["score"] == pytest.approx(got[0]["score"] * 0.85, abs=1e-3)


def test_designated_departemental_service_reason_and_floor():
    # the Somme's SPIP is the designated service of someone sous main de justice in Abbeville:
    # its score keeps the 0.8 floor however far its office is
    spip = make_record(
        id="spip", type_code="spip", freins=("justice",), lat=49.89, lon=2.30,
        departement="80", zone_kind="departement", zone_codes=("80",),
    )  # fmt: skip
    engine = Recommender(taxonomy=default_taxonomy(), gazetteer=FakeGazetteer()).fit([spip])
    under_justice = ("personnes-en-situation-juridique-specifique",)
    answer = engine.recommend(
        make_profile(("justice",), code="80001", vehicule=False, publics=under_justice)
    )
    (only,) = answer["freins"][0]["results"]
    assert only == {
        "partner_id": "spip",
        "score": 0.8,
        "distance_km": 41.2,
        "verdict": "a_verifier",
        "reasons": [
            "SPIP compétent pour la Somme",
            "à 41,2 km",
            "mission principale : justice",
            "public accueilli : personnes en situation juridique spécifique",
        ],
        "warnings": ["à 41,2 km sans véhicule : vérifier la desserte en transports en commun"],
    }


def test_far_without_vehicle_warns():
    partner = make_record(id="far", type_code="garage-solidaire", freins=("mobilite",))
    engine = Recommender(taxonomy=default_taxonomy(), gazetteer=FakeGazetteer()).fit([partner])
    got = results_at(engine, "60104", vehicule=False)
    assert got["warnings"] == [
        "à 26,9 km sans véhicule : vérifier la desserte en transports en commun"
    ]
    assert results_at(engine, "60104", vehicule=True)["warnings"] == []


def results_at(engine, code, **kw):
    return engine.recommend(make_profile(("mobilite",), code=code, **kw))["freins"][0]["results"][0]


@pytest.mark.parametrize(
    ("value", "text"),
    [(4.23, "4,2 km"), (0.0, "0,1 km"), (12.05, "12,1 km"), (99.94, "99,9 km"), (250.4, "250 km")],
)
def test_french_distance(value, text):
    assert format_km(value) == text


def test_proximity_halves_at_half_distance():
    p = RankingParams()
    floors = (p.competent_slowdown, p.competent_floor, p.designated_floor)
    assert [proximity(d, False, False, 5.0, *floors) for d in (0.0, 5.0, 10.0)] == [1.0, 0.5, 0.25]
    assert [proximity(d, True, False, 5.0, *floors) for d in (10.0, 100.0)] == [0.5, 0.25]
    assert [proximity(100.0, True, g, 5.0, *floors) for g in (False, True)] == [0.25, 0.8]


@pytest.mark.parametrize(
    ("label", "word"),
    [("SPIP", "compétent"), ("CAF", "compétente"), ("MDPH / MDA", "compétente"),
     ("Mission locale", "compétente"), ("CIDFF", "compétent")],
)  # fmt: skip
def test_competent_agreement(label, word):
    assert competent_word(label) == word
