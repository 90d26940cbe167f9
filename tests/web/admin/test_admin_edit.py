"""Admin edits: partner form with audit log, verify, archive, reviews, imports."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import select

from app import db
from app.importers.store import locked_fields
from app.models import AuditLog, CorrectionRequest, ImportRun, MergeDecision, Partner

from ...support.pages_support import csrf_token, login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]


def form_of(app, partner_id: str, **changes) -> dict:
    with db.session_scope(app) as session:
        p = session.get(Partner, partner_id)
        data = {
            "nom": p.nom,
            "description": p.description,
            "adresse": p.adresse,
            "complement_adresse": p.complement_adresse,
            "code_postal": p.code_postal,
            "commune_nom": p.commune_nom,
            "code_insee": p.code_insee or "",
            "telephone": p.telephone,
            "email": p.email,
            "site_web": p.site_web,
            "horaires": p.horaires,
            "type_code": p.type_code,
            "freins": list(p.freins),
            "publics": list(p.publics),
            "age_min": p.age_min or "",
            "age_max": p.age_max or "",
            "zone_kind": p.zone_kind,
            "zone_codes": ", ".join(p.zone_codes),
            "zone_radius_km": p.zone_radius_km or "",
        }
    data.update(changes)
    return data


def audit_rows(app) -> list[AuditLog]:
    with db.session_scope(app) as session:
        return session.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def test_edit_partner_writes_audit_log_and_refreshes_search(app, client):
    login(client, "oise@relais.test")
    page = client.get("/admin/partenaires/mobil60").get_data(as_text=True)
    assert '<label for="nom">Nom <span class="required">(obligatoire)</span></label>' in page
    token = csrf_token(client, "/admin/partenaires/mobil60")
    data = form_of(
        app,
        "mobil60",
        telephone="03 44 99 99 99",
        freins=["mobilite", "numerique"],
        csrf_token=token,
    )
    response = client.post("/admin/partenaires/mobil60", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    html = client.get("/admin/partenaires/mobil60").get_data(as_text=True)
    assert "Fiche enregistrée (2 champ(s) modifié(s))." in html
    assert "<del>03 44 12 34 56</del>" in html and "<ins>03 44 99 99 99</ins>" in html
    with db.session_scope(app) as session:
        p = session.get(Partner, "mobil60")
        assert p.telephone == "03 44 99 99 99" and p.freins == ["mobilite", "numerique"]
    log = audit_rows(app)[-1]
    assert log.action == "partner.edit" and log.target == "mobil60" and log.user_id
    assert log.changes["telephone"] == ["03 44 12 34 56", "03 44 99 99 99"]
    # The public search sees the change (indexes rebuilt).
    html = client.get("/?frein=numerique&commune=60057").get_data(as_text=True)
    assert "Plateforme mobilité du Beauvaisis" in html


def test_edited_hours_give_their_week_and_an_import_keeps_both(app, client, tmp_path):
    login(client, "oise@relais.test")
    token = csrf_token(client, "/admin/partenaires/mobil60")
    data = form_of(app, "mobil60", horaires="Du mardi au jeudi : 9h-12h", csrf_token=token)
    assert client.post("/admin/partenaires/mobil60", data=data).status_code == 303
    with db.session_scope(app) as session:
        week = session.get(Partner, "mobil60").horaires_structures
    assert list(week["jours"]) == ["mardi", "mercredi", "jeudi"]
    with db.session_scope(app) as session:
        locks = locked_fields(session, {"mobil60"})["mobil60"]
    assert {"horaires", "horaires_structures"} <= locks


def test_edit_validation_errors(app, client):
    login(client, "oise@relais.test")
    token = csrf_token(client, "/admin/partenaires/mobil60")
    data = form_of(app, "mobil60", nom="", code_postal="6000", age_min="abc", csrf_token=token)
    response = client.post("/admin/partenaires/mobil60", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "La fiche n&#39;a pas été enregistrée" in html
    assert "Le champ « Nom » est obligatoire." in html
    assert "Le code postal doit compter 5 chiffres." in html
    # Moving a partner out of one's territory is refused.
    data = form_of(app, "mobil60", code_insee="80021", csrf_token=token)
    html = client.post("/admin/partenaires/mobil60", data=data).get_data(as_text=True)
    assert "Cette commune est hors de vos départements." in html
    assert [r for r in audit_rows(app) if r.action == "partner.edit"] == []


def test_edit_errors_are_listed_in_the_page_order_and_keep_what_was_typed(app, client):
    login(client, "oise@relais.test")
    token = csrf_token(client, "/admin/partenaires/mobil60")
    data = form_of(
        app,
        "mobil60",
        nom="",
        code_insee="ABCDEFG",
        site_web="ftp://x",
        email="a b",
        age_min="40",
        age_max="abc",
        zone_radius_km="2000",
        csrf_token=token,
    )
    response = client.post("/admin/partenaires/mobil60", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html[html.index("error-summary") : html.index("</ul>", html.index("error-summary"))]
    messages = [
        "Le champ « Nom » est obligatoire.",
        "« Code INSEE de la commune » : 5 caractères au maximum.",
        "Le code INSEE doit compter 5 caractères (ex. 60057, 2A004).",
        "Le courriel n&#39;est pas valide.",
        "Le site web doit commencer par http:// ou https://.",
        "« Âge maximum » doit être un nombre entier de 0 à 120.",
        "Le rayon doit être un nombre de km entre 0 et 1000.",
    ]
    positions = [summary.index(message) for message in messages]
    assert positions == sorted(positions)
    assert 'name="code_insee" value="ABCDE"' in html  # cut to the limit, upper-cased
    assert 'name="age_max" value="abc"' in html
    assert 'value="2000"' in html


def test_mark_up_to_date_archive_and_unarchive(app, client):
    login(client, "oise@relais.test")
    token = csrf_token(client, "/admin/partenaires/garage60")
    assert (
        client.post("/admin/partenaires/garage60/a-jour", data={"csrf_token": token}).status_code
        == 303
    )
    with db.session_scope(app) as session:
        verified = session.get(Partner, "garage60").verified_at
        assert verified and (datetime.now() - verified).days < 2
    html = client.get("/partenaires/garage60").get_data(as_text=True)
    assert "Informations anciennes." not in html
    assert (
        client.post("/admin/partenaires/garage60/archiver", data={"csrf_token": token}).status_code
        == 303
    )
    with db.session_scope(app) as session:
        assert session.get(Partner, "garage60").status == "archived"
    html = client.get("/?frein=mobilite&commune=60057").get_data(as_text=True)
    assert 'href="/partenaires/garage60"' not in html
    assert (
        client.post("/admin/partenaires/garage60/restaurer", data={"csrf_token": token}).status_code
        == 303
    )
    with db.session_scope(app) as session:
        assert session.get(Partner, "garage60").status == "active"
    assert [r.action for r in audit_rows(app)] == [
        "partner.verify",
        "partner.archive",
        "partner.unarchive",
    ]


def test_correction_requests_review(app, client):
    with db.session_scope(app) as session:
        session.add(CorrectionRequest(partner_id="mobil60", message="Numéro faux", contact=""))
        session.add(CorrectionRequest(partner_id="ccas80", message="Fermé", contact=""))
    login(client, "oise@relais.test")
    html = client.get("/admin/signalements").get_data(as_text=True)
    assert "Numéro faux" in html and "Fermé" not in html  # Somme is not theirs
    with db.session_scope(app) as session:
        mine = session.scalar(
            select(CorrectionRequest).where(CorrectionRequest.partner_id == "mobil60")
        )
        theirs = session.scalar(
            select(CorrectionRequest).where(CorrectionRequest.partner_id == "ccas80")
        )
    token = csrf_token(client, "/admin/signalements")
    assert (
        client.post(
            f"/admin/signalements/{mine.id}/traiter", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert (
        client.post(
            f"/admin/signalements/{theirs.id}/traiter", data={"csrf_token": token}
        ).status_code
        == 403
    )
    with db.session_scope(app) as session:
        assert session.get(CorrectionRequest, mine.id).status == "traitee"
        assert session.get(CorrectionRequest, theirs.id).status == "ouverte"
    assert audit_rows(app)[-1].action == "correction.treat"


def test_merge_decisions_review(app, client):
    with db.session_scope(app) as session:
        session.add(
            MergeDecision(
                partner_id="mobil60", source="siae", source_id="123", rule="nom", score=0.9
            )
        )
    login(client, "oise@relais.test")
    html = client.get("/admin/fusions").get_data(as_text=True)
    assert "<code>123</code>" in html
    with db.session_scope(app) as session:
        decision = session.scalar(select(MergeDecision))
    token = csrf_token(client, "/admin/fusions")
    response = client.post(f"/admin/fusions/{decision.id}/verifiee", data={"csrf_token": token})
    assert response.status_code == 303
    with db.session_scope(app) as session:
        assert session.get(MergeDecision, decision.id).reviewed is True
    assert audit_rows(app)[-1].action == "merge.review"


CSV = (
    "nom;type;adresse;code_postal;commune;telephone\n"
    "Auto-école solidaire de Beauvais;auto-école sociale;2 rue Gambetta;60000;Beauvais;"
    "03 44 10 20 30\n"
    ";;3 rue sans nom;60000;Beauvais;\n"
).encode()


def upload(client, token, dry_run: bool):
    data = {
        "csrf_token": token,
        "source": "auto-ecoles-test",
        "fichier": (io.BytesIO(CSV), "auto_ecoles.csv"),
    }
    if dry_run:
        data["dry_run"] = "1"
    return client.post("/admin/imports/nouveau", data=data, content_type="multipart/form-data")


def test_import_upload_dry_run_then_real(app, client):
    login(client, "national@relais.test")
    page = client.get("/admin/imports/nouveau").get_data(as_text=True)
    assert "Simulation (ne rien enregistrer)" in page
    token = csrf_token(client, "/admin/imports/nouveau")
    response = upload(client, token, dry_run=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Rapport d'import (simulation : rien n'a été enregistré)" in html
    assert "Lignes rejetées (1)" in html
    with db.session_scope(app) as session:
        assert session.scalar(select(Partner).where(Partner.nom.like("Auto-école%"))) is None
    response = upload(client, token, dry_run=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Rapport d'import</h2>" in html
    with db.session_scope(app) as session:
        created = session.scalar(select(Partner).where(Partner.nom.like("Auto-école%")))
        assert created is not None
        runs = session.scalars(select(ImportRun)).all()
        assert runs and not runs[-1].dry_run
    assert [r.action for r in audit_rows(app)][-2:] == ["import.simulation", "import"]
    history = client.get("/admin/imports").get_data(as_text=True)
    assert "auto_ecoles.csv" in history
    detail = client.get(f"/admin/imports/{runs[-1].id}").get_data(as_text=True)
    assert "Lignes rejetées" in detail
    # The new partner is searchable right away.
    html = client.get("/?q=auto-école").get_data(as_text=True)
    assert "Auto-école solidaire de Beauvais" in html


def test_import_upload_errors(client, app):
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/imports/nouveau")
    response = client.post("/admin/imports/nouveau", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Choisissez le fichier à importer." in response.get_data(as_text=True)
    response = client.post(
        "/admin/imports/nouveau",
        data={"csrf_token": token, "fichier": (io.BytesIO(b"\x00\x01binaire"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    app.config["ADMIN_IMPORT_MAX_BYTES"] = 1000
    response = client.post(
        "/admin/imports/nouveau",
        data={"csrf_token": token, "fichier": (io.BytesIO(b"a" * 5000), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def test_dashboard_and_journal(app, client):
    login(client, "national@relais.test")
    html = client.get("/admin/").get_data(as_text=True)
    assert "partenaires actifs" in html and "signalements à traiter" in html
    assert client.get("/admin/journal").status_code == 200
    login(client, "oise@relais.test")
    assert client.get("/admin/journal").status_code == 403
