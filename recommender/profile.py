"""Parsing and validation of a person's situation, shared by the API and the pages.

The same functions take GET parameters (strings, comma-separated lists) and
JSON bodies (arrays, booleans, numbers), so both entry points answer bad
input with the same :class:`~recommender.errors.InvalidParameter` codes and
French messages. Unknown parameters are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameter, MissingParameter
from .text import fold

MAX_STRING = 200  # one value (a commune, a code)
MAX_LIST_STRING = 1000  # a comma-separated list of codes
MAX_FREINS = 13
MAX_PUBLICS = 20
MAX_KM = 1000.0

_TRUE = {"true", "oui", "1", "vrai", "yes", "o", "y"}
_FALSE = {"false", "non", "0", "faux", "no", "n"}


@dataclass(frozen=True)
class Location:
    """Where the person lives: a commune of the referential, or a bare point.

    ``code_insee`` is None for a point outside every commune (at sea, abroad).
    ``alternatives`` lists the other communes an ambiguous name could mean.

    Examples
    --------
    >>> Location(None, None, None, None, None, 51.5, -0.12).to_dict()["code_insee"] is None
    True
    """

    code_insee: str | None
    nom: str | None
    departement: str | None
    region: str | None
    epci: str | None
    lat: float
    lon: float
    alternatives: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_insee": self.code_insee,
            "nom": self.nom,
            "departement": self.departement,
            "lat": self.lat,
            "lon": self.lon,
            "alternatives": [c.to_dict() for c in self.alternatives],
        }


@dataclass(frozen=True)
class Profile:
    """The person's situation as the engine needs it (no name, nothing identifying).

    Build it with :func:`parse_profile` from request parameters.

    Examples
    --------
    >>> here = Location("60057", "Beauvais", "60", "32", "200067999", 49.43, 2.08)
    >>> Profile(here, ("mobilite",), age=19, vehicule=False).freins
    ('mobilite',)
    """

    location: Location
    freins: tuple[str, ...]
    age: int | None = None
    publics: tuple[str, ...] = ()
    vehicule: bool | None = None
    max_km: float | None = None


# --------------------------------------------------------------------------- helpers


def _raw(params: Mapping[str, Any], name: str) -> Any:
    """The value of ``name``, or None when absent or blank."""
    value = params.get(name)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _string(params: Mapping[str, Any], name: str, *, max_len: int = MAX_STRING) -> str | None:
    value = _raw(params, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidParameter(name, f"Le paramètre « {name} » doit être une chaîne de caractères.")
    text = str(value).strip()
    if len(text) > max_len:
        raise InvalidParameter(
            name,
            f"Le paramètre « {name} » est trop long ({max_len} caractères au plus).",
            max_length=max_len,
        )
    return text


def parse_float(
    params: Mapping[str, Any],
    name: str,
    *,
    minimum: float,
    maximum: float,
    min_exclusive: bool = False,
) -> float | None:
    """A finite number within bounds, from a string (``"4,5"`` accepted) or a JSON number.

    >>> parse_float({"max_km": "12,5"}, "max_km", minimum=0, maximum=1000)
    12.5
    >>> parse_float({}, "max_km", minimum=0, maximum=1000) is None
    True
    """
    value = _raw(params, name)
    if value is None:
        return None
    if isinstance(value, bool):
        number = math.nan
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer beyond a float's range
            number = math.nan
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 40:
            raise InvalidParameter(name, f"Le paramètre « {name} » est trop long.", max_length=40)
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            number = math.nan
    else:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidParameter(name, f"Le paramètre « {name} » doit être un nombre.")
    low_ok = number > minimum if min_exclusive else number >= minimum
    if not low_ok or number > maximum:
        low = "strictement supérieur à" if min_exclusive else "entre"
        if min_exclusive:
            message = f"« {name} » doit être {low} {_num(minimum)} et au plus {_num(maximum)}."
        else:
            message = f"« {name} » doit être {low} {_num(minimum)} et {_num(maximum)}."
        raise InvalidParameter(name, message, minimum=minimum, maximum=maximum)
    return number


def _num(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value}".replace(".", ",")


def parse_int(
    params: Mapping[str, Any], name: str, *, default: int | None, minimum: int, maximum: int
) -> int | None:
    """An integer parameter within ``[minimum, maximum]``, ``default`` when absent.

    >>> parse_int({"limit": "10"}, "limit", default=5, minimum=1, maximum=50)
    10
    >>> parse_int({}, "page", default=1, minimum=1, maximum=10_000)
    1
    >>> parse_int({"limit": "0"}, "limit", default=5, minimum=1, maximum=50)
    Traceback (most recent call last):
    ...
    recommender.errors.InvalidParameter: « limit » doit être un entier entre 1 et 50.
    """
    value = _raw(params, name)
    if value is None:
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str) and len(value) <= 20:
        text = value.strip()
        # ASCII digits only: str.isdigit() accepts "²" or "+-5", which int() refuses.
        digits = text[1:] if text[:1] in ("+", "-") else text
        if digits.isascii() and digits.isdigit():
            number = int(text)
    message = f"« {name} » doit être un entier entre {minimum} et {maximum}."
    if number is None or not minimum <= number <= maximum:
        raise InvalidParameter(name, message, minimum=minimum, maximum=maximum)
    return number


def parse_bool(params: Mapping[str, Any], name: str) -> bool | None:
    """``true/false/oui/non/1/0`` (any case) or a JSON boolean; None when absent.

    >>> parse_bool({"vehicule": "Non"}, "vehicule")
    False
    """
    value = _raw(params, name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and len(value) <= 10:
        folded = fold(value)
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
    raise InvalidParameter(name, f"« {name} » doit valoir true ou false (oui / non).")


def parse_list(params: Mapping[str, Any], name: str, *, max_items: int) -> list[str]:
    """A list of codes: a JSON array of strings or a comma-separated string.

    Blank items are dropped and duplicates removed, order kept.

    >>> parse_list({"freins": "mobilite, logement,mobilite"}, "freins", max_items=13)
    ['mobilite', 'logement']
    """
    value = _raw(params, name)
    if value is None:
        return []
    if isinstance(value, str):
        if len(value) > MAX_LIST_STRING:
            raise InvalidParameter(
                name,
                f"Le paramètre « {name} » est trop long ({MAX_LIST_STRING} caractères au plus).",
                max_length=MAX_LIST_STRING,
            )
        items = value.split(",")
    elif isinstance(value, list | tuple):
        if len(value) > max_items * 4:
            raise InvalidParameter(
                name, f"Trop de valeurs pour « {name} » ({max_items} au plus).", maximum=max_items
            )
        items = []
        for item in value:
            if not isinstance(item, str):
                raise InvalidParameter(
                    name, f"« {name} » doit être une liste de codes (chaînes de caractères)."
                )
            items.append(item)
    else:
        raise InvalidParameter(
            name,
            f"« {name} » doit être une liste de codes "
            "(tableau ou valeurs séparées par des virgules).",
        )
    out: list[str] = []
    for item in items:
        code = item.strip()
        if len(code) > MAX_STRING:
            raise InvalidParameter(
                name,
                f"Une valeur de « {name} » est trop longue ({MAX_STRING} caractères au plus).",
                max_length=MAX_STRING,
            )
        if code and code not in out:
            out.append(code)
    if len(out) > max_items:
        raise InvalidParameter(
            name, f"Trop de valeurs pour « {name} » ({max_items} au plus).", maximum=max_items
        )
    return out


# --------------------------------------------------------------------------- location


def _departement_code(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "code", None)


def location_from_commune(commune: Any, alternatives: tuple[Any, ...] = ()) -> Location:
    """A :class:`Location` at a commune's centre."""
    return Location(
        code_insee=commune.code_insee,
        nom=commune.nom,
        departement=commune.departement,
        region=commune.region,
        epci=commune.epci,
        lat=float(commune.lat),
        lon=float(commune.lon),
        alternatives=tuple(alternatives),
    )


