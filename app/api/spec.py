"""The OpenAPI document, generated from a small registry of the API's routes: each endpoint is
described once, next to its code, with the bounds of :mod:`recommender.params` (the parser that
enforces them) and the codes of the taxonomy, so the document cannot drift from the server.
``tests/web/api/test_api_contract.py`` holds the server to it with schemathesis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from recommender import params as P
from recommender.hours import DAY_KEYS, OPEN_TODAY
from recommender.services import SERVICE_FEES, SERVICE_MODES
from recommender.taxonomy import Taxonomy

Schema = dict[str, object]
View = TypeVar("View", bound=Callable[..., object])


def _spaces() -> str:
    """The characters ``str.strip()`` removes, spelled out: regex engines disagree on ``\\s``
    (Python's includes U+001C–U+001F, the validators' in Rust and JavaScript do not)."""
    chars = [c for c in map(chr, range(0x10000)) if c.isspace()]
    ranges: list[list[int]] = []
    for code in map(ord, chars):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


SPACES = _spaces()  # to use inside [...]
NO_NUL = "^[^\\u0000]*$"  # a NUL byte in the address is refused (400)
NOT_BLANK = f"^[^\\u0000]*[^{SPACES}\\u0000][^\\u0000]*$"
SOMETHING = f"[^{SPACES}]"  # a JSON text that is not blank
BLANK = f"^[{SPACES}]*$"
# The place's parameters (commune, lat, lon, radius_km) are one object of this name in the
# document, so that the rule between them is a schema; each is sent as its own parameter.
PLACE_GROUP = "lieu"
# Other names the server reads for a documented parameter (said in its description).
ALIASES = {
    "freins": ("frein",),
    "frein": ("freins",),
    "publics": ("public",),
    "public": ("publics",),
}
LOCATION_RULE = (
    "Le lieu : `commune` (code INSEE, code postal, nom avec ou sans accents, fautes tolérées) "
    "ou `lat` et `lon` ensemble (WGS 84). `lat` sans `lon` (ou l'inverse) : 400."
)


def text(max_length: int = P.MAX_STRING, *, required: bool = False) -> Schema:
    """A query string value: blank means absent, unless ``required``."""
    return {"type": "string", "maxLength": max_length, "pattern": NOT_BLANK if required else NO_NUL}


def caseless(words: Sequence[str]) -> Schema:
    """One of ``words`` in any case, spaces around allowed; blank means absent. A pattern,
    not an enum: an enum would call "OUI" invalid while the server takes it."""
    spelled = "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in w) for w in words
    )
    pattern = f"^[{SPACES}]*({spelled})?[{SPACES}]*$"
    return {"type": "string", "maxLength": P.MAX_WORD, "pattern": pattern}


def or_blank(schema: Schema) -> Schema:
    """A query value that may also be given blank (``limit=``), which means absent: HTML
    forms send their empty fields."""
    return {"anyOf": [schema, {"type": "string", "pattern": BLANK}]}


def _digits_range(low: str, high: str) -> str:
    """A regex for the digit strings of one width from ``low`` to ``high``."""
    if low == high:
        return low
    if len(low) == 1:
        return f"[{low}-{high}]"
    a, b, rest = int(low[0]), int(high[0]), len(low) - 1
    if a == b:
        return f"{a}(?:{_digits_range(low[1:], high[1:])})"
    parts = [f"{a}(?:{_digits_range(low[1:], '9' * rest)})"]
    if b - a > 1:
        parts.append(f"[{a + 1}-{b - 1}][0-9]{{{rest}}}")
    parts.append(f"{b}(?:{_digits_range('0' * rest, high[1:])})")
    return "|".join(parts)


def integer_text(minimum: int, maximum: int) -> str:
    """A regex for an integer of ``[minimum, maximum]`` as a query writes it and the server
    reads it (:func:`recommender.params.parse_int`): spaces around, ``+``, a few leading
    zeros, ``.0``; or nothing at all (absent)."""
    widths = range(len(str(minimum)), len(str(maximum)) + 1)
    numbers = "|".join(
        _digits_range(
            str(max(minimum, 10 ** (w - 1) if w > 1 else 0)), str(min(maximum, 10**w - 1))
        )
        for w in widths
    )
    return f"^[{SPACES}]*(?:\\+?0{{0,5}}(?:{numbers})(?:\\.0{{0,5}})?)?[{SPACES}]*$"


def query_integer(minimum: int, maximum: int) -> Schema:
    """An integer query parameter: a number, or its text (blank: absent). "string" is in
    the type so that clients and fuzzers see the text as what is sent."""
    return {
        "type": ["integer", "string"],
        "minimum": minimum,
        "maximum": maximum,
        "pattern": integer_text(minimum, maximum),
    }


def integer(minimum: int, maximum: int) -> Schema:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def number(minimum: float, maximum: float, *, exclusive: bool = False) -> Schema:
    low = "exclusiveMinimum" if exclusive else "minimum"
    return {"type": "number", low: minimum, "maximum": maximum}


def code_list(codes: Sequence[str], max_items: int, *, min_items: int = 0) -> Schema:
    return {
        "type": "array",
        "items": {"type": "string", "enum": list(codes)},
        "minItems": min_items,
        "maxItems": max_items,
    }


def comma_list(codes: Sequence[str], max_items: int, *, required: bool = False) -> Schema:
    """The same list as one comma-separated string (JSON bodies accept both); a blank
    string is an absent list, refused only where the list is ``required``."""
    one = "(" + "|".join(codes) + ")"
    listed = f"^{one}(,{one}){{0,{max_items - 1}}}$"
    return {"type": "string", "pattern": listed if required else f"{listed}|{BLANK}"}


def query_list(codes: Sequence[str], max_items: int, *, required: bool = False) -> Schema:
    """A comma-separated query list: given blank (``type=``) it is absent, which only a
    ``required`` list refuses; a blank item among others (``type=spip,``) is refused."""
    listed = code_list(codes, max_items, min_items=1)
    if required:
        return listed
    # "type" stays at the top: "array" is what tells clients to join the items with commas;
    # "string" is the same list as sent (``type=spip,ccas``) or blank (``type=``)
    # [] and [""] are sent as `type=`, blank: absent too
    empty = {"type": "array", "maxItems": 1, "items": {"type": "string", "pattern": BLANK}}
    return {"type": ["array", "string"], "anyOf": [listed, empty, comma_list(codes, max_items)]}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: Schema = field(default_factory=text)
    required: bool = False
    location: Literal["query", "path"] = "query"
    style: str | None = None  # "form" + explode False: a comma-separated list
    explode: bool | None = None

    def to_dict(self) -> Schema:
        out: Schema = {
            "name": self.name,
            "in": self.location,
            "required": self.required or self.location == "path",
            "description": self.description,
            "schema": self.schema,
        }
        if self.style is not None:
            out["style"] = self.style
        if self.explode is not None:
            out["explode"] = self.explode
        return out


# A schema that depends on the taxonomy: built when the document is served.
SchemaFactory = Callable[[Taxonomy], Schema]
ParamFactory = Callable[[Taxonomy], Sequence[Param]]


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    response: str
    params: ParamFactory = lambda taxonomy: ()
    body: SchemaFactory | None = None
    errors: tuple[int, ...] = (400,)
    description: str = ""
    conditional: bool = False  # ETag / If-None-Match → 304
    links: dict[str, Schema] = field(default_factory=dict)  # OpenAPI links of the 200
    # other media types of the 200 than JSON (``text/csv``…), with their schema
    alternates: dict[str, Schema] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def document(
    path: str,
    method: str,
    summary: str,
    *,
    response: str,
    params: ParamFactory = lambda taxonomy: (),
    body: SchemaFactory | None = None,
    errors: tuple[int, ...] = (400,),
    description: str = "",
    conditional: bool = False,
    links: dict[str, Schema] | None = None,
    alternates: dict[str, Schema] | None = None,
) -> Callable[[View], View]:
    """Register an operation for the OpenAPI document; returns the view unchanged."""

    def decorator(view: View) -> View:
        OPERATIONS.append(
            Operation(
                path,
                method,
                summary,
                response,
                params,
                body,
                errors,
                description,
                conditional,
                links or {},
                alternates or {},
            )
        )
        return view

    return decorator


# --------------------------------------------------------------------------- parameters


def location_param(*, required: bool, with_radius: bool = False) -> Param:
    """``commune`` | ``lat`` + ``lon`` (and ``radius_km``) as one exploded object, so the
    rule between them is in the schema: each property is its own query parameter. A value
    is given when it is a number (``lat``…) or a text that is not blank (``commune``)."""
    props: dict[str, Schema] = {
        "commune": text(),
        "lat": or_blank(number(-90.0, 90.0)),
        "lon": or_blank(number(-180.0, 180.0)),
    }
    by_commune: Schema = {"required": ["commune"], "properties": {"commune": text(required=True)}}
    by_point: Schema = {
        "type": "object",
        "required": ["lat", "lon"],
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
    }
    # absent or blank: "lat" without "lon" (or the reverse) is refused
    no_point: Schema = {
        "type": "object",
        "properties": {"lat": {"type": "string"}, "lon": {"type": "string"}},
    }
    places = [by_point, {"allOf": [by_commune, no_point]}]
    description = LOCATION_RULE
    if with_radius:
        props["radius_km"] = or_blank(number(0.0, P.MAX_KM, exclusive=True))
        description += (
            " `radius_km` (en km) demande un lieu. Sans `radius_km`, une recherche avec un"
            " lieu est locale : 30 km, puis 60, 120, 250, 500 km et toute la France tant"
            " que rien ne correspond ; la réponse donne le rayon retenu (`radius_km`)."
        )
    if not required:  # no place at all, and then no radius
        nowhere = {"properties": {"commune": {"pattern": BLANK}, "radius_km": {"type": "string"}}}
        places.append({"allOf": [no_point, nowhere]})
    # "object" is said in each branch, not at the top: the object's own name never reaches
    # the wire (each property is a parameter), so a fuzzer must not send it as `lieu=5`
    schema: Schema = {
        "properties": props,
        "additionalProperties": False,  # an unknown parameter is refused (400)
        "anyOf": places,
    }
    return Param(PLACE_GROUP, description, schema, required=required, style="form", explode=True)


def codes_param(name: str, description: str, codes: Sequence[str], max_items: int, **kw) -> Param:
    schema = query_list(codes, max_items, required=kw.get("required", False))
    description += (
        " Un code inconnu : 400, avec les codes valides (`details.valid`) et les plus"
        " proches d'une faute de frappe (`details.suggestions`)."
    )
    return Param(name, description, schema, style="form", explode=False, **kw)


OPEN_DESCRIPTION = (
    "`aujourdhui` : seulement les partenaires ouverts aujourd'hui (heure de Paris), d'après "
    "leurs horaires structurés (`horaires_structures`) ; un jour férié ferme ceux dont la "
    "source ne dit pas qu'ils ouvrent ces jours-là. Les partenaires sans horaires structurés "
    "sont alors exclus (sans ce paramètre, ils ne sont jamais écartés)."
)


def open_param() -> Param:
    return Param("ouvert", OPEN_DESCRIPTION, caseless([OPEN_TODAY]))


def profile_params(taxonomy: Taxonomy) -> list[Param]:
    return [
        location_param(required=True),
        codes_param(
            "freins",
            "Codes de freins séparés par des virgules (casse, accents et libellés tolérés : "
            "« Mobilité »). Alias : `frein`.",
            list(taxonomy.freins),
            P.MAX_FREINS,
            required=True,
        ),
        Param("age", "Âge de la personne.", query_integer(P.AGE_MIN, P.AGE_MAX)),
        codes_param(
            "publics",
            "Codes de publics data·inclusion séparés par des virgules. Alias : `public`.",
            list(taxonomy.publics),
            P.MAX_PUBLICS,
        ),
        Param(
            "vehicule",
            "La personne dispose-t-elle d'un véhicule ? "
            f"Oui : {', '.join(P.TRUE_WORDS)} ; non : {', '.join(P.FALSE_WORDS)} ; "
            "`nsp` : ne sait pas (casse indifférente).",
            caseless([*P.TRUE_WORDS, *P.FALSE_WORDS, *P.UNKNOWN_WORDS]),
        ),
        Param(
            "max_km", "Distance maximale en km.", or_blank(number(0.0, P.MAX_KM, exclusive=True))
        ),
        Param("limit", "Résultats par frein (5 par défaut).", query_integer(1, P.LIMIT_MAX)),
        open_param(),
    ]


def search_params(taxonomy: Taxonomy) -> list[Param]:
    return [
        Param("q", "Texte libre (accents, pluriels et fautes tolérés).", text()),
        codes_param(
            "frein",
            "Code(s) de frein séparés par des virgules (casse, accents et libellés tolérés). "
            "Alias : `freins`.",
            list(taxonomy.freins),
            P.MAX_FREINS,
        ),
        codes_param("type", "Code(s) de type de partenaire.", list(taxonomy.partner_types), 50),
        location_param(required=False, with_radius=True),
        codes_param("public", "Code(s) de public. Alias : `publics`.", list(taxonomy.publics), 20),
        Param("page", "Page (à partir de 1).", query_integer(1, P.PAGE_MAX)),
        Param("per_page", "Résultats par page.", query_integer(1, P.PER_PAGE_MAX)),
        open_param(),
    ]


def profile_body(taxonomy: Taxonomy, *, require_freins: bool) -> Schema:
    """A person's situation as a JSON object: JSON types, ``null`` = absent."""
    freins = list(taxonomy.freins)
    publics = list(taxonomy.publics)
    frein_list = {
        "anyOf": [
            code_list(freins, P.MAX_FREINS, min_items=1),
            comma_list(freins, P.MAX_FREINS, required=require_freins),
        ]
    }
    properties: dict[str, Schema] = {
        "commune": nullable({"type": "string", "maxLength": P.MAX_STRING}),
        "lat": nullable(number(-90.0, 90.0)),
        "lon": nullable(number(-180.0, 180.0)),
        "freins": frein_list if require_freins else nullable(frein_list),
        "age": nullable(integer(P.AGE_MIN, P.AGE_MAX)),
        "publics": nullable(
            {"anyOf": [code_list(publics, P.MAX_PUBLICS), comma_list(publics, P.MAX_PUBLICS)]}
        ),
        "vehicule": {"type": ["boolean", "null"]},
        "max_km": nullable(number(0.0, P.MAX_KM, exclusive=True)),
        "limit": nullable(integer(1, P.LIMIT_MAX)),
    }
    if require_freins:  # the recommendation's body (the fit check has no filter)
        properties["ouvert"] = {**nullable(caseless([OPEN_TODAY])), "description": OPEN_DESCRIPTION}
    given = {"not": {"type": "null"}}
    by_commune = {
        "required": ["commune"],
        "properties": {"commune": {"type": "string", "pattern": SOMETHING}},
    }
    by_point = {"required": ["lat", "lon"], "properties": {"lat": given, "lon": given}}
    point_pairs = [
        {
            "if": {"required": [a], "properties": {a: given}},
            "then": {"required": [b], "properties": {b: given}},
        }
        for a, b in (("lat", "lon"), ("lon", "lat"))
    ]
    return {
        "type": "object",
        "description": LOCATION_RULE + " Les autres propriétés sont ignorées.",
        "properties": properties,
        "required": ["freins"] if require_freins else [],
        "allOf": [{"anyOf": [by_commune, by_point]}, *point_pairs],
    }


