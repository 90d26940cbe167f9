"""The widget: ``/widget.js`` (small, cacheable, CORS, textContent only) and ``/widget``."""

from __future__ import annotations

import pytest

from ..support.pages_support import XSS_NAME

pytestmark = pytest.mark.seeded


def test_widget_js_is_small_javascript_with_cache_and_cors_headers(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert len(response.data) <= 30 * 1024
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=" in response.headers["Cache-Control"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    source = response.get_data(as_text=True)
    response.close()
    # Data is inserted with textContent; no HTML parsing of API data at all.
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "outerHTML" not in source and "document.write" not in source
    assert "attachShadow" in source
    for attribute in ("data-freins", "data-departement", "data-commune", "data-limit"):
        assert attribute in source
    assert "/api/v1/communes" in source
    # The person's need and commune travel in a POST body, never in an address.
    assert "/api/v1/recommendations" in source and 'init.method = "POST"' in source
    assert "/api/v1/partners" not in source


def test_widget_js_conditional_get(client):
    first = client.get("/widget.js")
    first.close()
    etag = first.headers.get("ETag")
    assert etag
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    again.close()
    assert again.status_code == 304


def test_widget_page_renders_partners_server_side_and_is_framable(client):
    response = client.get("/widget?freins=mobilite&commune=60057&limit=3")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Plateforme mobilité du Beauvaisis" in html
    assert "près de Beauvais (60)" in html
    assert html.count('class="card"') <= 3
    assert XSS_NAME not in html and "&lt;script&gt;" in html
    assert "X-Frame-Options" not in response.headers
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors *" in csp or "frame-ancestors" not in csp
    # Links leave the frame.
    assert '<base target="_blank">' in html
    assert 'href="/partenaires/mobil60"' in html


def test_widget_page_without_commune_asks_for_one(client):
    html = client.get("/widget?freins=mobilite,justice&departement=60").get_data(as_text=True)
    assert "Indiquez une commune (Oise (60))" in html
    assert ">Tous ces besoins</option>" in html
    assert '<option value="justice"' in html and '<option value="logement"' not in html


def test_widget_page_bad_input_is_inline(client):
    html = client.get("/widget?commune=zzzqqqxxx&limit=abc&freins=inconnu").get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "Traceback" not in html


def test_example_host_page_embeds_the_script():
    from pathlib import Path

    host = (Path(__file__).resolve().parents[2] / "examples" / "widget-host.html").read_text()
    assert "/widget.js" in host and "data-freins" in host and "<iframe" in host


@pytest.mark.parametrize("path", ["/widget?freins=mobilite&commune=60057", "/widget", "/widget.js"])
def test_widget_links_do_not_follow_the_host_header(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    response.close()
    assert "evil.example" not in body


def test_widget_page_links_use_the_configured_public_url(client, app):
    app.config["RELAIS_PUBLIC_URL"] = "https://relais.example.org/"
    html = client.get(
        "/widget?freins=mobilite&commune=60057", headers={"Host": "evil.example"}
    ).get_data(as_text=True)
    assert 'href="https://relais.example.org/partenaires/mobil60"' in html
    assert "evil.example" not in html
