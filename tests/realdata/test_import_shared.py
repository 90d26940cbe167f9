"""Every partner file of ``../shared/data/partners``, whatever its name, imported as the
README's main command does (the shipped mairies, then the folder in name order, formats
detected by content, full re-imports) into one database for the whole module: every row
accounted for, rejections explained, cross-source merges, and a second run that changes
nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.importers import ImportOptions, run_import
from app.inference import store_inferred_freins
from app.models import MergeDecision, Partner, PartnerSource

from ..support.apps import build_app
from ..support.real_rows import mairies_beside_other_sources
from ..support.shared_data import count_rows, partner_files

pytestmark = pytest.mark.slow

FILES = partner_files()
# What may keep a row out: it cannot be placed, it has no usable name, or it repeats an
# identifier already read in the same file.
REJECTABLE = re.compile(r"localisation|commune introuvable|nom manquant|en double")

AS_CLI = ImportOptions(after_write=store_inferred_freins)  # what `relais import` runs


@pytest.fixture(scope="module")
def imported(tmp_path_factory, shared_data):
    from app.cli.serve import SHIPPED_PARTNERS

    tmp = tmp_path_factory.mktemp("import-shared")
    # the production check interval: the module's app imports once, then is only read
    app = build_app(tmp, f"sqlite:///{tmp / 'shared.sqlite3'}", ENGINE_CHECK_SECONDS=2.0)
    reports = {}
    files = [SHIPPED_PARTNERS / "mairies.csv.gz", *partner_files(shared_data / "partners")]
    with app.app_context():
        for path in files:
            with session_scope(app) as session:
                reports[path.name] = run_import(session, path, AS_CLI)
    yield app, reports
    app.extensions["relais.engine"].dispose()


@pytest.fixture(scope="module")
def second_run(imported, shared_data):
    """The folder imported again (requested by the last tests of the module only)."""
    app, _reports = imported
    reports = {}
    with app.app_context():
        for path in partner_files(shared_data / "partners"):
            with session_scope(app) as session:
                reports[path.name] = run_import(session, path, AS_CLI)
    return reports


def _types(app, report) -> list[tuple[str, int]]:
    """The partner types the file's records got (most frequent first)."""
    with session_scope(app) as session:
        rows = session.execute(
            select(Partner.type_code, func.count())
            .join(PartnerSource, PartnerSource.partner_id == Partner.id)
            .where(PartnerSource.import_run_id == report.import_run_id)
            .group_by(Partner.type_code)
            .order_by(func.count().desc())
        ).all()
    return [(type_code, n) for type_code, n in rows]


def _record(session, source, source_id) -> dict:
    """The fields a source record gave (as stored beside it)."""
    ps = session.scalar(
        select(PartnerSource).where(
            PartnerSource.source == source, PartnerSource.source_id == source_id
        )
    )
    assert ps is not None, (source, source_id)
    return ps.raw["fields"]


