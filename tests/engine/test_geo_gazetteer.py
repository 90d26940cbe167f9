"""The gazetteer over the shipped referential (data/referentiels): resolve, match,
autocomplete, points, EPCI. No network, no shared data needed."""

from __future__ import annotations

import gzip
import math
import time

import numpy as np
import pytest
import shapely

from recommender.errors import InvalidParameter, UnknownCommune
from recommender.geo import (
    Commune,
    Gazetteer,
    Resolution,
    decode_polygons,
    default_gazetteer,
    encode_polygons,
    haversine_km,
)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return default_gazetteer()


# --------------------------------------------------------------------------- resolve

RESOLVE_CASES = [
    # (query, expected INSEE code, matched_by or None when not checked)
    ("60057", "60057", "code_insee"),
    ("2A004", "2A004", "code_insee"),
    ("2a004", "2A004", "code_insee"),
    ("1053", "01053", "code_insee"),  # leading zero lost by a spreadsheet
    ("49069", "49126", "code_insee"),  # Champtoceaux, merged into Orée d'Anjou
    ("Beauvais", "60057", "nom"),
    ("BEAUVAIS", "60057", "nom"),
    ("  beauvais ", "60057", "nom"),
    ("beauvai", "60057", "fuzzy"),
    ("Beauvias", "60057", "fuzzy"),
    ("St Quentin", "02691", "nom"),
    ("saint-quentin", "02691", "nom"),
    ("Ste-Maxime", "83115", "nom"),
    ("sainte maxime", "83115", "nom"),
    ("saint denis", "97411", "nom"),
    ("Saint-Denis 974", "97411", "nom"),
    ("974 Saint-Denis", "97411", "nom"),
    ("Saint-Denis (974)", "97411", "nom"),
    ("Saint-Denis (93)", "93066", "nom"),
    ("Saint-Denis 93200", "93066", "nom"),
    ("Saint-Denis, La Réunion", "97411", "nom"),
    ("Sain-Denis 974", "97411", "fuzzy"),
    ("02100 Saint-Quentin", "02691", "nom"),
    ("Saint-Quentin 02100", "02691", "nom"),
    (
        "Saint-Quentin 38",
        "38449",
        "fuzzy",
    ),  # no Saint-Quentin in Isère: the largest Saint-Quentin-…
    ("Valence Drôme", "26362", "nom"),
    ("Valence 82", "82186", "nom"),
    ("Paris", "75056", "nom"),
    ("paris", "75056", "nom"),
    ("Paris 15", "75115", "nom"),
    ("Paris 15e", "75115", "nom"),
    ("Paris 15ème arrondissement", "75115", "nom"),
    ("Paris 1er", "75101", "nom"),
    ("Paris 15e Arrondissement", "75115", "nom"),
    ("75015", "75115", "code_postal"),
    ("75001", "75101", "code_postal"),
    ("75116", "75116", "code_insee"),
    ("75015 Paris", "75115", "nom"),
    ("Marseille 13e", "13213", "nom"),
    ("Marseille 1er arrondissement", "13201", "nom"),
    ("Lyon 3e", "69383", "nom"),
    ("Lyon 3e Arrondissement", "69383", "nom"),
    ("13001", "13001", "code_insee"),  # INSEE code of Aix-en-Provence (postal: Marseille 1er)
    ("Marseille", "13055", "nom"),
    ("marseile", "13055", "fuzzy"),
    ("Montpelier", "34172", "fuzzy"),
    ("bordaux", "33063", "fuzzy"),
    ("Strasbourgh", "67482", "fuzzy"),
    ("Ajaccio", "2A004", "nom"),
    ("Pointe a Pitre", "97120", "nom"),
    ("L'Haÿ-les-Roses", "94038", "nom"),
    ("lhay les roses", "94038", "nom"),
    ("Bar s/ Seine", "10034", "nom"),
    ("Le Havre", "76351", "nom"),
    ("havre", "76351", "nom"),
    ("Villeneuve-d'Ascq", "59009", "nom"),
    ("villeneuve dasq", "59009", "fuzzy"),
    ("Bourg-en-Bresse Cedex 9", "01053", "nom"),
    ("Champtoceaux", "49126", "nom"),  # a delegated commune's name
    ("Pierrefitte-sur-Seine", "93066", "nom"),  # merged into Saint-Denis in 2025
    ("Châlons", "51108", "fuzzy"),  # a name cut short
    ("Boulogne", "92012", "nom"),
    ("Cergy Pontoise", "95127", "fuzzy"),
    ("potn-d'ain", "01304", "fuzzy"),  # "ain" is also a département name
    ("Saint-Auban 04", "04049", "fuzzy"),  # a place within Château-Arnoux-Saint-Auban
    ("Berck sur Mer 62600", "62108", "fuzzy"),  # the commune is "Berck"
]


