"""Directory search: French text (accents, plurals, typos, synonyms), filters, facets, pages."""

from __future__ import annotations

import pickle

import pytest

from recommender.errors import InvalidParameter
from recommender.search import PartnerSearch
from recommender.taxonomy import default_taxonomy
from recommender.textindex import french_analyzer, stems
from tests.support.factories import make_record

PARTNERS = [
    make_record(id="ae", nom="Auto-école sociale du Beauvaisis", type_code="auto-ecole-sociale",
                freins=("mobilite",), lat=49.43, lon=2.08),
    make_record(id="ae2", nom="Auto-école solidaire de Creil", type_code="auto-ecole-sociale",
                freins=("mobilite",), lat=49.26, lon=2.47, status="archived"),
    make_record(id="garage", nom="Garage solidaire Roule Toujours", type_code="garage-solidaire",
                freins=("mobilite",), lat=49.45, lon=2.10),
    make_record(id="ml", nom="Mission locale du Beauvaisis", type_code="mission-locale",
                freins=("emploi", "formation", "mobilite"), publics=("jeunes",),
                lat=49.44, lon=2.09),
    make_record(id="spip", nom="SPIP de l'Oise - antenne de Beauvais", type_code="spip",
                freins=("justice",), lat=49.42, lon=2.07, zone_kind="departement"),
    make_record(id="cidff", nom="CIDFF de la Somme", type_code="cidff",
                freins=("violences-conjugales", "acces-aux-droits"), publics=("femmes",),
                lat=49.89, lon=2.30, departement="80"),
    make_record(id="epicerie", nom="Épicerie sociale Les Écureuils", type_code="epicerie-sociale",
                freins=("difficultes-financieres",), lat=49.27, lon=2.48,
                description="Aide alimentaire et accompagnement budgétaire des familles."),
    make_record(id="misson", nom="Mairie - Misson", type_code="mairie", freins=(),
                code_insee="40185", departement="40", lat=43.59, lon=-1.07),
    make_record(id="asso", nom="Association Ailes", type_code="autre", freins=(),
                freins_inferred=("numerique",), lat=48.85, lon=2.35,
                description="Ateliers informatiques et accès aux démarches en ligne."),
]  # fmt: skip


@pytest.fixture(scope="module")
def search():
    return PartnerSearch(taxonomy=default_taxonomy()).fit(PARTNERS)


def found(answer):
    return [r["partner_id"] for r in answer["results"]]


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("auto ecole", "ae"),  # no accent, no hyphen
        ("Auto-écoles sociales", "ae"),  # plurals
        ("auto ecolle", "ae"),  # typo
        ("autoecole beauvaisis", "ae"),  # glued words
        ("misson locale", "ml"),  # typo
        ("MISSION LOCALE", "ml"),
        ("ecureuils", "epicerie"),  # accent folding on É
        ("épiceries", "epicerie"),
        ("alimentaire", "epicerie"),  # description
        ("informatique", "asso"),
        ("spip", "spip"),
        ("spip beauvais", "spip"),  # the type by its acronym, the commune by its name
        ("cidff somme", "cidff"),
        ("misson locale beauvais", "ml"),  # a typo that is another word (Misson, Landes)
    ],
)
def test_text_queries(search, q, first):
    assert found(search.search(q=q))[0] == first


def test_permis_finds_mobility_partners_by_synonym(search):
    results = found(search.search(q="permis"))
    assert set(results[:2]) == {"ae", "garage"}  # main mission mobilité (ae2 is archived)
    assert results[2:] == ["ml"]  # mobilité among its missions: after them


def test_text_relevance_scores_are_normalised(search):
    answer = search.search(q="auto ecole")
    assert answer["results"][0]["score"] == 1.0
    assert all(0 < r["score"] <= 1 for r in answer["results"])


def test_archived_only_on_request(search):
    assert "ae2" not in found(search.search(q="auto ecole"))
    assert found(search.search(q="auto ecole solidaire creil", include_archived=True))[0] == "ae2"


def test_a_type_name_lists_that_type(search):
    answer = search.search(
        q="Auto-écoles sociales", include_archived=True, lat=49.26, lon=2.47, radius_km=50
    )
    assert found(answer) == ["ae2", "ae"]  # nearest first, equally relevant
    assert [r["score"] for r in answer["results"]] == [1.0, 1.0]


def test_no_query_orders_by_name(search):
    answer = search.search()
    assert answer["total"] == 8
    assert found(answer) == ["asso", "ae", "cidff", "epicerie", "garage", "misson", "ml", "spip"]
    assert all(r["score"] is None and r["distance_km"] is None for r in answer["results"])


