"""An import that would archive most of a source is refused unless asked for; a partial
import (no archiving) is offered on the admin upload form as in the CLI."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app import db
from app.models import Partner

from ..support.pages_support import csrf_token, login

HEADER = "id,nom,type,adresse,code_postal,commune,departement,lat,lon"


def rows(n: int) -> str:
    lines = [
        f"e{i},Auto-école sociale numéro {i},auto-ecole-sociale,,60000,Beauvais,60,,"
        for i in range(n)
    ]
    return "\n".join([HEADER, *lines]) + "\n"


def active(app) -> int:
    with db.session_scope(app) as session:
        return session.scalar(select(func.count(Partner.id)).where(Partner.status == "active"))


@pytest.fixture
def source_of_20(app, runner, tmp_path):
    """A source "essai" of 20 active partners, and a one-row file of the same source."""
    full = tmp_path / "complet.csv"
    full.write_text(rows(20))
    result = runner.invoke(args=["import", str(full), "--source", "essai"])
    assert result.exit_code == 0, result.output
    assert active(app) == 20
    one = tmp_path / "une-ligne.csv"
    one.write_text(rows(1))
    return one


def test_cli_refuses_to_archive_most_of_a_source(app, runner, source_of_20):
    result = runner.invoke(args=["import", str(source_of_20), "--source", "essai"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "archiverait 19 des 20 fiches" in result.output, result.output
    assert "--no-archive" in result.output and "--allow-mass-archive" in result.output
    assert active(app) == 20


def test_cli_partial_import_or_forced_mass_archive(app, runner, source_of_20):
    args = ["import", str(source_of_20), "--source", "essai"]
    assert runner.invoke(args=[*args, "--no-archive"]).exit_code == 0
    assert active(app) == 20
    forced = runner.invoke(args=[*args, "--allow-mass-archive"])
    assert forced.exit_code == 0, forced.output
    assert active(app) == 1


def test_small_share_is_archived_as_before(app, runner, tmp_path, source_of_20):
    most = tmp_path / "presque.csv"
    most.write_text(rows(18))
    result = runner.invoke(args=["import", str(most), "--source", "essai"])
    assert result.exit_code == 0, result.output
    assert active(app) == 18


@pytest.mark.admins
def test_admin_upload_offers_partial_import_and_asks_confirmation(app, client, source_of_20):
    login(client, "national@relais.test")
    page = client.get("/admin/imports/nouveau").get_data(as_text=True)
    assert 'name="partiel"' in page and 'name="archivage_massif"' in page

    def upload(**fields):
        token = csrf_token(client, "/admin/imports/nouveau")
        data = {"csrf_token": token, "source": "essai", **fields}
        data["fichier"] = (io.BytesIO(source_of_20.read_bytes()), "une-ligne.csv")
        return client.post("/admin/imports/nouveau", data=data, content_type="multipart/form-data")

    refused = upload()
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "archiverait 19 des 20 fiches" in html
    assert "Import partiel" in html and "Confirmer l&#39;archivage" in html
    assert active(app) == 20
    partial = upload(partiel="1")
    assert partial.status_code == 200, partial.get_data(as_text=True)[:2000]
    assert active(app) == 20
    forced = upload(archivage_massif="1")
    assert forced.status_code == 200
    assert active(app) == 1
