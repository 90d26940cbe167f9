"""FINESS "ET/EJ" exports (établissements and their entités juridiques), such as the official
ESAT list: upper-case labels with abbreviated street types, and codes whose leading zeros
were lost upstream (a spreadsheet read them as numbers)."""

from __future__ import annotations

import re
from typing import Any

from ..normalize import clean, normalize_departement, normalize_phone, smart_title
from .base import Context, Parsed, RowError, get
from .csv_sources import CsvSource

# FINESS street types (``R``, ``AV``…) as a reader writes them.
_VOIES = {
    "R": "rue",
    "AV": "avenue",
    "BD": "boulevard",
    "RTE": "route",
    "CHE": "chemin",
    "CHEM": "chemin",
    "ALL": "allée",
    "IMP": "impasse",
    "PL": "place",
    "QUA": "quai",
    "QU": "quai",
    "SQ": "square",
    "CRS": "cours",
    "PAS": "passage",
    "FG": "faubourg",
    "LD": "lieu-dit",
    "LOT": "lotissement",
    "ESP": "esplanade",
    "PROM": "promenade",
    "RPT": "rond-point",
    "SEN": "sentier",
    "VOIE": "voie",
}
_REPETITIONS = {"B": "bis", "T": "ter", "Q": "quater"}
_ACRONYMS = re.compile(r"\b(Esat|Sat|Za|Zi|Zac|Zae|Cs|Bp|Rd|Rn|Adapei|Apf|Cat)\b")
_ADDRESS = re.compile(r"^(?:(\d+)\s*([BTQ])?\s+)?(?:([A-Z]+)\s+)?(.*)$")


def _upper_acronyms(text: str) -> str:
    return _ACRONYMS.sub(lambda m: m[1].upper(), text)


def finess_address(value: str) -> str:
    """``"385   ALL DU PRUNNUS"`` → ``"385 allée du Prunnus"``; ``"    "`` → ``""``."""
    text = clean(value)
    if not text:
        return ""
    m = _ADDRESS.match(text)
    if m is None:  # pragma: no cover (the pattern matches any text)
        return smart_title(text)
    number, repetition, voie, rest = m.groups()
    parts = [number or ""]
    if number and repetition:
        parts.append(_REPETITIONS[repetition])
    if voie and voie in _VOIES:
        parts.append(_VOIES[voie])
        # Title-cased as the middle of a label: "R DE LA PAIX" → "rue de la Paix".
        parts.append(_title(f"X {rest}")[2:])
    else:
        parts.append(_title(" ".join(x for x in (voie, rest) if x)))
    return " ".join(p for p in parts if p)


def _title(text: str) -> str:
    return _upper_acronyms(smart_title(text)) if text else ""


def repair_finess(value: str) -> str:
    """A FINESS number has 9 characters: ``10008951`` → ``010008951`` (``2A0002861`` stays)."""
    raw = clean(value).upper()
    return raw.zfill(9) if raw.isdigit() and len(raw) < 9 else raw


def repair_postal_code(value: str) -> str:
    """``1150`` → ``01150``."""
    return value.zfill(5) if value.isdigit() and len(value) < 5 else value


def repair_commune_code(value: str, departement: str | None) -> str:
    """The INSEE code of the commune, from a code that lost its leading zero (``1047`` in the
    Ain → ``01047``) or that gives Corsica its old number (``20004`` in 2A → ``2A004``)."""
    raw = clean(value).upper()
    if raw.isdigit() and len(raw) < 5:
        raw = raw.zfill(5)
    if departement in ("2A", "2B") and raw.isdigit() and raw.startswith("20"):
        raw = departement + raw[2:]
    return raw


class FinessEtablissements(CsvSource):
    name = "finess"
    label = "Établissements FINESS (export ET/EJ, ex. liste des ESAT)"
    default_source = "finess"
    taxonomy_source = "finess"
    duplicate_ids = "reject"
    signature = frozenset({"et-n°finess", "et-raison sociale"})
    required = ("ET-N°FINESS", "ET-Raison sociale")
    id_column = "ET-N°FINESS"
    columns = (("telephone", "ET-Téléphone 1"),)

    def specifics(self, raw: dict[str, Any], ctx: Context, warnings: list[str]) -> dict[str, Any]:
        """Codes repaired, labels out of capitals, the gestionnaire in the description; a
        FINESS category column (full exports) gives the type, else the source's default."""
        departement = normalize_departement(get(raw, "ET-Département Code"))
        commune_code = repair_commune_code(get(raw, "ET-Commune Code"), departement)
        if commune_code and departement and not commune_code.startswith(departement):
            warnings.append(
                f"code commune « {get(raw, 'ET-Commune Code')} » hors du département "
                f"{departement} : ignoré"
            )
            commune_code = ""
        nom = get(raw, "ET-Raison sociale")
        gestionnaire = get(raw, "EJ-Raison sociale")
        notes = []
        kind = get(raw, "ET-Type").lower()
        if gestionnaire:
            what = "Établissement secondaire" if kind == "secondaire" else "Établissement"
            statut = get(raw, "EJ-Statut juridique Libellé")
            notes.append(f"{what} géré par {gestionnaire}" + (f" ({statut})." if statut else "."))
        capacity = get(raw, "Capacité autorisée agrégée")
        if capacity.isdigit() and int(capacity) > 0:
            notes.append(f"Capacité autorisée : {int(capacity)} places.")
        notes.append(f"N° FINESS : {repair_finess(get(raw, 'ET-N°FINESS'))}.")
        siret = re.sub(r"\D", "", get(raw, "ET-SIRET"))
        fields: dict[str, Any] = {
            "nom": _title(nom) if nom.isupper() else nom,
            "nom_quality": 0 if nom.isupper() else 1,
            "adresse": finess_address(get(raw, "ET-Adresse")),
            "code_postal": repair_postal_code(get(raw, "ET-Code Postal")),
            "code_insee": commune_code,
            "commune": get(raw, "ET-Commune Libellé"),
            "departement": departement or "",
            "telephone": normalize_phone(get(raw, "ET-Téléphone 1")),
            "siret": siret if len(siret) == 14 else None,
            "description": "\n".join(notes),
        }
        category = get(raw, "ET-Catégorie Code") or get(raw, "Catégorie d'établissement Code")
        if category:
            fields["source_type"] = category
        return fields

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        parsed = super().parse(line, raw, ctx)
        parsed.source_id = repair_finess(parsed.source_id)
        if not re.fullmatch(r"(?:[0-9]{2}|2[AB])[0-9]{7}", parsed.source_id):
            raise RowError(f"N° FINESS invalide : « {get(raw, 'ET-N°FINESS')} » (9 caractères)")
        return parsed
