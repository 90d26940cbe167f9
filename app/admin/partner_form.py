"""The partner edit form: field limits, checks and French messages.

A Flask-WTF form whose fields read the raw form values the way an admin means them
(trimmed, codes upper-cased, unknown freins dropped) and keep what was typed when it is
refused, so the page shows it back with the error.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import DataRequired, ValidationError

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
AGE_LIMITS = (0, 120)
RADIUS_MAX_KM = 1000
MAX_ZONE_CODES = 2000

Check = Callable[[str], bool]


def _departement_of(code_insee: str) -> str | None:
    if not code_insee:
        return None
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


def _first(valuelist: list[str]) -> str:
    return valuelist[0] if valuelist else ""


class TextField(Field):
    """A trimmed text of at most ``max_length`` characters. A longer one is refused and
    kept cut to the limit, as the page shows it back."""

    def __init__(self, key: str, *, upper: bool = False, **kwargs: Any):
        label, self.max_length, required = TEXT_FIELDS[key]
        validators = [DataRequired(f"Le champ « {label} » est obligatoire.")] if required else []
        super().__init__(label, validators=[*validators, *kwargs.pop("validators", ())], **kwargs)
        self.upper = upper
        self.too_long = False

    def process_formdata(self, valuelist: list[str]) -> None:
        value = _first(valuelist).strip()
        self.too_long = len(value) > self.max_length
        self.data = value[: self.max_length]
        if self.upper:
            self.data = self.data.upper()

    def pre_validate(self, form: Any) -> None:
        if self.too_long:
            raise ValidationError(
                f"« {self.label.text} » : {self.max_length} caractères au maximum."
            )


def _format(check: Check, message: str) -> Callable[[Any, Field], None]:
    """A validator of a text field's format, skipped when the field is empty."""

    def validate(_form: Any, field: Field) -> None:
        if field.data and not check(field.data):
            raise ValidationError(message)

    return validate


class ChoiceField(Field):
    """One code among those ``known()`` gives (read at each request: the taxonomy's)."""

    def __init__(self, known: Callable[[], Collection[str]], message: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.known, self.message = known, message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = _first(valuelist)

    def pre_validate(self, form: Any) -> None:
        if self.data not in self.known():
            raise ValidationError(self.message)


class CodesField(Field):
    """Ticked codes, each once, unknown ones dropped (a stale page may send old codes)."""

    def __init__(self, known: Callable[[], Collection[str]], **kwargs: Any):
        super().__init__(**kwargs)
        self.known = known

    def process_formdata(self, valuelist: list[str]) -> None:
        known = self.known()
        self.data = [code for code in dict.fromkeys(valuelist) if code in known]


class AgeField(Field):
    """An age in whole years, or nothing; what was typed is kept when it is refused."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = _first(valuelist).strip()
        low, high = AGE_LIMITS
        if not raw:
            self.data = None
        elif raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
            self.data = int(raw)
        else:
            self.data = raw

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, str):
            low, high = AGE_LIMITS
            raise ValidationError(
                f"« {self.label.text} » doit être un nombre entier de {low} à {high}."
            )


class ZoneCodesField(Field):
    """Codes separated by commas or semicolons, upper-cased, each once."""

    def process_formdata(self, valuelist: list[str]) -> None:
        codes = [c.strip().upper() for c in _first(valuelist).replace(";", ",").split(",")]
        self.data = [c for c in dict.fromkeys(codes) if c][:MAX_ZONE_CODES]


class RadiusField(Field):
    """A radius in km (a comma as decimal separator too), or nothing."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = _first(valuelist).strip().replace(",", ".")
        self.data = None
        if raw:
            try:
                radius = float(raw)
                if not 0 < radius <= RADIUS_MAX_KM:
                    raise ValueError
                self.data = radius
            except ValueError:
                self.data = raw

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, str):
            raise ValidationError(f"Le rayon doit être un nombre de km entre 0 et {RADIUS_MAX_KM}.")


def _insee_code(code: str) -> bool:
    return len(code) == 5 and (code.isdigit() or code[:2] in ("2A", "2B"))


class PartnerForm(FlaskForm):
    """What an admin may change on a partner (``values`` for the page and the row)."""

    class Meta:
        csrf = False  # every admin POST is checked once, by app.admin.init_app's hook

    nom = TextField("nom")
    description = TextField("description")
    adresse = TextField("adresse")
    complement_adresse = TextField("complement_adresse")
    code_postal = TextField(
        "code_postal",
        validators=[
            _format(
                lambda v: len(v) == 5 and v.isascii() and v.isdigit(),
                "Le code postal doit compter 5 chiffres.",
            )
        ],
    )
    commune_nom = TextField("commune_nom")
    code_insee = TextField(
        "code_insee",
        upper=True,
        validators=[
            _format(_insee_code, "Le code INSEE doit compter 5 caractères (ex. 60057, 2A004).")
        ],
    )
    telephone = TextField("telephone")
    email = TextField(
        "email",
        validators=[_format(lambda v: "@" in v and " " not in v, "Le courriel n'est pas valide.")],
    )
    site_web = TextField(
        "site_web",
        validators=[
            _format(
                lambda v: v.startswith(("http://", "https://")),
                "Le site web doit commencer par http:// ou https://.",
            )
        ],
    )
    horaires = TextField("horaires")
    type_code = ChoiceField(vocab.type_labels, "Choisissez un type de structure.")
    freins = CodesField(vocab.frein_labels)
    publics = CodesField(vocab.public_labels)
    age_min = AgeField("Âge minimum")
    age_max = AgeField("Âge maximum")
    zone_kind = ChoiceField(lambda: ZONE_KINDS, "Choisissez le type de territoire couvert.")
    zone_codes = ZoneCodesField()
    zone_radius_km = RadiusField()

    def __init__(self, row: Partner):
        super().__init__(formdata=request.form)
        self.row = row

    def validate_age_max(self, field: Field) -> None:
        low, high = self.age_min.data, field.data
        if isinstance(low, int) and isinstance(high, int) and low > high:
            raise ValidationError("L'âge maximum doit être supérieur à l'âge minimum.")

    def departement(self) -> str | None:
        """The partner's département once saved: its new commune's, else the one it has."""
        return _departement_of(self.code_insee.data or "") or self.row.departement

    def validate_code_insee(self, _field: Field) -> None:
        if not current_scope().allows_departement(self.departement()):
            raise ValidationError("Cette commune est hors de vos départements.")

    def values(self) -> dict[str, Any]:
        """The fields as the partner row stores them."""
        values = {field.name: field.data for field in self}
        values["code_insee"] = values["code_insee"] or None
        values["departement"] = self.departement()
        return values

    def error_list(self) -> list[tuple[str, str]]:
        """``(field, message)`` pairs in the page's order, as the templates show them."""
        return [(field.name, message) for field in self for message in field.errors]


def read_partner_form(row: Partner) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The posted edit form of ``row``: its values, and its errors (none when valid)."""
    form = PartnerForm(row)
    form.validate()
    return form.values(), form.error_list()
