"""The national CSV extracts: France Services, France Travail, SIAE, the 2016 DILA annuaire
and the shipped mairies file."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from ..hours import from_day_columns
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


def _email(warnings: list[str], value: str) -> str:
    email = normalize_email(value)
    if email is None:
        warnings.append(f"courriel invalide ignoré : « {clean(value)} »")
        return ""
    return email


# How a field is read from its column (anything else: cleaned one-line text). Coordinates
# stay raw: the pipeline parses and range-checks them for every format alike.
Reader = Callable[[dict[str, Any], str, list[str]], Any]
READERS: dict[str, Reader] = {
    "lat": lambda raw, column, warnings: raw.get(column),
    "lon": lambda raw, column, warnings: raw.get(column),
    "telephone": lambda raw, column, warnings: normalize_phone(raw.get(column)),
    "email": lambda raw, column, warnings: _email(warnings, get(raw, column)),
    "site_web": lambda raw, column, warnings: normalize_url(raw.get(column)),
    "horaires": lambda raw, column, warnings: clean_multiline(raw.get(column)),
    "description": lambda raw, column, warnings: clean_multiline(raw.get(column)),
}


def _read(raw: dict[str, Any], field: str, column: str, warnings: list[str]) -> Any:
    if reader := READERS.get(field):
        return reader(raw, column, warnings)
    return get(raw, column)


def same_name(*names: str) -> tuple[tuple[str, str], ...]:
    """``(field, column)`` pairs for columns named like the field they fill."""
    return tuple((name, name) for name in names)


class CsvSource(Format):
    """A national CSV extract, described as data so that every source shares one parse loop.

    A source states its signature columns, required columns, identifier column, a
    ``field → column`` map and constant fields; :meth:`specifics` computes the rest.
    """

    signature: ClassVar[frozenset[str]] = frozenset()
    required: ClassVar[tuple[str, ...]] = ()
    id_column: ClassVar[str] = ""
    columns: ClassVar[tuple[tuple[str, str], ...]] = ()
    constants: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def sniff_csv(self, headers: set[str]) -> bool:
        return self.signature <= headers

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        missing = [k for k in self.required if not get(raw, k)]
        if missing:
            raise RowError(f"champ obligatoire vide : {', '.join(missing)}")
        warnings: list[str] = []
        fields = {f: _read(raw, f, column, warnings) for f, column in self.columns}
        fields.update(self.constants, source_updated_at=ctx.file_date)
        fields.update(self.specifics(raw, ctx, warnings))
        return Parsed(line, self.source_id(raw, fields), raw, fields, warnings)

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """Fields no single column gives; may raise :class:`RowError`."""
        return {}

    def source_id(self, raw: dict[str, Any], fields: dict[str, Any]) -> str:
        return get(raw, self.id_column)


class FranceServices(CsvSource):
    name = "france-services"
    label = "France Services (ANCT)"
    default_source = "france-services"
    taxonomy_source = "france-services"
    signature = frozenset({"id_fs", "lib_fs"})
    required = ("id_fs", "lib_fs")
    id_column = "id_fs"
    columns = (
        ("nom", "lib_fs"),
        ("code_insee", "insee_com"),
        ("commune", "lib_com"),
        ("departement", "insee_dep"),
        ("lat", "latitude"),
        ("lon", "longitude"),
        ("email", "mail"),
        *same_name("adresse", "complement_adresse", "code_postal", "telephone"),
    )
    days = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """Opening hours come one column a day; the notes gather what has no field."""
        notes = []
        if comment := clean_multiline(raw.get("commentaire")):
            notes.append(comment)
        appointment = get(raw, "prise_rdv").lower() == "oui"
        if appointment:
            notes.append("Accueil sur rendez-vous.")
        if get(raw, "format_fs").lower().startswith("bus"):
            notes.append("France services itinérante (bus).")
        if get(raw, "type_fs").lower() == "antenne":
            notes.append("Antenne d'une France services.")
        if label := get(raw, "labellisation_fs"):
            notes.append(label + ".")
        per_day = {i: get(raw, k) for i, k in enumerate(self.days)}
        return {
            "source_type": get(raw, "type_fs") or "france_services",
            "horaires": weekly_hours(per_day),
            "horaires_structures": from_day_columns(per_day, appointment=appointment),
            "description": "\n".join(notes),
        }


# France Travail sites are named by their place only: say whose site it is.
_FT_PREFIXES = {"DDA": "France Travail – Direction territoriale", "DRA": "France Travail –"}


class FranceTravail(CsvSource):
    name = "france-travail"
    label = "Sites France Travail"
    default_source = "france-travail"
    taxonomy_source = "france-travail"
    signature = frozenset({"code_safir"})
    required = ("code_safir", "nom")
    id_column = "code_safir"
    columns = (
        ("complement_adresse", "complement"),
        *same_name("adresse", "code_postal", "commune", "lat", "lon"),
    )
    # Sites publish no contact of their own: the national number and site.
    constants = (("telephone", "3949"), ("site_web", "https://www.francetravail.fr"))

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """The names are bare place names, often in capitals."""
        nom = get(raw, "nom")
        site = get(raw, "type_site").upper()
        pretty = smart_title(nom) if is_upper_label(nom) else nom
        return {
            "nom": f"{_FT_PREFIXES.get(site, 'France Travail')} {pretty}",
            "source_type": site or "ALE",
        }

    @staticmethod
    def alternate_id(parsed: Parsed) -> str:
        """The deterministic id of a repeated SAFIR code: ``code-reference``."""
        reference = get(parsed.raw, "reference")
        return f"{parsed.source_id}-{reference}" if reference else ""


class Siae(CsvSource):
    name = "siae"
    label = "Structures de l'insertion par l'activité économique (SIAE)"
    default_source = "siae"
    taxonomy_source = "siae"
    signature = frozenset({"kind", "siret"})
    required = ("kind", "siret", "name")
    columns = (
        ("adresse", "address"),
        ("complement_adresse", "address2"),
        ("code_postal", "post_code"),
        ("commune", "city"),
        ("departement", "department"),
        ("site_web", "website"),
        *same_name("lat", "lon", "description"),
    )

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """The brand beats the legal name, which beats a name in capitals (``nom_quality``)."""
        siret = re.sub(r"\D", "", get(raw, "siret"))
        if len(siret) != 14:
            raise RowError(f"SIRET invalide : « {get(raw, 'siret')} » (14 chiffres attendus)")
        brand, name = get(raw, "brand"), get(raw, "name")
        if brand:
            nom, quality = brand, 2
        elif is_upper_label(name):
            nom, quality = smart_title(name), 0
        else:
            nom, quality = name, 1
        kind = get(raw, "kind").upper()
        return {"nom": nom, "nom_quality": quality, "source_type": kind, "siret": siret}

    def source_id(self, raw: dict[str, Any], fields: dict[str, Any]) -> str:
        """One SIRET may run several kinds of structure (an ACI and an EI…)."""
        return f"{fields['siret']}-{fields['source_type']}"


class AnnuaireServicePublic(CsvSource):
    name = "annuaire-service-public"
    label = "Annuaire des services publics locaux (DILA, CSV)"
    default_source = "annuaire-service-public"
    taxonomy_source = "annuaire-service-public"
    duplicate_ids = "reject"
    signature = frozenset({"id", "type", "nom", "maj"})
    required = ("id", "type", "nom")
    id_column = "id"
    columns = (
        ("source_type", "type"),
        *same_name(
            "nom", "code_insee", "code_postal", "commune", "lat", "lon", "telephone", "email"
        ),
    )

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """One address column mixes the street and the postal box; each row has its date."""
        adresse, complement = split_address(get(raw, "adresse"))
        return {
            "adresse": adresse,
            "complement_adresse": complement,
            "source_updated_at": parse_date(raw.get("maj")) or ctx.file_date,
        }


class Mairies(CsvSource):
    name = "mairies"
    label = "Mairies (fichier livré avec Relais)"
    default_source = "mairies"
    taxonomy_source = "mairies"
    duplicate_ids = "reject"
    signature = frozenset({"code_insee", "nom", "coord_ok"})
    required = ("code_insee", "nom")
    id_column = "code_insee"
    # Relais's own file: every column bears the name of the field it fills.
    columns = same_name(
        "nom",
        "code_insee",
        "adresse",
        "code_postal",
        "commune",
        "lat",
        "lon",
        "telephone",
        "email",
        "site_web",
        "horaires",
    )
    constants = (("source_type", "mairie"), ("zone_kind", "communes"))

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """A doubtful point is dropped: the commune's centre is closer to the truth."""
        if get(raw, "coord_ok").lower() not in ("0", "false", "non", "faux"):
            return {}
        if get(raw, "lat"):
            warnings.append("point de la mairie douteux : centre de la commune utilisé")
        return {"lat": None, "lon": None}
