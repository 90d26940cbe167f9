"""« Proposer une structure »: no cookie for readers, stateless CSRF, French field errors, a
rate limit, and nothing in the directory before an admin accepts it (then a ``contribution``
partner, audited, in the admin's territory only)."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from app import db
from app.models import AuditLog, CorrectionRequest, Partner, PartnerSource

from ...support.pages_support import csrf_token, login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]
PAGE = "/proposer-une-structure"
# A real structure of the shared data (France Travail's Beauvais agency), as a CIP would type it.
PROPOSAL = {
    "type_code": "france-travail",
    "nom": "France Travail Beauvais",
    "adresse": "2 rue Jean Monnet",
    "code_postal": "60000",
    "commune_nom": "Beauvais",
    "telephone": "3949",
    "contact": "cip@ml-beauvaisis.example",
    "note": "Agence de Beauvais, accueil sur rendez-vous l'après-midi.",
}


def proposals(app) -> list[CorrectionRequest]:
    with db.session_scope(app) as session:
        rows = session.scalars(select(CorrectionRequest)).all()
        session.expunge_all()
    return rows


def test_page_is_linked_from_the_footer_and_sets_no_cookie(client):
    search = client.get("/").get_data(as_text=True)
    assert f'href="{PAGE}"' in search
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Proposer une structure" in response.get_data(as_text=True)


def test_post_without_token_or_from_elsewhere_is_refused(app, client):
    assert client.post(PAGE, data=PROPOSAL).status_code == 400
    token = csrf_token(client, PAGE)
    response = client.post(
        PAGE, data={**PROPOSAL, "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    assert proposals(app) == []


def test_field_errors_are_french_and_keep_what_was_typed(app, client):
    token = csrf_token(client, PAGE)
    response = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "nom": "Structure à vérifier",
            "code_postal": "60000",
            "commune_nom": "Atlantide",
            "contact": "pas-une-adresse",
        },
    )
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Choisissez un type de structure." in html
    assert "Commune introuvable : vérifiez le code postal et le nom de la commune." in html
    assert "L'adresse électronique n'est pas valide." in html
    assert 'value="Structure à vérifier"' in html
    assert proposals(app) == []


def test_proposal_waits_for_an_admin_then_becomes_a_contribution_partner(app, client):
    token = csrf_token(client, PAGE)
    response = client.post(PAGE, data={**PROPOSAL, "csrf_token": token})
    assert response.status_code == 303
    assert "votre proposition a été transmise" in client.get(response.location).get_data(
        as_text=True
    )
    [item] = proposals(app)
    assert (item.kind, item.departement, item.partner_id) == ("proposition", "60", None)
    assert item.changes["code_insee"] == "60057"
    with db.session_scope(app) as session:
        assert (
            session.scalar(select(func.count(Partner.id)).where(Partner.nom == PROPOSAL["nom"]))
            == 0
        )

    # an admin of another département neither sees nor accepts it
    with db.session_scope(app) as session:
        from app.models import User

        session.get(User, 1).departements = ["80"]
    somme = app.test_client()
    login(somme, "oise@relais.test")
    assert PROPOSAL["nom"] not in somme.get("/admin/signalements").get_data(as_text=True)
    token = csrf_token(somme, "/admin/signalements")
    assert (
        somme.post(
            f"/admin/signalements/{item.id}/appliquer", data={"csrf_token": token}
        ).status_code
        == 403
    )

    national = app.test_client()
    login(national, "national@relais.test")
    queue = national.get("/admin/signalements?type=proposition").get_data(as_text=True)
    assert "Nouvelle structure proposée" in queue and PROPOSAL["nom"] in queue
    token = csrf_token(national, "/admin/signalements")
    response = national.post(f"/admin/signalements/{item.id}/appliquer", data={"csrf_token": token})
    assert response.status_code == 303
    with db.session_scope(app) as session:
        new = session.scalars(select(Partner).where(Partner.nom == PROPOSAL["nom"])).one()
        assert (new.status, new.departement, new.code_insee, new.telephone) == (
            "active",
            "60",
            "60057",
            "3949",
        )
        assert new.lat is not None and new.freins  # placed at the commune, the type's freins
        source = session.scalars(
            select(PartnerSource).where(PartnerSource.partner_id == new.id)
        ).one()
        assert source.source == "contribution"
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "proposal.accept")).one()
        assert audit.target == new.id and audit.user_id is not None
        assert session.get(CorrectionRequest, item.id).status == "appliquee"
        new_id = new.id
    assert client.get(f"/api/v1/partners/{new_id}").get_json()["nom"] == PROPOSAL["nom"]
    assert (
        national.post(
            f"/admin/signalements/{item.id}/appliquer", data={"csrf_token": token}
        ).status_code
        == 409
    )


def test_rejected_proposal_changes_nothing(app, client):
    client.post(PAGE, data={**PROPOSAL, "csrf_token": csrf_token(client, PAGE)})
    [item] = proposals(app)
    national = app.test_client()
    login(national, "national@relais.test")
    token = csrf_token(national, "/admin/signalements")
    assert (
        national.post(
            f"/admin/signalements/{item.id}/rejeter", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert proposals(app)[0].status == "rejetee"
    with db.session_scope(app) as session:
        assert (
            session.scalar(select(func.count(Partner.id)).where(Partner.nom == PROPOSAL["nom"]))
            == 0
        )


def test_proposals_are_rate_limited(app, client):
    app.config["REPORT_RATE_LIMIT"] = "2 per 10 minutes"
    token = csrf_token(client, PAGE)
    codes = [
        client.post(
            PAGE, data={**PROPOSAL, "nom": f"Structure {i}", "csrf_token": token}
        ).status_code
        for i in range(3)
    ]
    assert codes == [303, 303, 429]
    assert len(proposals(app)) == 2
