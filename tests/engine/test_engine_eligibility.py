"""Hard filters: who may be proposed to whom (zones, ages, publics, distance cap, status)."""

from __future__ import annotations

from datetime import date

import pytest

from recommender.engine import Recommender
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record

TODAY = date(2026, 1, 1)


def fit(*records, **kw):
    return Recommender(
        taxonomy=default_taxonomy(), gazetteer=FakeGazetteer(), reference_date=TODAY, **kw
    ).fit(records)


def ids(answer, i=0):
    return [r["partner_id"] for r in answer["freins"][i]["results"]]


# Breteuil (Oise, 60104) is 14 km from an antenna of the Somme's SPIP, 27 km from the Oise's.
SPIP_60 = dict(
    id="spip-60", type_code="spip", freins=("justice",), lat=49.43, lon=2.08,
    departement="60", zone_kind="departement", zone_codes=("60",),
)  # fmt: skip
SPIP_80 = dict(
    id="spip-80", type_code="spip", freins=("justice",), lat=49.74, lon=2.15,
    code_insee="80021", departement="80", zone_kind="departement", zone_codes=("80",),
)  # fmt: skip
ML = dict(
    id="ml", type_code="mission-locale", freins=("emploi", "formation"),
    lat=49.64, lon=2.30, zone_kind="rayon", zone_radius_km=30,
)  # fmt: skip
EPCI_PARTNER = dict(
    id="epci", type_code="centre-social", freins=("savoir-etre",), lat=49.26, lon=2.48,
    zone_kind="epci", zone_codes=("200067981",),
)  # fmt: skip
MAIRIE = dict(
    id="mairie", type_code="mairie", freins=("acces-aux-droits",), zone_kind="communes",
    zone_codes=("60057",),
)  # fmt: skip
AGEFIPH = dict(
    id="agefiph", type_code="agefiph", freins=("emploi",), lat=49.89, lon=2.29,
    region="32", zone_kind="region", zone_codes=("32",),
)  # fmt: skip
NATIONAL = dict(
    id="national", type_code="lieu-accueil-violences", freins=("violences-conjugales",),
    lat=48.85, lon=2.35, zone_kind="france",
)  # fmt: skip
AUTO_ECOLE = dict(
    id="ae", type_code="auto-ecole-sociale", freins=("mobilite",), lat=49.43, lon=2.08
)  # fmt: skip
CAP_EMPLOI = dict(
    id="cap", type_code="cap-emploi", freins=("emploi",), lat=49.43, lon=2.08,
    zone_kind="departement", zone_codes=("60",),
)  # fmt: skip
CAF_60 = dict(
    id="caf", type_code="caf", freins=("acces-aux-droits",), lat=49.43, lon=2.08,
    zone_kind="departement", zone_codes=("60",),
)  # fmt: skip
FS_BEAUVAIS = dict(
    id="fs", type_code="france-service", freins=("acces-aux-droits", "numerique"),
    lat=49.43, lon=2.08,
)  # fmt: skip

UNDER_JUSTICE = {"publics": ("personnes-en-situation-juridique-specifique",)}

TRESORERIE = dict(id="tres", type_code="tresorerie", freins=("difficultes-financieres",))

