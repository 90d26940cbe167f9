"""A partner's columns composed from its source records, rule by rule (``compose``)."""

from __future__ import annotations

from typing import Any

from app.importers.compose import OWNED_COLUMNS, compose
from recommender.taxonomy import default_taxonomy


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "nom": "Mission locale du Bugey",
        "type_code": "mission-locale",
        "code_insee": "01034",
        "commune_nom": "Belley",
        "departement": "01",
        "region": "84",
        "lat": 45.76,
        "lon": 5.69,
        "coords_exact": True,
        "source_updated_at": "2024-01-01",
    }
    return base | fields


def test_every_owned_column_is_composed_in_order():
    assert tuple(compose([_record()], default_taxonomy())) == OWNED_COLUMNS


def test_a_structure_beats_its_services_and_lists_them():
    structure = _record(telephone="", email="ml@example.org", description="Accueil des jeunes")
    service = _record(
        nom="Atelier CV",
        service=True,
        service_nom="Atelier CV",
        telephone="04 79 81 00 00",
        source_updated_at="2025-01-01",
    )
    out = compose([service, structure], default_taxonomy())
    assert out["nom"] == "Mission locale du Bugey"
    assert out["telephone"] == "04 79 81 00 00"  # the only record that has one
    assert out["email"] == "ml@example.org"
    assert out["description"] == "Service : Atelier CV\n\nAccueil des jeunes"
    assert out["source_updated_at"].isoformat() == "2025-01-01"


def test_declared_freins_replace_the_types_even_when_none_is_known():
    taxonomy = default_taxonomy()
    default = list(taxonomy.partner_type("mission-locale").freins)
    assert compose([_record()], taxonomy)["freins"] == default
    assert compose([_record(freins=["logement", "mobilite"])], taxonomy)["freins"] == [
        "mobilite",
        "logement",
    ]
    assert compose([_record(freins=["inconnu"])], taxonomy)["freins"] == []


def test_a_service_open_to_everyone_clears_the_publics():
    taxonomy = default_taxonomy()
    assert compose([_record()], taxonomy)["publics"] == ["jeunes"]
    open_to_all = _record(service=True, publics_declared=True, publics=[])
    assert compose([_record(publics=["femmes"]), open_to_all], taxonomy)["publics"] == []


def test_a_zone_without_codes_takes_the_partners_place_or_a_radius():
    taxonomy = default_taxonomy()
    out = compose([_record(zone_kind="departement")], taxonomy)
    assert (out["zone_kind"], out["zone_codes"], out["zone_radius_km"]) == (
        "departement",
        ["01"],
        None,
    )
    out = compose([_record(zone_kind="epci")], taxonomy)
    assert (out["zone_kind"], out["zone_codes"], out["zone_radius_km"]) == ("rayon", [], 30.0)
    out = compose([_record(type_code="mairie", code_insee=None)], taxonomy)
    assert (out["zone_kind"], out["zone_codes"], out["zone_radius_km"]) == ("rayon", [], 30.0)


def test_the_location_comes_whole_from_the_record_with_exact_coordinates():
    approximate = _record(
        coords_exact=False, code_insee="01053", commune_nom="Bourg", adresse="1 rue A"
    )
    exact = _record(adresse="", source_updated_at="2020-01-01")
    out = compose([approximate, exact], default_taxonomy())
    assert (out["code_insee"], out["commune_nom"], out["coords_exact"]) == ("01034", "Belley", True)
    assert out["adresse"] == ""  # the other record's address is in another commune


def test_a_partner_whose_records_are_all_inactive_is_archived():
    taxonomy = default_taxonomy()
    assert compose([_record(inactive="fermé")], taxonomy)["status"] == "archived"
    assert compose([_record(inactive="fermé"), _record()], taxonomy)["status"] == "active"
