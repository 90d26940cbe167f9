"""GET /api/v1/couverture refuses bad input in the error shape, before any computation."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("query", "code", "parameter"),
    [
        ("frein=inconnu&departement=60", "frein_inconnu", "frein"),
        ("departement=60", "parametre_invalide", "frein"),
        ("frein=justice", "parametre_invalide", "departement"),
        ("frein=justice&departement=60&region=32", "parametre_invalide", "departement"),
        ("frein=justice&departement=", "parametre_invalide", "departement"),
        ("frein=justice&departement=oize", "territoire_inconnu", "departement"),
        ("frein=justice&region=Atlantide", "territoire_inconnu", "region"),
        ("frein=justice&departement=60&seuil_km=0", "parametre_invalide", "seuil_km"),
        ("frein=justice&departement=60&age=200", "parametre_invalide", "age"),
        ("frein=justice&departement=60&format=xls", "parametre_invalide", "format"),
        ("frein=justice&departement=60&ville=Beauvais", "parametre_inconnu", "ville"),
    ],
)
def test_bad_input_is_a_400_in_the_error_shape(client, query, code, parameter):
    response = client.get(f"/api/v1/couverture?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["details"]["parameter"] == parameter


def test_unknown_departement_suggests_and_lists_the_valid_codes(client):
    details = client.get("/api/v1/couverture?frein=justice&departement=oize").get_json()["error"][
        "details"
    ]
    assert details["suggestions"][0] == {"code": "60", "nom": "Oise"}
    assert "2A" in details["valid"] and "974" in details["valid"]


def test_valid_freins_are_listed(client):
    details = client.get("/api/v1/couverture?frein=x&departement=60").get_json()["error"]["details"]
    assert "mobilite" in details["valid"] and len(details["valid"]) == 13
