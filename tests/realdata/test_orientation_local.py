"""Issue 14 on the real data: verdict apart from the record's age, local text search,
commune resolution by the contract's rule."""

from __future__ import annotations

import csv
import gzip
import re

import pytest

from .test_referentiels import REFERENCE

pytestmark = pytest.mark.slow


def test_a_young_person_in_amiens_gets_a_compatible_mission_locale_with_old_data(real_client):
    # a 20-year-old looking for a job: the mission locale of Amiens is the place; its
    # record dates from 2015, which the answer says apart without doubting the fit
    body = real_client.get("/api/v1/recommendations?commune=Amiens&freins=emploi&age=20").get_json()
    (ml,) = [
        r
        for r in body["freins"][0]["results"]
        if r["partner"]["type"]["code"] == "mission-locale" and r["distance_km"] < 5
    ]
    assert ml["verdict"] == "compatible" and ml["warnings"] == []
    assert ml["fiabilite"]["niveau"] == "ancienne"
    year = ml["fiabilite"]["mise_a_jour"][:4]
    assert f"Données de {year} : à vérifier par téléphone" in ml["fiabilite"]["avertissements"]


def test_permis_around_amiens_is_local(real_client):
    body = real_client.get("/api/v1/partners?q=permis&commune=Amiens").get_json()
    assert body["results"] and body["results"][0]["distance_km"] <= 30
    assert body["radius_km"] == 30 and body["radius_widened"] is False
    within = real_client.get("/api/v1/partners?q=permis&commune=Amiens&radius_km=30").get_json()
    assert within["total"] > 0
    assert all(r["distance_km"] <= 30 for r in within["results"])
    assert all("mobilite" in r["freins"] + r["freins_deduits"] for r in within["results"])


def test_fit_check_search_starts_near_the_person(real_client):
    # « SPIP » from Creil (Oise): the SPIP de l'Oise first, not Polynésie or Tours
    form = {"commune": "Creil", "freins": "justice", "action": "verifier", "verifier_q": "SPIP"}
    html = real_client.post("/orientation", data=form).get_data(as_text=True)
    first = re.search(r'name="verifier_choisi" value="([^"]+)"', html)
    assert first is not None
    partner = real_client.get(f"/api/v1/partners/{first.group(1)}").get_json()
    assert (partner["type"]["code"], partner["departement"]) == ("spip", "60")


def test_saint_denis_resolves_by_population(real_client):
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as fh:
        saint_denis = {
            row["code_insee"]: int(row["population"])
            for row in csv.DictReader(fh)
            if row["nom"] == "Saint-Denis"
        }
    largest = max(saint_denis, key=saint_denis.__getitem__)
    assert largest == "97411" and saint_denis["97411"] > saint_denis["93066"]
    body = real_client.get("/api/v1/partners?commune=Saint-Denis").get_json()
    assert body["location"]["code_insee"] == largest
    assert "93066" in [c["code_insee"] for c in body["location"]["alternatives"]]
