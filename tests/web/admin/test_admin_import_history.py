"""The admin import history: an « inchangés » column, and failed imports shown with their
reason whether they came from the CLI or from the upload page."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app import db
from app.models import ImportRun

from ...support.pages_support import csrf_token, login
from ...support.real_rows import generic_cp1252_file

pytestmark = [pytest.mark.seeded, pytest.mark.admins]


def runs(app) -> list[ImportRun]:
    with db.session_scope(app) as session:
        return session.scalars(select(ImportRun).order_by(ImportRun.id)).all()


def test_history_has_an_unchanged_column(app, client, runner, shared_data, tmp_path):
    path = generic_cp1252_file(tmp_path).path
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    assert runner.invoke(args=["import", str(path)]).exit_code == 0  # same file: unchanged
    second = runs(app)[-1]
    assert second.counts["unchanged"] > 0
    login(client, "national@relais.test")
    html = client.get("/admin/imports").get_data(as_text=True)
    assert '<th scope="col">Inchangés</th>' in html
    header = html[html.index("<thead>") : html.index("</thead>")]
    row = html[html.index(f'/admin/imports/{second.id}"') :].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    columns = [c.split("</th>")[0] for c in header.split('scope="col">')[1:]]
    assert cells[columns.index("Inchangés") - 1] == str(second.counts["unchanged"])


def test_cli_failure_appears_in_the_history(app, client, runner, tmp_path):
    bad = tmp_path / "partenaires.csv"
    bad.write_bytes(b"\x00\x01\x02 pas un CSV \x00" * 50)
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code != 0
    failed = runs(app)[-1]
    assert failed.filename == "partenaires.csv"
    assert failed.status == "Échec" and failed.error
    assert failed.error in result.output  # the same French reason as on the terminal
    login(client, "national@relais.test")
    html = client.get("/admin/imports").get_data(as_text=True)
    assert "partenaires.csv" in html and "<strong>Échec</strong>" in html
    detail = client.get(f"/admin/imports/{failed.id}").get_data(as_text=True)
    assert "Raison de l'échec" in detail and "rien n'a été enregistré" in detail


def test_cli_unknown_format_appears_in_the_history(app, runner, tmp_path):
    path = tmp_path / "export.json"
    path.write_text('{"inconnu": [1, 2, 3]}', encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0
    failed = runs(app)[-1]
    assert failed.filename == "export.json" and failed.error
    assert failed.error in result.output


def test_cli_dry_run_failure_leaves_no_run(app, runner, tmp_path):
    bad = tmp_path / "vide.csv"
    bad.write_text("", encoding="utf-8")
    assert runner.invoke(args=["import", str(bad), "--dry-run"]).exit_code != 0
    assert runs(app) == []


def test_upload_failure_appears_in_the_history(app, client):
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/imports/nouveau")
    response = client.post(
        "/admin/imports/nouveau",
        data={"csrf_token": token, "fichier": (io.BytesIO(b"\x00\x01binaire"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    failed = runs(app)[-1]
    assert failed.filename == "x.csv" and failed.error
    assert failed.error in response.get_data(as_text=True)
    assert failed.user_id is not None  # who tried
    html = client.get("/admin/imports").get_data(as_text=True)
    assert "x.csv" in html and failed.error.replace("'", "&#39;") in html


def test_an_upload_and_its_audit_entry_are_one_transaction(
    app, client, monkeypatch, shared_data, tmp_path
):
    """The import is written in the request's transaction: if its audit entry cannot be
    written, the import is not kept either."""
    from app.admin import imports as views
    from app.models import Partner, PartnerSource

    def broken_audit(*args, **kwargs):
        raise RuntimeError("journal indisponible")

    def totals() -> tuple[int, int, int]:
        with db.session_scope(app) as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model))
                for model in (Partner, PartnerSource, ImportRun)
            )

    before = totals()
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/imports/nouveau")
    monkeypatch.setattr(views, "audit", broken_audit)
    path = generic_cp1252_file(tmp_path).path
    response = client.post(
        "/admin/imports/nouveau",
        data={"csrf_token": token, "fichier": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 500  # the French error page
    assert totals() == before
