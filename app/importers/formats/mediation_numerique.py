"""The médiation numérique vocabulary (national labels, service labels) shared by the
conseillers numériques file and the data·inclusion v0 export built from the same referential,
and the conseillers numériques places file itself (``cnfs``)."""

from __future__ import annotations

import re
from typing import Any

from recommender.text import fold

from ..hours import from_osm_or_text
from ..normalize import clean, clean_multiline, normalize_url, osm_opening_hours, parse_date
from ..services import service
from .base import Context, get
from .csv_sources import CsvSource, same_name

# Service labels of the médiation numérique referential → data·inclusion v1 thematiques
# (whose freins the taxonomy knows). A service about administrative or health procedures is
# help with the procedure itself (accès aux droits) as much as with the screen.
SERVICE_THEMATIQUES: dict[str, tuple[str, ...]] = {
    fold(label): codes
    for label, codes in {
        "Accéder à une connexion internet": ("numerique--acceder-a-une-connexion-internet",),
        "Accéder à du matériel": ("numerique--acquerir-un-equipement",),
        "S'équiper en matériel informatique": ("numerique--acquerir-un-equipement",),
        "Prendre en main un ordinateur": ("numerique--maitriser-les-fondamentaux-du-numerique",),
        "Prendre en main un smartphone ou une tablette": (
            "numerique--maitriser-les-fondamentaux-du-numerique",
        ),
        "Utiliser le numérique au quotidien": (
            "numerique--maitriser-les-fondamentaux-du-numerique",
        ),
        "Approfondir ma culture numérique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
        "Promouvoir la citoyenneté numérique": ("numerique--acceder-a-des-services-en-ligne",),
        "Créer avec le numérique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
        "Favoriser mon insertion professionnelle": ("numerique--acceder-a-des-services-en-ligne",),
        "Créer et développer mon entreprise": ("numerique--acceder-a-des-services-en-ligne",),
        "Accompagner les démarches de santé": (
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
        ),
        "Devenir autonome dans les démarches administratives": (
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ),
        "Réaliser des démarches administratives avec un accompagnement": (
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ),
    }.items()
}
# The type a place offering only médiation numérique services is, when nothing else says.
MEDIATION_TYPE = "espace-numerique"


def split_labels(value: Any) -> list[str]:
    """``"CNFS;France Services"`` or a JSON list → ``["CNFS", "France Services"]``."""
    items = value if isinstance(value, list) else re.split(r"[;|]", clean(value))
    return [clean(v) for v in items if clean(v)]


def service_fields(services: list[str], taxonomy: Any) -> dict[str, Any]:
    """What médiation numérique service labels say: thematiques, their freins, the type a
    place offering only them is (tried after its name), and the labels for the card."""
    thematiques: list[str] = []
    for label in services:
        for code in SERVICE_THEMATIQUES.get(fold(label), ()):
            if code not in thematiques:
                thematiques.append(code)
    if not thematiques:
        return {}
    fields: dict[str, Any] = {"thematiques": thematiques, "type_fallback": MEDIATION_TYPE}
    if taxonomy is not None:
        fields["freins"] = sorted(taxonomy.freins_of_thematiques(thematiques))
    return fields


def mediation_service(
    services: list[str], fields: dict[str, Any], raw: dict[str, Any], source: str
) -> list[dict[str, Any]]:
    """The médiation numérique labels as one service for the card (what is offered, its
    conditions, the appointment link, the phone); none when the labels give no frein."""
    if not fields.get("freins"):
        return []
    return [
        service(
            "Médiation numérique",
            fields["freins"],
            prestations=services,
            conditions=clean(raw.get("conditions_access") or raw.get("conditions_acces")),
            rendez_vous=clean(raw.get("prise_rdv")),
            telephone=clean(raw.get("telephone")),
            source=source,
        )
    ]


def services_text(services: list[str]) -> str:
    if not services:
        return ""
    return "Services de médiation numérique :\n" + "\n".join(f"- {s}" for s in services)


class ConseillersNumeriques(CsvSource):
    """The places where a conseiller numérique France Services works (ANCT, CNFS export)."""

    name = "cnfs"
    label = "Lieux des conseillers numériques France Services (ANCT)"
    default_source = "conseillers-numeriques"
    duplicate_ids = "reject"
    signature = frozenset({"structureid", "labels_nationaux", "nb_conseillers"})  # lowered
    required = ("id", "nom")
    id_column = "id"
    columns = (
        ("email", "courriel"),
        ("lat", "latitude"),
        ("lon", "longitude"),
        *same_name("nom", "adresse", "code_postal", "commune", "telephone", "site_web"),
    )

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """Labels type the place, services give its freins; conditions of access and the
        appointment link go to the description (the partner has no column of their own)."""
        services = split_labels(raw.get("services"))
        fields: dict[str, Any] = {
            "labels": split_labels(raw.get("labels_nationaux")),
            "horaires": osm_opening_hours(raw.get("horaires")),
            "horaires_structures": from_osm_or_text(clean(raw.get("horaires"))),
            "source_updated_at": parse_date(raw.get("date_maj")) or ctx.file_date,
            **service_fields(services, ctx.taxonomy),
        }
        fields["services"] = mediation_service(services, fields, raw, "conseillers-numeriques")
        siret = re.sub(r"\D", "", get(raw, "siret"))
        fields["siret"] = siret if len(siret) == 14 and siret.strip("0") else None
        notes = [services_text(services)]
        if conditions := clean_multiline(raw.get("conditions_access")):
            notes.append(f"Conditions d'accès : {conditions}")
        if rdv := normalize_url(raw.get("prise_rdv")):
            notes.append(f"Prise de rendez-vous : {rdv}")
        fields["description"] = "\n".join(n for n in notes if n)
        return fields
