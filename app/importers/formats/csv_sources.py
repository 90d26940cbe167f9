"""The national CSV extracts: France Services, France Travail, SIAE, the 2016 DILA annuaire
and the shipped mairies file."""

from __future__ import annotations

import re
from typing import Any

from ..normalize import (
    clean,
    clean_multiline,
    is_upper_label,
    normalize_email,
    normalize_phone,
    normalize_url,
    parse_date,
    smart_title,
    weekly_hours,
)
from .base import Context, Format, Parsed, RowError, get

_STREET = re.compile(
    r"^\d|\b(rue|avenue|av|bd|boulevard|place|chemin|route|allee|allée|quai|cours|impasse|"
    r"square|esplanade|parvis|rond-point|mail|promenade|faubourg|passage|voie|lieu-dit)\b",
    re.I,
)
_POSTAL_BOX = re.compile(r"^(bp|cs|tsa|cedex|case postale|boite postale)\b", re.I)


def split_address(text: str) -> tuple[str, str]:
    """``"BP 309 / 5 rue Berthelot"`` → ``("5 rue Berthelot", "BP 309")``."""
    parts = [clean(p) for p in re.split(r"\s+/\s+|\n", text or "") if clean(p)]
    if len(parts) <= 1:
        return (parts[0] if parts else ""), ""
    street = next((p for p in parts if _STREET.search(p) and not _POSTAL_BOX.match(p)), None)
    if street is None:
        street = next((p for p in parts if not _POSTAL_BOX.match(p)), parts[0])
    rest = [p for p in parts if p is not street]
    return street, ", ".join(rest)


def _email(parsed_warnings: list[str], value: str) -> str:
    email = normalize_email(value)
    if email is None:
        parsed_warnings.append(f"courriel invalide ignoré : « {clean(value)} »")
        return ""
    return email


def _require(raw: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if not get(raw, k)]
    if missing:
        raise RowError(f"champ obligatoire vide : {', '.join(missing)}")


class FranceServices(Format):
    name = "france-services"
    label = "France Services (ANCT)"
    default_source = "france-services"
    taxonomy_source = "france-services"

    def sniff_csv(self, headers: set[str]) -> bool:
        return {"id_fs", "lib_fs"} <= headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        _require(raw, "id_fs", "lib_fs")
        warnings: list[str] = []
        days = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
        horaires = weekly_hours({i: get(raw, k) for i, k in enumerate(days)})
        notes = []
        if comment := clean_multiline(raw.get("commentaire")):
            notes.append(comment)
        if get(raw, "prise_rdv").lower() == "oui":
            notes.append("Accueil sur rendez-vous.")
        fmt = get(raw, "format_fs")
        if fmt.lower().startswith("bus"):
            notes.append("France services itinérante (bus).")
        if get(raw, "type_fs").lower() == "antenne":
            notes.append("Antenne d'une France services.")
        if label := get(raw, "labellisation_fs"):
            notes.append(label + ".")
        fields = {
            "nom": get(raw, "lib_fs"),
            "source_type": get(raw, "type_fs") or "france_services",
            "adresse": get(raw, "adresse"),
            "complement_adresse": get(raw, "complement_adresse"),
            "code_insee": get(raw, "insee_com"),
            "code_postal": get(raw, "code_postal"),
            "commune": get(raw, "lib_com"),
            "departement": get(raw, "insee_dep"),
            "lat": raw.get("latitude"),
            "lon": raw.get("longitude"),
            "telephone": normalize_phone(raw.get("telephone")),
            "email": _email(warnings, get(raw, "mail")),
            "horaires": horaires,
            "description": "\n".join(notes),
            "source_updated_at": ctx.file_date,
        }
        return Parsed(line, get(raw, "id_fs"), raw, fields, warnings)


class FranceTravail(Format):
    name = "france-travail"
    label = "Sites France Travail"
    default_source = "france-travail"
    taxonomy_source = "france-travail"

    def sniff_csv(self, headers: set[str]) -> bool:
        return "code_safir" in headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        _require(raw, "code_safir", "nom")
        nom = get(raw, "nom")
        site = get(raw, "type_site").upper()
        pretty = smart_title(nom) if is_upper_label(nom) else nom
        prefix = {"DDA": "France Travail – Direction territoriale", "DRA": "France Travail –"}
        fields = {
            "nom": f"{prefix.get(site, 'France Travail')} {pretty}",
            "source_type": site or "ALE",
            "adresse": get(raw, "adresse"),
            "complement_adresse": get(raw, "complement"),
            "code_postal": get(raw, "code_postal"),
            "commune": get(raw, "commune"),
            "lat": raw.get("lat"),
            "lon": raw.get("lon"),
            "telephone": "3949",
            "site_web": "https://www.francetravail.fr",
            "source_updated_at": ctx.file_date,
        }
        return Parsed(line, get(raw, "code_safir"), raw, fields)

    @staticmethod
    def alternate_id(parsed: Parsed) -> str:
        """The deterministic id of a repeated SAFIR code: ``code-reference``."""
        reference = get(parsed.raw, "reference")
        return f"{parsed.source_id}-{reference}" if reference else ""


