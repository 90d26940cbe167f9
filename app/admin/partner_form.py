"""The partner edit form: field limits, checks and French messages."""

from __future__ import annotations

from typing import Any

from flask import request

from recommender.records import ZONE_KINDS

from ..models import Partner
from ..pages import vocab
from ..text_limits import MAX_LENGTH
from .auth import current_scope

TEXT_FIELDS = {
    # name: (label, max length, required); the lengths are the imports' too.
    name: (label, MAX_LENGTH[name], name == "nom")
    for name, label in (
        ("nom", "Nom"),
        ("description", "Présentation"),
        ("adresse", "Adresse"),
        ("complement_adresse", "Complément d'adresse"),
        ("code_postal", "Code postal"),
        ("commune_nom", "Commune"),
        ("code_insee", "Code INSEE de la commune"),
        ("telephone", "Téléphone"),
        ("email", "Courriel"),
        ("site_web", "Site web"),
        ("horaires", "Horaires"),
    )
}


def _departement_of(code_insee: str) -> str | None:
    if not code_insee:
        return None
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


def _read_partner_form(row: Partner) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    form = request.form
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name, (label, max_len, required) in TEXT_FIELDS.items():
        value = (form.get(name) or "").strip()
        if required and not value:
            errors.append((name, f"Le champ « {label} » est obligatoire."))
        if len(value) > max_len:
            errors.append((name, f"« {label} » : {max_len} caractères au maximum."))
        values[name] = value[:max_len]
    if values["code_postal"] and not (
        len(values["code_postal"]) == 5
        and values["code_postal"].isascii()
        and values["code_postal"].isdigit()
    ):
        errors.append(("code_postal", "Le code postal doit compter 5 chiffres."))
    code = values["code_insee"].upper()
    values["code_insee"] = code or None
    if code and not (len(code) == 5 and (code.isdigit() or code[:2] in ("2A", "2B"))):
        errors.append(("code_insee", "Le code INSEE doit compter 5 caractères (ex. 60057, 2A004)."))
    if values["site_web"] and not values["site_web"].startswith(("http://", "https://")):
        errors.append(("site_web", "Le site web doit commencer par http:// ou https://."))
    if values["email"] and ("@" not in values["email"] or " " in values["email"]):
        errors.append(("email", "Le courriel n'est pas valide."))

    types = vocab.type_labels()
    values["type_code"] = form.get("type_code", "")
    if values["type_code"] not in types:
        errors.append(("type_code", "Choisissez un type de structure."))
    freins = vocab.frein_labels()
    values["freins"] = [f for f in dict.fromkeys(form.getlist("freins")) if f in freins]
    publics = vocab.public_labels()
    values["publics"] = [p for p in dict.fromkeys(form.getlist("publics")) if p in publics]
    for name, label in (("age_min", "Âge minimum"), ("age_max", "Âge maximum")):
        raw = (form.get(name) or "").strip()
        if not raw:
            values[name] = None
        elif raw.isascii() and raw.isdigit() and 0 <= int(raw) <= 120:
            values[name] = int(raw)
        else:
            values[name] = raw
            errors.append((name, f"« {label} » doit être un nombre entier de 0 à 120."))
    if (
        isinstance(values.get("age_min"), int)
        and isinstance(values.get("age_max"), int)
        and values["age_min"] > values["age_max"]
    ):
        errors.append(("age_max", "L'âge maximum doit être supérieur à l'âge minimum."))
    values["zone_kind"] = form.get("zone_kind", "")
    if values["zone_kind"] not in ZONE_KINDS:
        errors.append(("zone_kind", "Choisissez le type de territoire couvert."))
    codes = [c.strip().upper() for c in (form.get("zone_codes") or "").replace(";", ",").split(",")]
    values["zone_codes"] = [c for c in dict.fromkeys(codes) if c][:2000]
    raw_radius = (form.get("zone_radius_km") or "").strip().replace(",", ".")
    values["zone_radius_km"] = None
    if raw_radius:
        try:
            radius = float(raw_radius)
            if not 0 < radius <= 1000:
                raise ValueError
            values["zone_radius_km"] = radius
        except ValueError:
            values["zone_radius_km"] = raw_radius
            errors.append(("zone_radius_km", "Le rayon doit être un nombre de km entre 0 et 1000."))

    new_dep = _departement_of(values["code_insee"] or "") or row.departement
    if not current_scope().allows_departement(new_dep):
        errors.append(("code_insee", "Cette commune est hors de vos départements."))
    values["departement"] = new_dep
    return values, errors