@pytest.mark.parametrize(("query", "code", "matched_by"), RESOLVE_CASES)
def test_resolve(gaz, query, code, matched_by):
    r = gaz.resolve(query)
    assert isinstance(r, Resolution)
    assert r.commune.code_insee == code, (query, r.commune)
    if matched_by:
        assert r.matched_by == matched_by
    assert len(r.alternatives) <= 5
    assert r.commune.code_insee not in {a.code_insee for a in r.alternatives}


def test_ambiguous_name_lists_the_homonyms(gaz):
    # the contract's rule: exact name, then the place given, then population — Saint-Denis
    # de La Réunion (155,634 inhabitants) before Saint-Denis (93) (149,077)
    r = gaz.resolve("Saint-Denis")
    assert (gaz.get("97411").population, gaz.get("93066").population) == (155634, 149077)
    assert r.commune.code_insee == "97411"
    alternatives = [a.code_insee for a in r.alternatives]
    assert alternatives[0] == "93066"  # the other large Saint-Denis
    assert all(a.nom == "Saint-Denis" for a in r.alternatives)
    assert "93066" in [a.code_insee for a in gaz.resolve("Saint-Denis 974").alternatives]
    assert gaz.resolve("Saint-Denis 93").commune.code_insee == "93066"


def test_homonyms_rank_by_population_overseas_as_any_other(gaz):
    by_name: dict[str, list] = {}
    for c in gaz.communes.values():
        if c.kind == "commune":
            by_name.setdefault(c.nom, []).append(c)
    for name, homonyms in by_name.items():
        if len(homonyms) > 1 and any(c.overseas for c in homonyms):
            largest = max(homonyms, key=lambda c: (c.population, [-ord(x) for x in c.code_insee]))
            found = gaz.resolve(name).commune
            assert found.population == largest.population, name


def test_five_digits_both_insee_and_postal(gaz):
    # 02100 is the INSEE code of Bony and the postal code of Saint-Quentin: the INSEE
    # reading wins (the API's identifier), the postal one comes first in alternatives.
    r = gaz.resolve("02100")
    assert (r.commune.code_insee, r.matched_by) == ("02100", "code_insee")
    assert r.alternatives[0].code_insee == "02691"
    assert "13201" in [a.code_insee for a in gaz.resolve("13001").alternatives]


def test_postal_code_alone(gaz):
    r = gaz.resolve("60000")
    assert (r.commune.code_insee, r.matched_by) == ("60057", "code_postal")
    r = gaz.resolve("97400")
    assert r.commune.code_insee == "97411"


def test_unknown_commune_has_suggestions(gaz):
    with pytest.raises(UnknownCommune) as exc:
        gaz.resolve("Atlantide")
    err = exc.value
    assert err.status == 404 and err.code == "commune_inconnue"
    assert err.message == "Commune « Atlantide » introuvable."
    assert err.details["query"] == "Atlantide"
    suggestions = err.details["suggestions"]
    assert 1 <= len(suggestions) <= 5
    assert set(suggestions[0]) == {
        "code_insee",
        "nom",
        "codes_postaux",
        "departement",
        "lat",
        "lon",
    }


def test_departement_alone_suggests_its_communes(gaz):
    with pytest.raises(UnknownCommune) as exc:
        gaz.resolve("75")
    assert [s["code_insee"] for s in exc.value.details["suggestions"]] == ["75056"]


@pytest.mark.parametrize("query", ["", "   ", "x" * 201, None, 60057])
def test_invalid_parameter(gaz, query):
    with pytest.raises(InvalidParameter) as exc:
        gaz.resolve(query)
    assert exc.value.details["parameter"] == "commune"
    assert exc.value.status == 400


def test_resolve_is_fast(gaz):
    queries = ["Beauvais", "beauvai", "Saint-Denis 974", "60057", "marseile", "Paris 15e"]
    for q in queries:  # warm the lazy indexes
        gaz.resolve(q)
    t = time.perf_counter()
    for _ in range(20):
        for q in queries:
            gaz.resolve(q)
    per_query_ms = (time.perf_counter() - t) * 1000 / (20 * len(queries))
    assert per_query_ms < 10, per_query_ms  # about 1 ms on an idle machine


# --------------------------------------------------------------------------- match


