"""Campaigns end to end over a real SMTP server: who gets a mail, the personal link
(confirm, correct, unsubscribe), reminders, refused recipients, bad links, missing settings."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from app import db
from app.campaigns.mailer import MailSetupError, SmtpSettings
from app.campaigns.tokens import link_token
from app.models import (
    AuditLog,
    Campaign,
    CampaignMessage,
    CorrectionRequest,
    Partner,
    Unsubscribe,
    utcnow,
)
from app.pages.contribution_form import CORRECTION_FIELDS

from ..support.apps import build_app
from ..support.factories import partner
from ..support.pages_support import add_user, csrf_token, login

OISE = ("60057", "60104", "60286", "60175")  # Beauvais, Breteuil, Grandvilliers, Creil
SOMME = "80021"


@pytest.fixture
def campaign_app(tmp_path, database_url, smtp):
    """Real mairies of the Oise and one of the Somme, with their published e-mails."""
    app = build_app(
        tmp_path,
        database_url,
        RELAIS_SMTP_URL=smtp.url,
        RELAIS_PUBLIC_URL="http://relais.test",
        # production paces mails (30 a minute); a test does not wait
        CAMPAIGN_MAILS_PER_MINUTE=600_000,
    )
    with db.session_scope(app) as session:
        rows = [partner(code) for code in (*OISE, SOMME)]
        assert all("@" in row.email for row in rows), "une mairie de test sans courriel"
        session.add_all(rows)
        archived = partner(OISE[0], status="archived")
        archived.email = "archivee@" + archived.email.split("@")[1]
        session.add(archived)
    add_user(app, "oise@relais.test", role="admin", departements=("60",))
    yield app
    app.extensions["relais.engine"].dispose()


def oise_partners(app) -> dict[str, Partner]:
    """The active Oise partners, by e-mail."""
    with db.session_scope(app) as session:
        rows = session.scalars(
            select(Partner).where(Partner.departement == "60", Partner.status == "active")
        ).all()
        session.expunge_all()
    return {row.email.lower(): row for row in rows}


def path_of(link: str) -> str:
    assert link.startswith("http://relais.test/mise-a-jour/")
    return urlsplit(link).path


def send(app, *args: str):
    return app.test_cli_runner().invoke(args=["campaign", "send", *args])


def test_round_trip_confirm_correct_unsubscribe(campaign_app, smtp):
    app = campaign_app
    partners = oise_partners(app)
    result = send(app, "--departement", "60")
    assert result.exit_code == 0, result.output
    assert f"{len(partners)} courriel(s) envoyé(s), 0 refusé(s)" in result.output

    # N mails for the N active partners of the Oise with an e-mail, none elsewhere
    assert sorted(m["To"] for m in smtp.messages) == sorted(partners)
    first_email, second_email, third_email = sorted(partners)[:3]
    mail = smtp.to(first_email)[0]
    body = mail.get_content()
    assert partners[first_email].nom in body and partners[first_email].adresse in body
    assert mail["List-Unsubscribe"].startswith("<http://relais.test/mise-a-jour/")
    assert "Ces informations sont-elles exactes" in body

    # 1. confirm: the record is verified today, the API says so
    client = app.test_client()
    page = path_of(smtp.link(mail))
    response = client.get(page)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert f'name="telephone" value="{partners[first_email].telephone}"' in html  # prefilled
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Set-Cookie" not in response.headers
    token = csrf_token(client, page)
    response = client.post(page + "/confirmer", data={"csrf_token": token})
    assert response.status_code == 303
    assert "la fiche est marquée comme à jour" in client.get(response.location).get_data(
        as_text=True
    )
    today = utcnow().date()
    confirmed = partners[first_email]
    api = client.get(f"/api/v1/partners/{confirmed.id}").get_json()
    assert api["updated_at"] == today.isoformat()
    with db.session_scope(app) as session:
        assert session.get(Partner, confirmed.id).verified_at.date() == today
        assert (
            session.scalar(
                select(func.count(AuditLog.id)).where(AuditLog.action == "partner.confirm")
            )
            == 1
        )

    # 2. correct: into the review queue, not the directory; an admin applies it
    page = path_of(smtp.link(smtp.to(second_email)[0]))
    corrected = partners[second_email]
    form = {name: getattr(corrected, name) or "" for name in CORRECTION_FIELDS}
    form.update(telephone="03 44 00 00 00", csrf_token=csrf_token(client, page))
    response = client.post(page + "/corriger", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)
    with db.session_scope(app) as session:
        item = session.scalars(select(CorrectionRequest)).one()
        assert (item.kind, item.status, item.changes) == (
            "correction",
            "ouverte",
            {"telephone": "03 44 00 00 00"},
        )
        assert session.get(Partner, corrected.id).telephone == corrected.telephone
        item_id = item.id
    admin = app.test_client()
    login(admin, "oise@relais.test")
    queue = admin.get("/admin/signalements").get_data(as_text=True)
    assert "Correction du partenaire" in queue and "03 44 00 00 00" in queue
    token = csrf_token(admin, "/admin/signalements")
    response = admin.post(f"/admin/signalements/{item_id}/appliquer", data={"csrf_token": token})
    assert response.status_code == 303
    with db.session_scope(app) as session:
        assert session.get(Partner, corrected.id).telephone == "03 44 00 00 00"
        assert session.get(CorrectionRequest, item_id).status == "appliquee"
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "correction.apply")).one()
        assert audit.changes["telephone"] == [corrected.telephone, "03 44 00 00 00"]
    assert client.get(f"/api/v1/partners/{corrected.id}").get_json()["telephone"] == (
        "03 44 00 00 00"
    )
    history = unescape(admin.get(f"/admin/partenaires/{confirmed.id}").get_data(as_text=True))
    assert "Confirmé par le partenaire (campagne) par le partenaire (lien de campagne)" in history

    # 3. unsubscribe: stored, and never mailed again
    page = path_of(smtp.link(smtp.to(third_email)[0]))
    assert "Confirmer le désabonnement" in client.get(page + "/desabonnement").get_data(
        as_text=True
    )
    token = csrf_token(client, page + "/desabonnement")
    response = client.post(page + "/desabonnement", data={"csrf_token": token})
    assert response.status_code == 200
    with db.session_scope(app) as session:
        assert session.get(Unsubscribe, third_email) is not None
    smtp.messages.clear()
    result = send(app, "--departement", "60")
    assert result.exit_code == 0, result.output
    assert third_email not in {m["To"] for m in smtp.messages}
    assert len(smtp.messages) == len(partners) - 1


def test_reminders_go_to_those_who_did_not_answer(campaign_app, smtp):
    app = campaign_app
    assert send(app, "--departement", "60").exit_code == 0
    answered = smtp.messages[0]
    client = app.test_client()
    page = path_of(smtp.link(answered))
    client.post(page + "/confirmer", data={"csrf_token": csrf_token(client, page)})
    result = app.test_cli_runner().invoke(args=["campaign", "remind", "--after-days", "7"])
    assert "0 relance(s) à envoyer." in result.output  # mailed today: not yet
    with db.session_scope(app) as session:
        for message in session.scalars(select(CampaignMessage)):
            message.sent_at = utcnow() - timedelta(days=8)
    smtp.messages.clear()
    result = app.test_cli_runner().invoke(args=["campaign", "remind", "--after-days", "7"])
    assert result.exit_code == 0, result.output
    partners = oise_partners(app)
    assert sorted(m["To"] for m in smtp.messages) == sorted(set(partners) - {answered["To"]})
    assert all(m["Subject"].startswith("Rappel : ") for m in smtp.messages)


def test_refused_recipient_is_reported(campaign_app, smtp):
    app = campaign_app
    refused = sorted(oise_partners(app))[0]
    smtp.refuse.add(refused)
    result = send(app, "--departement", "60")
    assert result.exit_code == 0, result.output
    assert "1 refusé(s)" in result.output
    assert f"<{refused}> : 550 5.1.1 Destinataire inconnu" in result.output
    report = app.test_cli_runner().invoke(args=["campaign", "report"])
    assert "1 refusé(s)" in report.output and refused in report.output
    with db.session_scope(app) as session:
        message = session.scalars(
            select(CampaignMessage).where(CampaignMessage.email == refused)
        ).one()
        assert message.sent_at is None and message.error.startswith("550")
    admin = app.test_client()
    login(admin, "oise@relais.test")
    page = admin.get("/admin/campagnes").get_data(as_text=True)
    assert refused in page and "550 5.1.1 Destinataire inconnu" in page


def test_dry_run_and_filters_send_nothing(campaign_app, smtp):
    app = campaign_app
    result = send(app, "--departement", "60", "--limit", "2", "--dry-run")
    assert result.exit_code == 0
    assert "Simulation : 2 partenaire(s)" in result.output
    assert smtp.messages == []
    with db.session_scope(app) as session:
        assert session.scalar(select(func.count(Campaign.id))) == 0
    with db.session_scope(app) as session:  # checked this month: not older than 12 months
        for row in session.scalars(select(Partner).where(Partner.departement == "60")):
            row.mark_verified()
    result = send(app, "--older-than-months", "12", "--dry-run")
    assert "Simulation : 1 partenaire(s)" in result.output  # the Somme's


def test_missing_settings_are_a_french_error_and_record_nothing(tmp_path, database_url):
    app = build_app(tmp_path, database_url)
    with db.session_scope(app) as session:
        session.add(partner(OISE[0]))
    result = send(app)
    assert result.exit_code != 0
    assert "RELAIS_PUBLIC_URL n'est pas défini" in result.output
    app.config["RELAIS_PUBLIC_URL"] = "https://relais.example.org"
    result = send(app)
    assert result.exit_code != 0
    assert "RELAIS_SMTP_URL n'est pas défini" in result.output
    app.config["RELAIS_SMTP_URL"] = "smtp://127.0.0.1:1"
    result = send(app)
    assert result.exit_code != 0 and "injoignable" in result.output
    assert "Traceback" not in result.output
    with db.session_scope(app) as session:
        assert session.scalar(select(func.count(Campaign.id))) == 0
    app.extensions["relais.engine"].dispose()


def test_forged_and_expired_links_are_french_4xx(campaign_app, smtp, monkeypatch):
    app = campaign_app
    assert send(app, "--departement", "60").exit_code == 0
    client = app.test_client()
    link = path_of(smtp.link(smtp.messages[0]))
    forged = client.get(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))
    assert forged.status_code == 404
    assert "Ce lien de mise à jour n'est pas valide" in unescape(forged.get_data(as_text=True))
    assert client.post(link[:-2] + "zz/confirmer").status_code == 404
    with app.app_context():
        real_timestamp = TimestampSigner.get_timestamp
        monkeypatch.setattr(
            TimestampSigner, "get_timestamp", lambda self: real_timestamp(self) - 61 * 86400
        )
        old = link_token(1)
        monkeypatch.undo()
    for url in (f"/mise-a-jour/{old}", f"/mise-a-jour/{old}/desabonnement"):
        expired = client.get(url)
        assert expired.status_code == 410
        assert "Ce lien de mise à jour a expiré" in unescape(expired.get_data(as_text=True))
    assert client.post(f"/mise-a-jour/{old}/confirmer").status_code == 410
    with db.session_scope(app) as session:
        assert session.scalar(select(func.count(CampaignMessage.answered_at))) == 0


def test_campaign_page_refuses_a_post_without_its_token(campaign_app, smtp):
    app = campaign_app
    assert send(app, "--departement", "60").exit_code == 0
    client = app.test_client()
    page = path_of(smtp.link(smtp.messages[0]))
    response = client.post(page + "/confirmer", data={})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)


def test_correction_field_errors_are_french(campaign_app, smtp):
    app = campaign_app
    assert send(app, "--departement", "60").exit_code == 0
    client = app.test_client()
    page = path_of(smtp.link(smtp.messages[0]))
    token = csrf_token(client, page)
    response = client.post(
        page + "/corriger",
        data={
            "csrf_token": token,
            "nom": "",
            "code_postal": "6000",
            "commune_nom": "Nulle-Part-sur-Oise",
            "site_web": "www.exemple.fr",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le champ « Nom » est obligatoire." in html
    assert "Le code postal doit compter 5 chiffres." in html
    assert "Le site web doit commencer par http:// ou https://." in html
    with db.session_scope(app) as session:
        assert session.scalar(select(func.count(CorrectionRequest.id))) == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", ("127.0.0.1", 2525, False, False, None, None)),
        ("smtps://mail.example.org", ("mail.example.org", 465, True, False, None, None)),
        (
            "smtp://relais%40example.org:p%40ss@mail.example.org:587?starttls=1",
            ("mail.example.org", 587, False, True, "relais@example.org", "p@ss"),
        ),
    ],
)
def test_smtp_url_forms(url, expected):
    s = SmtpSettings.from_url(url)
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://h:port"])
def test_bad_smtp_urls_are_french_errors(url):
    with pytest.raises(MailSetupError, match="RELAIS_SMTP_URL"):
        SmtpSettings.from_url(url)


def test_unsubscribed_address_is_matched_as_mailed(campaign_app, smtp):
    """A field holding several addresses, in capitals, is mailed (and skipped) at its first."""
    app = campaign_app
    first = sorted(oise_partners(app))[0]
    with db.session_scope(app) as session:
        row = session.scalars(select(Partner).where(Partner.email == first)).one()
        row.email = f"{first.upper()} ; secretariat@{first.split('@')[1]}"
        session.add(Unsubscribe(email=first, partner_id=row.id))
    assert send(app, "--departement", "60").exit_code == 0
    assert first not in {m["To"] for m in smtp.messages}
    assert len(smtp.messages) == len(oise_partners(app)) - 1