def fit_body(taxonomy: Taxonomy) -> Schema:
    body = profile_body(taxonomy, require_freins=False)
    body["properties"] = {
        **body["properties"],  # type: ignore[dict-item]
        "partner_id": {"type": "string", "maxLength": 1000, "pattern": SOMETHING},
        "frein": {
            "anyOf": [
                {"type": "string", "enum": list(taxonomy.freins)},
                {"type": "string", "pattern": BLANK},
                {"type": "null"},
            ],
            "description": "Le frein dont on vérifie la prise en charge (facultatif).",
        },
    }
    body["required"] = ["partner_id"]
    return body


# --------------------------------------------------------------------------- responses


VERDICT_TEXT = (
    "L'adéquation de l'orientation seule (zone, âge, publics, mission pour le frein, accès "
    "sans véhicule) : `compatible` quand rien n'est en doute, `a_verifier` quand un point "
    "de l'adéquation est à vérifier (`warnings`), `incompatible` sur un point bloquant. "
    "L'âge et la précision de la fiche sont dans `fiabilite`."
)


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def _object(required: Sequence[str], properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "required": list(required), "properties": properties}


def opening_hours_schema() -> Schema:
    """The week of :mod:`recommender.hours`, as the Partner's ``horaires_structures``."""
    time = {"type": "string", "pattern": "^([01][0-9]|2[0-4]):[0-5][0-9]$"}
    span = {"type": "array", "items": time, "minItems": 2, "maxItems": 2}
    return {
        "type": "object",
        "description": (
            "Horaires d'ouverture lus dans la source (Europe/Paris) : par jour ouvert, les "
            "plages [début, fin] ; `jours_feries` : `ferme` sauf si la source dit que le lieu "
            "ouvre les jours fériés ; `sur_rendez_vous` quand la source le précise."
        ),
        "required": ["jours", "jours_feries"],
        "properties": {
            "jours": {
                "type": "object",
                "propertyNames": {"enum": list(DAY_KEYS)},
                "additionalProperties": {"type": "array", "items": span},
            },
            "jours_feries": {"type": "string", "enum": ["ferme", "ouvert"]},
            "sur_rendez_vous": {"type": "boolean"},
        },
    }


