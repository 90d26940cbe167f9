"""The person's fiche: French beside the chosen language, RTL where needed, the plain-language
variant, hours, appointment, the blank appointment lines, the static map, the data-age warning."""

from __future__ import annotations

import pytest

from app.pages import handover

pytestmark = pytest.mark.seeded


def test_french_fiche_has_what_the_person_needs(client):
    response = client.get("/partenaires/mobil60/fiche")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Plateforme mobilité du Beauvaisis" in html and "12 rue de la Gare" in html
    assert "Horaires d&#39;ouverture" in html
    assert "Votre rendez-vous" in html and 'class="blank__line"' in html
    assert '<path d="M' in html and "<circle" in html  # the commune's outline and the point
    assert 'class="bi__tr"' not in html  # French alone


@pytest.mark.parametrize("code", list(handover.LANGUAGES))
def test_each_language_is_printed_beside_french(client, code):
    language = handover.LANGUAGES[code]
    html = client.get(f"/partenaires/mobil60/fiche?langue={code}").get_data(as_text=True)
    direction = "rtl" if language.rtl else "ltr"
    assert f'class="bi__tr" lang="{language.html_lang}" dir="{direction}"' in html
    assert "Votre rendez-vous" in html  # the French stays
    assert "Plateforme mobilité du Beauvaisis" in html  # the name is never translated


def test_arabic_is_translated_and_right_to_left(client):
    html = client.get("/partenaires/mobil60/fiche?langue=ar").get_data(as_text=True)
    assert '<span class="bi__tr" lang="ar" dir="rtl">موعدك</span>' in html


def test_old_data_warns_to_check_hours_by_phone_in_both_languages(client):
    html = client.get("/partenaires/garage60/fiche?langue=en").get_data(as_text=True)
    assert "Informations de 2016 : horaires à vérifier par téléphone." in html
    assert "Information from 2016: check the opening hours by phone." in html


def test_plain_language_variant_has_short_sentences(client):
    html = client.get("/partenaires/mobil60/fiche?langue=falc").get_data(as_text=True)
    assert "Vous pouvez aller dans ce lieu." in html
    assert "person-sheet--falc" in html and 'class="bi__tr"' not in html


def test_unknown_language_is_a_french_400(client):
    response = client.get("/partenaires/mobil60/fiche?langue=klingon")
    assert response.status_code == 400
    assert "Langue inconnue" in response.get_data(as_text=True)


def test_unknown_partner_is_a_french_404(client):
    assert client.get("/partenaires/inexistant/fiche?langue=ar").status_code == 404


def test_carnet_page_is_drawn_by_the_browser_alone(client):
    html = client.get("/carnet").get_data(as_text=True)
    assert "<h1>Mon carnet : mes partenaires</h1>" in html
    assert "uniquement dans ce navigateur" in html and "data-carnet-page" in html


def test_partner_page_links_the_person_fiche_and_the_carnet(client):
    html = client.get("/partenaires/mobil60").get_data(as_text=True)
    assert 'href="/partenaires/mobil60/fiche"' in html
    assert "data-carnet-save='{" in html and '"id": "mobil60"' in html
