"""GET/POST /api/v1/recommendations and POST /api/v1/fit on the real shared data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


UNDER_JUSTICE = "personnes-en-situation-juridique-specifique"


def _types(frein_entry):
    return [r["partner"]["type"]["code"] for r in frein_entry["results"]]


def test_recommendations_follow_the_contract(real_client):
    response = real_client.get(
        "/api/v1/recommendations?commune=Beauvais&freins=justice,mobilite&age=34&vehicule=false"
        f"&publics={UNDER_JUSTICE}"
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"location", "freins", "plan"}
    assert {k: body["location"][k] for k in ("code_insee", "nom", "departement")} == {
        "code_insee": "60057",
        "nom": "Beauvais",
        "departement": "60",
    }
    assert [f["frein"] for f in body["freins"]] == ["justice", "mobilite"]
    justice = body["freins"][0]
    assert 1 <= len(justice["results"]) <= 5
    first = justice["results"][0]
    assert set(first) == {
        "partner", "score", "distance_km", "verdict", "reasons", "warnings", "fiabilite"
    }  # fmt: skip
    assert first["partner"]["type"]["code"] == "spip"
    assert first["partner"]["departement"] == "60"
    assert 0 <= first["score"] <= 1
    assert first["verdict"] in {"compatible", "a_verifier"}
    assert any("Oise" in reason for reason in first["reasons"])
    scores = [r["score"] for r in justice["results"]]
    assert scores == sorted(scores, reverse=True)
    plan = body["plan"]
    assert set(plan) == {"partners", "covers", "uncovered"}
    covered = {f for frein_list in plan["covers"].values() for f in frein_list}
    assert covered | set(plan["uncovered"]) == {"justice", "mobilite"}
    assert set(plan["covers"]) == set(plan["partners"])


def test_post_gives_the_same_answer_as_get(real_client):
    get = real_client.get("/api/v1/recommendations?commune=60159&freins=sante,logement&age=52")
    post = real_client.post(
        "/api/v1/recommendations",
        json={"commune": "60159", "freins": ["sante", "logement"], "age": 52},
    )
    assert post.status_code == 200
    assert post.get_json() == get.get_json()


def test_departemental_services_of_another_departement_are_never_proposed(real_client):
    # Bonneuil-les-Eaux (Oise) is nearer to Amiens (Somme) than to Beauvais.
    body = real_client.get(
        "/api/v1/recommendations?commune=60086&freins=justice,sante,acces-aux-droits&limit=10"
        f"&publics={UNDER_JUSTICE}"
    ).get_json()
    for entry in body["freins"]:
        for result in entry["results"]:
            if result["partner"]["zone"]["kind"] == "departement":
                assert "60" in result["partner"]["zone"]["codes"], result["partner"]["nom"]
    assert _types(body["freins"][0])[0] == "spip"


def test_a_young_person_is_sent_to_the_mission_locale_and_an_adult_is_not(real_client):
    young = real_client.get("/api/v1/recommendations?commune=Creil&freins=emploi&age=19&limit=10")
    adult = real_client.get("/api/v1/recommendations?commune=Creil&freins=emploi&age=45&limit=10")
    assert "mission-locale" in _types(young.get_json()["freins"][0])
    assert "mission-locale" not in _types(adult.get_json()["freins"][0])


def test_ambiguous_commune_lists_alternatives(real_client):
    url = "/api/v1/recommendations?commune=Saint-Denis&freins=numerique"
    body = real_client.get(url).get_json()
    # exact name, then population: La Réunion's Saint-Denis is the larger (contract rule)
    assert body["location"]["code_insee"] == "97411"
    assert "93066" in [c["code_insee"] for c in body["location"]["alternatives"]]
    assert body["freins"][0]["results"], "La Réunion has France Services"
    seine = real_client.get(
        "/api/v1/recommendations?commune=Saint-Denis 93&freins=numerique"
    ).get_json()
    assert seine["location"]["code_insee"] == "93066"


def test_fit_agrees_with_the_recommendation(real_client):
    profile = {
        "commune": "60057",
        "freins": ["justice"],
        "age": 34,
        "vehicule": False,
        "publics": [UNDER_JUSTICE],
    }
    best = real_client.post("/api/v1/recommendations", json=profile).get_json()
    result = best["freins"][0]["results"][0]
    partner_id = result["partner"]["id"]
    response = real_client.post("/api/v1/fit", json={**profile, "partner_id": partner_id})
    assert response.status_code == 200
    fit = response.get_json()
    assert {"verdict", "score", "reasons", "blockers", "distance_km", "partner"} <= set(fit)
    assert fit["verdict"] == result["verdict"]
    assert fit["warnings"] == result["warnings"]
    assert fit["score"] == pytest.approx(result["score"])
    assert fit["blockers"] == []
    assert fit["partner"] == result["partner"]


def test_fit_says_incompatible_with_blockers_for_another_departement(real_client):
    somme = real_client.get("/api/v1/partners?type=spip&commune=80021&per_page=1").get_json()
    spip_somme = somme["results"][0]
    assert spip_somme["departement"] == "80"
    fit = real_client.post(
        "/api/v1/fit",
        json={
            "partner_id": spip_somme["id"],
            "commune": "60057",
            "freins": ["justice"],
            "publics": [UNDER_JUSTICE],
        },
    ).get_json()
    assert fit["verdict"] == "incompatible"
    assert fit["blockers"]


def test_justice_without_a_justice_measure_is_access_to_law_and_says_why_no_spip(real_client):
    body = real_client.get("/api/v1/recommendations?commune=60278&freins=justice&age=40").get_json()
    entry = body["freins"][0]
    assert "spip" not in _types(entry)
    assert _types(entry)[0] == "point-justice"
    spip = [e for e in entry["ecartes"] if e["partner"]["type"]["code"] == "spip"]
    assert spip and spip[0]["raison"].startswith("écarté : SPIP : réservé aux personnes sous main")
    assert set(spip[0]) == {"partner", "distance_km", "raison"}
    assert set(spip[0]["partner"]) == {"id", "nom", "type"}


def test_mobility_without_a_vehicle_around_hirson_keeps_the_auto_ecole_sociale(real_client):
    body = real_client.get(
        "/api/v1/recommendations?commune=02381&freins=mobilite&age=40&vehicule=false"
    ).get_json()
    entry = body["freins"][0]
    said = _types(entry) + [e["partner"]["type"]["code"] for e in entry["ecartes"]]
    assert "auto-ecole-sociale" in said
    # and France Travail's secondary mission does not come before a reachable core partner
    assert _types(entry)[0] in {"auto-ecole-sociale", "plateforme-mobilite", "garage-solidaire"}


def test_an_adult_alone_is_not_sent_to_the_pmi_for_health(real_client):
    body = real_client.get("/api/v1/recommendations?commune=02381&freins=sante&age=40").get_json()
    entry = body["freins"][0]
    assert "pmi" not in _types(entry)
    assert any(e["partner"]["type"]["code"] == "pmi" for e in entry["ecartes"])
