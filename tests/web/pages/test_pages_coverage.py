"""« Couverture du territoire » (/couverture) on the seeded partners."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.seeded


def test_form_alone_before_any_choice(client):
    response = client.get("/couverture")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Couverture du territoire</h1>" in html
    assert '<option value="d:60" selected>Oise (60)</option>' in html
    assert "Zones blanches, par population" not in html
    assert 'href="/couverture" aria-current="page">Couverture</a>' in html


def test_justice_in_the_oise_is_the_spip_everywhere(client):
    # the SPIP serves people under a justice measure (rules.json): the pilot says so
    url = "/couverture?frein=justice&territoire=d%3A60"
    html = client.get(url + "&publics=personnes-en-situation-juridique-specifique").get_data(
        as_text=True
    )
    assert "Justice — Oise" in html
    # the départemental SPIP serves every commune; the far ones are zones blanches
    assert "SPIP de l&#39;Oise" in html
    assert re.search(r"<strong>\d[\d\u202f]*</strong> habitants en zone blanche", html)
    assert "Par intercommunalité" in html and "Comparaison des freins — Oise" in html
    assert 'href="/api/v1/couverture?frein=justice&amp;departement=60' in html
    assert "format=csv" in html
    assert "format=geojson" in html and "data-coverage-map" in html
    # every frein is compared, the others linked
    assert html.count('<th scope="row"><a href="/couverture?frein=') == 12
    assert "aucune structure accessible : 0 communes" in html  # the SPIP serves them all


def test_bad_fields_are_field_errors(client):
    html = client.get("/couverture?frein=justice&territoire=d%3A60&age=abc").get_data(as_text=True)
    assert '<a href="#age">« age » doit être un entier entre 0 et 120.</a>' in html
    assert 'aria-invalid="true" aria-describedby="age-erreur"' in html
    html = client.get("/couverture?frein=justice&territoire=d%3A99").get_data(as_text=True)
    assert '<a href="#territoire">Département « 99 » inconnu.</a>' in html


def test_region_and_vehicle(client):
    html = client.get("/couverture?frein=mobilite&territoire=r%3A32&vehicule=oui").get_data(
        as_text=True
    )
    assert "Mobilité — Hauts-de-France" in html
    assert "à 30&nbsp;km ou moins" in html
