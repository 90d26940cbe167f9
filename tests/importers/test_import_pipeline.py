"""``run_import`` on small files of real rows (written at test time from the shared data, see
``tests/support/real_rows.py``): edge cases, idempotence, updates, archiving, dry runs, atomicity,
data·inclusion, DILA and cross-source merges."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import func, select, text

from app.db import session_scope
from app.importers import ImportOptions, run_import
from app.importers.formats.finess import finess_address, repair_finess
from app.importers.formats.generic import split_inactive_note
from app.importers.normalize import (
    ages_from_text,
    dila_opening_hours,
    fold,
    is_upper_label,
    normalize_phone,
    normalize_url,
    osm_opening_hours,
    parse_date,
    publics_from_text,
    smart_title,
)
from app.importers.resolve import CHEFS_LIEUX
from app.inference import store_inferred_freins
from app.models import ImportRun, MergeDecision, Partner, PartnerSource
from recommender.errors import ImportFailed
from recommender.taxonomy import default_taxonomy

from ..support.real_rows import (
    annuaire_and_dila_files,
    data_inclusion_api_file,
    data_inclusion_export,
    data_inclusion_v0_file,
    finess_file,
    generic_bom_file,
    generic_cp1252_file,
    mairies_file,
)

pytestmark = pytest.mark.usefixtures("shared_data")


def run(app, path, **kwargs):
    options = ImportOptions(**kwargs, after_write=store_inferred_freins)  # as `relais import`
    with app.app_context(), session_scope(app) as session:
        return run_import(session, path, options)


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


def partners_named(app) -> dict[str, list[Partner]]:
    with session_scope(app) as session:
        found: dict[str, list[Partner]] = {}
        for partner in session.scalars(select(Partner).order_by(Partner.id)):
            found.setdefault(partner.nom, []).append(partner)
        session.expunge_all()
        return found


def test_generic_csv_cp1252_semicolons(app, tmp_path):
    sample = generic_cp1252_file(tmp_path)
    lines, rows = sample.lines, sample.rows
    report = run(app, sample.path)
    assert report.format == "generic-csv" and report.source == "generic-cp1252-semicolon"
    assert (report.encoding, report.delimiter) == ("cp1252", ";")
    assert report.rows == len(lines) and balanced(report)
    assert report.counts["created"] == len(lines) - 2 and report.counts["rejected"] == 2
    rejected = {r["line"]: r["reason"] for r in report.rejections}
    assert rejected[lines["no_name"]] == "nom manquant"
    unknown = rejected[lines["unknown_commune"]]
    assert unknown.startswith("commune introuvable") and "Xyzville" in unknown
    warnings = [(w["line"], w["message"]) for w in report.warnings]
    assert any(line == lines["swapped"] and "inversées" in m for line, m in warnings)
    assert any(line == lines["bad_email"] and "courriel" in m for line, m in warnings)
    assert any(line == lines["departement_only"] and "chef-lieu" in m for line, m in warnings)
    assert any(line == lines["bad_postal"] and "code postal « ABCDE »" in m for line, m in warnings)
    assert any(line == lines["repeated"] and "doublon" in m for line, m in warnings)

    first = report.rejections  # line numbers are file lines (header = 1)
    assert [r["line"] for r in first] == [lines["no_name"], lines["unknown_commune"]]

    named = partners_named(app)
    full = rows["full"]
    service = named[full["lib_fs"]][0]  # the repeated row is kept beside it
    assert service.type_code == "france-service"  # the Type column
    assert service.coords_exact and abs(service.lat - float(full["latitude"])) < 1e-6
    assert service.code_insee == full["insee_com"] and service.commune_nom == full["lib_com"]
    assert service.telephone == normalize_phone(full["telephone"]) != ""
    swapped = named[rows["swapped"]["lib_fs"]][0]
    assert swapped.coords_exact and abs(swapped.lat - float(rows["swapped"]["latitude"])) < 1e-6
    assert named[rows["bad_email"]["lib_fs"]][0].email == ""
    ecole = rows["departement_only"]
    auto = named[ecole["nom"]][0]
    assert auto.type_code == "auto-ecole-sociale"  # from its name
    assert auto.code_insee == CHEFS_LIEUX[ecole["departement"]] and not auto.coords_exact
    assert (auto.age_min, auto.age_max) == ages_from_text(ecole["public"])
    assert set(publics_from_text(ecole["public"], default_taxonomy().publics)) <= set(auto.publics)
    garage = named[rows["bad_postal"]["lib_fs"]][0]
    assert garage.code_insee == rows["bad_postal"]["insee_com"]
    assert garage.code_postal == rows["bad_postal"]["code_postal"]
    closed = named[split_inactive_note(rows["closed"]["nom"])[0]][0]
    assert closed.status == "archived" and "Attention" in closed.description


def test_generic_csv_bom_ids_and_broken_rows(app, tmp_path):
    sample = generic_bom_file(tmp_path)
    lines, rows = sample.lines, sample.rows
    report = run(app, sample.path, source="liste-cip")
    assert report.source == "liste-cip" and report.encoding == "utf-8-sig"
    assert report.rows == len(lines) and balanced(report)
    rejected = {r["line"]: r["reason"] for r in report.rejections}
    assert set(rejected) == {lines["repeated"], lines["wide"]}
    repeated = rejected[lines["repeated"]]
    assert "en double" in repeated and f"déjà vu ligne {lines['ml']}" in repeated
    assert "colonnes au lieu de" in rejected[lines["wide"]]
    assert any("frein « inconnu »" in w["message"] for w in report.warnings)
    ml = partner_of(app, "liste-cip", rows["ml"]["id"])
    assert ml.type_code == "mission-locale" and ml.freins == ["mobilite", "emploi"]
    assert ml.site_web == normalize_url(rows["ml"]["url"]) and ml.site_web.startswith("https://")
    assert ml.telephone == normalize_phone(rows["ml"]["telephone"]) != ""
    ccas = partner_of(app, "liste-cip", rows["ccas"]["id"])
    assert ccas.type_code == "ccas-cias"
    assert ccas.code_insee == rows["ccas"]["zonage_communes"].split()[0]
    assert ccas.zone_kind == "communes" and ccas.zone_codes == [ccas.code_insee]
    neighbour = partner_of(app, "liste-cip", rows["neighbour"]["id"])
    assert neighbour.departement == rows["neighbour"]["code_postal"][:2] == ccas.departement


# --------------------------------------------------------------------------- idempotence


def other_phone(phone: str) -> str:
    """The same number with its last two digits changed: the source's update."""
    return phone[:-2] + ("11" if not phone.endswith("11") else "22")