def parse_location(
    params: Mapping[str, Any], gazetteer: Any, *, required: bool = True
) -> Location | None:
    """The person's place: ``commune`` (code, name, typos…) or ``lat`` + ``lon``.

    A point is mapped to its commune by the polygons; a point outside France is
    still accepted (``code_insee`` None). Raises ``UnknownCommune`` (404) for an
    unknown name, ``InvalidParameter`` for a bad number, ``MissingParameter``
    when nothing is given and ``required``.
    """
    commune_text = _string(params, "commune")
    lat = parse_float(params, "lat", minimum=-90.0, maximum=90.0)
    lon = parse_float(params, "lon", minimum=-180.0, maximum=180.0)
    if commune_text:
        resolution = gazetteer.resolve(commune_text)
        commune = resolution.commune
        if commune.lat is None or commune.lon is None:
            raise InvalidParameter(
                "commune",
                f"« {commune.nom} » n'a pas de coordonnées dans le référentiel : "
                "indiquez une commune voisine ou des coordonnées lat/lon.",
            )
        return location_from_commune(commune, tuple(resolution.alternatives))
    if lat is None and lon is None:
        if not required:
            return None
        raise MissingParameter(
            "commune",
            "Indiquez une commune (nom ou code INSEE) ou des coordonnées « lat » et « lon ».",
        )
    if lat is None or lon is None:
        missing = "lat" if lat is None else "lon"
        raise MissingParameter(missing, "Les coordonnées demandent à la fois « lat » et « lon ».")
    commune = gazetteer.commune_at(lat, lon)
    if commune is not None:
        return Location(
            code_insee=commune.code_insee,
            nom=commune.nom,
            departement=commune.departement,
            region=commune.region,
            epci=commune.epci,
            lat=lat,
            lon=lon,
        )
    departement = _departement_code(gazetteer.departement_at(lat, lon))
    return Location(
        code_insee=None, nom=None, departement=departement, region=None, epci=None, lat=lat, lon=lon
    )


