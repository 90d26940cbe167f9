"""Every bad input gets a 4xx with the one error shape, never a 500 (walks a table per endpoint)."""

from __future__ import annotations

import pytest

LONG = "x" * 5000

BAD_GETS = [
    # (url, status, error code)
    ("/api/v1/communes", 400, "parametre_invalide"),
    ("/api/v1/communes?q=" + LONG, 400, "parametre_invalide"),
    ("/api/v1/communes?q=beauvais&limit=0", 400, "parametre_invalide"),
    ("/api/v1/communes?q=beauvais&limit=abc", 400, "parametre_invalide"),
    ("/api/v1/communes?q=beauvais&limit=99999999999999999999", 400, "parametre_invalide"),
    ("/api/v1/partners?frein=teleportation", 400, "frein_inconnu"),
    ("/api/v1/partners?public=martiens", 400, "public_inconnu"),
    ("/api/v1/partners?type=soucoupe", 400, "parametre_invalide"),
    ("/api/v1/partners?commune=Atlantide-sur-Mer-Imaginaire", 404, "commune_inconnue"),
    ("/api/v1/partners?commune=60057&radius_km=0", 400, "parametre_invalide"),
    ("/api/v1/partners?commune=60057&radius_km=-3", 400, "parametre_invalide"),
    ("/api/v1/partners?commune=60057&radius_km=abc", 400, "parametre_invalide"),
    ("/api/v1/partners?commune=60057&radius_km=nan", 400, "parametre_invalide"),
    ("/api/v1/partners?radius_km=10", 400, "parametre_invalide"),
    ("/api/v1/partners?lat=91&lon=2", 400, "parametre_invalide"),
    ("/api/v1/partners?lat=49&lon=200", 400, "parametre_invalide"),
    ("/api/v1/partners?lat=49", 400, None),
    ("/api/v1/partners?lat=abc&lon=2", 400, "parametre_invalide"),
    ("/api/v1/partners?page=0", 400, "parametre_invalide"),
    ("/api/v1/partners?per_page=1000", 400, "parametre_invalide"),
    ("/api/v1/partners?q=" + LONG, 400, "parametre_invalide"),
    ("/api/v1/partners/" + "z" * 40, 404, "introuvable"),
    ("/api/v1/partners/%00%01", 404, "introuvable"),
    ("/api/v1/recommendations?commune=60057", 400, None),
    ("/api/v1/recommendations?freins=justice", 400, None),
    ("/api/v1/recommendations?commune=60057&freins=justice,foo", 400, "frein_inconnu"),
    ("/api/v1/recommendations?commune=60057&freins=justice&age=-1", 400, "parametre_invalide"),
    ("/api/v1/recommendations?commune=60057&freins=justice&age=deux", 400, "parametre_invalide"),
    ("/api/v1/recommendations?commune=60057&freins=justice&vehicule=peut-etre", 400, None),
    # punctuation around a word is not a yes/no (fold() used to read "\x06¤1" as "1")
    ("/api/v1/recommendations?commune=60057&freins=justice&vehicule=%06%C2%A41", 400, None),
    # a blank value is absent, but its length is what was sent: 11 spaces are too long
    ("/api/v1/recommendations?commune=60057&freins=justice&vehicule=" + "+" * 11, 400, None),
    ("/api/v1/partners?q=" + "+" * 201, 400, "parametre_invalide"),
    ("/api/v1/recommendations?commune=60057&freins=justice&max_km=0", 400, None),
    ("/api/v1/recommendations?commune=60057&freins=justice&limit=1000", 400, None),
    ("/api/v1/recommendations?commune=60057&freins=justice&publics=x", 400, "public_inconnu"),
    ("/api/v1/recommendations?commune=Zzyzx-les-Bains&freins=justice", 404, "commune_inconnue"),
    ("/api/v1/nexiste-pas", 404, "introuvable"),
    # a parameter the document does not list is refused: a typo must not pass unnoticed
    ("/api/v1/partners?ville=Amiens", 400, "parametre_inconnu"),
    ("/api/v1/partners/spip60?x=1", 400, "parametre_inconnu"),
    # the document's name for the place group is not a parameter either
    ("/api/v1/recommendations?lieu=&commune=60057&freins=justice", 400, "parametre_inconnu"),
    # Alo (Wallis-et-Futuna) exists but has no coordinates: a valid request, nothing to measure
    ("/api/v1/partners?commune=Alo", 404, "commune_non_localisee"),
    ("/api/v1/recommendations?commune=Alo&freins=justice", 404, "commune_non_localisee"),
]


