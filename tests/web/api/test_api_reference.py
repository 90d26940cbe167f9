"""GET /api/v1/freins, /communes and /openapi.json: the referential endpoints."""

from __future__ import annotations

import json

from recommender.taxonomy import DEFAULT_DIRECTORY

# The API serves the taxonomy's freins in file order; test_taxonomy pins them to the contract.
FREIN_CODES = [
    frein["code"]
    for frein in json.loads((DEFAULT_DIRECTORY / "freins.json").read_text(encoding="utf-8"))
]


def test_freins_lists_the_thirteen_contract_codes_in_order(client):
    response = client.get("/api/v1/freins")
    assert response.status_code == 200
    freins = response.get_json()["freins"]
    assert [f["code"] for f in freins] == FREIN_CODES
    justice = freins[FREIN_CODES.index("justice")]
    assert set(justice) == {"code", "label", "description", "thematiques", "partner_types"}
    assert "spip" in justice["partner_types"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]


def test_freins_answers_304_to_a_conditional_request(client):
    etag = client.get("/api/v1/freins").headers["ETag"]
    assert client.get("/api/v1/freins", headers={"If-None-Match": etag}).status_code == 304


def test_communes_autocomplete_returns_the_contract_fields(client):
    response = client.get("/api/v1/communes?q=beauvai&limit=3")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) <= 3
    assert results[0] == {
        "code_insee": "60057",
        "nom": "Beauvais",
        "codes_postaux": ["60000"],
        "departement": "60",
        "lat": results[0]["lat"],
        "lon": results[0]["lon"],
    }
    assert 49.3 < results[0]["lat"] < 49.5 and 2.0 < results[0]["lon"] < 2.2


def test_openapi_documents_every_contract_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/freins",
        "/communes",
        "/partners",
        "/partners/{partner_id}",
        "/recommendations",
        "/fit",
        "/couverture",
    }
    assert set(doc["paths"]["/recommendations"]) == {"get", "post"}
    frein_enum = doc["components"]["schemas"]["Partner"]["properties"]["freins"]["items"]["enum"]
    assert frein_enum == FREIN_CODES
    for path in doc["paths"].values():
        for operation in path.values():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}
