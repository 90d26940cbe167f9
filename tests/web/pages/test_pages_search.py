"""The search page (``/``): layout, filters, results rendered server-side, errors inline."""

from __future__ import annotations

import re

import pytest

from ...support.pages_support import XSS_NAME

pytestmark = pytest.mark.seeded


def test_layout_is_french_accessible_and_landmarked(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in html
    assert '<main id="contenu"' in html
    assert '<nav class="site-nav" aria-label="Navigation principale">' in html
    for label in ("Recherche", "Orientation", "Administration"):
        assert f">{label}</a>" in html
    assert '<a href="/" aria-current="page">Recherche</a>' in html
    assert "<footer" in html and "Licence Ouverte" in html and "OpenStreetMap" in html
    assert "<h1>Rechercher un partenaire</h1>" in html
    # Every field has a label.
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id
    # Frein chips are real checkboxes, from the taxonomy.
    assert 'name="frein" value="mobilite"' in html and ">Mobilité</label>" in html
    assert 'name="frein" value="violences-conjugales"' in html
    assert 'aria-live="polite"' in html
    # No CDN: every asset is ours.
    assert not re.search(r'(src|href)="https?://(?!www\.openstreetmap\.org)', html)


def test_search_by_frein_and_commune_renders_results(client):
    response = client.get("/?frein=mobilite&commune=60057")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "autour de Beauvais (60)" in html
    assert "Plateforme mobilité du Beauvaisis" in html
    assert "SPIP de l&#39;Oise" not in html  # justice only
    assert re.search(r"\d+ résultats? autour de Beauvais", html)
    # Card contents: distance in French, tel: link, e-mail, hours, reasons.
    assert re.search(r"à \d+,\d km", html)
    assert '<a href="tel:0344123456">03 44 12 34 56</a>' in html
    assert 'href="mailto:contact@mobilite-beauvaisis.example"' in html
    assert "Lundi : 09:00 - 12:00 / 13:30 - 17:00" in html
    assert "<summary>Pourquoi ce résultat ?</summary>" in html
    assert "Répond au frein « Mobilité »" in html
    # Freshness and approximate location badges.
    assert "Données de 2016 : à vérifier" in html
    assert "Localisation approximative" in html
    # Facets as links, map data for the script.
    assert '<h2 id="facettes-titre">Affiner</h2>' in html
    assert 'id="carte-donnees"' in html
    assert 'href="/partenaires/mobil60"' in html


def test_partner_names_are_escaped_everywhere(client):
    html = client.get("/?frein=mobilite&commune=60057").get_data(as_text=True)
    assert XSS_NAME not in html
    assert "&lt;script&gt;alert(" in html
    # In the map's JSON data block too (tojson escapes < and >).
    data = re.search(r'id="carte-donnees">(.*?)</script>', html, re.S).group(1)
    assert "<script>" not in data and "\\u003cscript\\u003e" in data


def test_empty_search_shows_help_not_results(client):
    html = client.get("/").get_data(as_text=True)
    assert "Comment chercher ?" in html
    assert 'id="resultats-titre"' not in html


def test_free_text_and_type_filter(client):
    html = client.get("/?q=mission+locale").get_data(as_text=True)
    assert "Mission locale du Beauvaisis" in html
    html = client.get("/?type=spip").get_data(as_text=True)
    assert "SPIP de l&#39;Oise" in html
    assert "Plateforme mobilité du Beauvaisis" not in html


def test_unknown_commune_is_an_inline_error_with_suggestions(client):
    response = client.get("/?frein=mobilite&commune=Beauvai")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if "La recherche n'a pas abouti" in html:
        assert "Vouliez-vous dire" in html or "Commune" in html
    else:  # the gazetteer tolerates the typo: results around Beauvais
        assert "autour de Beauvais" in html
    html = client.get("/?commune=zzzqqqxxx").get_data(as_text=True)
    assert "La recherche n'a pas abouti" in html
    assert "Traceback" not in html


@pytest.mark.parametrize(
    "query",
    ["/?frein=inconnu", "/?commune=60057&radius_km=-3", "/?page=abc&q=x", "/?q=" + "x" * 5000],
)
def test_bad_parameters_never_500(client, query):
    response = client.get(query)
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)


def test_radius_without_commune_is_ignored_with_a_note(client):
    html = client.get("/?frein=mobilite&radius_km=10").get_data(as_text=True)
    assert "La distance maximale n&#39;est utilisée qu&#39;avec une commune." in html
    assert "Plateforme mobilité du Beauvaisis" in html


def test_pagination(client, monkeypatch):
    from app.pages import views

    monkeypatch.setattr(views, "PER_PAGE", 2)
    html = client.get("/?commune=60057").get_data(as_text=True)
    assert '<nav class="pagination" aria-label="Pagination des résultats">' in html
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in html
    assert 'href="/?commune=60057&amp;page=2" rel="next"' in html
    html = client.get("/?commune=60057&page=2").get_data(as_text=True)
    assert '<ol class="cards" start="3">' in html
    assert 'rel="prev"' in html
    html = client.get("/?commune=60057&page=99").get_data(as_text=True)
    assert "Traceback" not in html


def test_assets_served_locally(client):
    for path in (
        "/static/relais.css",
        "/static/js/relais.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/images/marker-icon.png",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_a_mistyped_frein_suggests_the_intended_one(client):
    html = client.get("/?frein=mobilté&commune=60057").get_data(as_text=True)
    assert "Vouliez-vous dire « mobilité » ?" in html
    assert "Traceback" not in html


def test_the_radius_used_is_said(client):
    # Beauvais, mobilité: the partners of Beauvais lie within the default 30 km
    html = client.get("/?frein=mobilite&commune=60057").get_data(as_text=True)
    assert "autour de Beauvais (60), à 30 km au plus" in html
    # Amiens is 53 km from Beauvais: nothing within 30 km, the search widens and says so
    html = client.get("/?frein=mobilite&commune=80021").get_data(as_text=True)
    assert "Rien ne correspondait à 30 km : la recherche a été élargie à 60 km." in html
