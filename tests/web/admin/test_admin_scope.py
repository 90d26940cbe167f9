"""Territorial scope: an admin of the Oise reads and writes only the Oise; a global admin, all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.admin.scope import Scope
from app.models import AuditLog, CorrectionRequest, ImportRun, MergeDecision, Partner, User

from ...support.pages_support import csrf_token, login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]

SOMME_CONTACT = "temoin.somme@exemple.fr 06 99 88 77 66"
OISE_CONTACT = "temoin.oise@exemple.fr 06 11 11 11 11"


@pytest.fixture
def territories(app):
    """A report, an edit and a merge on one partner of the Oise and one of the Somme."""
    with db.session_scope(app) as session:
        for partner_id, contact in (("mobil60", OISE_CONTACT), ("ccas80", SOMME_CONTACT)):
            session.add(
                CorrectionRequest(
                    partner_id=partner_id, message=f"Erreur {partner_id}", contact=contact
                )
            )
            session.add(
                AuditLog(
                    action="partner.edit",
                    target=partner_id,
                    changes={"nom": ["a", f"edit-{partner_id}"]},
                )
            )
            session.add(
                MergeDecision(
                    partner_id=partner_id, source="siae", source_id=f"src-{partner_id}", rule="nom"
                )
            )
        run = ImportRun(
            source="siae",
            filename="siae.csv",
            format="csv",
            report={
                "merges": [
                    {
                        "line": 2,
                        "nom": "Fusion Oise",
                        "partner_id": "mobil60",
                        "rule": "nom",
                        "distance_km": None,
                    },
                    {
                        "line": 3,
                        "nom": "Fusion Somme",
                        "partner_id": "ccas80",
                        "rule": "nom",
                        "distance_km": None,
                    },
                ]
            },
        )
        session.add(run)
        session.flush()
        return run.id


def test_scope_rule(app):
    with db.session_scope(app) as session:
        oise = Scope.for_user(session.scalar(select(User).where(User.email == "oise@relais.test")))
        national = Scope.for_user(
            session.scalar(select(User).where(User.email == "national@relais.test"))
        )
        mobil, ccas = session.get(Partner, "mobil60"), session.get(Partner, "ccas80")
        assert oise.allows(mobil) and not oise.allows(ccas)
        assert national.allows(mobil) and national.allows(ccas)
        assert not Scope.for_user(None).allows(mobil)
        ids = set(session.scalars(oise.filter(select(Partner.id))))
        assert "mobil60" in ids and "ccas80" not in ids
        assert "ccas80" in set(session.scalars(national.filter(select(Partner.id))))


def test_partner_page_of_another_territory_is_forbidden(client, territories):
    login(client, "oise@relais.test")
    response = client.get("/admin/partenaires/ccas80")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "hors de vos départements" in html
    assert SOMME_CONTACT not in html and "edit-ccas80" not in html
    own = client.get("/admin/partenaires/mobil60").get_data(as_text=True)
    assert OISE_CONTACT in own and "edit-mobil60" in own


def test_global_admin_reads_every_partner_page(client, territories):
    login(client, "national@relais.test")
    for partner_id, contact in (("mobil60", OISE_CONTACT), ("ccas80", SOMME_CONTACT)):
        response = client.get(f"/admin/partenaires/{partner_id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert contact in html and f"edit-{partner_id}" in html


@pytest.mark.parametrize(
    "path, oise_text, somme_text",
    [
        ("/admin/signalements?statut=tous", OISE_CONTACT, SOMME_CONTACT),
        ("/admin/fusions?statut=tous", "src-mobil60", "src-ccas80"),
        ("/admin/partenaires?statut=tous", "mobil60", "ccas80"),
    ],
)
def test_lists_are_filtered_to_the_territory(client, territories, path, oise_text, somme_text):
    login(client, "oise@relais.test")
    html = client.get(path).get_data(as_text=True)
    assert oise_text in html and somme_text not in html
    login(client, "national@relais.test")
    html = client.get(path).get_data(as_text=True)
    assert oise_text in html and somme_text in html


def test_journal_is_for_global_admins(client, territories):
    login(client, "oise@relais.test")
    assert client.get("/admin/journal").status_code == 403
    login(client, "national@relais.test")
    html = client.get("/admin/journal").get_data(as_text=True)
    assert "ccas80" in html and "mobil60" in html


def test_import_detail_shows_only_the_territory_merges(client, territories):
    login(client, "oise@relais.test")
    html = client.get(f"/admin/imports/{territories}").get_data(as_text=True)
    assert "Fusion Oise" in html and "Fusion Somme" not in html and "ccas80" not in html
    login(client, "national@relais.test")
    html = client.get(f"/admin/imports/{territories}").get_data(as_text=True)
    assert "Fusion Oise" in html and "Fusion Somme" in html


def test_review_buttons_of_another_territory_are_forbidden(app, client, territories):
    with db.session_scope(app) as session:
        report = session.scalar(
            select(CorrectionRequest).where(CorrectionRequest.partner_id == "ccas80")
        )
        merge = session.scalar(select(MergeDecision).where(MergeDecision.partner_id == "ccas80"))
        report_id, merge_id = report.id, merge.id
    login(client, "oise@relais.test")
    token = csrf_token(client, "/admin/")
    for path in (f"/admin/signalements/{report_id}/traiter", f"/admin/fusions/{merge_id}/verifiee"):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
