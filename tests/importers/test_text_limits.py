"""Imported text has the admin form's limits: one number per field, capped with a warning."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app import db
from app.admin.partner_form import TEXT_FIELDS
from app.models import Partner
from app.text_limits import MAX_LENGTH

from ..support.apps import build_app
from ..support.pages_support import add_user, login
from .test_import_hostile import do_import, write


@pytest.fixture
def site(tmp_path, database_url):
    app = build_app(tmp_path, database_url)
    yield app
    app.extensions["relais.engine"].dispose()


def test_admin_form_uses_the_shared_limits():
    assert {name: spec[1] for name, spec in TEXT_FIELDS.items()} == {
        name: MAX_LENGTH[name] for name in TEXT_FIELDS
    }


def test_huge_description_is_capped_at_import_with_a_warning(site, tmp_path):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "nom", "type", "code_postal", "commune", "description", "horaires"])
    writer.writerow(["p1", "Structure courte", "ccas-cias", "60000", "Beauvais", "Accueil.", ""])
    writer.writerow(
        ["p2", "Structure bavarde", "ccas-cias", "60000", "Beauvais", "x" * 300_000, "h" * 9000]
    )
    report = do_import(site, write(tmp_path, "longs.csv", out.getvalue()))
    assert report.counts["created"] == 2, report.rejections
    warnings = [(w["line"], w["message"]) for w in report.warnings]
    assert (3, "description tronquée à 5 000 caractères") in warnings, warnings
    assert (3, "horaires tronqués à 2 000 caractères") in warnings, warnings
    assert not [w for w in warnings if w[0] == 2]
    with db.session_scope(site) as session:
        partner = session.get(
            Partner, session.scalar(select(Partner.id).where(Partner.nom == "Structure bavarde"))
        )
        assert len(partner.description) == MAX_LENGTH["description"]
        assert len(partner.horaires) == MAX_LENGTH["horaires"]
    # The partner answer stays small.
    response = site.test_client().get(f"/api/v1/partners/{partner.id}")
    assert response.status_code == 200 and len(response.data) < 20_000


def test_capped_partner_can_be_saved_by_the_admin_form(site, tmp_path):
    """What an import stores, the admin form accepts back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "nom", "type", "code_postal", "commune", "description"])
    writer.writerow(["p2", "Structure bavarde", "ccas-cias", "60000", "Beauvais", "x" * 9000])
    do_import(site, write(tmp_path, "long.csv", out.getvalue()))
    add_user(site, "national@relais.test", role="global", departements=())
    client = site.test_client()
    login(client, "national@relais.test")
    with db.session_scope(site) as session:
        partner_id = session.scalar(select(Partner.id))
    html = client.get(f"/admin/partenaires/{partner_id}").get_data(as_text=True)
    assert "x" * MAX_LENGTH["description"] in html
    assert "x" * (MAX_LENGTH["description"] + 1) not in html
