"""How long each partner text field may be: one number per field, read by the admin form
(:data:`app.admin.partner_form.TEXT_FIELDS`) and by imports (:mod:`app.importers.resolve`), which
cap longer texts and say so in the report."""

from __future__ import annotations

MAX_LENGTH: dict[str, int] = {
    "nom": 300,
    "description": 5000,
    "adresse": 300,
    "complement_adresse": 300,
    "code_postal": 5,
    "commune_nom": 100,
    "code_insee": 5,
    "telephone": 100,
    "email": 200,
    "site_web": 500,
    "horaires": 2000,
}
# The words of an import warning for a capped field: "<label> tronqué(e)s à 5 000 caractères".
CAPPED_LABELS = {"description": "description tronquée", "horaires": "horaires tronqués"}


def capped(field: str, value: str, warnings: list[str]) -> str:
    """``value`` cut to the field's limit; a French warning is added when it was cut."""
    limit = MAX_LENGTH[field]
    if len(value) <= limit:
        return value
    label = CAPPED_LABELS.get(field, f"{field} tronqué")
    warnings.append(f"{label} à {limit:,} caractères".replace(",", " "))
    return value[:limit]