def test_second_run_changes_nothing_then_updates_and_archives(app, tmp_path):
    sample = generic_bom_file(tmp_path, "liste.csv")
    path, ccas = sample.path, sample.rows["ccas"]
    first = run(app, path)
    assert first.counts["created"] == 3
    before = counts(app)

    again = run(app, path)
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == 3 and again.counts["archived"] == 0
    assert counts(app)[:2] == before[:2]

    text = path.read_text(encoding="utf-8-sig")
    new_phone = other_phone(ccas["telephone"])
    path.write_text(text.replace(ccas["telephone"], new_phone), encoding="utf-8")
    changed = run(app, path)
    assert changed.counts["updated"] == 1 and changed.counts["unchanged"] == 2
    assert partner_of(app, "liste", ccas["id"]).telephone == normalize_phone(new_phone)

    lines = path.read_text().splitlines()
    path.write_text(
        "\n".join(line for line in lines if not line.startswith(ccas["id"] + ",")) + "\n"
    )
    partial = run(app, path, archive_missing=False)
    assert partial.counts["archived"] == 0
    assert partner_of(app, "liste", ccas["id"]).status == "active"
    full = run(app, path)
    assert full.counts["archived"] == 1
    assert partner_of(app, "liste", ccas["id"]).status == "archived"
    assert counts(app)[0] == before[0]  # archived, never deleted

    path.write_text("\n".join(lines) + "\n")
    back = run(app, path)
    assert back.counts["updated"] == 1
    assert partner_of(app, "liste", ccas["id"]).status == "active"


