"""The one parser of request parameters, shared by the JSON API, the pages and the widget.

Two kinds of input, one rule per parameter:

- **query strings and forms** (a ``MultiDict``: every value a string, lists as comma-separated
  values or repeated parameters): numbers and booleans are read from text (``"12,5"``,
  ``"oui"``);
- **JSON bodies** (a ``dict``): values must have their JSON type (a number for ``age``, a
  boolean for ``vehicule``, an array or a comma-separated string for a list), ``null`` meaning
  absent — so the OpenAPI document can say exactly what is accepted.

Everywhere, codes (freins, publics, partner types) are read by folding: case, accents and
labels are accepted (« Mobilité » → ``mobilite``); a blank item in a list is refused; ``age``
is 0 to 120. Every refusal is an :class:`~recommender.errors.InvalidParameter` whose
``details["parameter"]`` names the field, so a page can show it next to the right input.
Unknown parameters are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from .errors import InvalidParameter, MissingParameter, UnlocatedCommune
from .hours import OPEN_TODAY
from .profile import Location, Profile, location_from_commune
from .taxonomy import Taxonomy

MAX_STRING = 200  # one value (a commune, a code, a search text)
MAX_LIST_STRING = 2000  # a comma-separated list of codes: 50 partner types fit
MAX_NUMBER_STRING = 40
MAX_WORD = 10  # a yes/no word, spaces included
MAX_FREINS = 13
MAX_PUBLICS = 20
MAX_TYPES = 50
MAX_KM = 1000.0
AGE_MIN, AGE_MAX = 0, 120
LIMIT_MAX = 50
PAGE_MAX = 10_000
PER_PAGE_MAX = 100
COMMUNES_LIMIT_MAX = 50
_WHOLE = re.compile(r"[0-9]+\.0*")
PARTNER_ID = re.compile(r"[\w.-]{1,64}")

TRUE_WORDS = ("true", "oui", "1", "vrai", "yes", "o", "y")
FALSE_WORDS = ("false", "non", "0", "faux", "no", "n")
UNKNOWN_WORDS = ("nsp",)  # « ne sait pas », the orientation form's third answer


class Params(Protocol):
    """A request's parameters: a ``MultiDict`` (query string, form) or a JSON object."""

    def get(self, key: str, /) -> object: ...

    def __contains__(self, key: object, /) -> bool: ...


class Resolver(Protocol):
    """What the parser needs of the gazetteer (:class:`recommender.geo.Gazetteer`)."""

    def resolve(self, text: str): ...

    def commune_at(self, lat: float, lon: float): ...

    def departement_at(self, lat: float, lon: float): ...


@dataclass(frozen=True)
class SearchQuery:
    """``GET /api/v1/partners``, the search page and the widget."""

    q: str | None
    freins: tuple[str, ...]
    types: tuple[str, ...]
    publics: tuple[str, ...]
    location: Location | None
    radius_km: float | None
    page: int
    per_page: int
    # OPEN_TODAY: only partners whose structured hours open on the day of the request.
    ouvert: str | None = None


@dataclass(frozen=True)
class CommuneQuery:
    """``GET /api/v1/communes``."""

    q: str
    limit: int


@dataclass(frozen=True)
class RecommendationQuery:
    """``/api/v1/recommendations`` (GET and POST) and the orientation page."""

    profile: Profile
    limit: int
    ouvert: str | None = None


@dataclass(frozen=True)
class FitQuery:
    """``POST /api/v1/fit`` and the orientation page's check of one partner."""

    partner_id: str
    profile: Profile
    frein: str | None


# --------------------------------------------------------------------------- raw values


def is_query(params: Params) -> bool:
    """Query strings and forms carry text only; a JSON object carries typed values."""
    return hasattr(params, "getlist")