class Siae(Format):
    name = "siae"
    label = "Structures de l'insertion par l'activité économique (SIAE)"
    default_source = "siae"
    taxonomy_source = "siae"

    def sniff_csv(self, headers: set[str]) -> bool:
        return {"kind", "siret"} <= headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        _require(raw, "kind", "siret", "name")
        siret = re.sub(r"\D", "", get(raw, "siret"))
        if len(siret) != 14:
            raise RowError(f"SIRET invalide : « {get(raw, 'siret')} » (14 chiffres attendus)")
        kind = get(raw, "kind").upper()
        brand, name = get(raw, "brand"), get(raw, "name")
        if brand:
            nom, quality = brand, 2
        elif is_upper_label(name):
            nom, quality = smart_title(name), 0
        else:
            nom, quality = name, 1
        description = clean_multiline(raw.get("description"))
        fields = {
            "nom": nom,
            "nom_quality": quality,
            "source_type": kind,
            "siret": siret,
            "adresse": get(raw, "address"),
            "complement_adresse": get(raw, "address2"),
            "code_postal": get(raw, "post_code"),
            "commune": get(raw, "city"),
            "departement": get(raw, "department"),
            "lat": raw.get("lat"),
            "lon": raw.get("lon"),
            "site_web": normalize_url(raw.get("website")),
            "description": description,
            "source_updated_at": ctx.file_date,
        }
        return Parsed(line, f"{siret}-{kind}", raw, fields)


class AnnuaireServicePublic(Format):
    name = "annuaire-service-public"
    label = "Annuaire des services publics locaux (DILA, CSV)"
    default_source = "annuaire-service-public"
    taxonomy_source = "annuaire-service-public"
    duplicate_ids = "reject"

    def sniff_csv(self, headers: set[str]) -> bool:
        return {"id", "type", "nom", "maj"} <= headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        _require(raw, "id", "type", "nom")
        warnings: list[str] = []
        adresse, complement = split_address(get(raw, "adresse"))
        fields = {
            "nom": get(raw, "nom"),
            "source_type": get(raw, "type"),
            "code_insee": get(raw, "code_insee"),
            "adresse": adresse,
            "complement_adresse": complement,
            "code_postal": get(raw, "code_postal"),
            "commune": get(raw, "commune"),
            "lat": raw.get("lat"),
            "lon": raw.get("lon"),
            "telephone": normalize_phone(raw.get("telephone")),
            "email": _email(warnings, get(raw, "email")),
            "source_updated_at": parse_date(raw.get("maj")) or ctx.file_date,
        }
        return Parsed(line, get(raw, "id"), raw, fields, warnings)


class Mairies(Format):
    name = "mairies"
    label = "Mairies (fichier livré avec Relais)"
    default_source = "mairies"
    taxonomy_source = "mairies"
    duplicate_ids = "reject"

    def sniff_csv(self, headers: set[str]) -> bool:
        return {"code_insee", "nom", "coord_ok"} <= headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        _require(raw, "code_insee", "nom")
        warnings: list[str] = []
        coord_ok = get(raw, "coord_ok").lower() not in ("0", "false", "non", "faux")
        fields = {
            "nom": get(raw, "nom"),
            "source_type": "mairie",
            "code_insee": get(raw, "code_insee"),
            "adresse": get(raw, "adresse"),
            "code_postal": get(raw, "code_postal"),
            "commune": get(raw, "commune"),
            "lat": raw.get("lat") if coord_ok else None,
            "lon": raw.get("lon") if coord_ok else None,
            "telephone": normalize_phone(raw.get("telephone")),
            "email": _email(warnings, get(raw, "email")),
            "site_web": normalize_url(raw.get("site_web")),
            "horaires": clean_multiline(raw.get("horaires")),
            "zone_kind": "communes",
            "source_updated_at": ctx.file_date,
        }
        if not coord_ok and get(raw, "lat"):
            warnings.append("point de la mairie douteux : centre de la commune utilisé")
        return Parsed(line, get(raw, "code_insee"), raw, fields, warnings)
