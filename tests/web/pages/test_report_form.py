"""The public "signaler une erreur" form: no cookie for readers, real CSRF protection without
a session, a visible confirmation, one row per report however often it is sent, a rate limit
per client."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import db
from app.models import CorrectionRequest

from ...support.pages_support import csrf_token

pytestmark = pytest.mark.seeded

REPORT = "/partenaires/mobil60/signaler"
PUBLIC_PAGES = (
    "/",
    "/?commune=60057&frein=mobilite",
    "/partenaires/mobil60",
    "/orientation",
    "/a-propos",
    "/widget?freins=mobilite&commune=60057",
    "/widget.js",
)


def reports(app) -> int:
    with db.session_scope(app) as session:
        return session.scalar(select(func.count(CorrectionRequest.id)))


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_set_no_cookie(client, url):
    response = client.get(url)
    response.close()  # /widget.js is a streamed file
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_orientation_post_sets_no_cookie(client):
    response = client.post("/orientation", data={"commune": "60057", "freins": "mobilite"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_report_confirmation_is_shown_at_the_form_without_a_cookie(app, client):
    token = csrf_token(client, "/partenaires/mobil60")
    response = client.post(REPORT, data={"message": "Fermé le mardi.", "csrf_token": token})
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    location = response.headers["Location"]
    assert location.endswith("/partenaires/mobil60?signalement=envoye#signalement-envoye")
    page = client.get(location)
    assert "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    confirmation = html.index('id="signalement-envoye"')
    assert 'role="status"' in html[confirmation - 200 : confirmation + 200]
    assert "Merci : votre signalement a été transmis." in html
    assert html.index('id="signaler"') < confirmation  # at the top of the form area...
    assert 'name="message"' not in html  # ...in place of the form
    assert reports(app) == 1


def test_double_submit_records_one_report(app, client):
    token = csrf_token(client, "/partenaires/mobil60")
    sent = {"message": "Le téléphone  a changé.", "contact": "cip@example.org", "csrf_token": token}
    first = client.post(REPORT, data=sent)
    again = client.post(REPORT, data={**sent, "message": " le TÉLÉPHONE a changé. "})
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert reports(app) == 1
    # Another contact, another partner or another message is another report.
    client.post(REPORT, data={**sent, "contact": "autre@example.org"})
    client.post(REPORT, data={**sent, "message": "Fermé définitivement."})
    assert reports(app) == 3


def test_reports_are_rate_limited_per_client(app, client):
    token = csrf_token(client, "/partenaires/mobil60")
    statuses = [
        client.post(REPORT, data={"message": f"Erreur numéro {i}", "csrf_token": token}).status_code
        for i in range(30)
    ]
    assert reports(app) <= 5
    assert statuses.count(303) == reports(app)
    assert statuses.count(429) == 30 - reports(app)
    refused = client.post(REPORT, data={"message": "Encore une erreur", "csrf_token": token})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Trop de " in html
    # Another client is not blocked by this one.
    other = client.post(
        REPORT,
        data={"message": "Horaires faux", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
)
def test_forged_cross_site_report_is_refused(app, client, headers):
    token = csrf_token(client, "/partenaires/mobil60")
    response = client.post(
        REPORT, data={"message": "Erreur d'adresse", "csrf_token": token}, headers=headers
    )
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert reports(app) == 0


@pytest.mark.parametrize("token", ["", "garbage", "other-partner"])
def test_report_without_a_valid_token_is_refused(app, client, token):
    if token == "other-partner":
        token = csrf_token(client, "/partenaires/spip60")
    response = client.post(
        REPORT,
        data={"message": "Erreur d'adresse", "csrf_token": token},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 400
    assert reports(app) == 0


def test_same_origin_report_is_accepted(app, client):
    token = csrf_token(client, "/partenaires/mobil60")
    response = client.post(
        REPORT,
        data={"message": "Erreur d'adresse", "csrf_token": token},
        headers={"Origin": "http://localhost", "Referer": "http://localhost/partenaires/mobil60"},
    )
    assert response.status_code == 303
    assert reports(app) == 1
