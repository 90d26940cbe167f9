"""``app/security.py``'s promises: headers on every response, only the widget framed by
other sites, profile answers and admin pages never stored, NUL bytes refused up front."""

from __future__ import annotations

import pytest

from app.security import PROFILE_PATHS, content_security_policy, is_private_path

from ..support.apps import build_app


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.parametrize(
    ("path", "private"),
    [
        *((path, True) for path in PROFILE_PATHS),
        ("/orientation/", True),
        ("/admin", True),
        ("/admin/partenaires", True),
        ("/administration", False),
        ("/api/v1/partners", False),
        ("/", False),
        ("/widget", False),
    ],
)
def test_private_paths_are_the_profile_answers_and_the_admin(path, private):
    assert is_private_path(path) is private


def test_the_policy_names_who_may_frame_the_page_and_loads_nothing_foreign_but_tiles():
    directives = dict(
        part.strip().partition(" ")[::2] for part in content_security_policy("'self'").split(";")
    )
    assert directives["frame-ancestors"] == "'self'"
    assert directives["default-src"] == directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "https://tile.openstreetmap.org" in directives["img-src"]


def test_every_response_carries_the_headers_errors_included(client):
    for path in ("/", "/a-propos", "/api/v1/freins", "/page-inexistante"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert _directives(response)["frame-ancestors"] == "'self'"


def test_only_the_widget_page_may_be_framed_by_the_configured_sites(tmp_path, database_url):
    app = build_app(tmp_path, database_url, WIDGET_FRAME_ANCESTORS="https://partenaire.example")
    try:
        widget = app.test_client().get("/widget")
        assert widget.status_code == 200
        assert _directives(widget)["frame-ancestors"] == "https://partenaire.example"
        assert "X-Frame-Options" not in widget.headers
        script = app.test_client().get("/widget.js")
        script.close()  # a file response
        assert _directives(script)["frame-ancestors"] == "'self'"
    finally:
        app.extensions["relais.engine"].dispose()


def test_profile_answers_and_admin_pages_are_not_stored_errors_included(client):
    for path in (
        "/api/v1/recommendations?commune=Beauvais&freins=emploi",
        "/api/v1/recommendations?freins=inconnu",  # a 400
        "/orientation",
        "/admin/connexion",
    ):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert client.get("/a-propos").headers.get("Cache-Control") != "no-store"


def test_a_nul_byte_in_the_address_is_refused_with_a_french_error(client):
    response = client.get("/api/v1/partners?q=a%00b")
    assert response.status_code == 400
    assert "nul" in response.get_json()["error"]["message"]


def test_a_nul_byte_in_a_form_is_refused_before_the_view(client):
    response = client.post("/orientation", data={"commune": "Beauvais\x00"})
    assert response.status_code == 400
    assert "Caractère nul interdit dans le formulaire" in response.get_data(as_text=True)
