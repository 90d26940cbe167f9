"""The cross-source merge rules on pairs read in ``bench/dedup_labels.csv`` (names and
addresses of real records of the shared data; the distance between them is given)."""

from __future__ import annotations

import pytest

from app.importers.dedup import Candidate, DedupIndex
from recommender.taxonomy import default_taxonomy


def _merge(incoming: tuple[str, str, str], target: tuple[str, str, str], type_code: str, km: float):
    """The rule that merges ``incoming`` into ``target`` (nom, adresse, code_insee), or None."""
    index = DedupIndex(default_taxonomy(), lambda *_: km, lambda code: COMMUNES[code])
    nom, adresse, insee = target
    index.add(Candidate("p1", nom, type_code, 45.0, 5.0, True, insee, None, adresse, {"annuaire"}))
    nom, adresse, insee = incoming
    record = {"nom": nom, "adresse": adresse, "code_insee": insee, "type_code": type_code}
    record |= {"lat": 45.0, "lon": 5.0, "coords_exact": True}
    matches = index.matches(record, "autre-source")
    return matches[0].rule if matches else None


COMMUNES = {
    "86106": "Gençay",
    "64129": "Billère",
    "64348": "Lons",
    "34123": "Juvignac",
    "40217": "Parentis-en-Born",
    "13091": "Saint-Andiol",
}


@pytest.mark.parametrize(
    ("incoming", "target", "type_code", "km"),
    [
        # A mairie annexe is a second place to send a person to.
        (
            ("Mairie Annexe de Gençay", "1 Place du Champ de foire", "86106"),
            ("Mairie - Gençay", "1 Place de la Mairie", "86106"),
            "mairie",
            0.28,
        ),
        # Two France services of two communes, 1.7 km apart.
        (
            ("France services Billère", "23 avenue de Lons", "64129"),
            ("Association Lons Accueil", "54 avenue Erckmann- Chatrian", "64348"),
            "france-service",
            1.71,
        ),
        # A France services and the commune's own place, on two streets 620 m apart.
        (
            ("France services de Juvignac", "533 Rue Jupiter", "34123"),
            ("COMMUNE DE JUVIGNAC", "153 LES ALLEES DE L'EUROPE", "34123"),
            "france-service",
            0.62,
        ),
    ],
)
def test_distinct_places_are_not_merged(incoming, target, type_code, km):
    assert _merge(incoming, target, type_code, km) is None


def test_the_towns_agency_that_moved_is_still_merged():
    """One France Travail agency in Parentis: the 2024 list's address differs from 2016's."""
    rule = _merge(
        ("France Travail Ape Parentis", "113 Allée Malichecq", "40217"),
        ("Pôle emploi de Parentis", "Place du 14-Juillet", "40217"),
        "france-travail",
        0.55,
    )
    assert rule == "proximite"


def test_the_same_mairie_is_merged_by_proximity():
    rule = _merge(
        ("Mairie", "Place du Général de Gaulle", "13091"),
        ("Mairie - Saint-Andiol", "Place du Général-de-Gaulle", "13091"),
        "mairie",
        0.12,
    )
    assert rule == "proximite"