def service_schema(freins: Schema) -> Schema:
    """One service a source describes (``app.importers.services``), as the Partner's
    ``services``."""
    opt_str: Schema = {"type": ["string", "null"]}
    return {
        "type": "object",
        "description": (
            "Un service décrit par la source : ce qui est proposé (freins), conditions "
            "d'accès, coût, modalités (sur ou sans rendez-vous, à distance) et comment "
            "orienter une personne (lien de mobilisation, téléphone)."
        ),
        "required": ["nom", "freins", "modes"],
        "properties": {
            "nom": {"type": "string"},
            "freins": freins,
            "conditions": opt_str,
            "frais": {"type": ["string", "null"], "enum": [*SERVICE_FEES, None]},
            "modes": {"type": "array", "items": {"type": "string", "enum": list(SERVICE_MODES)}},
            "lien_mobilisation": opt_str,
            "telephone": opt_str,
            "source": opt_str,
        },
    }


def components(taxonomy: Taxonomy) -> dict[str, Schema]:
    string: Schema = {"type": "string"}
    opt_str: Schema = {"type": ["string", "null"]}
    opt_num: Schema = {"type": ["number", "null"]}
    opt_int: Schema = {"type": ["integer", "null"]}
    strings = _array(string)
    freins = _array({"type": "string", "enum": list(taxonomy.freins)})
    commune = _object(
        ["code_insee", "nom"],
        {
            "code_insee": string,
            "nom": string,
            "codes_postaux": strings,
            "departement": opt_str,
            "lat": opt_num,
            "lon": opt_num,
        },
    )
    location = _object(
        ["code_insee", "nom", "departement", "lat", "lon", "alternatives"],
        {
            "code_insee": opt_str,
            "nom": opt_str,
            "departement": opt_str,
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "alternatives": _array(_ref("Commune")),
        },
    )
    partner = _object(
        ["id", "nom", "type", "commune", "freins", "publics", "zone", "sources"],
        {
            "id": string,
            "nom": string,
            "type": _object(
                ["code", "label"],
                {"code": {"type": "string", "enum": list(taxonomy.partner_types)}, "label": string},
            ),
            "adresse": opt_str,
            "code_postal": opt_str,
            "commune": _object(["code_insee", "nom"], {"code_insee": opt_str, "nom": opt_str}),
            "departement": opt_str,
            "lat": opt_num,
            "lon": opt_num,
            "coordonnees_exactes": {"type": ["boolean", "null"]},
            "telephone": opt_str,
            "email": opt_str,
            "site_web": opt_str,
            "horaires": opt_str,
            "horaires_structures": nullable(_ref("HorairesStructures")),
            "services": _array(_ref("Service")),
            "description": opt_str,
            "freins": freins,
            "freins_deduits": freins,
            "thematiques": strings,
            "publics": strings,
            "age_min": opt_int,
            "age_max": opt_int,
            "zone": _object(
                ["kind", "codes"],
                {
                    "kind": {
                        "type": "string",
                        "enum": ["rayon", "communes", "departement", "region", "france"],
                    },
                    "codes": strings,
                    "radius_km": opt_num,
                },
            ),
            "statut": opt_str,
            "sources": _array(
                _object(
                    ["source", "source_id"],
                    {"source": string, "source_id": string, "updated_at": opt_str},
                )
            ),
            "updated_at": opt_str,
            "fiabilite": _ref("Fiabilite"),
        },
    )
    fiabilite: Schema = {
        **_object(
            ["niveau", "mise_a_jour", "avertissements"],
            {
                "niveau": {"type": "string", "enum": ["a_jour", "ancienne", "inconnue"]},
                "mise_a_jour": {"type": ["string", "null"], "format": "date"},
                "avertissements": strings,
            },
        ),
        "description": "Fiabilité de la fiche (son âge, la précision de son adresse), "
        "distincte du verdict : une fiche ancienne ne rend jamais à elle seule une "
        "orientation « à vérifier ». `ancienne` : mise à jour il y a plus de 3 ans.",
    }
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    return {
        "Error": _object(
            ["error"],
            {
                "error": _object(
                    ["code", "message", "details"],
                    {"code": string, "message": string, "details": {"type": "object"}},
                )
            },
        ),
        "Commune": commune,
        "Location": location,
        "Partner": partner,
        "Fiabilite": fiabilite,
        "HorairesStructures": opening_hours_schema(),
        "Service": service_schema(freins),
        "SearchPage": _object(
            ["total", "page", "per_page", "results", "facets"],
            {
                "total": {"type": "integer", "minimum": 0},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "results": _array(
                    {"allOf": [_ref("Partner"), {"properties": {"distance_km": opt_num}}]}
                ),
                "facets": _object(["type", "frein"], {"type": counts, "frein": counts}),
                "location": _ref("Location"),
                "radius_km": {
                    "type": ["number", "null"],
                    "description": "Avec un lieu : le rayon de recherche retenu, en km "
                    "(`null` : toute la France).",
                },
                "radius_widened": {
                    "type": "boolean",
                    "description": "Avec un lieu sans `radius_km` : vrai quand rien ne "
                    "correspondait à 30 km et que le rayon a été élargi.",
                },
            },
        ),
        "Result": _object(
            ["partner", "score", "distance_km", "verdict", "reasons", "warnings", "fiabilite"],
            {
                "partner": _ref("Partner"),
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "distance_km": opt_num,
                "verdict": {
                    "type": "string",
                    "enum": ["compatible", "a_verifier"],
                    "description": VERDICT_TEXT,
                },
                "reasons": strings,
                "warnings": strings,
                "fiabilite": _ref("Fiabilite"),
            },
        ),
        "Ecarte": {
            **_object(
                ["partner", "distance_km", "raison"],
                {
                    "partner": _object(
                        ["id", "nom", "type"],
                        {"id": string, "nom": string, "type": partner["properties"]["type"]},
                    ),
                    "distance_km": opt_num,
                    "raison": string,
                },
            ),
            "description": (
                "Structure attendue pour ce frein (la plus proche d'un type dont c'est la "
                "mission principale) qu'une règle a écartée : zone, âge, public, règle de "
                "situation (data/taxonomy/rules.json) ; « raison » dit pourquoi, en français."
            ),
        },
        "Recommendation": _object(
            ["location", "freins", "plan"],
            {
                "location": _ref("Location"),
                "freins": _array(
                    _object(
                        ["frein", "label", "results"],
                        {
                            "frein": {"type": "string", "enum": list(taxonomy.freins)},
                            "label": string,
                            "results": _array(_ref("Result")),
                            "ecartes": _array(_ref("Ecarte")),
                        },
                    )
                ),
                "plan": _object(
                    ["partners", "covers", "uncovered"],
                    {
                        "partners": strings,
                        "covers": {"type": "object", "additionalProperties": freins},
                        "uncovered": freins,
                    },
                ),
            },
        ),
        "FitCheck": _object(
            ["verdict", "score", "reasons", "blockers", "distance_km", "fiabilite", "partner"],
            {
                "verdict": {
                    "type": "string",
                    "enum": ["compatible", "a_verifier", "incompatible"],
                    "description": VERDICT_TEXT,
                },
                "fiabilite": _ref("Fiabilite"),
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "reasons": strings,
                "blockers": strings,
                "warnings": strings,
                "distance_km": opt_num,
                "frein": opt_str,
                "freins_traites": freins,
                "freins_non_traites": freins,
                "partner": _ref("Partner"),
            },
        ),
        "Freins": _object(
            ["freins"],
            {
                "freins": _array(
                    _object(
                        ["code", "label", "description", "thematiques", "partner_types"],
                        {
                            "code": {"type": "string", "enum": list(taxonomy.freins)},
                            "label": string,
                            "description": string,
                            "thematiques": strings,
                            "partner_types": _array(
                                {"type": "string", "enum": list(taxonomy.partner_types)}
                            ),
                        },
                    )
                )
            },
        ),
        "Communes": _object(["results"], {"results": _array(_ref("Commune"))}),
        "Couverture": coverage_schema(taxonomy),
    }