def test_admin_edits_are_kept(app, tmp_path):
    from app.models import AuditLog

    sample = generic_bom_file(tmp_path, "liste.csv")
    path, ccas = sample.path, sample.rows["ccas"]
    run(app, path)
    pid = partner_of(app, "liste", ccas["id"]).id
    with session_scope(app) as session:
        partner = session.get(Partner, pid)
        partner.telephone = "01 02 03 04 05"
        session.add(
            AuditLog(action="partner.edit", target=f"partner:{pid}", changes={"telephone": "x"})
        )
    # The source then changes the phone the admin edited, and the name.
    text = path.read_text(encoding="utf-8-sig")
    text = text.replace(ccas["telephone"], other_phone(ccas["telephone"]))
    path.write_text(text.replace(ccas["nom"], ccas["nom"] + " (siège)"))
    report = run(app, path)
    assert report.counts["updated"] == 1
    partner = partner_of(app, "liste", ccas["id"])
    assert partner.telephone == "01 02 03 04 05" and partner.nom == ccas["nom"] + " (siège)"


# --------------------------------------------------------------------------- transactions


def test_dry_run_writes_nothing(app, tmp_path):
    sample = generic_cp1252_file(tmp_path)
    report = run(app, sample.path, dry_run=True)
    assert report.dry_run and report.counts["created"] == len(sample.lines) - 2
    assert report.import_run_id is None
    assert "Simulation" in report.format_text()
    assert counts(app) == (0, 0, 0, 0)


def test_a_crash_mid_run_leaves_the_database_unchanged(app, monkeypatch, tmp_path):
    run(app, generic_bom_file(tmp_path).path)
    before = counts(app)
    from app.importers import store

    def boom(self, model, rows):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(store.Store, "insert", boom)
    with pytest.raises(RuntimeError, match="panne simulée"):
        run(app, generic_cp1252_file(tmp_path).path)
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


def test_import_run_keeps_the_report(app, tmp_path):
    sample = generic_cp1252_file(tmp_path)
    report = run(app, sample.path, user_id=None)
    with session_scope(app) as session:
        stored = session.get(ImportRun, report.import_run_id)
        assert stored.counts["created"] == len(sample.lines) - 2
        assert stored.counts["rows"] == len(sample.lines)
        assert stored.report["rejections"][0]["line"] == sample.lines["no_name"]
        assert stored.finished_at is not None and stored.format == "generic-csv"
    assert report.to_dict()["counts"]["rejected"] == 2


# --------------------------------------------------------------------------- DILA, merges


def test_dila_export_merges_through_its_old_pivot_id(app, tmp_path):
    annuaire, dila = annuaire_and_dila_files(tmp_path)
    old, linked, other = annuaire.rows["linked"], dila.rows["linked"], dila.rows["other"]
    first = run(app, annuaire.path)
    assert first.counts["created"] == 2
    report = run(app, dila.path)
    assert report.rows == 3 and balanced(report)
    assert report.counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "merged": 1,
        "archived": 0,
        "rejected": 1,
    }
    assert report.rejections[0]["reason"] == "champ obligatoire vide : nom"
    assert report.merges[0]["rule"] == "identifiant"
    partner = partner_of(app, "dila-annuaire", linked["id"])
    assert partner.id == partner_of(app, "annuaire-service-public", old["id"]).id
    assert {s.source for s in partner_of_sources(app, partner.id)} == {
        "annuaire-service-public",
        "dila-annuaire",
    }
    # The fresher DILA record fills the partner.
    hours = dila_opening_hours(linked.get("plage_ouverture"))
    assert hours and partner.horaires == hours
    assert partner.source_updated_at == parse_date(linked["date_modification"])
    created = partner_of(app, "dila-annuaire", other["id"])
    pivot = other["pivot"][0]
    assert created.code_insee == other["code_insee_commune"]
    tax = default_taxonomy()
    assert created.type_code == tax.source_type("dila-annuaire", pivot["type_service_local"])
    # A pivot code of the current export only (Point conseil budget) has its partner type.
    assert tax.source_type("dila-annuaire", "pcb") == "points-conseil-budget"
    with session_scope(app) as session:
        decision = session.scalar(select(MergeDecision))
        assert decision.rule == "identifiant" and decision.partner_id == partner.id

    again = run(app, dila.path)
    assert again.counts["unchanged"] == 2 and again.counts["merged"] == 0


def partner_of_sources(app, partner_id):
    with session_scope(app) as session:
        rows = list(
            session.scalars(select(PartnerSource).where(PartnerSource.partner_id == partner_id))
        )
        session.expunge_all()
        return rows


