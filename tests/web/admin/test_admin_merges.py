"""The merges page: every decision reachable (pages), the incoming record's name, French
rule labels, and « Annuler la fusion » (POST, CSRF, audited, within the admin's scope)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from app import db
from app.importers.dedup import _RULE_RANK, RULE_LABELS
from app.models import AuditLog, MergeDecision, Partner, PartnerSource

from ...support.pages_support import add_user, csrf_token, login
from ...support.real_rows import annuaire_and_dila_files

pytestmark = pytest.mark.admins


@dataclass
class Merged:
    decision_id: int
    partner_id: str
    source: str
    source_id: str
    old: dict  # the 2016 annuaire's row
    new: dict  # the DILA record naming it by its old pivot id
    dila_path: Path


@pytest.fixture
def merged(app, runner, shared_data, tmp_path) -> Merged:
    """A record of the DILA export names the 2016 annuaire's by its old pivot id: one merge
    (rule identifiant)."""
    annuaire, dila = annuaire_and_dila_files(tmp_path)
    assert runner.invoke(args=["import", str(annuaire.path)]).exit_code == 0
    assert runner.invoke(args=["import", str(dila.path)]).exit_code == 0
    with db.session_scope(app) as session:
        decision = session.scalar(select(MergeDecision))
        assert decision is not None and decision.rule == "identifiant"
        return Merged(
            decision.id,
            decision.partner_id,
            decision.source,
            decision.source_id,
            annuaire.rows["linked"],
            dila.rows["linked"],
            dila.path,
        )


def test_every_rule_has_a_french_label():
    assert set(_RULE_RANK) | {"structure"} <= set(RULE_LABELS)
    assert RULE_LABELS["siret"] == "Même SIRET"


def test_page_shows_the_incoming_name_source_and_label(app, client, merged):
    login(client, "national@relais.test")
    html = client.get("/admin/fusions").get_data(as_text=True)
    name = escape(merged.new["nom"])
    assert f"<strong>{name}</strong>" in html  # the record's own name, not its id
    assert f"source {merged.source}, identifiant <code>{merged.source_id}</code>" in html
    assert "<td>Identifiant de l&#39;autre source</td>" in html
    assert "<td>identifiant</td>" not in html
    assert "Annuler la fusion" in html


def test_pages_instead_of_a_silent_cap(app, client):
    with db.session_scope(app) as session:
        session.add(
            Partner(id="p60", nom="Mission locale", type_code="mission-locale", departement="60")
        )
        session.flush()
        for n in range(250):
            session.add(MergeDecision(partner_id="p60", source="s", source_id=f"r{n}", rule="nom"))
    login(client, "national@relais.test")
    html = client.get("/admin/fusions").get_data(as_text=True)
    assert "Décisions 1 à 100 sur 250" in html
    assert html.count("<code>r") == 100
    assert 'href="/admin/fusions?statut=a-verifier&amp;page=3"' in html
    html = client.get("/admin/fusions?statut=a-verifier&page=3").get_data(as_text=True)
    assert "Décisions 201 à 250 sur 250" in html and html.count("<code>r") == 50
    assert "<code>r0</code>" in html  # the oldest, on the last page
    assert client.get("/admin/fusions?page=abc").status_code == 200


def test_undo_gives_the_record_its_own_partner_and_sticks(app, client, runner, merged):
    decision_id, old_id = merged.decision_id, merged.partner_id
    source, source_id = merged.source, merged.source_id
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/fusions")
    assert client.post(f"/admin/fusions/{decision_id}/annuler").status_code == 400  # no CSRF
    response = client.post(f"/admin/fusions/{decision_id}/annuler", data={"csrf_token": token})
    assert response.status_code == 303
    with db.session_scope(app) as session:
        decision = session.get(MergeDecision, decision_id)
        assert decision.undone_at is not None and decision.undone_partner_id
        row = session.scalar(
            select(PartnerSource).where(
                PartnerSource.source == source, PartnerSource.source_id == source_id
            )
        )
        assert row.partner_id == decision.undone_partner_id != old_id
        new = session.get(Partner, row.partner_id)
        old = session.get(Partner, old_id)
        assert new.nom == merged.new["nom"] and new.status == "active"
        assert old.nom == merged.old["nom"]
        assert old.email == merged.old["email"] != new.email  # back to its own source's values
        audit = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert audit.action == "merge.undo" and audit.changes["new_partner"] == new.id
        new_id = new.id
    html = client.get("/admin/fusions?statut=annulees").get_data(as_text=True)
    assert "Annulée le" in html and f"/admin/partenaires/{new_id}" in html
    # Undoing twice says so in French.
    response = client.post(f"/admin/fusions/{decision_id}/annuler", data={"csrf_token": token})
    assert response.status_code == 303
    assert "déjà été annulée" in client.get(response.headers["Location"]).get_data(as_text=True)
    # A re-import updates the record where it now is: no new merge.
    result = runner.invoke(args=["import", str(merged.dila_path)])
    assert result.exit_code == 0, result.output
    with db.session_scope(app) as session:
        assert len(session.scalars(select(MergeDecision)).all()) == 1
        row = session.scalar(
            select(PartnerSource).where(
                PartnerSource.source == source, PartnerSource.source_id == source_id
            )
        )
        assert row.partner_id == new_id


def test_undo_stays_within_the_admins_departements(app, client, merged):
    add_user(app, "somme@relais.test", role="admin", departements=("80",))
    login(client, "somme@relais.test")
    token = csrf_token(client, "/admin/fusions")
    response = client.post(
        f"/admin/fusions/{merged.decision_id}/annuler", data={"csrf_token": token}
    )
    assert response.status_code == 403
    with db.session_scope(app) as session:
        assert session.get(MergeDecision, merged.decision_id).undone_at is None
