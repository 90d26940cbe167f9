"""The public forms on partner fields: a partner's correction, a CIP's proposed structure.

They are the admin's partner form (same fields, limits and French messages:
:class:`~app.admin.partner_form.PartnerForm`) without what a reader cannot judge (freins,
publics, ages, zone, INSEE code): the commune is found from the postal code and name.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from recommender.geo import default_gazetteer

from ..admin.partner_form import ChoiceField, PartnerForm
from ..models import Partner
from . import vocab

NOTE_MAX = 2000
CONTACT_MAX = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The public forms' fields, in page order (the admin form's field names).
CORRECTION_FIELDS = (
    "nom",
    "adresse",
    "complement_adresse",
    "code_postal",
    "commune_nom",
    "telephone",
    "email",
    "site_web",
    "horaires",
    "description",
)


class NoteField(Field):
    """Free text for the admin (what changed, why), at most :data:`NOTE_MAX` characters."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = (valuelist[0] if valuelist else "").strip()

    def pre_validate(self, form: Any) -> None:
        if len(self.data or "") > NOTE_MAX:
            raise ValidationError(f"Le message ne doit pas dépasser {NOTE_MAX} caractères.")


class CorrectionForm(PartnerForm):
    """A partner's corrections to its own record (``row``), through a campaign link."""

    type_code = None
    freins = None
    publics = None
    age_min = None
    age_max = None
    zone_kind = None
    zone_codes = None
    zone_radius_km = None
    code_insee = None
    note = NoteField("Précisions pour l'équipe Relais (facultatif)")

    def __init__(self, row: Partner):
        # the record's values until the form is posted (the admin's form reads only posts)
        posted = request.form if request.method == "POST" else None
        FlaskForm.__init__(self, formdata=posted, obj=row)
        self.row = row
        self.commune_code: str | None = row.code_insee

    def validate_commune_nom(self, field: Field) -> None:
        """The commune from the postal code and name, when either changed."""
        postal, name = self.code_postal.data or "", field.data or ""
        if (postal, name) == (self.row.code_postal or "", self.row.commune_nom or ""):
            return
        if not name:
            raise ValidationError("Indiquez la commune.")
        commune = default_gazetteer().match(nom=name, code_postal=postal or None)
        if commune is None:
            raise ValidationError(
                "Commune introuvable : vérifiez le code postal et le nom de la commune."
            )
        self.commune_code = commune.code_insee

    def values(self) -> dict[str, Any]:
        """Every public field's value (``code_insee`` from the commune found)."""
        values = {name: self[name].data for name in CORRECTION_FIELDS}
        if "type_code" in self:
            values["type_code"] = self["type_code"].data
        values["code_insee"] = self.commune_code
        return values

    def changes(self) -> dict[str, Any]:
        """Only what differs from the record."""
        return {
            name: value
            for name, value in self.values().items()
            if (getattr(self.row, name) or None) != (value or None)
        }


class ProposalForm(CorrectionForm):
    """A structure missing from Relais, proposed by a professional (their e-mail for the
    admin's questions, never published)."""

    type_code = ChoiceField(vocab.type_labels, "Choisissez un type de structure.")
    contact = NoteField("Votre adresse électronique professionnelle")

    def __init__(self) -> None:
        super().__init__(Partner(nom="", code_postal="", commune_nom=""))

    def validate_code_postal(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Le code postal est obligatoire.")

    def validate_commune_nom(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Indiquez la commune.")
        super().validate_commune_nom(field)

    def validate_contact(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Indiquez votre adresse électronique professionnelle.")
        if len(field.data) > CONTACT_MAX or not EMAIL.match(field.data):
            raise ValidationError("L'adresse électronique n'est pas valide.")

    def departement(self) -> str | None:
        commune = default_gazetteer().communes.get(self.commune_code or "")
        return commune.departement if commune else None