def test_same_source_records_never_merge_and_types_never_mix(app, tmp_path):
    annuaire, _ = annuaire_and_dila_files(tmp_path)
    cidf = annuaire.rows["cidf"]
    mairies = mairies_file(tmp_path, beside=cidf)
    run(app, annuaire.path)
    report = run(app, mairies.path)
    assert report.counts["created"] == 2 and report.counts["merged"] == 0
    same_place = partner_of(app, "mairies", mairies.rows["same_place"]["code_insee"])
    assert same_place.id != partner_of(app, "annuaire-service-public", cidf["id"]).id
    code = mairies.rows["doubtful"]["code_insee"]
    doubtful = partner_of(app, "mairies", code)
    assert doubtful.type_code == "mairie" and not doubtful.coords_exact
    assert doubtful.zone_kind == "communes" and doubtful.zone_codes == [code]


# --------------------------------------------------------------------------- data·inclusion


def test_data_inclusion_structures_then_services(app, tmp_path):
    structures_file, services_file = data_inclusion_export(tmp_path)
    first_key, second_key = structures_file.extra["keys"]
    first, second = structures_file.rows["first"], structures_file.rows["second"]
    items = services_file.extra["items"]
    # The API extract carries no publics, modes, fees nor zone: set on one real service of
    # each structure, to check that they reach it.
    items[0] |= {
        "publics": ["demandeurs-emploi", "jeunes"],
        "publics_precisions": "Jeunes de 18 à 30 ans",
        "modes_accueil": ["en-presentiel"],
        "frais": "payant",
        "zone_eligibilite": ["59", "62"],
    }
    second_item = next(i for i in items if i["structure_id"] == second["id"])
    second_item |= {"publics": ["tous-publics"], "zone_eligibilite": [second["code_insee"]]}
    services_file.path.write_text(json.dumps({"items": items}, ensure_ascii=False))

    structures = run(app, structures_file.path)
    count = structures_file.extra["count"]
    assert structures.counts["created"] == count and structures.source == "data-inclusion"
    hours = structures_file.rows["hours"]
    partner = partner_of(app, "data-inclusion", f"{hours['source']}--{hours['id']}")
    assert partner.siret == hours["pivot"]
    assert partner.horaires == osm_opening_hours(hours["horaires"]) != hours["horaires"]
    assert partner.telephone == normalize_phone(hours["telephone"])
    assert partner.telephone.startswith("0")

    services = run(app, services_file.path)
    named = len(items) - 2  # all but the service of an unknown structure and the bare one
    assert services.rows == len(items) and balanced(services)
    assert services.counts["merged"] == named and services.counts["created"] == 1
    assert services.counts["rejected"] == 1 and services.counts["archived"] == 0
    assert "description" in services.rejections[0]["reason"]
    assert {m["rule"] for m in services.merges} == {"structure"}

    tax = default_taxonomy()
    partner = partner_of(app, "data-inclusion", first_key)
    own = [i for i in items[:-2] if i["structure_id"] == first["id"]]
    assert partner.nom == first["nom"]
    themes = {t for i in own for t in i["thematiques"]}
    assert set(partner.freins) >= tax.freins_of_thematiques(themes)
    assert set(items[0]["thematiques"]) <= set(partner.thematiques)
    assert partner.publics == ["demandeurs-emploi", "jeunes"]
    assert (partner.age_min, partner.age_max) == (18, 30)
    assert partner.modes_accueil == ["en-presentiel"] and partner.frais == ["payant"]
    assert partner.zone_kind == "departement" and partner.zone_codes == ["59", "62"]
    other = partner_of(app, "data-inclusion", second_key)
    assert other.publics == []
    assert other.zone_kind == "communes" and other.zone_codes == [second["code_insee"]]
    alone_item = services_file.rows["alone"]
    alone = partner_of(app, "data-inclusion", alone_item["id"])
    assert alone.code_insee[:2] == alone_item["code_postal"][:2]
    assert set(alone.freins) == tax.freins_of_thematiques(alone_item["thematiques"])

    # Still there after a services-only re-import (structures are another file).
    assert partner_of(app, "data-inclusion", first_key).status == "active"
    again = run(app, structures_file.path)
    assert again.counts["unchanged"] == count and again.counts["archived"] == 0


