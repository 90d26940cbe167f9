"""Partner types from the source's own codes (v0 typology, national labels, DILA pivot), then
the name (counted as inferred), then what the place offers; the conseillers numériques file
as its own format; the « Types attribués » line of the report. Real rows of the shared data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli.imports import import_paths
from app.db import session_scope
from app.importers import ImportOptions, run_import
from app.importers.formats.mediation_numerique import service_fields, split_labels
from app.inference import store_inferred_freins
from app.models import Partner, PartnerSource
from recommender.taxonomy import default_taxonomy

from ..support.real_rows import first, read_csv_rows, read_json

pytestmark = pytest.mark.usefixtures("shared_data")

CNFS = "conseillers_numeriques_lieux_2022.csv"
V0 = "data_inclusion_v0_structures_2023-01.json"
AJOUTS = "annuaire_ajouts_locaux_2018-2021.csv"


def run(app, path: Path):
    options = ImportOptions(after_write=store_inferred_freins)  # as `relais import`
    with app.app_context(), session_scope(app) as session:
        return run_import(session, path, options)


def partners_by_source_id(app, source: str) -> dict[str, Partner]:
    with session_scope(app) as session:
        rows = session.execute(
            select(PartnerSource.source_id, Partner)
            .join(Partner, Partner.id == PartnerSource.partner_id)
            .where(PartnerSource.source == source)
        ).all()
        for _, partner in rows:
            session.expunge(partner)
    return dict(rows)


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def cnfs_sample(tmp_path: Path) -> tuple[Path, dict[str, dict]]:
    """One place per kind of label set, and one with an appointment link."""
    header, rows = read_csv_rows(CNFS)
    picked: dict[str, dict] = {}
    for row in rows:
        picked.setdefault(row["labels_nationaux"], row)
    picked["rdv"] = first(rows, lambda r: r["prise_rdv"].startswith("http"), "lien de RDV")
    return write_csv(tmp_path / "cnfs_extrait.csv", header, list(picked.values())), picked


def test_the_cnfs_file_is_its_own_format_and_keeps_its_fields(app, tmp_path):
    path, picked = cnfs_sample(tmp_path)
    report = run(app, path)
    assert report.format == "cnfs" and report.source == "conseillers-numeriques"
    assert report.counts["rejected"] == 0 and report.types.get("autre", 0) == 0
    partners = partners_by_source_id(app, "conseillers-numeriques")
    for labels, row in picked.items():
        partner = partners[row["id"]]
        assert "numerique" in partner.freins, labels
        assert "Prendre en main un ordinateur" in partner.description
        assert f"Conditions d'accès : {row['conditions_access']}" in partner.description
        if "France Services" in split_labels(row["labels_nationaux"]):
            assert partner.type_code == "france-service"  # a label of the structure itself
    rdv = partners[picked["rdv"]["id"]]
    assert f"Prise de rendez-vous : {picked['rdv']['prise_rdv']}" in rdv.description


def test_a_cnfs_label_types_a_place_only_when_its_name_says_nothing(app, tmp_path):
    """CNFS names a conseiller working there: a mairie hosting one stays a mairie (with the
    numérique frein added), a place whose name says nothing is a lieu de médiation numérique."""
    header, rows = read_csv_rows(CNFS)
    tax = default_taxonomy()
    only_cnfs = [r for r in rows if r["labels_nationaux"] == "CNFS"]
    mairie = first(only_cnfs, lambda r: tax.type_from_name(r["nom"]) == "mairie", "mairie")
    bare = first(only_cnfs, lambda r: tax.type_from_name(r["nom"]) is None, "nom muet")
    report = run(app, write_csv(tmp_path / "cnfs.csv", header, [mairie, bare]))
    assert report.types == {"mairie": 1, "espace-numerique": 1} and report.types_inferred == 1
    partners = partners_by_source_id(app, "conseillers-numeriques")
    assert partners[bare["id"]].type_code == "espace-numerique"
    assert "numerique" in partners[mairie["id"]].freins


def test_v0_labels_and_services_type_the_export(app, tmp_path):
    v0 = read_json(V0)
    tax = default_taxonomy()

    def untyped(r):
        return not r.get("typologie") and tax.type_from_name(r["nom"]) is None

    labelled = first(
        v0, lambda r: untyped(r) and r.get("labels_nationaux") == "CNFS", "label CNFS seul"
    )
    france_services = first(
        v0,
        lambda r: untyped(r) and "France Services" in (r.get("labels_nationaux") or ""),
        "label France Services",
    )
    services_only = first(
        v0,
        lambda r: untyped(r) and not r.get("labels_nationaux") and r.get("services"),
        "services sans label",
    )
    housing = first(
        v0,
        lambda r: r["source"] == "siao" and tax.type_from_name(r["nom"]) == "residence-sociale",
        "résidence sociale du SI-SIAO",
    )
    operator = first(
        v0, lambda r: r["source"] == "siao" and untyped(r), "opérateur du SI-SIAO au nom muet"
    )
    path = tmp_path / "v0.json"
    path.write_text(json.dumps([labelled, france_services, services_only, housing, operator]))
    report = run(app, path)
    assert report.counts["created"] + report.counts["merged"] == 5
    partners = partners_by_source_id(app, "data-inclusion")

    def of(row):
        return partners[f"{row['source']}--{row['id']}"]

    assert of(labelled).type_code == "espace-numerique"
    assert of(france_services).type_code == "france-service"
    assert of(services_only).type_code == "espace-numerique"
    resident = of(housing)
    assert resident.type_code == "residence-sociale"
    # Without a label, the internet access it lists serves its residents: its type's freins.
    assert resident.freins == list(default_taxonomy().partner_type("residence-sociale").freins)
    # SI-SIAO lists housing operators only: its sub-source types what the name does not.
    assert of(operator).type_code == "accompagnement-logement"


def test_service_labels_map_to_known_thematiques():
    tax = default_taxonomy()
    known = {t for frein in tax.freins.values() for t in frein.thematiques}
    v0 = read_json(V0)
    labels = {s for r in v0 for s in split_labels(r.get("services"))}
    for label in labels:
        fields = service_fields([label], tax)
        assert fields, f"service sans correspondance : {label}"
        assert set(fields["thematiques"]) <= known and fields["freins"]


def test_dila_pivot_codes_of_a_hand_made_list_type_its_rows(app, tmp_path):
    header, rows = read_csv_rows(AJOUTS)
    sdsei = first(rows, lambda r: r["pivotLocal"] == "sdsei", "SDSEI")
    cdas = first(rows, lambda r: r["pivotLocal"] == "cdas", "CDAS")
    ccas = first(rows, lambda r: r["pivotLocal"] == "ccas", "CCAS")
    report = run(app, write_csv(tmp_path / "ajouts.csv", header, [sdsei, cdas, ccas]))
    assert report.types == {"mds": 2, "ccas-cias": 1} and report.types_inferred == 0


def test_the_report_prints_the_types_given_and_the_share_left_generic(app, tmp_path):
    path, _ = cnfs_sample(tmp_path)
    lines: list[str] = []
    with app.app_context():
        assert import_paths([path], echo=lines.append) == 0
    types = next(line for line in lines if "Types attribués" in line)
    assert "« autre structure » : 0 (0 %)" in types and "espace-numerique" in types
    assert "déduits du seul nom" in types


def test_the_types_line_counts_the_other_types_in_french():
    from app.importers.report import ImportReport

    report = ImportReport(source="s", format="f", filename="fichier.csv")
    report.types = {code: 1 for code in ("aci", "ei", "ai", "etti", "geiq", "ea")}
    assert "… (1 autre type) ;" in report.types_line()
    report.types["esat"] = 1
    assert "… (2 autres types) ;" in report.types_line()
