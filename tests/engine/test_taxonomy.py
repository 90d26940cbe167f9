"""The taxonomy data files: consistency, agreement with data·inclusion v1 and the real sources."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from recommender.errors import InvalidParameter, UnknownFrein, UnknownPublic
from recommender.records import ZONE_KINDS
from recommender.taxonomy import DEFAULT_DIRECTORY, Taxonomy, default_taxonomy
from recommender.text import fold

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SCHEMA = SHARED / "referentiels" / "data-inclusion-schema" / "v1"
PARTNERS = SHARED / "partners"

API_FREINS = [
    "mobilite",
    "logement",
    "sante",
    "difficultes-financieres",
    "numerique",
    "savoir-etre",
    "maitrise-du-francais",
    "acces-aux-droits",
    "garde-enfants",
    "justice",
    "violences-conjugales",
    "formation",
    "emploi",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared reference data absent: {path} (expected beside the repository)")
    return path


def _vocabulary(name: str) -> list[str]:
    with _shared(SCHEMA / name).open(encoding="utf-8") as handle:
        return [item["value"] for item in json.load(handle)]


def _column(filename: str, column: str) -> set[str]:
    with _shared(PARTNERS / filename).open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


# ---------------------------------------------------------------- freins


def test_the_13_freins_in_api_order(tax):
    assert list(tax.freins) == API_FREINS
    assert [f["code"] for f in tax_to_api(tax)] == API_FREINS


def tax_to_api(tax):
    return [frein.to_dict() for frein in tax.freins.values()]


def test_frein_api_shape(tax):
    for item in tax_to_api(tax):
        assert set(item) == {"code", "label", "description", "thematiques", "partner_types"}
        assert item["label"] and item["description"]


def test_every_frein_has_a_recommendable_type_and_synonyms(tax):
    for frein in tax.freins.values():
        recommendable = [c for c in frein.partner_types if tax.partner_type(c).recommendable]
        assert recommendable, frein.code
        assert len(frein.synonyms) >= 5, frein.code
        assert frein.thematiques, frein.code


def test_frein_partner_types_agree_with_the_types(tax):
    for frein in tax.freins.values():
        declaring = {
            t.code for t in tax.partner_types.values() if t.recommendable and frein.code in t.freins
        }
        assert set(frein.partner_types) == declaring, frein.code
        assert len(set(frein.partner_types)) == len(frein.partner_types), frein.code
        core = [c for c in frein.partner_types if frein.code in tax.partner_type(c).freins_core]
        assert list(frein.partner_types[: len(core)]) == core, f"{frein.code}: core types first"


def test_every_thematique_exists_in_data_inclusion(tax):
    valid = set(_vocabulary("thematiques.json"))
    for frein in tax.freins.values():
        unknown = set(frein.thematiques) - valid
        assert not unknown, f"{frein.code}: {sorted(unknown)}"


def test_freins_and_thematiques_round_trip(tax):
    for frein in tax.freins.values():
        assert frein.code in tax.freins_of_thematiques(frein.thematiques)
    assert tax.freins_of_thematiques(["mobilite"]) == {"mobilite"}
    assert tax.freins_of_thematiques(None) == set()
    assert tax.thematiques_of([]) == []
    both = tax.thematiques_of(["justice", "justice", "violences-conjugales"])
    assert len(both) == len(set(both)) == 2


# ---------------------------------------------------------------- partner types


def test_every_reseau_porteur_exists_in_data_inclusion(tax):
    valid = set(_vocabulary("reseaux-porteurs.json"))
    for partner_type in tax.partner_types.values():
        if partner_type.reseau_porteur is not None:
            assert partner_type.reseau_porteur in valid, partner_type.code


def test_partner_types_are_well_formed(tax):
    for t in tax.partner_types.values():
        assert t.zone_kind in ZONE_KINDS, t.code
        assert (t.zone_radius_km is not None) == (t.zone_kind == "rayon"), t.code
        assert set(t.freins) <= set(API_FREINS), t.code
        assert set(t.publics) <= set(tax.publics), t.code
        if not t.recommendable:
            assert not t.freins, f"{t.code}: not recommendable yet maps to freins"
        if t.publics_exclusive:
            assert t.publics, t.code
        assert t.to_dict() == {"code": t.code, "label": t.label}


def test_expected_defaults(tax):
    ml = tax.partner_type("mission-locale")
    assert (ml.age_min, ml.age_max, ml.publics, ml.publics_exclusive) == (16, 25, ("jeunes",), True)
    spip = tax.partner_type("spip")
    assert spip.zone_kind == "departement" and spip.freins_core == ("justice",)
    assert spip.publics == ("personnes-en-situation-juridique-specifique",)
    assert spip.publics_exclusive
    cidff = tax.partner_type("cidff")
    assert cidff.publics == ("femmes",) and not cidff.publics_exclusive
    assert tax.partner_type("mairie").zone_kind == "communes"
    assert "acces-aux-droits" in tax.partner_type("mairie").freins_side
    fs = tax.partner_type("france-service")
    assert set(fs.freins_core) == {"numerique", "acces-aux-droits"}
    assert {"logement", "difficultes-financieres"} <= set(fs.freins_side)
    for code in ("tresorerie", "sip", "urssaf", "cadastre", "france-travail-dda"):
        assert not tax.partner_type(code).recommendable, code


def test_unknown_partner_type_is_the_generic_one(tax):
    assert tax.partner_type("n-existe-pas").code == "autre"
    assert tax.partner_type(None).code == "autre"
    assert tax.partner_type("autre").recommendable


def test_publics_file_equals_data_inclusion_publics(tax):
    assert list(tax.publics) == _vocabulary("publics.json")


# ---------------------------------------------------------------- source types


def test_every_referenced_partner_type_exists():
    raw = json.loads((DEFAULT_DIRECTORY / "source_types.json").read_text(encoding="utf-8"))
    types = {
        t["code"] for t in json.loads((DEFAULT_DIRECTORY / "partner_types.json").read_text("utf-8"))
    }
    for source, mapping in raw.items():
        if isinstance(mapping, str):
            assert mapping in raw, source
            continue
        for code, target in mapping.items():
            assert target in types, f"{source}/{code} → {target}"
    for frein in json.loads((DEFAULT_DIRECTORY / "freins.json").read_text(encoding="utf-8")):
        assert set(frein["partner_types"]) <= types, frein["code"]


def test_annuaire_2016_types_are_all_mapped(tax):
    codes = _column("annuaire_services_publics_2016-02.csv", "type")
    assert len(codes) > 30
    for code in codes:
        assert code.casefold() in tax.source_types["annuaire-service-public"], code


def test_current_dila_pivots_are_mapped(tax):
    expected = {
        "ccas": "ccas-cias",
        "mds": "mds",
        "france_travail": "france-travail",
        "cap_emploi": "cap-emploi",
        "france_services": "france-service",
        "point_justice": "point-justice",
        "pcb": "points-conseil-budget",
        "mairie": "mairie",
    }
    for code, type_code in expected.items():
        assert tax.source_type("annuaire-service-public", code) == type_code
        assert tax.source_type("dila-annuaire", code) == type_code


def test_dila_json_extracts_are_mapped(tax):
    for name in ("dila_annuaire_extrait_2022.json", "dila_annuaire_extrait_2023.json"):
        with _shared(PARTNERS / name).open(encoding="utf-8") as handle:
            services = json.load(handle)["service"]
        for service in services:
            for pivot in service.get("pivot") or []:
                code = pivot["type_service_local"]
                assert code.casefold() in tax.source_types["dila-annuaire"], code


def test_siae_kinds_are_all_mapped(tax):
    for kind in _column("siae_2021-11.csv", "kind"):
        assert kind.casefold() in tax.source_types["siae"], kind
    assert tax.source_type("siae", "ACI") == "aci"
    assert tax.source_type("siae", " geiq ") == "geiq"


def test_france_travail_sites_are_all_mapped(tax):
    for code in _column("france_travail_agences_2024-01.csv", "type_site"):
        assert code.casefold() in tax.source_types["france-travail"], code
    assert tax.partner_type(tax.source_type("france-travail", "ALE")).recommendable
    for code in ("DDA", "DRA"):
        assert not tax.partner_type(tax.source_type("france-travail", code)).recommendable


def test_france_services_rows_are_all_mapped(tax):
    codes = _column("france_services_2024-08.csv", "type_fs") | _column(
        "france_services_2024-08.csv", "format_fs"
    )
    for code in codes:
        assert code.casefold() in tax.source_types["france-services"], code
        assert tax.source_type("france-services", code) == "france-service"


def test_unknown_source_codes_give_autre(tax):
    assert tax.source_type("siae", "ZZZ") == "autre"
    assert tax.source_type("source-inconnue", "ACI") == "autre"
    assert tax.source_type("annuaire-service-public", None) == "autre"
    assert tax.source_type("auto-ecoles-sociales", None) == "auto-ecole-sociale"


# ---------------------------------------------------------------- names, synonyms


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Mission locale du Beauvaisis", "mission-locale"),
        ("Auto-école sociale du Soissonnais", "auto-ecole-sociale"),
        ("Garage solidaire du Hainaut", "garage-solidaire"),
        ("Centre communal d'action sociale de Creil", "ccas-cias"),
        ("Service pénitentiaire d'insertion et de probation de l'Oise", "spip"),
        ("Conseil départemental de l'accès au droit de l'Oise", "point-justice"),
        ("Emmaüs Connect Lille", "espace-numerique"),
        ("Restos du Cœur de Compiègne", "aide-alimentaire"),
        ("Accastillage Dupont", None),
        ("", None),
    ],
)
def test_type_from_name(tax, name, expected):
    assert tax.type_from_name(name) == expected


def test_type_from_name_agrees_with_the_annuaire_types(tax):
    path = _shared(PARTNERS / "annuaire_services_publics_2016-02.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    agree = sum(
        tax.type_from_name(row["nom"]) == tax.source_type("annuaire-service-public", row["type"])
        for row in rows
    )
    assert agree / len(rows) > 0.95


def test_synonyms_are_folded_and_point_to_freins(tax):
    synonyms = tax.synonyms()
    for term, codes in synonyms.items():
        assert term == fold(term)
        assert codes and set(codes) <= set(API_FREINS)
    assert synonyms["sous main de justice"] == ["justice"]
    assert synonyms["hebergement"] == ["logement"]
    assert synonyms["3919"] == ["violences-conjugales"]
    assert synonyms["illettrisme"] == ["maitrise-du-francais"]
    assert synonyms["creche"] == ["garde-enfants"]
    synonyms["permis"].append("emploi")
    assert tax.synonyms()["permis"] == ["mobilite"], "synonyms() must return a copy"


# ---------------------------------------------------------------- parameters


def test_parse_freins_variants(tax):
    assert tax.parse_freins(None) == []
    assert tax.parse_freins("") == []
    assert tax.parse_freins("justice") == ["justice"]
    assert tax.parse_freins(" logement ,justice,logement") == ["logement", "justice"]
    assert tax.parse_freins(["emploi", "Santé", "difficultes financieres"]) == [
        "emploi",
        "sante",
        "difficultes-financieres",
    ]
    assert tax.parse_freins(("mobilite,numerique",)) == ["mobilite", "numerique"]


def test_parse_freins_unknown_lists_the_valid_codes(tax):
    with pytest.raises(UnknownFrein) as caught:
        tax.parse_freins("logement,velo")
    error = caught.value
    assert error.status == 400
    assert error.message == "Frein inconnu : « velo »."
    assert error.details["parameter"] == "freins"
    assert error.details["valid"] == API_FREINS
    assert error.to_dict()["error"]["code"] == "frein_inconnu"
    with pytest.raises(UnknownFrein):
        tax.frein("velo")


@pytest.mark.parametrize("value", [42, {"a": 1}, ["emploi", 3], "x," * 2000, ["emploi"] * 60])
def test_parse_freins_bad_values_are_400(tax, value):
    with pytest.raises(InvalidParameter) as caught:
        tax.parse_freins(value)
    assert caught.value.status == 400
    assert caught.value.details["parameter"] == "freins"


def test_parse_publics(tax):
    assert tax.parse_publics("jeunes, femmes,jeunes") == ["jeunes", "femmes"]
    assert tax.parse_publics(["Personnes exilées"]) == ["personnes-exilees"]
    with pytest.raises(UnknownPublic) as caught:
        tax.parse_publics("retraites")
    assert caught.value.details["valid"] == list(tax.publics)
    assert caught.value.details["parameter"] == "publics"
    assert caught.value.message == "Public inconnu : « retraites »."


# ---------------------------------------------------------------- loading


def test_default_taxonomy_is_cached():
    assert default_taxonomy() is default_taxonomy()


def test_load_rejects_broken_references(tmp_path):
    for name in ("freins.json", "partner_types.json", "source_types.json", "publics.json"):
        shutil.copy(DEFAULT_DIRECTORY / name, tmp_path / name)
    shutil.copy(DEFAULT_DIRECTORY / "rules.json", tmp_path / "rules.json")
    Taxonomy.load(tmp_path)  # the copy loads
    sources = json.loads((tmp_path / "source_types.json").read_text(encoding="utf-8"))
    sources["siae"]["XYZ"] = "type-fantome"
    (tmp_path / "source_types.json").write_text(json.dumps(sources), encoding="utf-8")
    with pytest.raises(ValueError, match="type-fantome"):
        Taxonomy.load(tmp_path)


def test_load_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        Taxonomy.load(tmp_path)
