"""Importer building blocks without a database: cleaning, reading, detection, parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.importers import by_name, detect_format, source_from_stem
from app.importers.dedup import DedupIndex
from app.importers.formats.base import Context
from app.importers.formats.data_inclusion_services import thematiques_of
from app.importers.formats.finess import finess_address, repair_commune_code, repair_finess
from app.importers.formats.generic import (
    declared_freins,
    map_headers,
    says_inactive,
    split_inactive_note,
    stable_id,
)
from app.importers.normalize import (
    ages_from_text,
    dila_opening_hours,
    in_france,
    normalize_email,
    normalize_phone,
    normalize_postal_code,
    normalize_url,
    osm_opening_hours,
    parse_date,
    publics_from_text,
    weekly_hours,
)
from app.importers.reader import iter_json_records, read_csv
from app.importers.resolve import CHEFS_LIEUX, TypeGuesser
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
from ..support.shared_data import partner_files

SCHEMA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "referentiels"
SCHEMA = SCHEMA / "data-inclusion-schema" / "v1"


# --------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+33 4 74 00 85 01", "04 74 00 85 01"),
        ("0033474008501", "04 74 00 85 01"),
        ("04.74.00.85.01", "04 74 00 85 01"),
        ("474008501", "04 74 00 85 01"),
        ("+262 262 12 34 56", "02 62 12 34 56"),
        ("3949", "3949"),
        ("01 23 45 67 89 / 06 12 34 56 78", "01 23 45 67 89 / 06 12 34 56 78"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("", ""),
    ],
)
def test_phones_are_french_formatted(raw, expected):
    assert normalize_phone(raw) == expected


def test_small_cleaners():
    assert normalize_email(" Contact@Exemple.FR ") == "contact@exemple.fr"
    assert normalize_email("http://www.contact.urssaf.fr") is None
    assert normalize_email("") == ""
    assert normalize_url("www.exemple.fr") == "https://www.exemple.fr"
    assert normalize_url("pas une url") == ""
    assert normalize_postal_code("1000") == "01000"
    assert normalize_postal_code("ABCDE") is None
    assert parse_date("03/12/2021 07:55:01").isoformat() == "2021-12-03"
    assert parse_date("2015-04-30").isoformat() == "2015-04-30"
    assert parse_date("n'importe quoi") is None
    assert in_france(49.43, 2.08) and in_france(-21.1, 55.5) and not in_france(2.08, 49.43)


def test_opening_hours_are_readable_french():
    days = {
        0: "09:00 - 12:00 / 13:30 - 17:00",
        1: "09:00 - 12:00 / 13:30 - 17:00",
        4: "13:30 - 17:00",
    }
    assert weekly_hours(days) == (
        "Lundi et mardi : 09:00–12:00 / 13:30–17:00 ; Vendredi : 13:30–17:00"
    )
    plages = [
        {
            "nom_jour_debut": "Lundi",
            "nom_jour_fin": "Lundi",
            "valeur_heure_debut_1": "16:30:00",
            "valeur_heure_fin_1": "18:30:00",
        }
    ]
    assert dila_opening_hours(plages) == "Lundi : 16:30–18:30"
    assert osm_opening_hours("Mo-Fr 09:00-12:00; PH off") == (
        "Du lundi au vendredi : 09:00–12:00 ; Fermé les jours fériés"
    )
    assert osm_opening_hours("sunrise-sunset") == "sunrise-sunset"


def test_publics_and_ages_from_free_text():
    publics = default_taxonomy().publics
    assert publics_from_text("Jeunes de 16 à 21 ans suivis par la PJJ", publics) == [
        "jeunes",
        "personnes-en-situation-juridique-specifique",
    ]
    assert ages_from_text("Jeunes de 16 à 21 ans") == (16, 21)
    assert ages_from_text("Bénéficiaires du RSA et moins de 25 ans") == (None, 24)


def test_generic_headers_are_tolerant():
    mapping, ignored = map_headers(
        ["Nom", "CP", "Ville", "Tél.", "E-mail", "Site web", "Latitude", "lng", "Opérateur", "Zzz"]
    )
    assert mapping["code_postal"] == "CP" and mapping["commune"] == "Ville"
    assert mapping["telephone"] == "Tél." and mapping["email"] == "E-mail"
    assert mapping["lat"] == "Latitude" and mapping["lon"] == "lng"
    assert mapping["operateur"] == "Opérateur" and ignored == ["Zzz"]


def test_inactive_note_leaves_the_name():
    nom, note = split_inactive_note("Auto-école X (agrément perdu au 01/01/2017 ; statut inconnu)")
    assert nom == "Auto-école X" and note.startswith("agrément perdu")
    assert split_inactive_note("Auto-école (3 sites)") == ("Auto-école (3 sites)", "")


def test_stable_ids_ignore_case_and_accents():
    assert stable_id("Épicerie Sociale", "Beauvais") == stable_id("epicerie sociale", "BEAUVAIS")
    assert len(stable_id("a", "b")) == 12


def test_source_names_from_file_stems():
    assert source_from_stem("auto_ecoles_sociales_liste_manuelle.csv") == (
        "auto-ecoles-sociales-liste-manuelle"
    )
    assert source_from_stem("Mes Partenaires (2024).csv.gz") == "mes-partenaires-2024"


def test_type_guesser_agrees_with_the_taxonomy():
    tax = default_taxonomy()
    guess = TypeGuesser(tax)
    names = [
        "Auto-école solidaire de la Mission Locale d'Alès",
        "CCAS de Creil",
        "Boulangerie Dupont",
        "Pôle emploi de Belley",
        "Maison de justice et du droit de Creil",
        "",
    ]
    for name in names:
        assert guess(name) == tax.type_from_name(name)


def test_chefs_lieux_cover_every_departement():
    assert len(CHEFS_LIEUX) == 101
    assert CHEFS_LIEUX["2A"] == "2A004" and CHEFS_LIEUX["974"] == "97411"


def test_dedup_core_names_drop_generic_words():
    tax = default_taxonomy()
    index = DedupIndex(tax, lambda *a: 0.0, lambda code: "Bourg-en-Bresse")
    core = index.core_name("Pôle emploi de Bourg-en-Bresse", "france-travail", "01053")
    assert core == ""
    core = index.core_name("France Travail Bourg en Bresse Parme", "france-travail", "01053")
    assert core == "parme"


# --------------------------------------------------------------------------- reading


def test_csv_reader_detects_cp1252_semicolons_and_lines(shared_data, tmp_path):
    sample = generic_cp1252_file(tmp_path)
    table = read_csv(sample.path)
    assert table.encoding == "cp1252" and table.delimiter == ";"
    assert table.headers[0] == "Nom" and table.headers[5] == "Département"
    lines = [line for line, _cells in table.rows]
    assert lines == list(sample.lines.values())
    spanning = lines.index(sample.lines["unknown_commune"])
    assert lines[spanning + 1] - lines[spanning] > 1  # its quoted comment spans lines


def test_csv_reader_strips_the_bom(shared_data, tmp_path):
    table = read_csv(generic_bom_file(tmp_path).path)
    assert table.encoding == "utf-8-sig" and table.delimiter == ","
    assert table.headers[0] == "identifiant"


def test_json_records_are_streamed_with_lines(tmp_path):
    items = [{"id": i, "nom": f"n{i}"} for i in range(3)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"total": 3, "items": items}, indent=1))
    got = list(iter_json_records(path, ("items",)))
    assert [item["id"] for _k, _line, item in got] == [0, 1, 2]
    assert got[0][1] < got[1][1] < got[2][1]


def test_json_streaming_survives_chunk_boundaries(tmp_path, monkeypatch):
    from app.importers import reader

    monkeypatch.setattr(reader, "CHUNK", 7)
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"service": [{"id": "a", "n": 12345}, {"id": "b", "n": 6.5}]}))
    got = [item for _k, _l, item in iter_json_records(path, ("service",))]
    assert got == [{"id": "a", "n": 12345}, {"id": "b", "n": 6.5}]


def test_broken_json_is_a_french_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"service": [{"id": "a"}, {"id": ')
    with pytest.raises(ImportFailed, match="JSON invalide"):
        list(iter_json_records(path, ("service",)))


# --------------------------------------------------------------------------- detection


def test_formats_are_detected(shared_data, tmp_path):
    annuaire, dila = annuaire_and_dila_files(tmp_path)
    structures, services = data_inclusion_export(tmp_path)
    expected = {
        generic_cp1252_file(tmp_path).path: "generic-csv",
        generic_bom_file(tmp_path).path: "generic-csv",
        mairies_file(tmp_path, annuaire.rows["cidf"]).path: "mairies",
        annuaire.path: "annuaire-service-public",
        dila.path: "dila-annuaire",
        structures.path: "data-inclusion",
        services.path: "data-inclusion",
        data_inclusion_api_file(tmp_path).path: "data-inclusion-services",
        data_inclusion_v0_file(tmp_path).path: "data-inclusion",
        finess_file(tmp_path).path: "finess",
    }
    for path, name in expected.items():
        assert detect_format(path, path.name).name == name, path.name


def test_shared_files_are_detected(shared_data):
    """Every file of the folder is recognised by its content; those known here by name must
    get their own format (a new file needs no entry to be tested)."""
    expected = {
        "france_services_2024-08.csv": "france-services",
        "france_travail_agences_2024-01.csv": "france-travail",
        "siae_2021-11.csv": "siae",
        "annuaire_services_publics_2016-02.csv": "annuaire-service-public",
        "auto_ecoles_sociales_liste_manuelle.csv": "generic-csv",
        "dila_annuaire_extrait_2022.json": "dila-annuaire",
        "dila_annuaire_extrait_2023.json": "dila-annuaire",
        "data_inclusion_v0_structures_2023-01.json": "data-inclusion",
        "data_inclusion_v1_services_lille_2026-04.json": "data-inclusion-services",
        "esat_finess_2026.csv": "finess",
    }
    files = partner_files(shared_data / "partners")
    assert files
    for path in files:
        fmt = detect_format(path, path.name).name
        assert fmt == expected.get(path.name, fmt), path.name


def test_shipped_mairies_file_is_readable():
    path = Path(__file__).resolve().parents[2] / "data" / "partners" / "mairies.csv.gz"
    if not path.exists():
        pytest.skip("data/partners/mairies.csv.gz absent (construit par scripts/)")
    fmt = detect_format(path, path.name)
    assert fmt.name == "mairies"
    ctx = Context(path=path, source="mairies", file_date=None, publics={})
    for n, (line, raw) in enumerate(fmt.records(path, ctx)):
        parsed = fmt.parse(line, raw, ctx)
        assert parsed.source_id == raw["code_insee"] and parsed.fields["nom"]
        if n > 50:
            break


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"\x00\x01\x02\x03binary\x00", "binaire"),
        (b"PK\x03\x04xlsx", "ZIP"),
        (b"foo,bar\n1,2\n", "Format non reconnu"),
        (b'{"hello": "world"}', "JSON non reconnu"),
    ],
)
def test_unusable_files_are_refused_in_french(tmp_path, content, message):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        detect_format(path, path.name)


def test_unknown_format_name():
    with pytest.raises(ImportFailed, match="Formats possibles"):
        by_name("excel")


# --------------------------------------------------------------------------- data·inclusion


def _schema(name: str) -> dict:
    path = SCHEMA / name
    if not path.exists():
        pytest.skip(f"schéma data·inclusion absent ({path})")
    return json.loads(path.read_text())


def _check(item: dict, schema: dict) -> None:
    """The parts of JSON Schema our samples rely on: required keys and enumerations."""
    for key in schema["required"]:
        assert item.get(key) not in (None, ""), key
    defs = schema["$defs"]
    for key, value in item.items():
        assert key in schema["properties"], key
        if value is None:
            continue
        prop = json.dumps(schema["properties"][key])
        for name, definition in defs.items():
            if f'"#/$defs/{name}"' in prop and "enum" in definition:
                values = value if isinstance(value, list) else [value]
                assert set(values) <= set(definition["enum"]), (key, values)


def test_data_inclusion_samples_follow_the_schema(shared_data, tmp_path):
    structure, service = _schema("structure.json"), _schema("service.json")
    structures, services = data_inclusion_export(tmp_path)
    for item in json.loads(structures.path.read_text()):
        _check(item, structure)
    items = json.loads(services.path.read_text())["items"]
    for item in items[:-1]:  # the last one is invalid on purpose (no description)
        _check(item, service)


def test_excel_separator_line(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("sep=;\nnom;commune\nA;Beauvais\n", encoding="utf-8")
    table = read_csv(path)
    assert table.delimiter == ";" and table.headers == ["nom", "commune"]
    assert [line for line, _ in table.rows] == [3]


def test_csv_text_is_decoded_as_it_is_read(tmp_path):
    """A byte that is not UTF-8 far into the file stops the reading with the same message
    as one at its start (the whole text is never held at once)."""
    path = tmp_path / "late.csv"
    rows = "".join(f"Structure {i},Beauvais\n" for i in range(5000))
    path.write_bytes(b"\xef\xbb\xbfnom,commune\n" + rows.encode() + b"Auto-\xe9cole,Creil\n")
    table = read_csv(path)
    assert table.encoding == "utf-8-sig" and table.headers == ["nom", "commune"]
    with pytest.raises(ImportFailed, match="ni en UTF-8"):
        for _ in table.rows:
            pass


def test_a_bom_alone_is_an_empty_file(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf")
    with pytest.raises(ImportFailed, match="est vide"):
        read_csv(path)


def test_phones_already_written_our_way_are_kept():
    assert normalize_phone("02 37 82 76 35") == "02 37 82 76 35"
    assert normalize_phone("00 12 34 56 78") == normalize_phone("0012345678")


def test_a_description_is_folded_only_when_it_may_say_closed():
    assert says_inactive("Structure définitivement FERMÉE depuis 2020")
    assert says_inactive("Agrément retiré par la préfecture")
    assert says_inactive("Liquidation judiciaire en cours")
    assert not says_inactive("Atelier de remobilisation, accueil sur rendez-vous")
    assert not says_inactive("Fermeture le mercredi après-midi")


def test_declared_freins_cells():
    assert declared_freins("Mobilité ; Santé|garde d'enfants, ") == (
        "mobilite",
        "sante",
        "garde-d-enfants",
    )


@pytest.mark.parametrize(
    ("value", "departement", "expected"),
    [
        ("1047", "01", "01047"),
        ("20004", "2A", "2A004"),
        ("2B033", "2B", "2B033"),
        ("97411", "974", "97411"),
    ],
)
def test_finess_commune_codes_are_repaired(value, departement, expected):
    assert repair_commune_code(value, departement) == expected


def test_finess_numbers_and_addresses():
    assert repair_finess("10008951") == "010008951" and repair_finess("2A0002861") == "2A0002861"
    assert finess_address("385   ALL DU PRUNNUS") == "385 allée du Prunnus"
    assert finess_address("   ZA LES LAURONS") == "ZA les Laurons"
    assert finess_address("    ") == ""


def test_v1_thematiques_may_be_json_text():
    assert thematiques_of('["numerique--acceder-a-une-connexion-internet"]') == [
        "numerique--acceder-a-une-connexion-internet"
    ]
    assert thematiques_of(["a", " "]) == ["a"] and thematiques_of("[oops") == []