# --------------------------------------------------------------------------- profile


def parse_freins(
    params: Mapping[str, Any], taxonomy: Any, *, required: bool = True
) -> tuple[str, ...]:
    """Frein codes (1 to 13) in request order; unknown → ``UnknownFrein`` with ``details.valid``.

    Codes may be written with other case or accents, or as their label (the
    taxonomy's lookup); ``frein`` is accepted as an alias of ``freins``.
    """
    items = parse_list(params, "freins", max_items=MAX_FREINS)
    if not items:
        items = parse_list(params, "frein", max_items=MAX_FREINS)
    codes = taxonomy.parse_freins(items) if items else []
    if not codes and required:
        raise MissingParameter(
            "freins", "Indiquez au moins un frein (par exemple : mobilite, logement)."
        )
    return tuple(codes)


def parse_publics(params: Mapping[str, Any], taxonomy: Any) -> tuple[str, ...]:
    """data·inclusion ``publics`` codes; unknown → ``UnknownPublic`` with ``details.valid``."""
    items = parse_list(params, "publics", max_items=MAX_PUBLICS)
    if not items:
        items = parse_list(params, "public", max_items=MAX_PUBLICS)
    return tuple(taxonomy.parse_publics(items)) if items else ()


def parse_profile(
    params: Mapping[str, Any], gazetteer: Any, taxonomy: Any, *, require_freins: bool = True
) -> Profile:
    """Validate a whole request into a :class:`Profile` (French messages on bad input).

    ``age`` is an integer 0–120, ``vehicule`` true/false/oui/non/1/0, ``max_km``
    in ]0, 1000], ``freins`` 1 to 13 codes, ``publics`` known codes.
    """
    freins = parse_freins(params, taxonomy, required=require_freins)
    age = parse_int(params, "age", default=None, minimum=0, maximum=120)
    publics = parse_publics(params, taxonomy)
    vehicule = parse_bool(params, "vehicule")
    max_km = parse_float(params, "max_km", minimum=0.0, maximum=MAX_KM, min_exclusive=True)
    location = parse_location(params, gazetteer, required=True)
    assert location is not None
    return Profile(
        location=location,
        freins=freins,
        age=age,
        publics=publics,
        vehicule=vehicule,
        max_km=max_km,
    )