def _raw(params: Params, name: str, *, textual: bool = True) -> object:
    """The value of ``name``, or None when absent, JSON ``null`` or blank. Blank means absent
    in a query (forms send their empty fields) and for a JSON text; a JSON number or
    boolean given as ``""`` has the wrong type."""
    value = params.get(name)
    if isinstance(value, str) and not value.strip() and (textual or is_query(params)):
        return None
    return value


def _items(params: Params, name: str) -> list[object] | None:
    """Every value of a list parameter (repeated query parameters are joined)."""
    getlist = getattr(params, "getlist", None)
    if callable(getlist):
        values = [v for v in getlist(name) if isinstance(v, str) and v.strip()]
        return values or None
    value = _raw(params, name)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def parse_string(params: Params, name: str, *, max_len: int = MAX_STRING) -> str | None:
    """A trimmed text of at most ``max_len`` characters (spaces count: the limit is on what
    is sent); None when absent or blank."""
    value = params.get(name)
    if isinstance(value, str) and len(value) > max_len:
        raise InvalidParameter(
            name,
            f"Le paramètre « {name} » est trop long ({max_len} caractères au plus).",
            max_length=max_len,
        )
    value = _raw(params, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter(name, f"Le paramètre « {name} » doit être une chaîne de caractères.")
    return value.strip()


def _number_text(name: str, value: str) -> float:
    text = value.strip()
    if len(text) > MAX_NUMBER_STRING:
        raise InvalidParameter(
            name, f"Le paramètre « {name} » est trop long.", max_length=MAX_NUMBER_STRING
        )
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return math.nan


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value}".replace(".", ",")


def parse_float(
    params: Params,
    name: str,
    *,
    minimum: float,
    maximum: float,
    min_exclusive: bool = False,
) -> float | None:
    """A finite number within bounds: text in a query (``"4,5"`` accepted), a number in JSON.

    >>> parse_float({"max_km": 12.5}, "max_km", minimum=0, maximum=1000)
    12.5
    >>> parse_float({}, "max_km", minimum=0, maximum=1000) is None
    True
    """
    value = _raw(params, name, textual=False)
    if value is None:
        return None
    number = math.nan
    if isinstance(value, str) and is_query(params):
        number = _number_text(name, value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer beyond a float's range
            number = math.nan
    if not math.isfinite(number):
        raise InvalidParameter(name, f"Le paramètre « {name} » doit être un nombre.")
    low_ok = number > minimum if min_exclusive else number >= minimum
    if not low_ok or number > maximum:
        if min_exclusive:
            message = (
                f"« {name} » doit être strictement supérieur à {_num(minimum)} "
                f"et au plus {_num(maximum)}."
            )
        else:
            message = f"« {name} » doit être entre {_num(minimum)} et {_num(maximum)}."
        raise InvalidParameter(name, message, minimum=minimum, maximum=maximum)
    return number


def parse_int(
    params: Params, name: str, *, default: int | None, minimum: int, maximum: int
) -> int | None:
    """An integer within ``[minimum, maximum]``, ``default`` when absent.

    >>> parse_int({"limit": 10}, "limit", default=5, minimum=1, maximum=50)
    10
    >>> parse_int({}, "page", default=1, minimum=1, maximum=10_000)
    1
    >>> parse_int({"limit": 0}, "limit", default=5, minimum=1, maximum=50)
    Traceback (most recent call last):
    ...
    recommender.errors.InvalidParameter: « limit » doit être un entier entre 1 et 50.
    """
    value = _raw(params, name, textual=False)
    if value is None:
        return default
    number: int | None = None
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, str) and is_query(params) and len(text) <= 20:
        # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
        digits = text[1:] if text[:1] in ("+", "-") else text
        if digits.isascii() and digits.isdigit():
            number = int(text)
        elif digits.isascii() and _WHOLE.fullmatch(digits):  # "90.0" is 90, as in JSON
            number = int(float(text))
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not minimum <= number <= maximum:
        raise InvalidParameter(
            name,
            f"« {name} » doit être un entier entre {minimum} et {maximum}.",
            minimum=minimum,
            maximum=maximum,
        )
    return number