def test_finess_export_repairs_lost_zeros(app, tmp_path):
    sample = finess_file(tmp_path)
    lz, corse_row, repeated = (sample.rows[k] for k in ("lost_zero", "corse", "repeated"))
    report = run(app, sample.path)
    assert report.format == "finess" and report.source == "finess"
    assert report.rows == 4 and balanced(report) and report.counts["created"] == 3
    repeated_id = repair_finess(repeated["ET-N°FINESS"])
    assert report.rejections == [
        {
            "line": sample.lines["repeated"],
            "reason": f"identifiant « {repeated_id} » en double "
            f"(déjà vu ligne {sample.lines['first']})",
            "source_id": repeated_id,
        }
    ]
    finess = lz["ET-N°FINESS"]
    ain = partner_of(app, "finess", "0" + finess)  # the file lost the leading zero
    assert (ain.code_postal, ain.code_insee, ain.departement) == (
        "0" + lz["ET-Code Postal"],
        "0" + lz["ET-Commune Code"],
        "0" + lz["ET-Département Code"],
    )
    assert fold(ain.nom) == fold(lz["ET-Raison sociale"]) and not is_upper_label(ain.nom)
    assert ain.type_code == "esat"
    assert ain.adresse == finess_address(lz["ET-Adresse"]) and ain.siret == lz["ET-SIRET"]
    assert not ain.coords_exact and ain.lat is not None  # the commune's centre
    assert ain.publics == ["personnes-en-situation-de-handicap"] and "emploi" in ain.freins
    assert lz["EJ-Raison sociale"] in ain.description
    assert f"{lz['Capacité autorisée agrégée']} places" in ain.description
    corse = partner_of(app, "finess", corse_row["ET-N°FINESS"])
    assert corse.code_insee == corse_row["ET-Commune Code"]
    assert corse.commune_nom == corse_row["ET-Commune Libellé"]
    assert corse.type_code == "esat" and "secondaire" in corse.description
    assert run(app, sample.path).counts["unchanged"] == 3


def structure_label(name: str) -> str:
    """A structure's name as the services importer writes it (capitals are softened)."""
    return smart_title(name) if is_upper_label(name) else name


def test_data_inclusion_services_without_structures(app, tmp_path):
    sample = data_inclusion_api_file(tmp_path)
    course, creche_row, dora_row = sample.extra["course"], *sample.rows.values()
    report = run(app, sample.path)
    assert report.format == "data-inclusion-services" and report.source == "data-inclusion"
    assert report.rows == sample.extra["count"] and balanced(report)
    assert report.counts["rejected"] == 0
    # Services of one structure at one point (to a few metres) make one partner.
    assert report.counts["created"] == 3 and report.counts["merged"] == len(course) - 1
    with session_scope(app) as session:
        partners = {
            p.nom: p
            for p in session.scalars(
                select(Partner).join(PartnerSource).where(PartnerSource.source == "data-inclusion")
            )
        }
        session.expunge_all()
    names = [structure_label(r["structure_name"]) for r in (course[0], creche_row, dora_row)]
    assert set(partners) == set(names)
    tax = default_taxonomy()
    langues = partners[names[0]]
    assert langues.type_code == "atelier-sociolinguistique"  # carif-oref's French courses
    themes = {t for s in course for t in json.loads(s["thematiques"])}
    assert set(langues.freins) == tax.freins_of_thematiques(themes)
    assert "maitrise-du-francais" in langues.freins
    assert langues.description.startswith("Services proposés :\n- ")
    assert all(f"- {s['nom']}" in langues.description for s in course)
    assert langues.coords_exact and langues.code_insee[:2] == course[0]["code_postal"][:2]
    creche = partners[names[1]]
    assert creche.type_code == "creche" and not creche.coords_exact
    assert creche.code_insee[:2] == creche_row["code_postal"][:2]
    dora = partners[names[2]]
    assert set(dora.freins) == tax.freins_of_thematiques(json.loads(dora_row["thematiques"]))

    again = run(app, sample.path)
    assert again.counts["unchanged"] == sample.extra["count"] and again.counts["archived"] == 0