def coverage_schema(taxonomy: Taxonomy) -> Schema:
    """``GET /couverture``'s JSON body (``resume`` also per EPCI, an extra of the contract)."""
    opt_num: Schema = {"type": ["number", "null"]}
    resume = _object(
        [
            "communes",
            "population",
            "population_zone_blanche",
            "part_population_couverte",
            "distance_mediane_km",
        ],
        {
            "communes": {"type": "integer", "minimum": 0},
            "population": {"type": "integer", "minimum": 0},
            "population_zone_blanche": {"type": "integer", "minimum": 0},
            "part_population_couverte": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "distance_mediane_km": opt_num,
        },
    )
    commune = _object(
        ["code_insee", "nom", "population", "distance_km", "partner_id", "zone_blanche"],
        {
            "code_insee": {"type": "string"},
            "nom": {"type": "string"},
            "population": {"type": "integer", "minimum": 0},
            "distance_km": opt_num,
            "partner_id": {"type": ["string", "null"]},
            "partner_nom": {"type": ["string", "null"]},
            "zone_blanche": {"type": "boolean"},
            "departement": {"type": "string"},
            "epci": {"type": ["string", "null"]},
        },
    )
    return _object(
        ["frein", "zone", "profil", "seuil_km", "communes", "resume"],
        {
            "frein": {"type": "string", "enum": list(taxonomy.freins)},
            "label": {"type": "string"},
            "zone": _object(
                ["nom"],
                {
                    "departement": {"type": "string"},
                    "region": {"type": "string"},
                    "nom": {"type": "string"},
                },
            ),
            "profil": _object(
                ["age", "publics", "vehicule"],
                {
                    "age": {"type": ["integer", "null"]},
                    "publics": _array({"type": "string"}),
                    "vehicule": {"type": "boolean"},
                },
            ),
            "seuil_km": {"type": "number", "exclusiveMinimum": 0},
            "communes": _array(commune),
            "resume": resume,
            "epci": _array(
                _object(
                    ["code", "nom", "resume"],
                    {
                        "code": {"type": ["string", "null"]},
                        "nom": {"type": "string"},
                        "resume": resume,
                    },
                )
            ),
        },
    )


