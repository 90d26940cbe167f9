"""The real partner files of ``../shared/data/partners``, imported once into one database for
the whole module (about 20 s): counts, explained rejections, cross-source merges,
idempotence."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app, db
from app.db import session_scope
from app.importers import run_import
from app.models import MergeDecision, Partner, PartnerSource

ORDER = (
    "france_services_2024-08.csv",
    "france_travail_agences_2024-01.csv",
    "siae_2021-11.csv",
    "annuaire_services_publics_2016-02.csv",
    "auto_ecoles_sociales_liste_manuelle.csv",
    "dila_annuaire_extrait_2022.json",
    "dila_annuaire_extrait_2023.json",
)
ROWS = {
    "france_services_2024-08.csv": 2845,
    "france_travail_agences_2024-01.csv": 959,
    "siae_2021-11.csv": 3853,
    "annuaire_services_publics_2016-02.csv": 14477,
    "auto_ecoles_sociales_liste_manuelle.csv": 33,
    "dila_annuaire_extrait_2022.json": 1,
    "dila_annuaire_extrait_2023.json": 1,
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("import-shared")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RELAIS_INSTANCE_PATH", str(tmp / "instance"))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE_URL": f"sqlite:///{tmp / 'shared.sqlite3'}",
                "INDEX_DIR": str(tmp / "index"),
            }
        )
    db.upgrade(app.extensions["relais.engine"])
    reports = {}
    with app.app_context():
        for name in ORDER:
            with session_scope(app) as session:
                # The two DILA samples are extracts, not full exports: no archiving.
                partial = name.startswith("dila_")
                reports[name] = run_import(
                    session, shared_data / "partners" / name, archive_missing=not partial
                )
    yield app, reports
    app.extensions["relais.engine"].dispose()


def _partner_of(session, source, source_id) -> Partner:
    ps = session.scalar(
        select(PartnerSource).where(
            PartnerSource.source == source, PartnerSource.source_id == source_id
        )
    )
    assert ps is not None, (source, source_id)
    return ps.partner


@pytest.mark.parametrize("name", ORDER)
def test_every_row_is_accounted_for(imported, name):
    _app, reports = imported
    report = reports[name]
    c = report.counts
    assert report.rows == ROWS[name]
    assert c["created"] + c["merged"] + c["rejected"] == report.rows  # first import
    assert len(report.rejections) == c["rejected"]
    for rejection in report.rejections:
        assert rejection["line"] >= 2 and rejection["reason"]
    text = report.format_text()
    assert "créés" in text and "rejetés" in text


def test_national_files_import_without_rejections(imported):
    _app, reports = imported
    for name in ORDER[:4]:
        assert reports[name].counts["rejected"] == 0, reports[name].rejections[:3]


def test_france_travail_repeated_codes_are_both_kept(imported):
    app, reports = imported
    report = reports["france_travail_agences_2024-01.csv"]
    assert report.counts["created"] == 959
    clashes = [w for w in report.warnings if "doublon" in w["message"]]
    assert {w["source_id"] for w in clashes} == {"14056-NOR0039006004", "97410-REU0001005507"}
    with session_scope(app) as session:
        first = _partner_of(session, "france-travail", "14056")
        second = _partner_of(session, "france-travail", "14056-NOR0039006004")
        assert first.id != second.id


def test_france_services_fields(imported):
    app, _reports = imported
    with session_scope(app) as session:
        fs = _partner_of(session, "france-services", "1")
        assert fs.nom == "France services de Valserhône" and fs.type_code == "france-service"
        assert fs.code_insee == "01033" and fs.coords_exact and fs.departement == "01"
        assert fs.horaires.startswith("Lundi : 13:30–17:00 ; Du mardi au jeudi : 09:00–12:00")
        assert fs.telephone == "04 50 56 87 49" and fs.email == "franceservices@ccpb01.fr"
        assert fs.freins and fs.thematiques and fs.zone_kind == "rayon"
        assert fs.source_updated_at.isoformat() == "2024-08-01"


def test_siae_keep_siret_and_kind(imported):
    app, _reports = imported
    with session_scope(app) as session:
        ei = _partner_of(session, "siae", "80746931700018-EI")
        assert ei.siret == "80746931700018" and ei.type_code == "ei"
        assert ei.nom == "Baluchon-À table citoyens"


def test_france_travail_agency_merges_with_the_2016_pole_emploi(imported):
    app, reports = imported
    annuaire = reports["annuaire_services_publics_2016-02.csv"]
    assert annuaire.counts["merged"] >= 600
    with session_scope(app) as session:
        ft = _partner_of(session, "france-travail", "01010")  # BOURG EN BRESSE PARME
        pe = _partner_of(session, "annuaire-service-public", "pole_emploi-01053-01")
        assert ft.id == pe.id
        assert {s.source for s in ft.sources} == {"france-travail", "annuaire-service-public"}
        assert ft.nom.startswith("France Travail")  # the 2024 source is fresher
        assert ft.source_updated_at.isoformat() == "2024-01-01"
        decision = session.scalar(
            select(MergeDecision).where(MergeDecision.source_id == "pole_emploi-01053-01")
        )
        assert decision.partner_id == ft.id and decision.distance_km < 3
        rules = dict(
            session.execute(
                select(MergeDecision.rule, func.count()).group_by(MergeDecision.rule)
            ).all()
        )
        assert set(rules) <= {"nom", "adresse", "proximite", "siret", "identifiant"}
        # Every merge joins two partners of one type family.
        mixed = session.scalar(
            select(func.count())
            .select_from(MergeDecision)
            .join(Partner, Partner.id == MergeDecision.partner_id)
            .where(Partner.type_code != "france-travail")
        )
        assert mixed == 0


def test_a_france_services_in_a_mairie_stays_separate(imported, tmp_path):
    from pathlib import Path

    app, _reports = imported
    fixture = Path(__file__).parent / "fixtures" / "import" / "mairies_mini.csv"
    with app.app_context(), session_scope(app) as session:
        report = run_import(session, fixture, source="mairies-test", dry_run=True)
    merged = {m["source_id"]: m for m in report.merges}
    # Attigny's mairie, at the France Services' very address, stays its own partner …
    assert "08025" not in merged
    # … while Breux-sur-Avre's joins the DILA record of the same mairie.
    assert merged["27115"]["rule"] in ("adresse", "proximite", "nom")


def test_auto_ecoles_list(imported):
    app, reports = imported
    report = reports["auto_ecoles_sociales_liste_manuelle.csv"]
    assert report.source == "auto-ecoles-sociales-liste-manuelle"
    assert report.counts["created"] == 32 and report.counts["rejected"] == 1
    assert report.rejections[0]["line"] == 34
    assert "localisation" in report.rejections[0]["reason"]
    with session_scope(app) as session:
        rows = list(
            session.scalars(
                select(Partner)
                .join(PartnerSource)
                .where(PartnerSource.source == "auto-ecoles-sociales-liste-manuelle")
            )
        )
        assert {p.type_code for p in rows} == {"auto-ecole-sociale"}
        assert all(not p.coords_exact for p in rows)
        archived = [p for p in rows if p.status == "archived"]
        assert len(archived) == 1 and "agrément perdu" in archived[0].description
        assert "agrément" not in archived[0].nom
        mobylis = next(p for p in rows if "Mobylis" in p.nom)
        assert mobylis.zone_kind == "departement" and mobylis.zone_codes == ["14", "61", "50"]
        jeunes = next(p for p in rows if p.nom == "Jeunes Auto-école")
        assert (jeunes.age_min, jeunes.age_max) == (16, 21) and jeunes.publics == ["jeunes"]


def test_dila_samples(imported):
    app, reports = imported
    assert reports["dila_annuaire_extrait_2022.json"].counts["created"] == 1
    with session_scope(app) as session:
        breux = _partner_of(session, "dila-annuaire", "0b19da66-336b-4a4d-a56a-1bbf731ec306")
        assert breux.type_code == "mairie" and breux.code_insee == "27115"
        assert breux.horaires == "Lundi : 16:30–18:30 ; Jeudi : 16:30–18:30"
        assert breux.email == "mairie@breux-sur-avre.fr" and breux.coords_exact
        assert breux.site_web == "https://www.breux-sur-avre.fr"
        fontaine = _partner_of(session, "dila-annuaire", "00007e4d-264c-43a0-b0b7-7f3b7dd995ab")
        assert fontaine.email == ""  # masked in the extract
        assert fontaine.siret == "21770188700010" and fontaine.telephone == "01 64 38 30 52"


def test_second_import_changes_nothing(imported, shared_data):
    app, _reports = imported
    with app.app_context(), session_scope(app) as session:
        before = session.scalar(select(func.count()).select_from(Partner))
        report = run_import(
            session, shared_data / "partners" / "annuaire_services_publics_2016-02.csv"
        )
        after = session.scalar(select(func.count()).select_from(Partner))
    c = report.counts
    assert c["created"] == c["updated"] == c["merged"] == c["archived"] == 0
    assert c["unchanged"] == report.rows and before == after