@pytest.mark.parametrize(("url", "status", "code"), BAD_GETS)
def test_bad_get_parameters_answer_the_error_shape(client, url, status, code):
    response = client.get(url)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_unknown_frein_lists_the_valid_codes(client):
    body = client.get("/api/v1/partners?frein=teleportation").get_json()
    assert len(body["error"]["details"]["valid"]) == 13
    assert "justice" in body["error"]["details"]["valid"]


@pytest.mark.parametrize(
    ("url", "typo", "intended"),
    [
        ("/api/v1/recommendations?commune=Beauvais&freins=mobilté", "mobilté", "mobilite"),
        ("/api/v1/recommendations?commune=Beauvais&freins=emploi,logemnt", "logemnt", "logement"),
        ("/api/v1/partners?public=jeune", "jeune", "jeunes"),
        ("/api/v1/partners?type=misson%20locale", "misson locale", "mission-locale"),
    ],
)
def test_a_mistyped_code_gets_the_intended_one(client, url, typo, intended):
    response = client.get(url)
    assert response.status_code == 400
    details = response.get_json()["error"]["details"]
    assert details["value"] == typo and details["suggestions"][0] == intended
    assert intended in details["valid"]


def test_a_mistyped_frein_is_suggested_in_the_message(client):
    body = client.post(
        "/api/v1/recommendations", json={"commune": "Beauvais", "freins": ["mobilté"]}
    ).get_json()
    assert (
        body["error"]["message"] == "Frein inconnu : « mobilté ». Vouliez-vous dire « mobilité » ?"
    )
    unrelated = client.get("/api/v1/partners?frein=teleportation").get_json()["error"]["details"]
    assert unrelated["suggestions"] == []


def test_unknown_parameter_lists_the_valid_names(client):
    body = client.get("/api/v1/communes?q=amiens&limite=3").get_json()
    assert body["error"]["details"] == {"parameter": "limite", "valid": ["limit", "q"]}


def test_unknown_commune_suggests_close_communes(client):
    body = client.get("/api/v1/recommendations?commune=Zzyzx-les-Bains&freins=justice").get_json()
    assert "suggestions" in body["error"]["details"]


BAD_POSTS = [
    ("/api/v1/recommendations", "pas du json", "text/plain", 400),
    ("/api/v1/recommendations", "{not json", "application/json", 400),
    ("/api/v1/recommendations", "[1, 2]", "application/json", 400),
    (
        "/api/v1/recommendations",
        '{"commune": ["60057"], "freins": ["justice"]}',
        "application/json",
        400,
    ),
    ("/api/v1/recommendations", '{"commune": "60057", "freins": 3}', "application/json", 400),
    ("/api/v1/recommendations", '{"commune": "60057", "freins": []}', "application/json", 400),
    (
        "/api/v1/recommendations",
        '{"commune": "60057", "freins": ["justice"], "age": "x"}',
        "application/json",
        400,
    ),
    (
        "/api/v1/recommendations",
        '{"commune": "60057", "freins": ["justice"], "age": true}',
        "application/json",
        400,
    ),
    (
        "/api/v1/recommendations",
        '{"lat": "a", "lon": 2, "freins": ["justice"]}',
        "application/json",
        400,
    ),
    (
        "/api/v1/recommendations",
        '{"lat": 49.4, "lon": 2.1, "freins": ["justice"], "commune": "' + " " * 201 + '"}',
        "application/json",
        400,
    ),
    ("/api/v1/fit", "{}", "application/json", 400),
    ("/api/v1/fit", '{"partner_id": 12}', "application/json", 400),
    ("/api/v1/fit", '{"partner_id": "inconnu", "commune": "60057"}', "application/json", 404),
]


@pytest.mark.parametrize(("url", "data", "content_type", "status"), BAD_POSTS)
def test_bad_post_bodies_answer_the_error_shape(client, url, data, content_type, status):
    response = client.post(url, data=data, content_type=content_type)
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


def test_oversized_body_is_refused(client):
    response = client.post(
        "/api/v1/recommendations",
        data='{"commune": "' + "a" * 100_000 + '"}',
        content_type="application/json",
    )
    assert response.status_code in (400, 413)
    assert "error" in response.get_json()


def test_wrong_method_answers_405_with_the_error_shape(client):
    response = client.delete("/api/v1/freins")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "methode_non_autorisee"
