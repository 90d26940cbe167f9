"""Hostile inputs found by the security review: each gets a French answer, never a 500.

Runs on SQLite and, in the PostgreSQL lane, on PostgreSQL (``database_url``).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app import db
from app.models import Partner

from ..importers.test_import_hostile import ROWS, counts, csv_text, do_import, write
from ..support.apps import build_app
from ..support.pages_support import PASSWORD, add_user, csrf_token, login


@pytest.fixture
def site(tmp_path, database_url):
    app = build_app(tmp_path, database_url)
    add_user(app, "national@relais.test", role="global", departements=())
    yield app
    app.extensions["relais.engine"].dispose()


@pytest.mark.parametrize(
    "target",
    [
        "/admin/\r\nSet-Cookie: x=1",
        "/admin/%0d%0aLocation: https://evil.example",
        "/admin/\x7fpartenaires",
        "/admin/\tpartenaires",
        "//evil.example/admin",
        "/\\evil.example",
        "/admin/../../evil",
    ],
)
def test_login_next_with_control_characters_falls_back_to_the_dashboard(site, target):
    client = site.test_client()
    token = csrf_token(client, "/admin/connexion")
    response = client.post(
        "/admin/connexion",
        query_string={"next": target},
        data={"email": "national@relais.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not any(ord(c) < 32 for c in location)
    assert location == "/admin/" or location.startswith("/admin/")


def test_login_next_keeps_a_local_admin_path(site):
    client = site.test_client()
    token = csrf_token(client, "/admin/connexion")
    response = client.post(
        "/admin/connexion",
        query_string={"next": "/admin/partenaires?q=gare"},
        data={"email": "national@relais.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/partenaires?q=gare"


def test_upload_with_a_filename_over_255_bytes(site):
    client = site.test_client()
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/imports/nouveau")
    name = "partenaires-" + "x" * 300 + ".csv"
    response = client.post(
        "/admin/imports/nouveau",
        data={
            "csrf_token": token,
            "dry_run": "1",
            "fichier": (io.BytesIO(csv_text(*ROWS).encode()), name),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "Rapport d'import" in response.get_data(as_text=True)


def test_nul_byte_after_8_kib_rejects_only_its_row(site, tmp_path):
    filler = [
        f"f{i},Structure numéro {i},auto-ecole-sociale,,60000,Beauvais,60,," for i in range(300)
    ]
    bad = "nul1,Structure \x00 piégée,auto-ecole-sociale,,60000,Beauvais,60,,"
    text = csv_text(*filler, bad, ROWS[0])
    assert text.index("\x00") > 8192
    report = do_import(site, write(tmp_path, "nul.csv", text))
    assert report.counts["created"] == 301
    assert [r["line"] for r in report.rejections] == [302]
    reason = report.rejections[0]["reason"]
    assert "caractère nul" in reason.lower(), reason
    with db.session_scope(site) as session:
        assert session.get(Partner, "nul1") is None


def test_excel_csv_with_a_sep_line(site, tmp_path):
    text = "sep=;\r\n" + csv_text(*ROWS).replace(",", ";").replace("\n", "\r\n")
    report = do_import(site, write(tmp_path, "excel.csv", text.encode("cp1252")))
    assert report.counts["created"] == 3, report.to_dict()
    assert [r["line"] for r in report.rejections] == []
    with db.session_scope(site) as session:
        names = set(session.scalars(select(Partner.nom)))
    assert "Auto-école « Trajectoire »" in names
    assert counts(site)[0] == 3