COVERAGE_FORMATS = ("json", "csv", "geojson")
TERRITORY_GROUP = "territoire"


def coverage_params(taxonomy: Taxonomy) -> list[Param]:
    """``GET /couverture``: one frein, one territory (département or région, not both),
    the reference profile and the threshold, the answer's format."""
    from recommender.geo import default_gazetteer

    gazetteer = default_gazetteer()
    departements = [code for code, _nom in gazetteer.departements()]
    regions = sorted({c.region for c in gazetteer.communes.values() if c.region})
    one_of = [
        {"type": "object", "required": [a], "not": {"required": [b]}}
        for a, b in (("departement", "region"), ("region", "departement"))
    ]
    territory = Param(
        TERRITORY_GROUP,
        "Le territoire : `departement` (code : `60`, `2A`, `974`) ou `region` (code INSEE : "
        "`32`), l'un ou l'autre. Les noms sont aussi acceptés (« Oise »). Paris, Lyon et "
        "Marseille sont listées par arrondissement municipal.",
        {
            "properties": {
                "departement": {"type": "string", "enum": departements},
                "region": {"type": "string", "enum": regions},
            },
            "additionalProperties": False,
            "oneOf": one_of,
        },
        required=True,
        style="form",
        explode=True,
    )
    return [
        Param(
            "frein",
            "Un code de frein (casse, accents et libellé tolérés).",
            {"type": "string", "enum": list(taxonomy.freins)},
            True,
        ),
        territory,
        Param(
            "age",
            "Âge de la personne de référence (30 par défaut : un adulte).",
            query_integer(P.AGE_MIN, P.AGE_MAX),
        ),
        codes_param(
            "publics",
            "Publics de la personne de référence (aucun par défaut). Alias : `public`.",
            list(taxonomy.publics),
            P.MAX_PUBLICS,
        ),
        Param(
            "vehicule",
            "La personne de référence a-t-elle un véhicule ? (non par défaut ; change le "
            f"seuil par défaut). Oui : {', '.join(P.TRUE_WORDS)} ; non : "
            f"{', '.join(P.FALSE_WORDS)}, `nsp`.",
            caseless([*P.TRUE_WORDS, *P.FALSE_WORDS, *P.UNKNOWN_WORDS]),
        ),
        Param(
            "seuil_km",
            "Distance au-delà de laquelle une commune est en zone blanche (15 km sans "
            "véhicule, 30 km avec, par défaut).",
            or_blank(number(0.0, P.MAX_KM, exclusive=True)),
        ),
        Param(
            "format",
            "`json` (par défaut), `csv` (aussi avec `Accept: text/csv`) ou `geojson` "
            "(polygones des communes).",
            {"type": "string", "enum": list(COVERAGE_FORMATS)},
        ),
    ]