CASES = [
    # id, partners, profile (frein, commune, extra), proposed, blockers of `probe` (None: eligible)
    ("spip-own-departement", [SPIP_60, SPIP_80], ("justice", "60104", UNDER_JUSTICE), ["spip-60"],
     ("spip-80", ["compétent seulement pour la Somme : la personne réside dans l'Oise"])),
    ("spip-other-side", [SPIP_60, SPIP_80], ("justice", "80021", UNDER_JUSTICE), ["spip-80"],
     ("spip-60", ["compétent seulement pour l'Oise : la personne réside dans la Somme"])),
    ("mission-locale-too-old", [ML], ("emploi", "60104", {"age": 30}), [],
     ("ml", ["réservé aux personnes de 16 à 25 ans (la personne a 30 ans)"])),
    ("mission-locale-young", [ML], ("emploi", "60104", {"age": 19}), ["ml"], ("ml", None)),
    ("mission-locale-age-unknown", [ML], ("emploi", "60104", {}), ["ml"], ("ml", None)),
    ("mission-locale-too-young", [ML], ("emploi", "60104", {"age": 15}), [],
     ("ml", ["réservé aux personnes de 16 à 25 ans (la personne a 15 ans)"])),
    ("epci-member", [EPCI_PARTNER], ("savoir-etre", "60463", {}), ["epci"], ("epci", None)),
    ("epci-outsider", [EPCI_PARTNER], ("savoir-etre", "60057", {}), [],
     ("epci", ["compétent seulement pour son intercommunalité (2 communes) : "
               "la personne réside à Beauvais"])),
    ("commune-own", [MAIRIE], ("acces-aux-droits", "60057", {}), ["mairie"], ("mairie", None)),
    ("commune-other", [MAIRIE], ("acces-aux-droits", "60104", {}), [],
     ("mairie", ["compétent seulement pour Beauvais : la personne réside à Breteuil"])),
    ("region-inside", [AGEFIPH],
     ("emploi", "60057", {"publics": ("personnes-en-situation-de-handicap",)}),
     ["agefiph"], ("agefiph", None)),
    ("region-outside", [AGEFIPH],
     ("emploi", "75056", {"publics": ("personnes-en-situation-de-handicap",)}), [],
     ("agefiph", ["compétent seulement pour la région Hauts-de-France : "
                  "la personne réside dans la région Île-de-France"])),
    ("france-wide", [NATIONAL], ("violences-conjugales", "97411", {}), ["national"],
     ("national", None)),
    ("rayon-inside", [AUTO_ECOLE], ("mobilite", "60104", {}), ["ae"], ("ae", None)),
    ("rayon-outside", [AUTO_ECOLE], ("mobilite", "60175", {}), [],
     ("ae", ["hors de la zone d'intervention : à 35,0 km pour un rayon de 30,0 km"])),
    ("exclusive-public-missing", [CAP_EMPLOI], ("emploi", "60057", {}), [],
     ("cap", ["réservé aux publics : personnes en situation de handicap"])),
    ("exclusive-public-present", [CAP_EMPLOI],
     ("emploi", "60057", {"publics": ("personnes-en-situation-de-handicap",)}), ["cap"],
     ("cap", None)),
    ("archived", [{**FS_BEAUVAIS, "status": "archived"}], ("numerique", "60057", {}), [],
     ("fs", ["structure archivée : elle n'est plus active"])),
    ("max-km-rayon", [AUTO_ECOLE], ("mobilite", "60104", {"max_km": 10}), [],
     ("ae", ["à 27,5 km, au-delà de la distance maximale de 10,0 km"])),
    ("max-km-departemental-stays", [CAF_60], ("acces-aux-droits", "60104", {"max_km": 10}),
     ["caf"], ("caf", None)),
    ("not-recommendable", [TRESORERIE],
     ("difficultes-financieres", "60057", {}), [],
     ("tres", ["type de structure non proposé pour une orientation (Trésorerie)"])),
]  # fmt: skip