MATCH_CASES = [
    ({"nom": "ST QUENTIN CEDEX", "code_postal": "02100"}, "02691"),
    ({"nom": "Saint-Quentin", "code_insee": "02100"}, "02691"),  # a postal code as INSEE code
    ({"nom": "Beauvais", "code_insee": "60057"}, "60057"),
    ({"code_insee": "1053"}, "01053"),
    ({"code_insee": "49069"}, "49126"),
    ({"nom": "Saint-Denis"}, None),  # homonyms and nothing to decide
    ({"nom": "Saint Denis", "departement": "974"}, "97411"),
    ({"nom": "Saint-Denis", "code_postal": "93200"}, "93066"),
    ({"nom": "Paris", "code_postal": "75015"}, "75115"),
    ({"nom": "Marseille", "code_postal": "13001"}, "13201"),
    ({"nom": "Paris"}, "75056"),
    ({"code_postal": "33000"}, "33063"),  # one commune
    ({"code_postal": "60000"}, None),  # Beauvais and seven villages
    ({"code_postal": "02100"}, None),  # eleven communes
    ({"nom": "Saint Quentin", "departement": "38"}, None),  # two Saint-Quentin-… in Isère
    ({"nom": "Beauvai", "code_postal": "60000"}, "60057"),
    ({"nom": "Montpelier", "departement": "34"}, "34172"),
    ({"nom": "Montpelier"}, None),  # Montpellier and Montélier are both one edit away
    ({"nom": "Strasbourgh"}, "67482"),
    ({"nom": "Lyon 3e"}, "69383"),
    ({"nom": ""}, None),
    ({}, None),
]


@pytest.mark.parametrize(("kwargs", "code"), MATCH_CASES)
def test_match(gaz, kwargs, code):
    found = gaz.match(**kwargs)
    assert (found.code_insee if found else None) == code


# --------------------------------------------------------------------------- autocomplete


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("beauv", "60057"),
        ("Beauvais", "60057"),
        ("quentin", "02691"),
        ("baeuvais", "60057"),
        ("st etienne", "42218"),
        ("6000", "60057"),
        ("60057", "60057"),
        ("75015", "75115"),
        ("paris 15", "75115"),
        ("pari", "75056"),
    ],
)
def test_autocomplete(gaz, query, first):
    results = gaz.autocomplete(query)
    assert results and results[0].code_insee == first
    assert len(results) <= 10
    assert len({c.code_insee for c in results}) == len(results)


def test_autocomplete_limits_and_empty(gaz):
    assert len(gaz.autocomplete("saint", limit=3)) == 3
    assert gaz.autocomplete("") == [] and gaz.autocomplete("  ") == []
    assert gaz.autocomplete("beauv", limit=0) == []
    assert gaz.autocomplete("zzzzzz") == []


def test_autocomplete_is_fast(gaz):
    queries = ["b", "be", "bea", "beauv", "saint", "mars", "quent", "montpe", "baeuvais", "6"]
    gaz.autocomplete("beauv")  # builds the index
    t = time.perf_counter()
    for q in queries:
        gaz.autocompleter.by_name.cache_clear()
        gaz.autocomplete(q)
    per_query_ms = (time.perf_counter() - t) * 1000 / len(queries)
    assert per_query_ms < 20, per_query_ms  # below 5 ms on an idle machine


# --------------------------------------------------------------------------- points


@pytest.mark.parametrize(
    ("lat", "lon", "code", "departement"),
    [
        (49.4295, 2.0807, "60057", "60"),  # Beauvais
        (48.8414, 2.3004, "75056", "75"),  # Paris 15e: the commune
        (45.7597, 4.8422, "69123", "69"),  # Lyon
        (41.9192, 8.7386, "2A004", "2A"),  # Ajaccio
        (-20.8789, 55.4481, "97411", "974"),  # Saint-Denis, La Réunion
        (48.9356, 2.3539, "93066", "93"),  # Saint-Denis
        (49.8467, 3.2876, "02691", "02"),  # Saint-Quentin
    ],
)
def test_commune_at(gaz, lat, lon, code, departement):
    assert gaz.commune_at(lat, lon).code_insee == code
    assert gaz.departement_at(lat, lon) == departement
    assert gaz.locate(lat, lon).matched_by == "point"


def test_arrondissement_at(gaz):
    assert gaz.arrondissement_at(48.8414, 2.3004).code_insee == "75115"
    assert gaz.arrondissement_at(45.7597, 4.8422).parent == "69123"
    assert gaz.arrondissement_at(49.4295, 2.0807) is None


@pytest.mark.parametrize(("lat", "lon"), [(46.5, -5.0), (0.0, 0.0), (math.nan, 2.0), (91, 0)])
def test_nowhere(gaz, lat, lon):
    assert gaz.commune_at(lat, lon) is None
    assert gaz.departement_at(lat, lon) is None