def parse_bool(params: Params, name: str) -> bool | None:
    """``true/false/oui/non/1/0`` (any case) in a query, a boolean in JSON; None when absent.

    >>> parse_bool({"vehicule": True}, "vehicule")
    True
    """
    value = params.get(name)
    if isinstance(value, str) and len(value) > MAX_WORD:
        raise InvalidParameter(name, f"« {name} » doit valoir true ou false (oui / non).")
    value = _raw(params, name, textual=False)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and is_query(params):
        # case only: fold() would drop punctuation and read "\x06¤1" as "1"
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        if word in UNKNOWN_WORDS:
            return None
    raise InvalidParameter(name, f"« {name} » doit valoir true ou false (oui / non).")


def parse_list(params: Params, name: str, *, max_items: int) -> list[str]:
    """A list of values: repeated or comma-separated in a query; an array of strings or a
    comma-separated string in JSON. Items are trimmed, duplicates removed (order kept);
    a blank item is refused.

    >>> parse_list({"freins": ["mobilite", " logement", "mobilite"]}, "freins", max_items=13)
    ['mobilite', 'logement']
    """
    values = _items(params, name)
    if values is None:
        return []
    items: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidParameter(
                name,
                f"« {name} » doit être une liste de codes "
                "(tableau de textes ou valeurs séparées par des virgules).",
            )
        if len(value) > MAX_LIST_STRING:
            raise InvalidParameter(
                name,
                f"Le paramètre « {name} » est trop long ({MAX_LIST_STRING} caractères au plus).",
                max_length=MAX_LIST_STRING,
            )
        items.extend(value.split(","))
        if len(items) > max_items:
            raise InvalidParameter(
                name, f"Trop de valeurs pour « {name} » ({max_items} au plus).", maximum=max_items
            )
    out: list[str] = []
    for item in items:
        code = item.strip()
        if not code:
            raise InvalidParameter(name, f"Une valeur de « {name} » est vide.")
        if len(code) > MAX_STRING:
            raise InvalidParameter(
                name,
                f"Une valeur de « {name} » est trop longue ({MAX_STRING} caractères au plus).",
                max_length=MAX_STRING,
            )
        if code not in out:
            out.append(code)
    return out


def _first_list(params: Params, names: Sequence[str], max_items: int) -> tuple[str, list[str]]:
    """The first of ``names`` given (``frein`` and ``freins`` are aliases), with its items."""
    for name in names:
        items = parse_list(params, name, max_items=max_items)
        if items:
            return name, items
    return names[0], []


# --------------------------------------------------------------------------- codes


def parse_freins(
    params: Params,
    taxonomy: Taxonomy,
    *,
    required: bool = False,
    names: Sequence[str] = ("freins", "frein"),
) -> tuple[str, ...]:
    """Frein codes in request order, from ``freins`` or its alias ``frein`` (or ``names``).

    Unknown → :class:`~recommender.errors.UnknownFrein` with ``details.valid``.
    """
    name, items = _first_list(params, names, MAX_FREINS)
    if not items:
        if required:
            raise MissingParameter(
                "freins", "Indiquez au moins un frein (par exemple : mobilite, logement)."
            )
        return ()
    return tuple(taxonomy.parse_freins(items, param=name))


def parse_publics(params: Params, taxonomy: Taxonomy) -> tuple[str, ...]:
    """data·inclusion ``publics`` codes, from ``publics`` or its alias ``public``."""
    name, items = _first_list(params, ("publics", "public"), MAX_PUBLICS)
    return tuple(taxonomy.parse_publics(items, param=name)) if items else ()


