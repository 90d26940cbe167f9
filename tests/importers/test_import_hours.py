"""Every source's form of opening hours read into one week, on real strings of the shared
files (chosen by predicate), and the import that stores it (idempotent)."""

from __future__ import annotations

import re

from app.importers.hours import (
    from_annuaire_json,
    from_day_columns,
    from_dila,
    from_osm,
    from_osm_or_text,
    from_text,
    slots,
)
from app.importers.services import fee_of, modes_of
from recommender.hours import DAY_KEYS

from ..support.real_rows import (
    cnfs_hours_file,
    first,
    france_services_hours_file,
    mairies_rows,
    read_csv_rows,
    read_json,
)
from .test_import_pipeline import partner_of, run

FS_DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
MO_FR_TWO_SPANS = re.compile(r"^Mo-Fr (\d\d:\d\d)-(\d\d:\d\d),(\d\d:\d\d)-(\d\d:\d\d)$")


def _osm_strings() -> set[str]:
    v0 = read_json("data_inclusion_v0_structures_2023-01.json")
    _, cnfs = read_csv_rows("conseillers_numeriques_lieux_2022.csv")
    return {r["horaires"] for r in v0 if r.get("horaires")} | {
        r["horaires"] for r in cnfs if r["horaires"]
    }


def test_osm_expressions_of_data_inclusion_and_cnfs():
    strings = _osm_strings()
    parsed = {s: from_osm(s) for s in strings}
    assert sum(1 for week in parsed.values() if week) / len(strings) >= 0.94
    # Some sources put French text in the field: read as such when regular.
    assert sum(1 for s in strings if from_osm_or_text(s)) / len(strings) >= 0.955
    sample = first(sorted(strings), MO_FR_TWO_SPANS.match, "horaires OSM « Mo-Fr a-b,c-d »")
    a, b, c, d = MO_FR_TWO_SPANS.match(sample).groups()
    week = parsed[sample]
    assert week["jours"] == {day: [[a, b], [c, d]] for day in DAY_KEYS[:5]}
    assert week["jours_feries"] == "ferme" and "sur_rendez_vous" not in week


def test_an_irregular_osm_expression_gives_no_week():
    broken = first(
        sorted(_osm_strings()),
        lambda s: s.startswith(("Mo", "Tu", "We", "Th", "Fr")) and from_osm(s) is None,
        "expression OSM invalide",
    )
    assert from_osm_or_text(broken) is None  # nor is it read as French text


def test_every_france_services_cell_is_a_list_of_spans():
    _, rows = read_csv_rows("france_services_2024-08.csv")
    cells = {r[d] for r in rows for d in FS_DAYS if r[d]}
    assert all(slots(cell) is not None for cell in cells)
    row = first(rows, lambda r: " / " in r["h_lundi"] and not r["h_samedi"], "lundi en 2 plages")
    week = from_day_columns({i: row[d] for i, d in enumerate(FS_DAYS)}, appointment=True)
    morning, afternoon = row["h_lundi"].split(" / ")
    assert week["jours"]["lundi"] == [morning.split(" - "), afternoon.split(" - ")]
    assert "samedi" not in week["jours"] and week["sur_rendez_vous"] is True


def test_dila_plages_of_both_extracts():
    for name in ("dila_annuaire_extrait_2022.json", "dila_annuaire_extrait_2023.json"):
        record = read_json(name)["service"][0]
        plages = record["plage_ouverture"]
        week = from_dila(plages, record.get("commentaire_plage_ouverture"))
        days = {p["nom_jour_debut"].lower() for p in plages}
        assert set(week["jours"]) == days
        plage = plages[0]
        day = plage["nom_jour_debut"].lower()
        assert week["jours"][day][0] == [
            plage["valeur_heure_debut_1"][:5],
            plage["valeur_heure_fin_1"][:5],
        ]


def test_every_annuaire_addition_json_is_read():
    _, rows = read_csv_rows("annuaire_ajouts_locaux_2018-2021.csv")
    weeks = [from_annuaire_json(r["horaires_json"]) for r in rows]
    assert all(weeks)
    row = first(rows, lambda r: '"du": "lundi", "au": "vendredi"' in r["horaires_json"], "lun-ven")
    week = from_annuaire_json(row["horaires_json"])
    assert set(DAY_KEYS[:5]) <= set(week["jours"])


def test_regular_french_text_of_the_mairies_file():
    _, rows = mairies_rows()
    texts = [r["horaires"] for r in rows if r["horaires"]]
    assert sum(1 for t in texts if from_text(t)) / len(texts) >= 0.99
    assert from_text("Ouvert selon les saisons") is None


def test_import_stores_the_week_and_a_second_run_changes_nothing(app, tmp_path):
    fs = france_services_hours_file(tmp_path)
    first_run = run(app, fs.path)
    assert first_run.counts["created"] == 2
    rdv = partner_of(app, "france-services", fs.rows["rdv"]["id_fs"])
    assert rdv.horaires_structures["sur_rendez_vous"] is True
    assert rdv.horaires_structures["jours"]["lundi"][0][0] == fs.rows["rdv"]["h_lundi"][:5]
    assert rdv.horaires  # the source's text is kept beside the week
    none = partner_of(app, "france-services", fs.rows["none"]["id_fs"])
    assert none.horaires_structures is None
    again = run(app, fs.path)
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == 2


def test_cnfs_place_keeps_its_week_and_its_service(app, tmp_path):
    sample = cnfs_hours_file(tmp_path)
    run(app, sample.path)
    place = partner_of(app, "conseillers-numeriques", sample.rows["rdv"]["id"])
    assert place.horaires_structures == from_osm(sample.rows["rdv"]["horaires"])
    (service,) = place.services
    assert service["nom"] == "Médiation numérique"
    assert service["frais"] == "gratuit"  # « Gratuit : Je peux accéder gratuitement… »
    assert service["modes"] == ["sur-rendez-vous"]
    assert service["lien_mobilisation"] == sample.rows["rdv"]["prise_rdv"]
    assert service["freins"] and service["prestations"]
    assert run(app, sample.path).counts["unchanged"] == 1


def test_fee_and_modes_come_from_codes_then_plain_words():
    assert fee_of(["gratuit-sous-conditions"], "payant") == "gratuit-sous-conditions"
    assert fee_of([], "Accueil gratuit et sans rendez-vous") == "gratuit"
    assert fee_of([], "gratuit ou payant selon les cas") is None
    assert modes_of([], "Accueil sans rendez-vous le mardi") == ["sans-rendez-vous"]
    assert modes_of(["a-distance"], "", appointment_link=True) == ["sur-rendez-vous", "a-distance"]
