"""One rule per parameter on every endpoint and page (issue 12 §1), and the API's hostile inputs."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.seeded


def test_accented_frein_code_is_read_everywhere(client):
    assert client.get("/api/v1/partners?frein=Mobilité").status_code == 200
    url = "/api/v1/recommendations?commune=60057&freins=Mobilité"
    assert client.get(url).status_code == 200
    body = {"commune": "60057", "freins": ["Mobilité"]}
    assert client.post("/api/v1/recommendations", json=body).status_code == 200
    assert 'id="frein-mobilite" checked' in client.get("/?frein=Mobilité").get_data(as_text=True)
    assert "field-error" not in client.get("/widget?freins=Mobilité").get_data(as_text=True)


def test_public_label_case_is_read_everywhere(client):
    assert client.get("/api/v1/partners?public=Jeunes").status_code == 200
    url = "/api/v1/recommendations?commune=60057&freins=emploi&publics=Jeunes"
    assert client.get(url).status_code == 200


def test_age_has_one_range_everywhere(client):
    url = "/api/v1/recommendations?commune=60057&freins=emploi&age=10"
    assert client.get(url).status_code == 200
    html = client.post(
        "/orientation", data={"commune": "60057", "freins": "emploi", "age": "10"}
    ).get_data(as_text=True)
    assert "L&#39;âge doit être" not in html
    html = client.post(
        "/orientation", data={"commune": "60057", "freins": "emploi", "age": "121"}
    ).get_data(as_text=True)
    assert "L&#39;âge doit être un nombre entier entre 0 et 120." in html
    assert client.get(url.replace("age=10", "age=121")).status_code == 400


def test_openapi_servers_never_follow_the_host_header(client):
    doc = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert "evil.example" not in json.dumps(doc)


@pytest.mark.parametrize("path", ["/api/v1/fit", "/api/v1/recommendations"])
def test_deeply_nested_json_is_a_400(client, path):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "parametre_invalide"


def test_blank_means_absent_in_a_query_but_not_for_a_json_number(client):
    """Forms send their empty fields: ``age=`` is no age. In JSON, ``"age": ""`` is a text
    where a number is due (the OpenAPI document says ``null`` for absent)."""
    url = "/api/v1/recommendations?commune=60057&freins=emploi&age=&limit=%1C&vehicule=+"
    assert client.get(url).status_code == 200
    for field in ("age", "max_km", "limit", "lat", "vehicule"):
        body = {"commune": "60057", "freins": ["emploi"], field: ""}
        assert client.post("/api/v1/recommendations", json=body).status_code == 400, field


def test_a_whole_number_written_with_a_decimal_point_is_an_integer(client):
    # JSON Schema calls 2.0 an integer, and clients generated from the document send it so
    assert client.get("/api/v1/partners?page=1.0&per_page=2.00").get_json()["per_page"] == 2
    assert client.get("/api/v1/partners?per_page=2.5").status_code == 400


def test_the_longest_list_the_document_allows_is_accepted(client):
    from recommender.params import MAX_TYPES
    from recommender.taxonomy import default_taxonomy

    # repeats are allowed (and dropped): 50 times the longest code is over 1,000 characters
    longest = max(default_taxonomy().partner_types, key=len)
    assert client.get("/api/v1/partners?type=" + ",".join([longest] * MAX_TYPES)).status_code == 200