def parse_types(params: Params, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Partner type codes, from ``type``."""
    items = parse_list(params, "type", max_items=MAX_TYPES)
    return tuple(taxonomy.parse_types(items)) if items else ()


def parse_frein(params: Params, taxonomy: Taxonomy, name: str = "frein") -> str | None:
    """One frein code (``POST /fit``'s ``frein``), folded like the lists."""
    text = parse_string(params, name)
    if not text:
        return None
    if "," in text:
        raise InvalidParameter(name, f"« {name} » est un seul code de frein.")
    return taxonomy.parse_freins([text], param=name)[0]


# --------------------------------------------------------------------------- location


def parse_location(
    params: Params, gazetteer: Resolver, *, required: bool = True
) -> Location | None:
    """The place: ``commune`` (code, name, typos…) or ``lat`` + ``lon`` (always both).

    A point is mapped to its commune by the polygons; a point outside France is
    still accepted (``code_insee`` None). Raises ``UnknownCommune`` (404) for an
    unknown name, ``InvalidParameter`` for a bad number, ``MissingParameter``
    when nothing is given and ``required``.
    """
    commune_text = parse_string(params, "commune")
    lat = parse_float(params, "lat", minimum=-90.0, maximum=90.0)
    lon = parse_float(params, "lon", minimum=-180.0, maximum=180.0)
    if (lat is None) != (lon is None):
        missing = "lat" if lat is None else "lon"
        raise MissingParameter(missing, "Les coordonnées demandent à la fois « lat » et « lon ».")
    if commune_text:
        resolution = gazetteer.resolve(commune_text)
        commune = resolution.commune
        if commune.lat is None or commune.lon is None:
            raise UnlocatedCommune(
                "commune",
                f"« {commune.nom} » n'a pas de coordonnées dans le référentiel : "
                "indiquez une commune voisine ou des coordonnées lat/lon.",
            )
        return location_from_commune(commune, tuple(resolution.alternatives))
    if lat is None or lon is None:
        if not required:
            return None
        raise MissingParameter(
            "commune",
            "Indiquez une commune (nom ou code INSEE) ou des coordonnées « lat » et « lon ».",
        )
    commune = gazetteer.commune_at(lat, lon)
    if commune is not None:
        return replace(location_from_commune(commune), lat=lat, lon=lon)
    departement = gazetteer.departement_at(lat, lon)
    if departement is not None and not isinstance(departement, str):
        departement = getattr(departement, "code", None)
    return Location(
        code_insee=None, nom=None, departement=departement, region=None, epci=None, lat=lat, lon=lon
    )


# --------------------------------------------------------------------------- requests


def _require_place(params: Params) -> None:
    """A place must be given; whether it exists is the gazetteer's to say."""
    commune = parse_string(params, "commune")
    lat = parse_float(params, "lat", minimum=-90.0, maximum=90.0)
    lon = parse_float(params, "lon", minimum=-180.0, maximum=180.0)
    if not commune and (lat is None or lon is None):
        raise MissingParameter(
            "commune",
            "Indiquez une commune (nom ou code INSEE) ou des coordonnées « lat » et « lon ».",
        )


def profile_errors(params: Params, taxonomy: Taxonomy) -> list[InvalidParameter]:
    """Every field error of a person's situation at once, for a form that shows them all
    (the place is only checked to be given: resolving it is :func:`parse_profile`'s)."""
    checks: tuple[Callable[[], object], ...] = (
        lambda: _require_place(params),
        lambda: parse_freins(params, taxonomy, required=True),
        lambda: parse_int(params, "age", default=None, minimum=AGE_MIN, maximum=AGE_MAX),
        lambda: parse_publics(params, taxonomy),
        lambda: parse_bool(params, "vehicule"),
        lambda: parse_float(params, "max_km", minimum=0.0, maximum=MAX_KM, min_exclusive=True),
        lambda: parse_open(params),
    )
    errors: list[InvalidParameter] = []
    for check in checks:
        try:
            check()
        except InvalidParameter as exc:
            errors.append(exc)
    return errors


def parse_profile(
    params: Params, gazetteer: Resolver, taxonomy: Taxonomy, *, require_freins: bool = True
) -> Profile:
    """A person's situation (French messages on bad input).

    ``age`` is an integer 0–120, ``vehicule`` a boolean (or true/false/oui/non/1/0/nsp in a
    query), ``max_km`` in ]0, 1000], ``freins`` 1 to 13 codes, ``publics`` known codes.
    """
    freins = parse_freins(params, taxonomy, required=require_freins)
    age = parse_int(params, "age", default=None, minimum=AGE_MIN, maximum=AGE_MAX)
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


def parse_recommendation(
    params: Params, gazetteer: Resolver, taxonomy: Taxonomy
) -> RecommendationQuery:
    profile = parse_profile(params, gazetteer, taxonomy)
    limit = parse_int(params, "limit", default=5, minimum=1, maximum=LIMIT_MAX)
    assert limit is not None
    return RecommendationQuery(profile=profile, limit=limit, ouvert=parse_open(params))


def parse_open(params: Params) -> str | None:
    """``ouvert``: « aujourdhui » in any case (the OpenAPI pattern), or absent."""
    value = _raw(params, "ouvert")
    if value is None:
        return None
    # the length first, spaces included, as the OpenAPI's maxLength reads it
    if isinstance(value, str) and len(value) <= MAX_WORD and value.strip().lower() == OPEN_TODAY:
        return OPEN_TODAY
    raise InvalidParameter(
        "ouvert",
        "« ouvert » accepte une seule valeur : « aujourdhui » (partenaires ouverts aujourd'hui).",
    )


def parse_partner_id(params: Params) -> str:
    """A partner identifier; a malformed one can name no partner (the caller answers 404)."""
    value = _raw(params, "partner_id")
    if value is None:
        raise MissingParameter("partner_id", "Indiquez le partenaire à vérifier (partner_id).")
    if not isinstance(value, str):
        raise InvalidParameter("partner_id", "« partner_id » doit être un texte.")
    return value


def parse_fit(params: Params, gazetteer: Resolver, taxonomy: Taxonomy) -> FitQuery:
    partner_id = parse_partner_id(params)
    profile = parse_profile(params, gazetteer, taxonomy, require_freins=False)
    return FitQuery(partner_id=partner_id, profile=profile, frein=parse_frein(params, taxonomy))


def parse_search(
    params: Params,
    gazetteer: Resolver,
    taxonomy: Taxonomy,
    *,
    per_page_default: int = 20,
) -> SearchQuery:
    """A partner search; ``radius_km`` needs a place (``commune`` or ``lat`` + ``lon``)."""
    q = parse_string(params, "q")
    freins = parse_freins(params, taxonomy)
    types = parse_types(params, taxonomy)
    publics = parse_publics(params, taxonomy)
    location = parse_location(params, gazetteer, required=False)
    radius_km = parse_float(params, "radius_km", minimum=0.0, maximum=MAX_KM, min_exclusive=True)
    if radius_km is not None and location is None:
        raise InvalidParameter(
            "radius_km", "Un rayon demande une commune (commune=) ou un point (lat= et lon=)."
        )
    page = parse_int(params, "page", default=1, minimum=1, maximum=PAGE_MAX)
    per_page = parse_int(
        params, "per_page", default=per_page_default, minimum=1, maximum=PER_PAGE_MAX
    )
    assert page is not None and per_page is not None
    return SearchQuery(
        q=q or None,
        freins=freins,
        types=types,
        publics=publics,
        location=location,
        radius_km=radius_km,
        page=page,
        per_page=per_page,
        ouvert=parse_open(params),
    )


def parse_communes(params: Params) -> CommuneQuery:
    q = parse_string(params, "q")
    if not q:
        raise InvalidParameter("q", "Indiquez le début du nom, le code postal ou le code INSEE.")
    limit = parse_int(params, "limit", default=10, minimum=1, maximum=COMMUNES_LIMIT_MAX)
    assert limit is not None
    return CommuneQuery(q=q, limit=limit)
