"""recommender.coverage on a handful of records: the nearest partner the reference profile
may be oriented to, through the engine's own rules."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.coverage import (
    ReferenceProfile,
    UnknownTerritory,
    departement,
    nearest_eligible,
    region,
    summary,
)
from recommender.engine import Recommender
from recommender.geo import default_gazetteer
from recommender.profile import Profile, location_from_commune
from recommender.records import PartnerRecord


def _fitted() -> Recommender:
    return Recommender().fit(
        [
            # a mission locale in Beauvais: 16-25 only
            PartnerRecord(
                id="ml", nom="Mission locale", type_code="mission-locale", lat=49.43, lon=2.08,
                code_insee="60057", departement="60", freins=("emploi",), age_min=16, age_max=25,
            ),
            # France Travail agencies, reachable by distance
            PartnerRecord(
                id="ft-compiegne", nom="France Travail Compiègne", type_code="france-travail",
                lat=49.417, lon=2.826, code_insee="60159", departement="60", freins=("emploi",),
            ),
            PartnerRecord(
                id="ft-creil", nom="France Travail Creil", type_code="france-travail",
                lat=49.259, lon=2.477, code_insee="60175", departement="60", freins=("emploi",),
            ),
            # the Oise SPIP serves the whole département, whatever the distance
            PartnerRecord(
                id="spip60", nom="SPIP de l'Oise", type_code="spip", lat=49.43, lon=2.08,
                code_insee="60057", departement="60", freins=("justice",),
                zone_kind="departement", zone_codes=("60",),
            ),
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def rec() -> Recommender:
    return _fitted()


def test_age_excludes_the_mission_locale_for_an_adult_but_not_for_a_young_person(rec):
    oise = departement(rec.gazetteer_, "60")
    codes = [c.code_insee for c in oise.communes]
    beauvais, creil = codes.index("60057"), codes.index("60175")
    adult = nearest_eligible(rec, "emploi", oise.communes, ReferenceProfile())
    young = nearest_eligible(rec, "emploi", oise.communes, ReferenceProfile(age=19))
    assert rec.table_.ids[young.rows[beauvais]] == "ml" and young.distance[beauvais] < 1.0
    # the agencies' 30 km radius does not reach Beauvais: no partner at all for an adult
    assert adult.rows[beauvais] == -1 and np.isinf(adult.distance[beauvais])
    assert rec.table_.ids[adult.rows[creil]] == "ft-creil"


def test_zone_wide_partner_covers_its_departement_only(rec):
    oise = departement(rec.gazetteer_, "60")
    somme = departement(rec.gazetteer_, "80")
    # the SPIP serves people under a justice measure only (rules.json)
    sous_main = ReferenceProfile(publics=("personnes-en-situation-juridique-specifique",))
    inside = nearest_eligible(rec, "justice", oise.communes, sous_main)
    outside = nearest_eligible(rec, "justice", somme.communes, sous_main)
    assert (inside.rows >= 0).all() and np.isfinite(inside.distance).all()
    assert (outside.rows == -1).all() and np.isinf(outside.distance).all()
    # without that public, nobody in the Oise can be oriented to it for justice
    other = nearest_eligible(rec, "justice", oise.communes, ReferenceProfile())
    assert (other.rows == -1).all()


def test_every_commune_matches_the_engines_nearest(rec):
    oise = departement(rec.gazetteer_, "60")
    nearest = nearest_eligible(rec, "emploi", oise.communes, ReferenceProfile())
    for i in range(0, len(oise.communes), 37):
        commune = oise.communes[i]
        person = Profile(location_from_commune(commune), ("emploi",), age=30, vehicule=False)
        results = rec.recommend(person, limit=100)["freins"][0]["results"]
        if not results:
            assert nearest.rows[i] == -1
            continue
        best = min(results, key=lambda r: r["distance_km"])
        assert rec.table_.ids[nearest.rows[i]] == best["partner_id"]
        assert abs(nearest.distance[i] - best["distance_km"]) <= 0.05


def test_paris_is_its_arrondissements_and_unknown_names_suggest():
    gazetteer = default_gazetteer()
    paris = departement(gazetteer, "75")
    assert [c.code_insee for c in paris.communes][:2] == ["75101", "75102"]
    assert len(paris.communes) == 20
    assert region(gazetteer, "Hauts-de-France").code == "32"
    with pytest.raises(UnknownTerritory) as found:
        departement(gazetteer, "Oize")
    assert found.value.details["suggestions"][0] == {"code": "60", "nom": "Oise"}


def test_summary_counts_the_population_beyond_the_threshold():
    populations = np.array([100, 50, 10])
    distance = np.array([3.0, 20.0, np.inf])
    assert summary(populations, distance, 15.0) == {
        "communes": 3,
        "population": 160,
        "population_zone_blanche": 60,
        "part_population_couverte": 0.625,
        "distance_mediane_km": 11.5,
    }
