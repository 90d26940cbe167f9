"""Rules by situation (data/taxonomy/rules.json): loading, the one rule engine, the
"écarté" partners of an answer."""

from __future__ import annotations

from datetime import date

import pytest

from recommender.engine import Recommender
from recommender.rules import load_rules
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record

TAX = default_taxonomy()
FAMILLES = ("familles",)
UNDER_JUSTICE = ("personnes-en-situation-juridique-specifique",)


def fit(*records):
    return Recommender(
        taxonomy=TAX, gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1)
    ).fit(records)


def ranked(answer, i=0):
    return [r["partner_id"] for r in answer["freins"][i]["results"]]


def left_out(answer, i=0):
    return [(e["partner_id"], e["raison"]) for e in answer["freins"][i]["ecartes"]]


# ---------------------------------------------------------------------- the data


def test_every_rule_has_a_french_reason_and_known_codes():
    assert TAX.rules, "rules.json is loaded"
    for rule in TAX.rules:
        assert rule.raison[0].isalpha() and " : " in rule.raison, rule.id
        assert set(rule.types) <= set(TAX.partner_types)
        assert set(rule.freins) <= set(TAX.freins)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "x", "types": ["pmi"], "freins": ["sante"], "effet": "oublier", "raison": "…"},
         "effet"),
        ({"id": "x", "types": ["pmi"], "freins": ["permis"], "effet": "ecarter", "raison": "…"},
         "unknown codes"),
        ({"id": "x", "types": ["pmi"], "freins": ["sante"], "effet": "ecarter", "raison": " "},
         "raison"),
        ({"id": "x", "types": ["aci"], "freins": ["emploi"], "effet": "apres", "raison": "…"},
         "apres_types"),
        ({"id": "x", "types": ["pmi"], "freins": ["sante"], "effet": "ecarter", "raison": "…",
          "sauf_publics": ["enceintes"]}, "unknown codes"),
    ],
)  # fmt: skip
def test_a_broken_rule_is_refused_with_its_id(entry, message):
    with pytest.raises(ValueError, match=message):
        load_rules([entry], TAX.freins, TAX.partner_types, TAX.publics)


# ---------------------------------------------------------------------- ecarter


PMI = dict(id="pmi", type_code="pmi", freins=("sante", "garde-enfants"))
CPAM = dict(
    id="cpam", type_code="cpam", freins=("sante",), zone_kind="departement", zone_codes=("60",),
    lat=49.2, lon=2.4,
)  # fmt: skip


def test_pmi_is_for_families_not_an_adult_alone():
    engine = fit(make_record(**PMI), make_record(**CPAM))
    alone = engine.recommend(make_profile(("sante",), age=40))
    assert ranked(alone) == ["cpam"]
    assert left_out(alone) == [
        ("pmi", "écarté : PMI : réservée aux familles et aux femmes enceintes")
    ]
    family = engine.recommend(make_profile(("sante",), age=31, publics=FAMILLES))
    assert ranked(family)[0] == "pmi"
    # asking for childcare says the person has children
    assert ranked(engine.recommend(make_profile(("garde-enfants",), age=40))) == ["pmi"]
    fit_check = engine.fit_check(make_profile(("sante",), age=40), "pmi")
    assert fit_check["verdict"] == "incompatible"
    assert fit_check["blockers"] == ["PMI : réservée aux familles et aux femmes enceintes"]


def test_a_notaries_office_is_never_proposed_for_justice():
    engine = fit(
        make_record(id="notaires", nom="Notaires et associés", type_code="point-justice",
                    freins=("justice", "acces-aux-droits")),
        make_record(id="mjd", nom="Maison de justice et du droit", type_code="point-justice",
                    freins=("justice", "acces-aux-droits"), lat=49.5, lon=2.2),
    )  # fmt: skip
    assert ranked(engine.recommend(make_profile(("justice",)))) == ["mjd"]
    assert ranked(engine.recommend(make_profile(("acces-aux-droits",))))[0] == "notaires"


def test_france_services_is_not_a_housing_service():
    engine = fit(make_record(id="fs", type_code="france-service", freins=("logement", "numerique")))
    answer = engine.recommend(make_profile(("logement", "numerique")))
    assert ranked(answer, 0) == [] and ranked(answer, 1) == ["fs"]
    assert answer["plan"]["uncovered"] == ["logement"]


# ---------------------------------------------------------------------- apres