def test_data_inclusion_v0_ids_are_unique_within_their_source(app, tmp_path):
    sample = data_inclusion_v0_file(tmp_path)
    untyped, typed = sample.rows["untyped"], sample.rows["typed"]
    report = run(app, sample.path)
    assert report.rows == 3 and balanced(report) and report.counts["created"] == 2
    key = f"{untyped['source']}--{untyped['id']}"
    assert [r["reason"] for r in report.rejections] == [
        f"identifiant « {key} » en double (déjà vu ligne 2)"
    ]
    assert partner_of(app, "data-inclusion", key).code_insee == untyped["code_insee"]
    other = partner_of(app, "data-inclusion", f"{typed['source']}--{typed['id']}")
    assert other.code_insee == typed["code_insee"]
    tax = default_taxonomy()
    assert other.type_code == tax.source_type("data-inclusion", typed["typologie"])  # v0 typology


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


def written_rows(app) -> tuple[list[dict], list[dict]]:
    """Every partner and source row, without what names the run or its time."""
    run_stamps = {"created_at", "updated_at", "imported_at", "import_run_id", "id"}
    with session_scope(app) as session:
        tables = []
        for model, key in ((Partner, Partner.id), (PartnerSource, PartnerSource.source_id)):
            rows = session.execute(select(model.__table__).order_by(key)).mappings()
            tables.append([{k: v for k, v in r.items() if k not in run_stamps} for r in rows])
        return tables[0], tables[1]


def test_two_cores_give_the_same_run_and_the_same_rows(app, big_generic_csv, monkeypatch):
    import app.importers.parallel as parallel
    import app.importers.reading as reading

    serial = run(app, big_generic_csv, dry_run=True)
    monkeypatch.setattr(reading, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLOCK", 64)
    helped = run(app, big_generic_csv, dry_run=True, workers=2)
    assert serial.rows == helped.rows == 704 and serial.counts["rejected"] == 3
    for key in ("counts", "rejections", "warnings", "notes"):
        assert getattr(helped, key) == getattr(serial, key), key

    run(app, big_generic_csv, workers=1)
    partners, sources = written_rows(app)
    with session_scope(app) as session:
        for model in (PartnerSource, Partner):
            session.execute(model.__table__.delete())
    report = run(app, big_generic_csv, workers=2)  # rows composed by the helper process
    assert report.counts == serial.counts and counts(app)[:2] == (701, 701)
    assert written_rows(app) == (partners, sources)


@pytest.mark.parametrize("step", ["lecture", "composition"])
def test_a_failure_in_the_helper_process_writes_nothing(app, big_generic_csv, monkeypatch, step):
    import app.importers.parallel as parallel
    import app.importers.plan as plan
    import app.importers.reading as reading
    import app.importers.store as store

    monkeypatch.setattr(reading, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "BLOCK", 64)
    monkeypatch.setattr(store, "SQLITE_BATCH", 100)  # several chunks, written one by one
    monkeypatch.setattr(store, "SERVER_BATCH", 100)
    if step == "lecture":
        real_hash = reading.content_hash

        def broken_hash(fmt, raw):  # line 100: in the first block the helper reads
            if raw.get("id") == "syn-3-0000098":
                raise MemoryError("plus de mémoire")
            return real_hash(fmt, raw)

        monkeypatch.setattr(reading, "content_hash", broken_hash)
    else:
        real_compose, calls = plan.compose, itertools.count(1)

        def broken_compose(records, taxonomy):  # the helper composes every new partner:
            if next(calls) == 500:  # the 500th once the first chunks are written
                raise MemoryError("plus de mémoire")
            return real_compose(records, taxonomy)

        monkeypatch.setattr(plan, "compose", broken_compose)
    before = counts(app)
    with pytest.raises(RuntimeError, match="plus de mémoire"):
        run(app, big_generic_csv, workers=2)
    after = counts(app)
    assert after[:2] == before[:2] and after[3] == before[3]
    assert len(failed_runs(app)) == after[2] - before[2] == 1  # only the failure, kept


def test_a_big_import_leaves_postgresql_statistics_of_what_it_wrote(
    app, big_generic_csv, monkeypatch
):
    import app.importers.pipeline as pipeline

    with session_scope(app) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("statistiques du planificateur : PostgreSQL seulement")
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER_ROWS", 500)  # the file has 704 rows
    report = run(app, big_generic_csv)
    assert "statistiques" in report.timings
    with session_scope(app) as session:
        analysed = session.execute(
            text(
                "SELECT tablename FROM pg_stats WHERE attname = 'partner_id'"
                " AND tablename = 'partner_source'"
            )
        ).all()
    assert analysed  # without them the planner read all the sources for a few partners
