"""Answers about a person, and admin pages, are kept by no cache: ``Cache-Control: no-store``.

Errors included: a 400 or 404 of a profile endpoint still echoes or implies the profile.
See ``docs/rgpd.md``.
"""

from __future__ import annotations

import pytest

from ..support.pages_support import login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]

PROFILE = {"commune": "60057", "freins": ["mobilite"], "age": 40}

# (method, url, keyword arguments of the test client, expected status)
PROFILE_CASES = [
    ("get", "/api/v1/recommendations?commune=60057&freins=mobilite", {}, 200),
    ("get", "/api/v1/recommendations?commune=60057", {}, 400),
    ("get", "/api/v1/recommendations?commune=Zzzyxville&freins=mobilite", {}, 404),
    ("post", "/api/v1/recommendations", {"json": PROFILE}, 200),
    ("post", "/api/v1/recommendations", {"json": {"commune": "60057"}}, 400),
    ("post", "/api/v1/recommendations", {"json": {**PROFILE, "commune": "Zzzyxville"}}, 404),
    ("post", "/api/v1/fit", {"json": {**PROFILE, "partner_id": "mobil60"}}, 200),
    ("post", "/api/v1/fit", {"json": {"partner_id": "mobil60"}}, 400),
    ("post", "/api/v1/fit", {"json": {**PROFILE, "partner_id": "inconnu"}}, 404),
    ("get", "/orientation", {}, 200),
    ("post", "/orientation", {"data": {"commune": "60057", "freins": "mobilite"}}, 200),
    ("post", "/orientation", {"data": {"commune": "60057", "age": "x\x00"}}, 400),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status"), PROFILE_CASES)
def test_profile_answers_are_no_store(client, method, url, kwargs, status):
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers


@pytest.mark.parametrize(
    ("url", "status"),
    [("/admin/", 200), ("/admin/partenaires/mobil60", 200), ("/admin/partenaires/inconnu", 404)],
)
def test_admin_pages_are_no_store(client, url, status):
    login(client, "national@relais.test")
    response = client.get(url)
    assert response.status_code == status
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_admin_login_page_and_its_errors_are_no_store(client):
    assert "no-store" in client.get("/admin/connexion").headers.get("Cache-Control", "")
    refused = client.post("/admin/connexion", data={"email": "x"})  # no CSRF token: 400
    assert refused.status_code == 400
    assert "no-store" in refused.headers.get("Cache-Control", "")


def test_public_reads_stay_cacheable(client):
    response = client.get("/api/v1/partners?commune=60057")
    assert "no-store" not in response.headers.get("Cache-Control", "")
