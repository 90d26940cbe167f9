"""Parsing a person's situation from GET parameters and JSON bodies."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from recommender.errors import (
    InvalidParameter,
    MissingParameter,
    UnknownCommune,
    UnknownFrein,
    UnknownPublic,
)
from recommender.params import parse_int, parse_location, parse_profile
from recommender.profile import Location, Profile
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer

GAZ = FakeGazetteer()
TAX = default_taxonomy()


def as_request(params):
    """Text values are a query string's (a MultiDict); anything else is a JSON body's."""
    if all(isinstance(v, str) for v in params.values()):
        return MultiDict(params)
    return params


def parse(**params):
    return parse_profile(as_request(params), GAZ, TAX)


def test_get_parameters_as_strings():
    profile = parse_profile(
        MultiDict(
            {
                "commune": "60057",
                "freins": "mobilite, justice,mobilite",
                "age": "22",
                "publics": "jeunes",
                "vehicule": "non",
                "max_km": "12,5",
                "unknown": "ignored",
            }
        ),
        GAZ,
        TAX,
    )
    assert profile == Profile(
        location=Location("60057", "Beauvais", "60", "32", "200067999", 49.436128, 2.0952),
        freins=("mobilite", "justice"),
        age=22,
        publics=("jeunes",),
        vehicule=False,
        max_km=12.5,
    )


def test_json_body_with_arrays_bools_numbers():
    profile = parse(
        commune="Beauvais",
        freins=["Garde d'enfants", "emploi"],
        age=40,
        publics=[],
        vehicule=True,
        max_km=30,
    )
    assert profile.freins == ("garde-enfants", "emploi")
    assert (profile.age, profile.publics, profile.vehicule, profile.max_km) == (
        40,
        (),
        True,
        30.0,
    )


def test_blank_optional_values_are_absent():
    profile = parse(commune="60057", freins="emploi", age="", vehicule="", max_km=" ")
    assert (profile.age, profile.vehicule, profile.max_km) == (None, None, None)


def test_location_from_point_maps_to_commune():
    loc = parse_location(MultiDict({"lat": "49.43", "lon": "2.09"}), GAZ)
    assert (loc.code_insee, loc.nom, loc.departement, loc.lat, loc.lon) == (
        "60057",
        "Beauvais",
        "60",
        49.43,
        2.09,
    )


def test_location_outside_france_is_kept_without_commune():
    loc = parse_location({"lat": 51.5, "lon": -0.12}, GAZ)
    assert (loc.code_insee, loc.departement, loc.lat) == (None, None, 51.5)
    assert loc.to_dict() == {
        "code_insee": None,
        "nom": None,
        "departement": None,
        "lat": 51.5,
        "lon": -0.12,
        "alternatives": [],
    }


def test_ambiguous_name_lists_alternatives():
    loc = parse_location({"commune": "saint-denis"}, GAZ)
    assert loc.code_insee == "97411"  # the most populated one
    assert [a["code_insee"] for a in loc.to_dict()["alternatives"]] == ["93066"]


def test_location_optional():
    assert parse_location({}, GAZ, required=False) is None


LONG = "x" * 201

OK = {"commune": "60057", "freins": "emploi"}  # a valid request, spoiled one field at a time
IP, MP = InvalidParameter, MissingParameter

BAD_INPUTS = [
    # params, error class, parameter, words of the French message
    ({"freins": "emploi"}, MP, "commune", "Indiquez une commune"),
    ({"commune": "60057"}, MP, "freins", "au moins un frein"),
    ({**OK, "freins": ""}, MP, "freins", "frein"),
    ({**OK, "freins": "velo"}, UnknownFrein, "freins", "Frein inconnu"),
    ({**OK, "freins": ["emploi", 3]}, IP, "freins", "liste de codes"),
    ({**OK, "freins": {"a": 1}}, IP, "freins", "liste de codes"),
    ({**OK, "freins": ",".join(["emploi"] * 600)}, IP, "freins", "trop long"),
    ({**OK, "freins": [LONG]}, IP, "freins", "trop longue"),
    ({**OK, "publics": "martiens"}, UnknownPublic, "publics", "Public inconnu"),
    ({**OK, "age": "vingt"}, IP, "age", "entier entre 0 et 120"),
    ({**OK, "age": "121"}, IP, "age", "entier entre 0 et 120"),
    ({**OK, "age": -1}, IP, "age", "entier"),
    ({**OK, "age": 22.5}, IP, "age", "entier"),
    ({**OK, "age": True}, IP, "age", "entier"),
    ({**OK, "vehicule": "peut-etre"}, IP, "vehicule", "true ou false"),
    ({**OK, "vehicule": 2}, IP, "vehicule", "true ou false"),
    ({**OK, "max_km": "0"}, IP, "max_km", "strictement supérieur à 0"),
    ({**OK, "max_km": "-3"}, IP, "max_km", "strictement supérieur"),
    ({**OK, "max_km": "1001"}, IP, "max_km", "au plus 1000"),
    ({**OK, "max_km": "loin"}, IP, "max_km", "nombre"),
    ({**OK, "max_km": "nan"}, IP, "max_km", "nombre"),
    ({**OK, "max_km": "inf"}, IP, "max_km", "nombre"),
    ({"lat": "91", "lon": "2", "freins": "emploi"}, IP, "lat", "entre -90 et 90"),
    ({"lat": "49", "lon": "181", "freins": "emploi"}, IP, "lon", "entre -180 et 180"),
    ({"lat": "quarante", "lon": "2", "freins": "emploi"}, IP, "lat", "nombre"),
    ({"lat": "49", "freins": "emploi"}, MP, "lon", "à la fois"),
    ({"lat": "1" * 41, "lon": "2", "freins": "emploi"}, IP, "lat", "trop long"),
    ({**OK, "commune": LONG}, IP, "commune", "trop long"),
    ({**OK, "commune": ["60057"]}, IP, "commune", "chaîne"),
]
CODES = {
    IP: "parametre_invalide",
    MP: "parametre_manquant",
    UnknownFrein: "frein_inconnu",
    UnknownPublic: "public_inconnu",
}


@pytest.mark.parametrize(("params", "error", "parameter", "words"), BAD_INPUTS)
def test_bad_inputs(params, error, parameter, words):
    code = CODES[error]
    with pytest.raises(error) as caught:
        parse_profile(as_request(params), GAZ, TAX)
    exc = caught.value
    assert type(exc) is error
    assert exc.status == 400
    assert exc.code == code
    assert exc.details["parameter"] == parameter
    assert words in exc.message
    assert exc.to_dict()["error"]["code"] == code


def test_unknown_frein_lists_valid_codes():
    with pytest.raises(UnknownFrein) as caught:
        parse(commune="60057", freins="emploi,velo")
    assert caught.value.details["valid"] == list(TAX.freins)
    assert len(caught.value.details["valid"]) == 13


def test_too_many_freins():
    codes = list(TAX.freins)
    assert len(parse(commune="60057", freins=codes).freins) == 13
    with pytest.raises(InvalidParameter) as caught:
        parse(commune="60057", freins=[*codes, "autre-chose"])
    assert "13 au plus" in caught.value.message


def test_unknown_commune_is_404():
    with pytest.raises(UnknownCommune) as caught:
        parse(commune="Atlantide", freins="emploi")
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 5), ("", 5), ("1", 1), ("50", 50), (7, 7), (7.0, 7), (" 8 ", 8)],
)
def test_parse_int_accepts(value, expected):
    params = {} if value is None else {"limit": value}
    assert parse_int(as_request(params), "limit", default=5, minimum=1, maximum=50) == expected


@pytest.mark.parametrize("value", ["0", "51", "abc", "2.5", 2.5, True, "1" * 30, [3]])
def test_parse_int_rejects(value):
    with pytest.raises(InvalidParameter) as caught:
        parse_int(as_request({"limit": value}), "limit", default=5, minimum=1, maximum=50)
    assert caught.value.message == "« limit » doit être un entier entre 1 et 50."
    assert caught.value.details == {"parameter": "limit", "minimum": 1, "maximum": 50}
