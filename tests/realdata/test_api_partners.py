"""GET /api/v1/partners and /partners/<id> on the real shared data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

PARTNER_KEYS = {
    "id",
    "nom",
    "type",
    "adresse",
    "code_postal",
    "commune",
    "departement",
    "lat",
    "lon",
    "telephone",
    "email",
    "site_web",
    "horaires",
    "freins",
    "thematiques",
    "publics",
    "zone",
    "sources",
    "updated_at",
}


def test_search_by_frein_and_commune_lists_nearest_first(real_client):
    response = real_client.get("/api/v1/partners?frein=justice&commune=Beauvais&radius_km=15")
    assert response.status_code == 200
    body = response.get_json()
    assert {"total", "page", "per_page", "results", "facets"} <= set(body)
    assert body["page"] == 1 and body["per_page"] == 20
    assert body["total"] == len(body["results"]) or len(body["results"]) == 20
    distances = [r["distance_km"] for r in body["results"]]
    assert distances == sorted(distances)
    assert all(d <= 15 for d in distances)
    assert body["facets"]["frein"]["justice"] == body["total"]
    spip = next(r for r in body["results"] if r["type"]["code"] == "spip")
    assert set(spip) >= PARTNER_KEYS
    assert spip["type"] == {"code": "spip", "label": spip["type"]["label"]}
    assert spip["commune"] == {"code_insee": "60057", "nom": spip["commune"]["nom"]}
    assert spip["sources"] == [
        {
            "source": "annuaire-service-public",
            "source_id": "spip-60057-01",
            "updated_at": "2014-12-08",
        }
    ]
    assert spip["distance_km"] < 3


def test_full_text_is_french_aware(real_client):
    for q in ("auto-école sociale", "auto ecoles sociales", "autoecole sociale"):
        body = real_client.get("/api/v1/partners", query_string={"q": q}).get_json()
        assert body["total"] >= 10, q
        assert body["results"][0]["type"]["code"] == "auto-ecole-sociale", q


def test_text_search_near_a_commune_with_radius(real_client):
    body = real_client.get(
        "/api/v1/partners",
        query_string={"q": "mission locale", "commune": "Compiègne", "radius_km": 30},
    ).get_json()
    assert body["total"] >= 1
    assert body["location"]["code_insee"] == "60159"
    assert all(r["distance_km"] <= 30 for r in body["results"])
    assert any(r["type"]["code"] == "mission-locale" for r in body["results"])


def test_pagination_and_facets(real_client):
    first = real_client.get("/api/v1/partners?frein=numerique&per_page=5").get_json()
    second = real_client.get("/api/v1/partners?frein=numerique&per_page=5&page=2").get_json()
    assert first["total"] == second["total"] > 1000
    assert len(first["results"]) == len(second["results"]) == 5
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    assert first["facets"]["type"]["france-service"] >= 2000


def test_a_partner_merged_from_two_sources_lists_both(real_client):
    body = real_client.get("/api/v1/partners?type=france-travail&per_page=100").get_json()
    merged = [r for r in body["results"] if len(r["sources"]) > 1]
    assert merged, "France Travail 2024 agencies should merge with the 2016 annuaire's pole_emploi"
    sources = {s["source"] for s in merged[0]["sources"]}
    # data·inclusion's France Travail services may join the same agency too
    assert {"france-travail", "annuaire-service-public"} <= sources


def test_partner_detail_equals_the_search_result(real_client):
    hit = real_client.get("/api/v1/partners?frein=justice&commune=60057").get_json()["results"][0]
    response = real_client.get(f"/api/v1/partners/{hit['id']}")
    assert response.status_code == 200
    detail = response.get_json()
    hit.pop("distance_km")
    assert detail == hit


def test_unknown_partner_is_a_404_with_the_error_shape(real_client):
    response = real_client.get("/api/v1/partners/inconnu")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "code": "introuvable",
            "message": "Partenaire introuvable.",
            "details": {"id": "inconnu"},
        }
    }
