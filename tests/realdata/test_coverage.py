"""Territorial coverage on the real shared data: the coverage's nearest partner is the
engine's nearest eligible partner, and the API answers in JSON, CSV and GeoJSON."""

from __future__ import annotations

import csv
import io
import random

import pytest

from app import db
from app.index.holder import current_index
from recommender.coverage import ReferenceProfile, departement, france, nearest_eligible
from recommender.profile import Profile, location_from_commune

pytestmark = pytest.mark.slow
PAIRS = 200


def test_nearest_partner_is_the_engines_nearest_eligible_partner(real_app):
    with real_app.app_context(), db.session_scope() as session:
        rec = current_index(session).recommender
    gazetteer = rec.gazetteer_
    communes = [c for c in france(gazetteer).communes if c.lat is not None]
    rng = random.Random(16)
    pairs = [(rng.choice(communes), rng.choice(rec.table_.freins)) for _ in range(PAIRS)]
    reference = ReferenceProfile()
    tables = {}
    for commune, frein in pairs:
        key = (commune.departement, frein)
        if key not in tables:
            territory = departement(gazetteer, commune.departement)
            nearest = nearest_eligible(rec, frein, territory.communes, reference)
            codes = [c.code_insee for c in territory.communes]
            tables[key] = {code: i for i, code in enumerate(codes)}, nearest
        position, nearest = tables[key]
        i = position[commune.code_insee]
        person = Profile(
            location_from_commune(commune), (frein,), age=reference.age, vehicule=False
        )
        results = rec.recommend(person, limit=100_000)["freins"][0]["results"]
        placed = [r for r in results if r["distance_km"] is not None]
        if not placed:
            assert nearest.rows[i] == -1, (commune.code_insee, frein)
            continue
        closest = min(r["distance_km"] for r in placed)
        tied = {r["partner_id"] for r in placed if abs(r["distance_km"] - closest) <= 0.05}
        assert rec.table_.ids[nearest.rows[i]] in tied, (commune.code_insee, frein)
        assert abs(nearest.distance[i] - closest) <= 0.05


def test_api_answers_the_contract(real_client):
    response = real_client.get("/api/v1/couverture?frein=justice&departement=60")
    assert response.status_code == 200
    body = response.get_json()
    assert body["zone"] == {"departement": "60", "nom": "Oise"}
    assert body["seuil_km"] == 15.0
    assert body["profil"] == {"age": 30, "publics": [], "vehicule": False}
    resume = body["resume"]
    assert resume["communes"] == len(body["communes"]) > 600
    assert resume["population"] == sum(c["population"] for c in body["communes"])
    blank = sum(c["population"] for c in body["communes"] if c["zone_blanche"])
    assert resume["population_zone_blanche"] == blank
    for c in body["communes"]:
        assert c["zone_blanche"] == (c["distance_km"] is None or c["distance_km"] > 15.0) or (
            abs(c["distance_km"] - 15.0) <= 0.05
        )
    assert body["epci"] and all(e["resume"]["communes"] for e in body["epci"])
    with_car = real_client.get("/api/v1/couverture?frein=justice&departement=60&vehicule=oui")
    assert with_car.get_json()["seuil_km"] == 30.0


def test_paris_is_listed_by_arrondissement(real_client):
    body = real_client.get("/api/v1/couverture?frein=emploi&departement=75").get_json()
    assert len(body["communes"]) == 20
    assert body["communes"][0]["code_insee"] == "75101"


def test_csv_and_geojson(real_client):
    by_accept = real_client.get(
        "/api/v1/couverture?frein=logement&departement=2A", headers={"Accept": "text/csv"}
    )
    assert by_accept.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(by_accept.get_data(as_text=True))))
    body = real_client.get("/api/v1/couverture?frein=logement&departement=2A").get_json()
    assert [r["code_insee"] for r in rows] == [c["code_insee"] for c in body["communes"]]
    assert {r["zone_blanche"] for r in rows} <= {"oui", "non"}
    geo = real_client.get("/api/v1/couverture?frein=logement&departement=2A&format=geojson")
    assert geo.mimetype == "application/geo+json"
    collection = geo.get_json(force=True)
    assert len(collection["features"]) == len(body["communes"])
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in collection["features"])