def test_point_orders_by_distance_and_radius_filters(search):
    answer = search.search(lat=49.43, lon=2.08, radius_km=5)
    assert found(answer) == ["ae", "ml", "spip", "garage"]
    assert [r["distance_km"] for r in answer["results"]] == [0.0, 1.3, 1.3, 2.7]
    assert search.search(lat=49.43, lon=2.08, radius_km=40)["total"] == 5
    second_page = search.search(lat=49.43, lon=2.08, radius_km=1000, page=2, per_page=3)
    assert found(second_page) == ["garage", "epicerie", "cidff"]


def test_a_place_without_radius_searches_within_30_km_and_says_so(search):
    nearest = search.search(lat=49.43, lon=2.08)
    assert found(nearest) == ["ae", "ml", "spip", "garage"]  # Creil's épicerie is 33 km away
    assert (nearest["radius_km"], nearest["radius_widened"]) == (30.0, False)


def test_the_radius_widens_step_by_step_until_something_matches(search):
    cidff = search.search(q="cidff", lat=49.43, lon=2.08)  # Amiens, 53 km from Beauvais
    assert found(cidff) == ["cidff"]
    assert (cidff["radius_km"], cidff["radius_widened"]) == (60.0, True)
    lyon = search.search(lat=45.76, lon=4.83)  # Paris is 392 km away, Beauvais 460
    assert lyon["radius_km"] == 500.0 and found(lyon)[0] == "asso"
    nowhere = search.search(q="introuvable", lat=49.43, lon=2.08)
    assert nowhere["total"] == 0 and nowhere["radius_km"] is None  # the whole of France


def test_text_and_distance_blend(search):
    # at the mission locale's door: the garage and the auto-école (mobilité is their main
    # mission) 1.3 km away come before it (mobilité is one of its secondary missions)
    here = search.search(q="permis", lat=49.44, lon=2.09)
    assert set(found(here)[:2]) == {"garage", "ae"} and found(here)[2] == "ml"
    # the same words near Creil: Creil's auto-école (9 km) before Beauvais's (27 km)
    east = search.search(q="auto ecole", include_archived=True, lat=49.30, lon=2.40)
    assert found(east) == ["ae2", "ae"]
    beauvais = search.search(q="Auto-écoles sociales", include_archived=True, lat=49.26, lon=2.47)
    assert found(beauvais) == ["ae2"] and beauvais["radius_km"] == 30.0


def test_filters_and_facets(search):
    answer = search.search(freins=["mobilite"])
    assert set(found(answer)) == {"ae", "garage", "ml"}
    assert answer["facets"] == {
        "type": {"auto-ecole-sociale": 1, "garage-solidaire": 1, "mission-locale": 1},
        "frein": {"mobilite": 3, "formation": 1, "emploi": 1},
    }
    assert found(search.search(types=["spip", "cidff"])) == ["cidff", "spip"]
    assert found(search.search(publics=["femmes"])) == ["cidff"]
    assert found(search.search(freins=["numerique"])) == ["asso"]  # inferred freins count
    assert search.search(freins=["justice"], q="auto ecole")["total"] == 0


def test_facets_count_the_whole_result_set(search):
    answer = search.search(per_page=1)
    assert len(answer["results"]) == 1
    assert sum(answer["facets"]["type"].values()) == answer["total"] == 8
    assert answer["facets"]["frein"]["mobilite"] == 3


def test_pagination(search):
    pages = [found(search.search(page=p, per_page=3)) for p in (1, 2, 3, 4)]
    assert pages == [["asso", "ae", "cidff"], ["epicerie", "garage", "misson"], ["ml", "spip"], []]


def test_radius_needs_a_point(search):
    with pytest.raises(InvalidParameter) as caught:
        search.search(radius_km=10)
    assert caught.value.details["parameter"] == "radius_km"
    with pytest.raises(InvalidParameter):
        search.search(lat=49.0, lon=2.0, radius_km=0)


def test_pickled_search_answers_the_same(search):
    blob = pickle.dumps(search)
    assert b"PartnerRecord" not in blob and b"Taxonomy" not in blob  # arrays only
    copy = pickle.loads(blob)
    for params in (
        {"q": "misson locale beauvais"},
        {"q": "permis", "lat": 49.43, "lon": 2.08, "radius_km": 30},
        {"q": "autoecole", "include_archived": True},
        {"freins": ["mobilite"], "lat": 49.43, "lon": 2.08, "per_page": 2},
        {"page": 2, "per_page": 3},
    ):
        assert copy.search(**params) == search.search(**params)


def test_numbers_are_their_own_stems():
    words = ["1", "07", "13", "2026", "75011", "100001"]
    analyzed = [[t.text for t in french_analyzer()(w)] for w in words]
    assert [[] if s is None else [s] for s in stems(words)] == analyzed
