"""Verdict and data reliability are two things (API contract): an old record placed at its
commune's centre is a good fit all the same, and every answer says how old it is."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.seeded

# Beauvais, mobilité, a vehicle: the garage solidaire (record of 2016, point at the commune's
# centre) is 0.5 km away and mobilité is its main mission: nothing about the fit is in doubt.
PROFILE = {"commune": "60057", "freins": ["mobilite"], "age": 30, "vehicule": True}


def _result(client, partner_id):
    answer = client.post("/api/v1/recommendations", json=PROFILE).get_json()
    (found,) = [r for r in answer["freins"][0]["results"] if r["partner"]["id"] == partner_id]
    return found


def test_an_old_record_is_a_good_fit_with_an_old_fiabilite(client):
    garage = _result(client, "garage60")
    assert garage["verdict"] == "compatible" and garage["warnings"] == []
    assert garage["fiabilite"] == {
        "niveau": "ancienne",
        "mise_a_jour": "2016-01-12",
        "avertissements": [
            "Données de 2016 : à vérifier par téléphone",
            "Adresse approximative (centre de la commune)",
        ],
    }
    assert garage["partner"]["fiabilite"] == garage["fiabilite"]


def test_a_recent_record_is_up_to_date(client):
    plateforme = _result(client, "mobil60")  # updated in May 2024, point from its address
    assert plateforme["fiabilite"] == {
        "niveau": "a_jour",
        "mise_a_jour": "2024-05-02",
        "avertissements": [],
    }


def test_the_fit_check_says_the_same(client):
    fit = client.post("/api/v1/fit", json={**PROFILE, "partner_id": "garage60"}).get_json()
    assert fit["verdict"] == "compatible"
    assert fit["fiabilite"]["niveau"] == "ancienne"
    assert client.get("/api/v1/partners/garage60").get_json()["fiabilite"]["niveau"] == "ancienne"


def test_the_openapi_document_describes_fiabilite(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Fiabilite"]["properties"]["niveau"]["enum"] == [
        "a_jour",
        "ancienne",
        "inconnue",
    ]
    assert "fiabilite" in schemas["Result"]["required"]
    assert "fiabilite" in schemas["FitCheck"]["required"]