@pytest.mark.parametrize(
    ("partners", "situation", "proposed", "probe"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_eligibility_table(partners, situation, proposed, probe):
    frein, commune, extra = situation
    engine = fit(*(make_record(**p) for p in partners))
    profile = make_profile((frein,), code=commune, **extra)
    assert ids(engine.recommend(profile)) == proposed
    partner_id, expected_blockers = probe
    verdict = engine.fit_check(profile, partner_id)
    if expected_blockers is None:
        assert verdict["verdict"] in ("compatible", "a_verifier")
        assert verdict["blockers"] == []
    else:
        assert verdict["verdict"] == "incompatible"
        assert verdict["blockers"] == expected_blockers
        assert verdict["score"] == 0.0


def test_age_unknown_warns_for_age_restricted_partner():
    engine = fit(make_record(**ML))
    result = engine.recommend(make_profile(("emploi",), code="60104"))["freins"][0]["results"][0]
    assert result["verdict"] == "a_verifier"
    assert result["warnings"] == ["âge à vérifier : réservé aux personnes de 16 à 25 ans"]


def test_departemental_service_beyond_max_km_warns():
    engine = fit(make_record(**CAF_60))
    result = engine.recommend(make_profile(("acces-aux-droits",), code="60104", max_km=10))
    (only,) = result["freins"][0]["results"]
    assert only["warnings"] == [
        "à 27,5 km, au-delà de la distance maximale de 10,0 km, "
        "mais c'est le service compétent pour le secteur"
    ]
    assert only["verdict"] == "a_verifier"


def test_max_km_default_applies_when_profile_gives_none():
    engine = fit(make_record(**FS_BEAUVAIS), max_km_default=10)
    assert ids(engine.recommend(make_profile(("numerique",), code="60104"))) == []
    assert ids(engine.recommend(make_profile(("numerique",), code="60057"))) == ["fs"]


def test_frein_not_addressed_is_a_blocker():
    engine = fit(make_record(**FS_BEAUVAIS))
    verdict = engine.fit_check(make_profile(("justice", "logement"), code="60057"), "fs")
    assert verdict["verdict"] == "incompatible"
    assert verdict["blockers"] == ["ne traite pas le frein demandé (justice, logement)"]


def test_justice_frein_alone_is_access_to_law_not_the_spip():
    engine = fit(make_record(**SPIP_60))
    answer = engine.recommend(make_profile(("justice",), code="60057"))
    assert ids(answer) == []
    (left_out,) = answer["freins"][0]["ecartes"]
    assert left_out["partner_id"] == "spip-60"
    assert left_out["raison"].startswith("écarté : SPIP : réservé aux personnes sous main de")
    under = engine.recommend(make_profile(("justice",), code="60057", **UNDER_JUSTICE))
    assert ids(under) == ["spip-60"]
    verdict = engine.fit_check(make_profile(("emploi",), code="60057"), "spip-60")
    assert verdict["blockers"] == [
        "SPIP : réservé aux personnes sous main de justice (accès au droit : point-justice, MJD)",
        "ne traite pas le frein demandé (emploi)",
    ]


def test_departement_without_codes_uses_the_partner_departement():
    engine = fit(make_record(**{**SPIP_60, "zone_codes": ()}))
    justice = make_profile(("justice",), code="60104", **UNDER_JUSTICE)
    assert ids(engine.recommend(justice)) == ["spip-60"]
    elsewhere = make_profile(("justice",), code="80021", **UNDER_JUSTICE)
    assert ids(engine.recommend(elsewhere)) == []


def test_record_at_type_default_takes_type_zone():
    # a CAF left at the record default (rayon, no radius) is departemental like its type
    engine = fit(make_record(id="caf", type_code="caf", freins=("acces-aux-droits",)))
    assert ids(engine.recommend(make_profile(("acces-aux-droits",), code="60104"))) == ["caf"]
    assert ids(engine.recommend(make_profile(("acces-aux-droits",), code="80021"))) == []


def test_partner_without_point_uses_commune_centre():
    engine = fit(
        make_record(id="ae", type_code="auto-ecole-sociale", freins=("mobilite",),
                    lat=None, lon=None, code_insee="60104")
    )  # fmt: skip
    (result,) = engine.recommend(make_profile(("mobilite",), code="60104"))["freins"][0]["results"]
    assert result["distance_km"] == 0.0
    assert result["verdict"] == "compatible"  # the precision is the fiabilite's, not the fit's


def test_partner_without_any_location_is_not_proposed_by_radius():
    engine = fit(make_record(id="x", lat=None, lon=None, code_insee=None, type_code="ai"))
    assert ids(engine.recommend(make_profile(("emploi",)))) == []
    assert engine.fit_check(make_profile(("emploi",)), "x")["blockers"] == [
        "adresse inconnue : la zone d'intervention ne peut pas être vérifiée"
    ]


def test_point_outside_france_only_gets_national_services():
    from recommender.profile import Location, Profile

    engine = fit(make_record(**NATIONAL), make_record(**CAF_60))
    abroad = Location(None, None, None, None, None, 51.5, -0.12)
    answer = engine.recommend(Profile(abroad, ("violences-conjugales", "acces-aux-droits")))
    assert ids(answer, 0) == ["national"]
    assert ids(answer, 1) == []
    assert engine.fit_check(Profile(abroad, ("acces-aux-droits",)), "caf")["blockers"] == [
        "compétent seulement pour l'Oise : la personne réside hors du territoire couvert"
    ]


def test_check_flags_are_the_rules_they_are_named_after():
    """The compiled pass writes one row per flag: each named flag is the rule it says,
    and ``eligible`` their conjunction (as the module docstring states it)."""
    from recommender.eligibility import FLAGS, check

    rec = fit(
        make_record(**SPIP_60), make_record(**SPIP_80), make_record(**ML),
        make_record(**AGEFIPH), make_record(**NATIONAL), make_record(**AUTO_ECOLE),
        make_record(**CAP_EMPLOI),
    )  # fmt: skip
    table = rec.table_
    rows = list(range(len(table)))
    for situation in ({"age": 19, "max_km": 20}, {"age": 40}, {}):
        ctx = rec._context(make_profile(code="60104", **situation))
        for f in range(len(table.freins)):
            c = check(table, ctx, rows, f)
            assert c.flags.shape == (len(FLAGS), len(rows))
            assert (c.addresses == (table.weights(rows, f) > 0)).all()
            assert (c.active == table.active[rows]).all()
            assert (c.far_but_competent == (c.too_far & c.competent)).all()
            assert (c.eligible == (
                c.active & c.recommendable & c.addresses & c.zone_ok & c.age_ok
                & c.public_ok & ~(c.too_far & ~c.competent) & (c.rule_block < 0)
            )).all()  # fmt: skip
            if "age" in situation:
                assert not c.age_unknown.any()
            half = c.subset(c.rows % 2 == 0)
            both = half.join(c.subset(c.rows % 2 == 1))
            order = both.rows.argsort()
            assert (both.flags[:, order] == c.flags).all()
            assert (both.distance[order] == c.distance).all()
