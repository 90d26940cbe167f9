"""The partner page: everything known, sources with dates, freshness, "Signaler une erreur"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.models import CorrectionRequest

from ...support.pages_support import XSS_NAME, csrf_token

pytestmark = pytest.mark.seeded


def test_partner_page_shows_everything_known(client):
    response = client.get("/partenaires/mobil60")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Plateforme mobilité du Beauvaisis · Relais</title>" in html
    assert "<h1>Plateforme mobilité du Beauvaisis</h1>" in html
    assert "12 rue de la Gare" in html and "60000 Beauvais" in html
    assert '<a href="tel:0344123456">03 44 12 34 56</a>' in html
    assert "Location de scooters" in html
    assert ">Mobilité</li>" in html
    assert "Dans un rayon de 40 km autour de la structure" in html
    assert "Oise (60)" in html
    # Sources with their dates, and the import date.
    assert '<th scope="col">Mise à jour par la source</th>' in html
    assert "02/05/2024" in html and "01/08/2024" in html
    assert "<code>mobil60</code>" in html
    assert 'id="signaler-titre">Signaler une erreur' in html


def test_stale_partner_has_a_freshness_notice_and_escaped_name(client):
    html = client.get("/partenaires/garage60").get_data(as_text=True)
    assert "Informations anciennes." in html
    assert "Données de 2016 : à vérifier" in html
    assert "Approximative (centre de la commune)" in html
    assert XSS_NAME not in html
    assert "<h1>&lt;script&gt;alert(&#39;relais&#39;)&lt;/script&gt; Garage solidaire</h1>" in html


def test_departement_zone_in_words(client):
    html = client.get("/partenaires/spip60").get_data(as_text=True)
    assert "Département : Oise (60)" in html


def test_unknown_partner_is_a_french_404(client):
    response = client.get("/partenaires/inexistant")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<h1>Page introuvable</h1>" in html
    assert "Partenaire introuvable." in html
    assert '<html lang="fr">' in html
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_report_an_error_creates_a_correction_request(app, client):
    token = csrf_token(client, "/partenaires/mobil60")
    response = client.post(
        "/partenaires/mobil60/signaler",
        data={
            "message": "Fermé le mardi depuis 2025.",
            "contact": "cip@example.org",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith("/partenaires/mobil60?signalement=envoye#signalement-envoye")
    html = client.get(location).get_data(as_text=True)
    assert "Merci : votre signalement a été transmis." in html
    with db.session_scope(app) as session:
        rows = session.scalars(select(CorrectionRequest)).all()
        assert [(r.partner_id, r.message, r.contact, r.status) for r in rows] == [
            ("mobil60", "Fermé le mardi depuis 2025.", "cip@example.org", "ouverte")
        ]


def test_report_without_csrf_token_is_refused(app, client):
    response = client.post("/partenaires/mobil60/signaler", data={"message": "Erreur d'adresse"})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    with db.session_scope(app) as session:
        assert session.scalars(select(CorrectionRequest)).all() == []


def test_report_validation(client):
    token = csrf_token(client, "/partenaires/mobil60")
    response = client.post(
        "/partenaires/mobil60/signaler", data={"message": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Décrivez l&#39;erreur constatée" in html
    assert 'aria-invalid="true" aria-describedby="message-erreur"' in html