def _partner_of(session, source, source_id) -> Partner:
    ps = session.scalar(
        select(PartnerSource).where(
            PartnerSource.source == source, PartnerSource.source_id == source_id
        )
    )
    assert ps is not None, (source, source_id)
    return ps.partner


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_row_is_accounted_for(imported, path: Path):
    app, reports = imported
    report = reports[path.name]
    c = report.counts
    types = _types(app, report)
    share = dict(types).get("autre", 0) / (sum(n for _t, n in types) or 1)
    print(
        f"\n{path.name} : {report.rows} lignes, {c['created']} créés, {c['merged']} fusionnés, "
        f"{c['updated']} mis à jour, {c['unchanged']} inchangés, {c['rejected']} rejetés, "
        f"{report.duration_s:.1f} s, « autre structure » {share:.1%} ; types {types[:6]}"
    )
    for rejection in report.rejections:
        print(f"  rejet ligne {rejection['line']} : {rejection['reason']}")
    assert report.rows == count_rows(path)
    accounted = c["created"] + c["merged"] + c["updated"] + c["unchanged"] + c["rejected"]
    assert accounted == report.rows
    assert len(report.rejections) == c["rejected"]
    for rejection in report.rejections:
        assert rejection["line"] >= 2, rejection
        assert REJECTABLE.search(rejection["reason"]), rejection
    assert c["rejected"] <= max(1, report.rows // 1000), report.rejections[:5]
    text = report.format_text()
    assert "créés" in text and "rejetés" in text


def test_france_travail_repeated_codes_are_both_kept(imported):
    app, reports = imported
    report = reports["france_travail_agences_2024-01.csv"]
    assert report.counts["created"] + report.counts["merged"] == 959
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
        assert "Valserhône" in fs.nom and fs.type_code == "france-service"
        assert fs.code_insee == "01033" and fs.coords_exact and fs.departement == "01"
        assert fs.freins and fs.thematiques and fs.zone_kind == "rayon"
        # What the France Services record itself says (the partner may hold other sources).
        record = _record(session, "france-services", "1")
        assert record["nom"] == "France services de Valserhône"
        assert record["horaires"].startswith(
            "Lundi : 13:30–17:00 ; Du mardi au jeudi : 09:00–12:00"
        )
        assert record["telephone"] == "04 50 56 87 49"
        assert record["email"] == "franceservices@ccpb01.fr"
        assert record["source_updated_at"] == "2024-08-01"


def test_siae_keep_siret_and_kind(imported):
    app, _reports = imported
    with session_scope(app) as session:
        ei = _partner_of(session, "siae", "80746931700018-EI")
        assert ei.siret == "80746931700018" and ei.type_code == "ei"
        assert ei.nom == "Baluchon-À table citoyens"


def test_france_travail_agency_merges_with_the_2016_pole_emploi(imported):
    app, reports = imported
    agencies = reports["france_travail_agences_2024-01.csv"]
    assert agencies.counts["merged"] >= 600
    with session_scope(app) as session:
        ft = _partner_of(session, "france-travail", "01010")  # BOURG EN BRESSE PARME
        pe = _partner_of(session, "annuaire-service-public", "pole_emploi-01053-01")
        assert ft.id == pe.id
        assert {s.source for s in ft.sources} == {"france-travail", "annuaire-service-public"}
        assert ft.nom.startswith("France Travail")  # the 2024 source is fresher
        assert ft.source_updated_at.isoformat() == "2024-01-01"
        of_run = MergeDecision.import_run_id == agencies.import_run_id
        decision = session.scalar(
            select(MergeDecision).where(of_run, MergeDecision.source_id == "01010")
        )
        assert decision.partner_id == ft.id and decision.distance_km < 3
        rules = dict(
            session.execute(
                select(MergeDecision.rule, func.count()).where(of_run).group_by(MergeDecision.rule)
            ).all()
        )
        assert set(rules) <= {"nom", "adresse", "proximite", "siret", "identifiant"}
        # Every merge joins two partners of one type family.
        mixed = session.scalar(
            select(func.count())
            .select_from(MergeDecision)
            .join(Partner, Partner.id == MergeDecision.partner_id)
            .where(of_run, Partner.type_code.not_like("france-travail%"))
        )
        assert mixed == 0


def test_a_france_services_in_a_mairie_stays_separate(imported, tmp_path):
    app, _reports = imported
    sample = mairies_beside_other_sources(tmp_path)
    at_service, in_dila = sample.rows["at_france_services"], sample.rows["in_dila"]
    with app.app_context(), session_scope(app) as session:
        report = run_import(
            session, sample.path, ImportOptions(source="mairies-test", dry_run=True)
        )
    merged = {m["source_id"]: m for m in report.merges}
    # the shipped mairies hold both
    assert set(merged) >= {at_service["code_insee"], in_dila["code_insee"]}
    with session_scope(app) as session:
        france_services = _partner_of(
            session, "france-services", sample.extra["france_services"]["id_fs"]
        ).id
    # A mairie a few metres from a France Services stays out of it (it joins the shipped
    # mairie) …
    assert merged[at_service["code_insee"]]["partner_id"] != france_services
    # … while the mairie of a DILA record joins it.
    assert merged[in_dila["code_insee"]]["rule"] in ("adresse", "proximite", "nom", "identifiant")


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
    dila = reports["dila_annuaire_extrait_2022.json"].counts
    assert dila["created"] + dila["merged"] == 1
    with session_scope(app) as session:
        breux = _partner_of(session, "dila-annuaire", "0b19da66-336b-4a4d-a56a-1bbf731ec306")
        assert breux.type_code == "mairie" and breux.code_insee == "27115"
        assert breux.horaires == "Lundi : 16:30–18:30 ; Jeudi : 16:30–18:30"
        assert breux.email == "mairie@breux-sur-avre.fr" and breux.coords_exact
        assert breux.site_web == "https://www.breux-sur-avre.fr"
        fontaine = _partner_of(session, "dila-annuaire", "00007e4d-264c-43a0-b0b7-7f3b7dd995ab")
        masked = _record(session, "dila-annuaire", "00007e4d-264c-43a0-b0b7-7f3b7dd995ab")
        assert "email" not in masked  # masked in the extract
        assert fontaine.siret == "21770188700010" and fontaine.telephone == "01 64 38 30 52"


def test_esat_finess_codes_are_repaired(imported):
    app, reports = imported
    assert reports["esat_finess_2026.csv"].format == "finess"
    with session_scope(app) as session:
        envol = _partner_of(session, "finess", "010008951")  # "10008951" in the file
        assert envol.nom == "ESAT Envol Transition" and envol.type_code == "esat"
        assert (envol.code_postal, envol.code_insee, envol.commune_nom) == (
            "01150",
            "01047",
            "Blyes",
        )
        assert envol.adresse == "385 allée du Prunnus" and not envol.coords_exact
        assert envol.lat is not None and envol.telephone == "04 74 46 54 00"
        assert envol.publics == ["personnes-en-situation-de-handicap"] and "emploi" in envol.freins
        assert "ORSAC" in envol.description
        corse = _partner_of(session, "finess", "2A0002861")
        assert corse.code_insee == "2A247" and corse.departement == "2A"


def test_data_inclusion_v0_ids_are_unique_within_their_source(imported):
    app, reports = imported
    report = reports["data_inclusion_v0_structures_2023-01.json"]
    assert not [r for r in report.rejections if "en double" in r["reason"]]
    with session_scope(app) as session:
        hinaura = _partner_of(session, "data-inclusion", "Hinaura--1003")
        siao = _partner_of(session, "data-inclusion", "siao--1003")
        assert hinaura.id != siao.id
        assert (hinaura.code_insee, siao.code_insee) == ("03098", "31069")


def test_data_inclusion_v1_services_become_their_structures(imported):
    app, reports = imported
    report = reports["data_inclusion_v1_services_lille_2026-04.json"]
    assert report.format == "data-inclusion-services"
    with session_scope(app) as session:
        rows = session.execute(
            select(Partner.id, Partner.nom, Partner.type_code, Partner.description)
            .join(PartnerSource, PartnerSource.partner_id == Partner.id)
            .where(PartnerSource.import_run_id == report.import_run_id)
        ).all()
    partners = {r.id: r for r in rows}
    # Several services of one structure at one point make one partner.
    assert len(partners) < report.rows - 100
    langues = [p for p in partners.values() if p.nom == "Lil'Langues"]
    assert len(langues) == 1 and langues[0].type_code == "atelier-sociolinguistique"
    assert "Services proposés" in langues[0].description
    assert "Améliorer son français (FLE) pour trouver du travail" in langues[0].description
    creches = [p for p in partners.values() if p.type_code == "creche"]
    assert len(creches) >= 150
    assert sum(p.type_code == "autre" for p in partners.values()) < 0.15 * len(partners)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_second_run_changes_nothing(imported, second_run, path: Path):
    _app, first = imported
    report = second_run[path.name]
    c = report.counts
    print(f"\n{path.name} (2e passage) : {dict(c)} en {report.duration_s:.1f} s")
    assert c["created"] == c["updated"] == c["merged"] == c["archived"] == 0, report.notes
    assert c["unchanged"] + c["rejected"] == report.rows
    assert c["rejected"] == first[path.name].counts["rejected"]