def test_point_just_off_the_coast(gaz):
    # On the beach of Berck, west of the simplified coastline: the nearest commune.
    assert gaz.commune_at(50.4065, 1.5610).code_insee == "62108"


def test_departement_polygon(gaz):
    oise = gaz.departement_polygon("60")
    assert oise.is_valid and oise.contains(shapely.Point(2.0807, 49.4295))
    assert gaz.departement_polygon("99") is None


# --------------------------------------------------------------------------- referential


def test_epci_members(gaz):
    beauvais = gaz.get("60057")
    members = gaz.epci_members(beauvais.epci)
    assert "60057" in members and "75056" not in members
    assert all(gaz.get(code).epci == beauvais.epci for code in members)
    lyon = gaz.epci_members(gaz.get("69123").epci)
    assert {"69123", "69381", "69389", "69266"} <= lyon  # with Villeurbanne
    assert gaz.epci_members("000000000") == frozenset()
    assert gaz.epci_name(beauvais.epci)


def test_names_and_departements(gaz):
    assert gaz.departement_name("60") == "Oise"
    assert gaz.departement_name("2B") == "Haute-Corse"
    assert gaz.region_name("11") == "Île-de-France"
    deps = gaz.departements()
    assert len(deps) == 109 and ("2A", "Corse-du-Sud") in deps and deps == sorted(deps)
    with pytest.raises(KeyError):
        gaz.departement_name("20")


def test_commune_shapes(gaz):
    paris = gaz.get("75056")
    assert paris.to_dict() == {
        "code_insee": "75056",
        "nom": "Paris",
        "codes_postaux": list(paris.codes_postaux),
        "departement": "75",
        "lat": paris.lat,
        "lon": paris.lon,
    }
    assert len(paris.codes_postaux) == 21 and paris.kind == "commune"
    quinze = gaz.get("75115")
    assert (quinze.kind, quinze.parent, quinze.epci) == ("arrondissement", "75056", paris.epci)
    assert [a.code_insee for a in gaz.arrondissements("69123")][:2] == ["69381", "69382"]
    assert gaz.get("98735").lat is None  # Papeete: no geometry in the sources
    with pytest.raises(AttributeError):
        paris.nom = "Lutèce"  # frozen
    location = gaz.resolve("Saint-Denis").to_dict()
    assert location["code_insee"] == "97411" and location["alternatives"][0]["nom"] == "Saint-Denis"


def test_every_commune_resolves_by_code(gaz):
    for code, commune in gaz.communes.items():
        assert gaz.resolve(code).commune is commune


def test_load_is_quick():
    t = time.perf_counter()
    gaz = Gazetteer.load()
    elapsed = time.perf_counter() - t
    assert len(gaz.communes) == 34969 + 45
    assert elapsed < 3, elapsed  # about 0.5 s on an idle machine


# --------------------------------------------------------------------------- helpers


def test_haversine():
    assert haversine_km(49.0, 2.0, 49.0, 2.0) == 0.0
    assert abs(haversine_km(48.8566, 2.3522, 45.7640, 4.8357) - 391.5) < 0.1
    d = haversine_km(np.array([49.0, 48.0]), np.array([2.0, 2.0]), 49.0, 2.0)
    assert d.shape == (2,) and abs(d[1] - 111.19) < 0.1
    assert isinstance(haversine_km(49, 2, 48, 2), float)


def test_polygon_codec_round_trip_and_determinism():
    geoms = [
        shapely.box(2.0, 49.0, 2.5, 49.5),
        shapely.MultiPolygon(
            [
                shapely.box(0, 0, 1, 1).difference(shapely.box(0.2, 0.2, 0.4, 0.4)),
                shapely.box(2, 2, 3, 3),
            ]
        ),
        shapely.Polygon([(55.2, -21.3), (55.8, -21.3), (55.5, -20.9)]),
    ]
    data = encode_polygons(["a", "b", "c"], geoms, 1e-4)
    assert data == encode_polygons(["a", "b", "c"], geoms, 1e-4)
    codes, decoded = decode_polygons(data)
    assert codes == ["a", "b", "c"]
    for original, back in zip(geoms, decoded, strict=True):
        assert shapely.equals_exact(shapely.normalize(original), shapely.normalize(back), 1e-6) or (
            original.symmetric_difference(back).area < 1e-9
        )
    with pytest.raises(ValueError):
        decode_polygons(gzip.compress(b"not polygons"))


def test_commune_is_a_plain_dataclass():
    c = Commune("00000", "Test", (), "00", "00", None, 0, None, None)
    assert c.kind == "commune" and c.parent is None and c.to_dict()["lat"] is None
