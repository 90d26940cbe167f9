"""``run_import`` on small hand-made files: edge cases, idempotence, updates, archiving,
dry runs, atomicity, data·inclusion, DILA and cross-source merges."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.importers import run_import
from app.models import ImportRun, MergeDecision, Partner, PartnerSource
from recommender.errors import ImportFailed

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def run(app, path, **kwargs):
    with app.app_context(), session_scope(app) as session:
        return run_import(session, path, **kwargs)


def partner_of(app, source, source_id) -> Partner:
    with session_scope(app) as session:
        ps = session.scalar(
            select(PartnerSource).where(
                PartnerSource.source == source, PartnerSource.source_id == source_id
            )
        )
        assert ps is not None, (source, source_id)
        partner = ps.partner
        session.expunge_all()
        return partner


def counts(app) -> tuple[int, int, int, int]:
    with session_scope(app) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Partner, PartnerSource, ImportRun, MergeDecision)
        )


def failed_runs(app) -> list[str]:
    with session_scope(app) as session:
        return [
            r.error for r in session.scalars(select(ImportRun).order_by(ImportRun.id)) if r.error
        ]


def balanced(report) -> bool:
    c = report.counts
    return c["created"] + c["merged"] + c["rejected"] + c["unchanged"] + c["updated"] == report.rows


# --------------------------------------------------------------------------- generic CSV


def test_generic_csv_cp1252_semicolons(app):
    report = run(app, FIXTURES / "generic_cp1252_semicolon.csv")
    assert report.format == "generic-csv" and report.source == "generic-cp1252-semicolon"
    assert (report.encoding, report.delimiter) == ("cp1252", ";")
    assert report.rows == 9 and balanced(report)
    assert report.counts["created"] == 7 and report.counts["rejected"] == 2
    rejected = {r["line"]: r["reason"] for r in report.rejections}
    assert rejected[3] == "nom manquant"
    assert rejected[8].startswith("commune introuvable") and "Xyzville" in rejected[8]
    warnings = [(w["line"], w["message"]) for w in report.warnings]
    assert any(line == 5 and "inversées" in m for line, m in warnings)
    assert any(line == 5 and "courriel" in m for line, m in warnings)
    assert any(line == 6 and "chef-lieu" in m for line, m in warnings)
    assert any(line == 7 and "code postal « ABCDE »" in m for line, m in warnings)
    assert any(line == 10 and "doublon" in m for line, m in warnings)

    first = report.rejections  # line numbers are file lines (header = 1)
    assert [r["line"] for r in first] == [3, 8]

    with session_scope(app) as session:
        partners = list(session.scalars(select(Partner)))
    rows = {p.nom: p for p in partners}
    epicerie = next(p for p in partners if p.nom == "Épicerie sociale Les Amis" and p.telephone)
    assert epicerie.type_code == "epicerie-sociale" and epicerie.coords_exact is False
    assert epicerie.code_insee == "60057" and epicerie.commune_nom == "Beauvais"
    assert epicerie.telephone == "03 44 00 00 00"
    assert "familles" in epicerie.publics
    pcb = rows["Point conseil budget de Creil"]
    assert pcb.coords_exact and abs(pcb.lat - 49.2603) < 1e-6 and pcb.code_insee == "60175"
    assert pcb.telephone == "03 44 11 22 33"
    centre = rows["Centre social Saint-Jean"]
    assert centre.type_code == "centre-social" and centre.lat > 49 and centre.email == ""
    auto = rows["Auto-école solidaire de l'Oise"]
    assert auto.type_code == "auto-ecole-sociale" and auto.code_insee == "60057"
    assert not auto.coords_exact and (auto.age_min, auto.age_max) == (16, 25)
    garage = rows["Garage solidaire du Clermontois"]
    assert garage.code_insee == "60157" and garage.code_postal == "60600"
    closed = rows["Ressourcerie fermée de Beauvais"]
    assert closed.status == "archived" and "Attention" in closed.description


def test_generic_csv_bom_ids_and_broken_rows(app):
    report = run(app, FIXTURES / "generic_bom_comma.csv", source="liste-cip")
    assert report.source == "liste-cip" and report.encoding == "utf-8-sig"
    assert report.rows == 5 and balanced(report)
    rejected = {r["line"]: r["reason"] for r in report.rejections}
    assert set(rejected) == {4, 5}
    assert "en double" in rejected[4] and "déjà vu ligne 2" in rejected[4]
    assert "colonnes au lieu de" in rejected[5]
    assert any("frein « inconnu »" in w["message"] for w in report.warnings)
    ml = partner_of(app, "liste-cip", "AE-1")
    assert ml.type_code == "mission-locale" and ml.freins == ["mobilite", "emploi"]
    assert ml.site_web == "https://www.ml-beauvaisis.example"
    assert ml.telephone == "03 44 00 11 22"
    ccas = partner_of(app, "liste-cip", "AE-2")
    assert ccas.type_code == "ccas-cias"
    assert ccas.zone_kind == "communes" and ccas.zone_codes == [ccas.code_insee]
    paris = partner_of(app, "liste-cip", "AE-4")
    assert paris.departement == "75"


# --------------------------------------------------------------------------- idempotence


def test_second_run_changes_nothing_then_updates_and_archives(app, tmp_path):
    path = tmp_path / "liste.csv"
    shutil.copy(FIXTURES / "generic_bom_comma.csv", path)
    first = run(app, path)
    assert first.counts["created"] == 3
    before = counts(app)

    again = run(app, path)
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == 3 and again.counts["archived"] == 0
    assert counts(app)[:2] == before[:2]

    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace("03 44 40 00 00", "03 44 40 99 99"), encoding="utf-8")
    changed = run(app, path)
    assert changed.counts["updated"] == 1 and changed.counts["unchanged"] == 2
    assert partner_of(app, "liste", "AE-2").telephone == "03 44 40 99 99"

    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith("AE-2")) + "\n")
    partial = run(app, path, archive_missing=False)
    assert partial.counts["archived"] == 0
    assert partner_of(app, "liste", "AE-2").status == "active"
    full = run(app, path)
    assert full.counts["archived"] == 1
    assert partner_of(app, "liste", "AE-2").status == "archived"
    assert counts(app)[0] == before[0]  # archived, never deleted

    path.write_text("\n".join(lines) + "\n")
    back = run(app, path)
    assert back.counts["updated"] == 1
    assert partner_of(app, "liste", "AE-2").status == "active"


def test_admin_edits_are_kept(app, tmp_path):
    from app.models import AuditLog

    path = tmp_path / "liste.csv"
    shutil.copy(FIXTURES / "generic_bom_comma.csv", path)
    run(app, path)
    pid = partner_of(app, "liste", "AE-2").id
    with session_scope(app) as session:
        partner = session.get(Partner, pid)
        partner.telephone = "01 02 03 04 05"
        session.add(
            AuditLog(action="partner.edit", target=f"partner:{pid}", changes={"telephone": "x"})
        )
    text = path.read_text(encoding="utf-8-sig").replace("03 44 40 00 00", "03 44 40 99 99")
    path.write_text(text.replace("CCAS de Compiègne", "CCAS de la ville de Compiègne"))
    report = run(app, path)
    assert report.counts["updated"] == 1
    partner = partner_of(app, "liste", "AE-2")
    assert partner.telephone == "01 02 03 04 05" and partner.nom == "CCAS de la ville de Compiègne"


# --------------------------------------------------------------------------- transactions


def test_dry_run_writes_nothing(app):
    report = run(app, FIXTURES / "generic_cp1252_semicolon.csv", dry_run=True)
    assert report.dry_run and report.counts["created"] == 7 and report.import_run_id is None
    assert "Simulation" in report.format_text()
    assert counts(app) == (0, 0, 0, 0)


def test_a_crash_mid_run_leaves_the_database_unchanged(app, monkeypatch):
    run(app, FIXTURES / "generic_bom_comma.csv")
    before = counts(app)
    from app.importers import pipeline

    def boom(self, model, rows):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(pipeline._Run, "_insert", boom)
    with pytest.raises(RuntimeError, match="panne simulée"):
        run(app, FIXTURES / "generic_cp1252_semicolon.csv")
    # Nothing of the run is kept but its failure, in the history (its own transaction).
    after = counts(app)
    assert after[:2] == before[:2] and after[3] == before[3] and after[2] == before[2] + 1
    assert failed_runs(app) == [
        "Erreur inattendue pendant l'import (détail dans le journal du serveur)."
    ]


def test_an_empty_or_unknown_file_writes_nothing(app, tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_text("nom,commune\n")
    with pytest.raises(ImportFailed, match="aucune ligne"):
        run(app, empty)
    with pytest.raises(ImportFailed, match="introuvable"):
        run(app, tmp_path / "absent.csv")
    assert counts(app) == (0, 0, 2, 0)  # only the two failures, in the history
    reasons = failed_runs(app)
    assert "aucune ligne" in reasons[0] and "introuvable" in reasons[1]


def test_import_run_keeps_the_report(app):
    report = run(app, FIXTURES / "generic_cp1252_semicolon.csv", user_id=None)
    with session_scope(app) as session:
        stored = session.get(ImportRun, report.import_run_id)
        assert stored.counts["created"] == 7 and stored.counts["rows"] == 9
        assert stored.report["rejections"][0]["line"] == 3
        assert stored.finished_at is not None and stored.format == "generic-csv"
    assert report.to_dict()["counts"]["rejected"] == 2


# --------------------------------------------------------------------------- DILA, merges


def test_dila_export_merges_through_its_old_pivot_id(app):
    first = run(app, FIXTURES / "annuaire_mini.csv")
    assert first.counts["created"] == 2
    report = run(app, FIXTURES / "dila_mini.json")
    assert report.rows == 3 and balanced(report)
    assert report.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "merged": 1,
        "archived": 0,
        "rejected": 1,
    }
    assert report.merges[0]["rule"] == "identifiant"
    partner = partner_of(app, "dila-annuaire", "5b1a4c1e-0000-4000-8000-000000000001")
    assert partner.id == partner_of(app, "annuaire-service-public", "cidf-60057-01").id
    assert {s.source for s in partner_of_sources(app, partner.id)} == {
        "annuaire-service-public",
        "dila-annuaire",
    }
    # The fresher DILA record fills the partner.
    assert partner.email == "contact@cidff60.example"
    assert partner.horaires == "Du lundi au vendredi : 09:00–12:30 / 13:30–17:00"
    assert partner.source_updated_at.isoformat() == "2024-02-14"
    pcb = partner_of(app, "dila-annuaire", "5b1a4c1e-0000-4000-8000-000000000003")
    assert pcb.type_code == "points-conseil-budget" and pcb.code_insee == "60175"
    with session_scope(app) as session:
        decision = session.scalar(select(MergeDecision))
        assert decision.rule == "identifiant" and decision.partner_id == partner.id

    again = run(app, FIXTURES / "dila_mini.json")
    assert again.counts["unchanged"] == 2 and again.counts["merged"] == 0


def partner_of_sources(app, partner_id):
    with session_scope(app) as session:
        rows = list(
            session.scalars(select(PartnerSource).where(PartnerSource.partner_id == partner_id))
        )
        session.expunge_all()
        return rows


def test_same_source_records_never_merge_and_types_never_mix(app):
    run(app, FIXTURES / "annuaire_mini.csv")
    report = run(app, FIXTURES / "mairies_mini.csv")
    assert report.counts["created"] == 2 and report.counts["merged"] == 0
    breux = partner_of(app, "mairies", "27115")
    assert breux.type_code == "mairie" and not breux.coords_exact
    assert breux.zone_kind == "communes" and breux.zone_codes == ["27115"]


# --------------------------------------------------------------------------- data·inclusion


def test_data_inclusion_structures_then_services(app):
    structures = run(app, FIXTURES / "data_inclusion_structures.json")
    assert structures.counts["created"] == 2 and structures.source == "data-inclusion"
    wimoov = partner_of(app, "data-inclusion", "dora--s1")
    assert wimoov.type_code == "plateforme-mobilite" and wimoov.siret == "12345678900012"
    assert wimoov.horaires.startswith("Du lundi au vendredi : 09:00–12:30 / 13:30–17:00")
    assert wimoov.telephone == "03 44 55 66 77"

    services = run(app, FIXTURES / "data_inclusion_services.json")
    assert services.rows == 4 and balanced(services)
    assert services.counts["merged"] == 2 and services.counts["created"] == 1
    assert services.counts["rejected"] == 1 and services.counts["archived"] == 0
    assert "description" in services.rejections[0]["reason"]
    assert {m["rule"] for m in services.merges} == {"structure"}

    wimoov = partner_of(app, "data-inclusion", "dora--s1")
    assert wimoov.nom == "Wimoov Oise" and wimoov.freins == ["mobilite"]
    assert "mobilite--acceder-a-un-vehicule" in wimoov.thematiques
    assert wimoov.publics == ["demandeurs-emploi", "jeunes"]
    assert (wimoov.age_min, wimoov.age_max) == (18, 30)
    assert wimoov.modes_accueil == ["en-presentiel"] and wimoov.frais == ["payant"]
    assert wimoov.zone_kind == "departement" and wimoov.zone_codes == ["60", "80"]
    lire = partner_of(app, "data-inclusion", "dora--s2")
    assert lire.freins == ["maitrise-du-francais"] and lire.publics == []
    assert lire.zone_kind == "communes" and lire.zone_codes == ["60159"]
    alone = partner_of(app, "data-inclusion", "dora--v3")
    assert alone.code_insee == "60471" and alone.freins == ["numerique"]

    # Still there after a services-only re-import (structures are another file).
    assert partner_of(app, "data-inclusion", "dora--s1").status == "active"
    again = run(app, FIXTURES / "data_inclusion_structures.json")
    assert again.counts["unchanged"] == 2 and again.counts["archived"] == 0


def test_finess_export_repairs_lost_zeros(app):
    report = run(app, FIXTURES / "finess_mini.csv")
    assert report.format == "finess" and report.source == "finess"
    assert report.rows == 4 and balanced(report) and report.counts["created"] == 3
    assert report.rejections == [
        {
            "line": 5,
            "reason": "identifiant « 600000019 » en double (déjà vu ligne 4)",
            "source_id": "600000019",
        }
    ]
    ain = partner_of(app, "finess", "010000019")  # "10000019" in the file
    assert (ain.code_postal, ain.code_insee, ain.departement) == ("01150", "01047", "01")
    assert ain.nom == "ESAT les Exemples" and ain.type_code == "esat"
    assert ain.adresse == "12 bis rue de la Gare" and ain.siret == "12345678900012"
    assert not ain.coords_exact and ain.lat is not None  # the commune's centre
    assert ain.publics == ["personnes-en-situation-de-handicap"] and "emploi" in ain.freins
    assert "ASSOCIATION EXEMPLE DE L'AIN" in ain.description and "40 places" in ain.description
    corse = partner_of(app, "finess", "2A0000019")  # commune "20004": Ajaccio's old number
    assert (corse.code_insee, corse.commune_nom) == ("2A004", "Ajaccio")
    assert corse.type_code == "esat" and "secondaire" in corse.description
    assert run(app, FIXTURES / "finess_mini.csv").counts["unchanged"] == 3


def test_data_inclusion_services_without_structures(app):
    path = FIXTURES / "data_inclusion_services_api.json"
    report = run(app, path)
    assert report.format == "data-inclusion-services" and report.source == "data-inclusion"
    assert report.rows == 4 and balanced(report) and report.counts["rejected"] == 0
    # Two services of one structure at one point (to a few metres) make one partner.
    assert report.counts["created"] == 3 and report.counts["merged"] == 1
    with session_scope(app) as session:
        partners = {
            p.nom: p
            for p in session.scalars(
                select(Partner).join(PartnerSource).where(PartnerSource.source == "data-inclusion")
            )
        }
        session.expunge_all()
    assert set(partners) == {
        "Langues en Oise",
        "Multi-accueil Les Petits Pas",
        "Association Toit Picard",
    }
    langues = partners["Langues en Oise"]
    assert langues.type_code == "atelier-sociolinguistique"  # carif-oref's French courses
    assert langues.freins == ["numerique", "maitrise-du-francais"]
    assert langues.description.startswith(
        "Services proposés :\n- Apprendre le français pour travailler\n- Ateliers de conversation"
    )
    assert langues.coords_exact and langues.code_insee == "60057"
    assert partners["Multi-accueil Les Petits Pas"].type_code == "creche"
    toit = partners["Association Toit Picard"]
    assert toit.code_insee == "80021" and not toit.coords_exact
    assert toit.freins == ["logement"]

    again = run(app, path)
    assert again.counts["unchanged"] == 4 and again.counts["archived"] == 0


def test_data_inclusion_v0_ids_are_unique_within_their_source(app):
    report = run(app, FIXTURES / "data_inclusion_v0_mini.json")
    assert report.rows == 3 and balanced(report) and report.counts["created"] == 2
    assert [r["reason"] for r in report.rejections] == [
        "identifiant « Hinaura--1003 » en double (déjà vu ligne 2)"
    ]
    assert partner_of(app, "data-inclusion", "Hinaura--1003").code_insee == "60057"
    fjt = partner_of(app, "data-inclusion", "siao--1003")
    assert fjt.code_insee == "80021" and fjt.type_code == "fjt"  # v0 typologie RS_FJT


def test_a_file_archives_only_in_the_departements_it_covers(app, tmp_path):
    head = "id,nom,type,commune,code_postal\n"
    oise = "O-1,CCAS de Beauvais,ccas,Beauvais,60000\nO-2,CCAS de Creil,ccas,Creil,60100\n"
    somme = "S-1,CCAS d'Amiens,ccas,Amiens,80000\n"
    path = tmp_path / "liste.csv"
    path.write_text(head + oise + somme, encoding="utf-8")
    assert run(app, path).counts["created"] == 3
    # An extract of the Oise says nothing of the Somme …
    path.write_text(head + oise, encoding="utf-8")
    extract = run(app, path)
    assert extract.counts["unchanged"] == 2 and extract.counts["archived"] == 0
    assert any("archivage limité" in note for note in extract.notes)
    assert partner_of(app, "liste", "S-1").status == "active"
    # … but one of its records missing from a file of the Oise is archived.
    path.write_text(head + oise.splitlines()[0] + "\n", encoding="utf-8")
    assert run(app, path).counts["archived"] == 1
    assert partner_of(app, "liste", "O-2").status == "archived"


def test_a_generic_partner_gets_inferred_freins_after_its_import(app, tmp_path):
    path = tmp_path / "associations.csv"
    path.write_text(
        "nom;type;commune;code_postal;description\n"
        "Les Amis du Plateau;association;Beauvais;60000;"
        "Aide alimentaire, colis, épicerie sociale à petits prix, conseil en budget\n",
        encoding="utf-8",
    )
    report = run(app, path)
    assert report.counts["created"] == 1
    with session_scope(app) as session:
        partner = session.scalar(select(Partner))
        assert (partner.type_code, partner.freins) == ("autre", [])
        assert "difficultes-financieres" in partner.freins_inferred


class FakeGeopy:
    """A geopy geocoder that knows one address (tests never use the network)."""

    def __init__(self, latitude: float, longitude: float):
        self.point = type("Location", (), {"latitude": latitude, "longitude": longitude})()
        self.queries: list[str] = []

    def geocode(self, query, exactly_one=True):
        self.queries.append(query)
        return self.point


@pytest.mark.parametrize(
    ("point", "exact"),
    [((49.4383, 2.0903), True), ((43.2965, 5.3698), False)],  # Beauvais, then Marseille
)
def test_optional_address_geocoder_places_rows_without_coordinates(app, tmp_path, point, exact):
    from recommender.geocoding import AddressGeocoder

    path = tmp_path / "liste.csv"
    path.write_text(
        "nom,adresse,code_postal,commune\nAuto-école sociale,1 rue de Savoie,60000,Beauvais\n",
        encoding="utf-8",
    )
    fake = FakeGeopy(*point)
    run(app, path, address_geocoder=AddressGeocoder(fake))
    assert fake.queries == ["1 rue de Savoie 60000 Beauvais"]
    with session_scope(app) as session:
        partner = session.scalar(select(Partner))
        assert partner.coords_exact is exact
        assert ((partner.lat, partner.lon) == point) is exact


# --------------------------------------------------------------------------- two cores


@pytest.fixture
def big_generic_csv(tmp_path):
    """Synthetic rows, then rows the pipeline rejects or warns about, past the first blocks."""
    from bench.generate import write_csv

    path = tmp_path / "liste.csv"
    write_csv(path, 700, seed=3)
    with path.open("a", encoding="utf-8") as out:
        out.write(",,autre,,,Beauvais,,,,,,,,,,,,,,,\n")  # no name
        out.write("syn-3-0000005,Doublon,autre,,,Beauvais,,,,,,,,,,,,,,,\n")  # repeated id
        out.write("x-1,Nulle part,autre,,,Xyzville,,,,,,,,,,,,,,,\n")  # unknown commune
        out.write("x-2,Sans ville,autre,,ABCDE,,,60,,,,,,,,,,,,,\n")  # bad postal code
    return path


def test_reading_on_two_cores_gives_the_same_run(app, big_generic_csv, monkeypatch):
    import app.importers.parallel as parallel
    import app.importers.pipeline as pipeline

    serial = run(app, big_generic_csv, dry_run=True)
    monkeypatch.setattr(pipeline, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLOCK", 64)
    helped = run(app, big_generic_csv, dry_run=True, workers=2)
    assert serial.rows == helped.rows == 704 and serial.counts["rejected"] == 3
    for key in ("counts", "rejections", "warnings", "notes"):
        assert getattr(helped, key) == getattr(serial, key), key
    report = run(app, big_generic_csv, workers=2)
    assert report.counts == serial.counts and counts(app)[:2] == (701, 701)


def test_a_failure_in_the_helper_process_writes_nothing(app, big_generic_csv, monkeypatch):
    import app.importers.parallel as parallel
    import app.importers.pipeline as pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLOCK", 64)
    real_hash = pipeline.content_hash

    def broken(fmt, raw):  # line 100: in the first block the helper reads
        if raw.get("id") == "syn-3-0000098":
            raise MemoryError("plus de mémoire")
        return real_hash(fmt, raw)

    monkeypatch.setattr(pipeline, "content_hash", broken)
    before = counts(app)
    with pytest.raises(RuntimeError, match="plus de mémoire"):
        run(app, big_generic_csv, workers=2)
    after = counts(app)
    assert after[:2] == before[:2] and after[3] == before[3]
    assert len(failed_runs(app)) == after[2] - before[2] == 1  # only the failure, kept