def test_an_siae_ranks_after_the_service_that_accompanies_towards_employment():
    engine = fit(
        make_record(id="aci", type_code="aci", freins=("emploi",)),
        make_record(id="ft", type_code="france-travail", freins=("emploi",), lat=49.47, lon=2.1),
    )
    profile = make_profile(("emploi",), age=40, publics=("demandeurs-emploi",), vehicule=False)
    results = engine.recommend(profile)["freins"][0]["results"]
    assert [r["partner_id"] for r in results] == ["ft", "aci"]
    assert results[1]["score"] == pytest.approx(0.99 * results[0]["score"], abs=1e-3)
    assert any("SIAE" in reason for reason in results[1]["reasons"])
    # the fit check judges the pair with the same score
    assert engine.fit_check(profile, "aci", frein="emploi")["score"] == results[1]["score"]


def test_a_structure_of_no_known_type_ranks_after_the_actor_whose_mission_it_is():
    # a family threatened with eviction: the ADIL a little farther, not the association whose
    # services happen to list a housing form first
    engine = fit(
        make_record(id="asso", type_code="autre", freins=("logement",)),
        make_record(id="adil", type_code="adil", freins=("logement",), lat=49.44, lon=2.09),
    )
    results = engine.recommend(make_profile(("logement",), age=38))["freins"][0]["results"]
    assert [r["partner_id"] for r in results] == ["adil", "asso"]
    assert any("sans type reconnu" in reason for reason in results[1]["reasons"])


def test_without_a_reference_service_the_siae_keeps_its_score():
    engine = fit(make_record(id="aci", type_code="aci", freins=("emploi",)))
    (only,) = engine.recommend(make_profile(("emploi",), age=40))["freins"][0]["results"]
    assert only["score"] > 0.5


def test_cidff_before_france_victimes_for_violences_conjugales():
    engine = fit(
        make_record(id="fv", type_code="aide-aux-victimes", freins=("violences-conjugales",),
                    zone_kind="departement", zone_codes=("60",)),
        make_record(id="cidff", type_code="cidff", freins=("violences-conjugales",),
                    zone_kind="departement", zone_codes=("60",), lat=49.25, lon=2.5),
    )  # fmt: skip
    answer = engine.recommend(make_profile(("violences-conjugales",), publics=("femmes",)))
    assert ranked(answer) == ["cidff", "fv"]


# ---------------------------------------------------------------------- écartés


def test_the_only_auto_ecole_sociale_out_of_reach_is_said_not_dropped():
    # Creil (60175) is 34 km from Beauvais: beyond the auto-école's 30 km radius
    engine = fit(
        make_record(id="ae", type_code="auto-ecole-sociale", freins=("mobilite",)),
        make_record(id="ft", type_code="france-travail", freins=("mobilite",), code_insee="60175",
                    lat=49.26, lon=2.47),
    )  # fmt: skip
    answer = engine.recommend(make_profile(("mobilite",), code="60175", vehicule=False))
    assert ranked(answer) == ["ft"]
    ((pid, reason),) = left_out(answer)
    assert pid == "ae"
    assert reason == "écarté : hors de la zone d'intervention : à 34,1 km pour un rayon de 30,0 km"
    assert answer["freins"][0]["ecartes"][0]["distance_km"] == 34.1


def test_the_neighbouring_departement_service_is_said():
    # Breteuil (60104): the Somme's SPIP is nearer than the Oise's, but not competent
    spip = dict(type_code="spip", freins=("justice",), zone_kind="departement")
    engine = fit(
        make_record(id="spip-60", lat=49.43, lon=2.08, departement="60", zone_codes=("60",),
                    **spip),
        make_record(id="spip-80", lat=49.74, lon=2.15, code_insee="80021", departement="80",
                    zone_codes=("80",), **spip),
    )  # fmt: skip
    answer = engine.recommend(make_profile(("justice",), code="60104", publics=UNDER_JUSTICE))
    assert ranked(answer) == ["spip-60"]
    assert left_out(answer) == [
        ("spip-80", "écarté : compétent seulement pour la Somme : la personne réside dans l'Oise")
    ]


def test_a_partner_reserved_to_another_public_is_not_listed_as_left_out():
    engine = fit(
        make_record(id="esat", type_code="esat", freins=("emploi",)),
        make_record(id="ft", type_code="france-travail", freins=("emploi",)),
    )
    assert left_out(engine.recommend(make_profile(("emploi",), age=40))) == []