ERROR_TEXT = {
    400: "Paramètre invalide, manquant, inconnu (`parametre_inconnu`, `details.valid`) ou trop "
    "long, caractère nul (%00) dans l'adresse, corps JSON invalide ou trop imbriqué.",
    404: "Introuvable : partenaire ; commune inconnue (`details.suggestions`) ; commune sans "
    "coordonnées dans le référentiel (`commune_non_localisee`, certaines collectivités "
    "d'outre-mer).",
}


def query_names(op: Operation, taxonomy: Taxonomy) -> frozenset[str]:
    """The query parameters an operation takes, as sent: the place group's properties and
    the aliases included. The API refuses any other (a typo must not pass unnoticed)."""
    names: set[str] = set()
    for param in op.params(taxonomy):
        if param.location != "query":
            continue
        properties = param.schema.get("properties")
        names.update(properties if isinstance(properties, dict) else (param.name,))
    names.update(alias for name in list(names) for alias in ALIASES.get(name, ()))
    return frozenset(names)


def operation_id(method: str, path: str) -> str:
    return f"{method}_{path}".replace("/", "_").replace("{", "").replace("}", "")


def openapi_document(taxonomy: Taxonomy, server_url: str) -> Schema:
    paths: dict[str, dict[str, Schema]] = {}
    for op in OPERATIONS:
        json_of = {"application/json": {"schema": _ref(op.response)}}
        json_of.update({media: {"schema": schema} for media, schema in op.alternates.items()})
        responses: dict[str, Schema] = {"200": {"description": "Succès", "content": json_of}}
        if op.links:
            responses["200"]["links"] = op.links
        if op.conditional:
            responses["304"] = {
                "description": "Inchangé depuis l'ETag envoyé dans `If-None-Match`."
            }
        for status in op.errors:
            responses[str(status)] = {
                "description": ERROR_TEXT.get(status, "Erreur"),
                "content": {"application/json": {"schema": _ref("Error")}},
            }
        entry: Schema = {
            "summary": op.summary,
            "operationId": operation_id(op.method, op.path),
            "parameters": [p.to_dict() for p in op.params(taxonomy)],
            "responses": responses,
        }
        if op.description:
            entry["description"] = op.description
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body(taxonomy)}},
            }
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Relais — API v1",
            "version": "1.0.0",
            "description": "Annuaire des partenaires de l'insertion et moteur d'orientation. "
            'Erreurs : toujours `{"error": {"code", "message", "details"}}`.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": components(taxonomy)},
    }
