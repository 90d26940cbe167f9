"""``relais backup`` / ``relais restore``: a round trip gives back every row identical."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sqlalchemy import delete, select, update

from app import db
from app.models import AuditLog, ImportRun, Partner, PartnerSource


def snapshot(app) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {}
    with app.app_context(), db.session_scope() as session:
        for model in (Partner, PartnerSource, AuditLog, ImportRun):
            table = model.__table__
            result = session.execute(select(table).order_by(table.c.id))
            rows[table.name] = [tuple(r) for r in result]
    return rows


def populate(app, shared_data) -> None:
    from app.importers import run_import

    with app.app_context():
        with db.session_scope() as session:
            run_import(
                session, shared_data / "partners" / "auto_ecoles_sociales_liste_manuelle.csv"
            )
        with db.session_scope() as session:
            first = session.scalars(select(Partner.id).order_by(Partner.id).limit(3)).all()
            for n, pid in enumerate(first):
                session.add(
                    AuditLog(
                        at=datetime(2024, 9, 1, 12, n),
                        action="edit",
                        target=pid,
                        changes={"nom": ["Ancien nom « été »", "Nouveau nom"], "n": n},
                    )
                )


def test_round_trip_gives_back_every_row(app, runner, shared_data, tmp_path):
    populate(app, shared_data)
    original = snapshot(app)
    assert len(original["partner"]) > 30 and len(original["audit_log"]) == 3
    path = tmp_path / "relais.backup"

    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output and path.stat().st_size > 0
    # a second backup to the same file asks first
    result = runner.invoke(args=["backup", str(path)], input="n\n")
    assert result.exit_code == 1 and "existe déjà" in result.output

    # damage the data: edits, deletions, a new log line
    with app.app_context(), db.session_scope() as session:
        session.execute(update(Partner).values(nom="écrasé"))
        session.execute(delete(AuditLog))
        session.add(AuditLog(action="delete", target="x", changes={}))
        session.execute(delete(PartnerSource).where(PartnerSource.id % 2 == 0))
    assert snapshot(app) != original

    # no confirmation, no restore
    result = runner.invoke(args=["restore", str(path)], input="n\n")
    assert result.exit_code == 1 and "seront remplacées" in result.output
    assert snapshot(app) != original

    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "Base restaurée" in result.output
    assert snapshot(app) == original
    # the app serves the restored data
    with app.app_context(), db.session_scope() as session:
        active = len(session.scalars(select(Partner.id).where(Partner.status == "active")).all())
    resp = app.test_client().get("/api/v1/partners?per_page=1")
    assert resp.status_code == 200 and resp.get_json()["total"] == active > 30


def test_restore_refuses_what_is_not_a_relais_backup(app, runner, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("pas une sauvegarde\n" * 100)
    other = tmp_path / "autre.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for path in (text_file, other):
        result = runner.invoke(args=["restore", "--yes", str(path)])
        assert result.exit_code == 1, result.output
        assert "sauvegarde" in result.output and "Traceback" not in result.output
