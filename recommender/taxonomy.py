"""The taxonomy: freins, partner types, source type mappings and publics.

Everything lives in data files (``data/taxonomy/*.json``, described in French in
``data/taxonomy/README.md``); this module only loads, checks and queries them.

>>> tax = default_taxonomy()
>>> list(tax.freins)[:3]
['mobilite', 'logement', 'sante']
>>> tax.partner_type("spip").to_dict()
{'code': 'spip', 'label': 'SPIP'}
>>> tax.source_type("annuaire-service-public", "cidf")
'cidff'
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from recommender.errors import InvalidParameter, UnknownFrein, UnknownPublic
from recommender.records import ZONE_KINDS
from recommender.rules import SituationRule, load_rules, strings
from recommender.text import fold

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[1] / "data" / "taxonomy"

#: The generic type of unknown codes: recommendable only through the freins a partner declares.
GENERIC_TYPE = "autre"
#: In ``source_types.json``, the key whose target applies to every code of a source.
WILDCARD = "*"
#: Bounds on a ``freins``/``publics`` parameter, so an oversized request is a clean 400.
MAX_PARAM_CHARS = 2000
MAX_PARAM_ITEMS = 50


@dataclass(frozen=True, slots=True)
class Frein:
    """One of the 13 freins of the API contract.

    ``partner_types`` are the recommendable types that address it, most specific first
    (core-mission types, then side-service types).
    """

    code: str
    label: str
    description: str
    synonyms: tuple[str, ...]
    thematiques: tuple[str, ...]
    partner_types: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The frein as ``GET /api/v1/freins`` lists it (synonyms stay internal).

        >>> sorted(default_taxonomy().frein("justice").to_dict())
        ['code', 'description', 'label', 'partner_types', 'thematiques']
        """
        return {
            "code": self.code,
            "label": self.label,
            "description": self.description,
            "thematiques": list(self.thematiques),
            "partner_types": list(self.partner_types),
        }


@dataclass(frozen=True, slots=True)
class PartnerType:
    """A kind of partner, with its defaults: freins, zone, publics, ages.

    ``publics`` are the publics the type targets; they *exclude* other people only when
    ``publics_exclusive`` is true. A type that is not ``recommendable`` stays in the
    directory (searchable) but is never proposed for a frein.
    """

    code: str
    label: str
    description: str
    reseau_porteur: str | None
    freins_core: tuple[str, ...]
    freins_side: tuple[str, ...]
    zone_kind: str
    zone_radius_km: float | None
    publics: tuple[str, ...]
    publics_exclusive: bool
    age_min: int | None
    age_max: int | None
    recommendable: bool
    keywords: tuple[str, ...]

    @property
    def freins(self) -> tuple[str, ...]:
        """Core freins, then side freins.

        >>> default_taxonomy().partner_type("france-service").freins[:2]
        ('numerique', 'acces-aux-droits')
        """
        return self.freins_core + tuple(f for f in self.freins_side if f not in self.freins_core)

    def to_dict(self) -> dict[str, str]:
        """The ``type`` object of a partner in the API.

        >>> default_taxonomy().partner_type("mission-locale").to_dict()
        {'code': 'mission-locale', 'label': 'Mission locale'}
        """
        return {"code": self.code, "label": self.label}


def _normalise_code(code: str) -> str:
    """Lookup key of a source type code: trimmed, case-insensitive."""
    return code.strip().casefold()


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise ValueError(f"taxonomy file missing: {path}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"taxonomy file {path.name} is not valid JSON: {exc}") from exc


def _partner_type(
    item: dict[str, Any], frein_codes: set[str], publics: dict[str, str]
) -> PartnerType:
    """One checked entry of ``partner_types.json``."""
    code = item["code"]
    where = f"partner_types.json, type {code!r}"
    core, side, recommendable = _type_freins(item, where, frein_codes)
    kind, radius = _type_zone(item, where)
    type_publics = strings(item.get("publics"), f"{where}, publics")
    unknown = [p for p in type_publics if p not in publics]
    if unknown:
        raise ValueError(f"{where}: unknown publics {unknown}")
    exclusive = item.get("publics_exclusive", False)
    if not isinstance(exclusive, bool) or (exclusive and not type_publics):
        raise ValueError(f"{where}: publics_exclusive must be a boolean, with publics")
    age_min = _optional_int(item.get("age_min"), f"{where}, age_min")
    age_max = _optional_int(item.get("age_max"), f"{where}, age_max")
    if age_min is not None and age_max is not None and age_min > age_max:
        raise ValueError(f"{where}: age_min > age_max")
    return PartnerType(
        code=code,
        label=item["label"],
        description=item.get("description", ""),
        reseau_porteur=item.get("reseau_porteur"),
        freins_core=core,
        freins_side=side,
        zone_kind=kind,
        zone_radius_km=float(radius) if radius is not None else None,
        publics=type_publics,
        publics_exclusive=exclusive,
        age_min=age_min,
        age_max=age_max,
        recommendable=recommendable,
        keywords=strings(item.get("keywords"), f"{where}, keywords"),
    )


def _type_freins(
    item: dict[str, Any], where: str, frein_codes: set[str]
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """A type's main and secondary freins, and whether it is recommendable."""
    core = strings(item.get("freins_core"), f"{where}, freins_core")
    side = strings(item.get("freins_side"), f"{where}, freins_side")
    unknown = [f for f in core + side if f not in frein_codes]
    if unknown:
        raise ValueError(f"{where}: unknown freins {unknown}")
    recommendable = item.get("recommendable", True)
    if not isinstance(recommendable, bool):
        raise ValueError(f"{where}: recommendable must be true or false")
    if not recommendable and (core or side):
        raise ValueError(f"{where}: a type that is not recommendable maps to no frein")
    return core, side, recommendable


def _type_zone(item: dict[str, Any], where: str) -> tuple[str, Any]:
    """A type's zone kind and radius (as the file gives it)."""
    zone = item.get("zone") or {}
    kind = zone.get("kind")
    if kind not in ZONE_KINDS:
        raise ValueError(f"{where}: zone kind {kind!r} not in {ZONE_KINDS}")
    radius = zone.get("radius_km")
    if kind == "rayon" and not (isinstance(radius, int | float) and radius > 0):
        raise ValueError(f"{where}: a 'rayon' zone needs a positive radius_km")
    return kind, radius


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: expected an integer or null")
    return value


class Taxonomy:
    """The loaded taxonomy; build it with :meth:`load` or :func:`default_taxonomy`.

    Attributes
    ----------
    freins : dict[str, Frein]
        The 13 freins, in API order.
    partner_types : dict[str, PartnerType]
        Every partner type, in file order.
    publics : dict[str, str]
        data·inclusion v1 publics, code → French label.
    source_types : dict[str, dict[str, str]]
        Per source, normalised source type code → partner type code (aliases resolved).
    rules : tuple[SituationRule, ...]
        Rules by situation (``rules.json``, see :mod:`recommender.rules`).
    """

    def __init__(
        self,
        freins: dict[str, Frein],
        partner_types: dict[str, PartnerType],
        publics: dict[str, str],
        source_types: dict[str, dict[str, str]],
        rules: tuple[SituationRule, ...] = (),
    ):
        self.freins = freins
        self.rules = rules
        self.partner_types = partner_types
        self.publics = publics
        self.source_types = source_types
        self._frein_lookup = self._lookup_table({c: f.label for c, f in freins.items()})
        self._public_lookup = self._lookup_table(publics)
        self._type_lookup = self._lookup_table({c: t.label for c, t in partner_types.items()})
        self._freins_by_thematique: dict[str, set[str]] = {}
        for frein in freins.values():
            for thematique in frein.thematiques:
                self._freins_by_thematique.setdefault(thematique, set()).add(frein.code)
        self._keywords = self._keyword_table()
        self._synonyms = self._synonym_table()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: Path | str | None = None) -> Taxonomy:
        """Load and check the five JSON files of ``directory`` (default: ``data/taxonomy``).

        Raises ``ValueError`` naming the file and entry when the data is inconsistent
        (unknown frein or type referenced, bad zone kind, duplicate code…).

        >>> tax = Taxonomy.load()
        >>> len(tax.freins), tax.partner_type("spip").zone_kind
        (13, 'departement')
        """
        directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        publics = cls._load_publics(_read_json(directory / "publics.json"))
        raw_freins = _read_json(directory / "freins.json")
        raw_types = _read_json(directory / "partner_types.json")
        if not isinstance(raw_freins, list) or not isinstance(raw_types, list):
            raise ValueError("freins.json and partner_types.json must each hold a JSON list")
        frein_codes = [f.get("code") for f in raw_freins if isinstance(f, dict)]
        partner_types = cls._load_partner_types(raw_types, set(frein_codes), publics)
        freins = cls._load_freins(raw_freins, partner_types)
        source_types = cls._load_source_types(
            _read_json(directory / "source_types.json"), partner_types
        )
        rules = load_rules(_read_json(directory / "rules.json"), freins, partner_types, publics)
        return cls(freins, partner_types, publics, source_types, rules)

    @staticmethod
    def _load_publics(raw: Any) -> dict[str, str]:
        if not isinstance(raw, list):
            raise ValueError("publics.json must hold a JSON list")
        publics: dict[str, str] = {}
        for item in raw:
            if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
                raise ValueError(f"publics.json: bad entry {item!r}")
            if item["code"] in publics:
                raise ValueError(f"publics.json: duplicate code {item['code']!r}")
            publics[item["code"]] = item["label"]
        return publics

    @staticmethod
    def _load_partner_types(
        raw: list[Any], frein_codes: set[str], publics: dict[str, str]
    ) -> dict[str, PartnerType]:
        types: dict[str, PartnerType] = {}
        for item in raw:
            if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
                raise ValueError(f"partner_types.json: bad entry {item!r}")
            code = item["code"]
            if code in types:
                raise ValueError(f"partner_types.json, type {code!r}: duplicate code")
            types[code] = _partner_type(item, frein_codes, publics)
        if GENERIC_TYPE not in types:
            raise ValueError(f"partner_types.json: the generic type {GENERIC_TYPE!r} is missing")
        return types

    @staticmethod
    def _load_freins(raw: list[Any], partner_types: dict[str, PartnerType]) -> dict[str, Frein]:
        freins: dict[str, Frein] = {}
        for item in raw:
            if not isinstance(item, dict) or not item.get("code") or not item.get("label"):
                raise ValueError(f"freins.json: bad entry {item!r}")
            code = item["code"]
            where = f"freins.json, frein {code!r}"
            if code in freins:
                raise ValueError(f"{where}: duplicate code")
            types = strings(item.get("partner_types"), f"{where}, partner_types")
            for type_code in types:
                partner_type = partner_types.get(type_code)
                if partner_type is None:
                    raise ValueError(f"{where}: unknown partner type {type_code!r}")
                if code not in partner_type.freins:
                    raise ValueError(
                        f"{where}: type {type_code!r} is listed but does not declare this frein"
                    )
            freins[code] = Frein(
                code=code,
                label=item["label"],
                description=item.get("description", ""),
                synonyms=strings(item.get("synonyms"), f"{where}, synonyms"),
                thematiques=strings(item.get("thematiques"), f"{where}, thematiques"),
                partner_types=types,
            )
        return freins

    @staticmethod
    def _load_source_types(
        raw: Any, partner_types: dict[str, PartnerType]
    ) -> dict[str, dict[str, str]]:
        if not isinstance(raw, dict):
            raise ValueError("source_types.json must hold a JSON object")
        tables: dict[str, dict[str, str]] = {}
        for source, mapping in raw.items():
            if isinstance(mapping, str):
                continue  # an alias, resolved below
            if not isinstance(mapping, dict):
                raise ValueError(f"source_types.json, source {source!r}: expected an object")
            table: dict[str, str] = {}
            for code, type_code in mapping.items():
                if type_code not in partner_types:
                    raise ValueError(
                        f"source_types.json, source {source!r}, code {code!r}: "
                        f"unknown partner type {type_code!r}"
                    )
                key = _normalise_code(code)
                if table.get(key, type_code) != type_code:
                    raise ValueError(
                        f"source_types.json, source {source!r}: code {code!r} maps to two types"
                    )
                table[key] = type_code
            tables[source] = table
        for source, target in raw.items():
            if isinstance(target, str):
                if target not in tables:
                    raise ValueError(
                        f"source_types.json: alias {source!r} names unknown source {target!r}"
                    )
                tables[source] = tables[target]
        return tables

    # ------------------------------------------------------------------ lookups
    def frein(self, code: str) -> Frein:
        """The frein of that code; an unknown code raises :class:`UnknownFrein` (400).

        >>> default_taxonomy().frein("garde-enfants").label
        "Garde d'enfants"
        """
        try:
            return self.freins[code]
        except KeyError:
            raise self._unknown_frein(code) from None

    def partner_type(self, code: str | None) -> PartnerType:
        """The partner type of that code; an unknown code gives the generic ``autre`` type.

        >>> default_taxonomy().partner_type("no-such-type").code
        'autre'
        """
        found = self.partner_types.get(code) if code else None
        return found or self.partner_types[GENERIC_TYPE]

    def source_type(self, source: str, code: str | None) -> str:
        """The partner type code for a source's own type code (``"*"`` is a source's default).

        Codes are matched trimmed and case-insensitively; ``dila-annuaire`` is an alias of
        ``annuaire-service-public``. Anything unknown gives ``"autre"``.

        >>> tax = default_taxonomy()
        >>> tax.source_type("siae", "ACI"), tax.source_type("dila-annuaire", "pcb")
        ('aci', 'points-conseil-budget')
        >>> tax.source_type("france-services", "Bus"), tax.source_type("siae", "XYZ")
        ('france-service', 'autre')
        """
        table = self.source_types.get(source)
        if not table:
            return GENERIC_TYPE
        if code is not None and (found := table.get(_normalise_code(code))):
            return found
        return table.get(WILDCARD, GENERIC_TYPE)

    def type_from_name(self, name: str | None) -> str | None:
        """Guess a partner type from a free-text name, by keyword; None when nothing matches.

        The keyword found earliest in the name wins (a French name starts with what the
        place is: « Auto-école solidaire de la Mission locale »), then the longest one.

        >>> tax = default_taxonomy()
        >>> tax.type_from_name("Auto-école solidaire de la Mission Locale d'Alès")
        'auto-ecole-sociale'
        >>> tax.type_from_name("CCAS de Creil"), tax.type_from_name("Boulangerie Dupont")
        ('ccas-cias', None)
        """
        if not name:
            return None
        text = f" {fold(name)} "
        best: tuple[int, int] | None = None
        best_type: str | None = None
        for keyword, type_code in self._keywords:
            position = text.find(f" {keyword} ")
            if position < 0:
                continue
            rank = (position, -len(keyword))
            if best is None or rank < best:
                best, best_type = rank, type_code
        return best_type

    # ------------------------------------------------------------------ parameters
    def parse_freins(self, value: str | Iterable[str] | None, param: str = "freins") -> list[str]:
        """Read a ``freins`` parameter: a comma-separated string or a list of codes.

        Items are trimmed; empty ones and duplicates are dropped; order is kept. A code may
        also be written with other case or accents, or as its label (« Garde d'enfants »).

        Raises
        ------
        UnknownFrein
            For an unknown item; ``details.valid`` lists the valid codes.
        InvalidParameter
            For a value that is not a string or a list of strings, or is oversized.

        Examples
        --------
        >>> tax = default_taxonomy()
        >>> tax.parse_freins(" justice, Mobilité,justice,,")
        ['justice', 'mobilite']
        >>> tax.parse_freins(["garde d'enfants", "emploi"])
        ['garde-enfants', 'emploi']
        >>> tax.parse_freins("permis")
        Traceback (most recent call last):
        ...
        recommender.errors.UnknownFrein: Frein inconnu : « permis ».
        """
        return self._parse_codes(value, param, self._frein_lookup, self._unknown_frein)

    def parse_publics(self, value: str | Iterable[str] | None, param: str = "publics") -> list[str]:
        """Read a ``publics`` parameter, like :meth:`parse_freins`.

        Raises :class:`UnknownPublic` with ``details.valid`` for an unknown item.

        >>> default_taxonomy().parse_publics("jeunes,Femmes")
        ['jeunes', 'femmes']
        """
        return self._parse_codes(value, param, self._public_lookup, self._unknown_public)

    def parse_types(self, value: str | Iterable[str] | None, param: str = "type") -> list[str]:
        """Read a partner ``type`` parameter, like :meth:`parse_freins`.

        Raises :class:`InvalidParameter` with ``details.valid`` for an unknown item.

        >>> default_taxonomy().parse_types("Mission Locale,spip")
        ['mission-locale', 'spip']
        """
        return self._parse_codes(value, param, self._type_lookup, self._unknown_type)

    def _parse_codes(self, value, param, lookup, unknown) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            if len(value) > MAX_PARAM_CHARS:
                raise InvalidParameter(param, f"Le paramètre « {param} » est trop long.")
            items = value.split(",")
        elif isinstance(value, list | tuple):
            if not all(isinstance(item, str) for item in value):
                raise InvalidParameter(
                    param, f"Le paramètre « {param} » doit être une liste de codes."
                )
            if sum(len(item) for item in value) > MAX_PARAM_CHARS:
                raise InvalidParameter(param, f"Le paramètre « {param} » est trop long.")
            items = [part for item in value for part in item.split(",")]
        else:
            raise InvalidParameter(param, f"Le paramètre « {param} » doit être une liste de codes.")
        if len(items) > MAX_PARAM_ITEMS:
            raise InvalidParameter(param, f"Le paramètre « {param} » contient trop de valeurs.")
        codes: list[str] = []
        for item in items:
            item = item.strip()
            if not item:
                continue
            code = lookup.get(item) or lookup.get(fold(item))
            if code is None:
                raise unknown(item, param)
            if code not in codes:
                codes.append(code)
        return codes

    def _unknown_frein(self, value: str, param: str = "freins") -> UnknownFrein:
        """« mobilté » → 400 with the valid codes and the closest ones (« mobilite »)."""
        labels = {code: frein.label for code, frein in self.freins.items()}
        near = _closest(value, self._frein_lookup)
        return UnknownFrein(
            param,
            f"Frein inconnu : « {value} ».{_did_you_mean(near, labels)}",
            value=value,
            valid=list(self.freins),
            suggestions=near,
        )

    def _unknown_public(self, value: str, param: str = "publics") -> UnknownPublic:
        near = _closest(value, self._public_lookup)
        return UnknownPublic(
            param,
            f"Public inconnu : « {value} ».{_did_you_mean(near, self.publics)}",
            value=value,
            valid=list(self.publics),
            suggestions=near,
        )

    def _unknown_type(self, value: str, param: str = "type") -> InvalidParameter:
        labels = {code: t.label for code, t in self.partner_types.items()}
        near = _closest(value, self._type_lookup)
        return InvalidParameter(
            param,
            f"Type de partenaire inconnu : « {value} ».{_did_you_mean(near, labels)}",
            value=value,
            valid=list(self.partner_types),
            suggestions=near,
        )

    @staticmethod
    def _lookup_table(labels: dict[str, str]) -> dict[str, str]:
        table: dict[str, str] = {}
        for code, label in labels.items():
            table.setdefault(fold(label), code)
            table.setdefault(fold(code), code)
        table.update({code: code for code in labels})
        return table

    # ------------------------------------------------------------------ freins ↔ thématiques
    def freins_of_thematiques(self, thematiques: Iterable[str] | None) -> set[str]:
        """The freins covered by data·inclusion thématiques.

        A bare category (``"mobilite"``, as older exports carry) covers every frein with a
        thématique in that category; unknown thématiques are ignored.

        >>> sorted(default_taxonomy().freins_of_thematiques(
        ...     ["sante--addictions", "famille--garde-denfants", "inconnue"]))
        ['garde-enfants', 'sante']
        """
        found: set[str] = set()
        for thematique in thematiques or ():
            if "--" in thematique:
                found |= self._freins_by_thematique.get(thematique, set())
            else:
                prefix = f"{thematique}--"
                for known, freins in self._freins_by_thematique.items():
                    if known.startswith(prefix):
                        found |= freins
        return found

    def thematiques_of(self, freins: Iterable[str]) -> list[str]:
        """The thématiques of some freins, without duplicates, in frein order.

        >>> default_taxonomy().thematiques_of(["justice"])
        ['difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire']
        """
        result: list[str] = []
        for code in freins:
            for thematique in self.frein(code).thematiques:
                if thematique not in result:
                    result.append(thematique)
        return result

    # ------------------------------------------------------------------ text helpers
    def synonyms(self) -> dict[str, list[str]]:
        """Folded synonym (labels and codes included) → frein codes, for query expansion.

        >>> syn = default_taxonomy().synonyms()
        >>> syn["spip"], syn["csapa"], syn["permis de conduire"]
        (['justice'], ['sante'], ['mobilite'])
        """
        return {term: list(codes) for term, codes in self._synonyms.items()}

    def _synonym_table(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for frein in self.freins.values():
            for term in (frein.code, frein.label, *frein.synonyms):
                key = fold(term)
                if key and frein.code not in table.setdefault(key, []):
                    table[key].append(frein.code)
        return table

    def _keyword_table(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for partner_type in self.partner_types.values():
            for keyword in partner_type.keywords:
                folded = fold(keyword)
                if folded:
                    pairs.append((folded, partner_type.code))
        return pairs


# Similarity (rapidfuzz ratio, 0-100) a mistyped code needs to be suggested: one or two
# letters off in a code or a label (« logemnt », « mobilté », « garde enfant »).
SUGGESTION_CUTOFF = 80.0
MAX_SUGGESTIONS = 3


def _closest(value: str, lookup: dict[str, str]) -> list[str]:
    """The codes whose code or label is closest to ``value``, best first.

    >>> tax = default_taxonomy()
    >>> _closest("mobilté", tax._frein_lookup), _closest("logemnt", tax._frein_lookup)
    (['mobilite'], ['logement'])
    >>> _closest("permis", tax._frein_lookup)
    []
    """
    codes: list[str] = []
    hits = process.extract(
        fold(value), list(lookup), scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF, limit=None
    )
    for key, _score, _index in hits:
        if lookup[key] not in codes:
            codes.append(lookup[key])
    return codes[:MAX_SUGGESTIONS]


def _did_you_mean(codes: list[str], labels: dict[str, str]) -> str:
    """« Vouliez-vous dire « mobilité » ? » after an unknown code's message, or nothing."""
    if not codes:
        return ""
    words = " ou ".join(f"« {_lower_first(labels.get(code, code))} »" for code in codes)
    return f" Vouliez-vous dire {words} ?"


def _lower_first(label: str) -> str:
    """A label inside a sentence: lower case first, an acronym (« SPIP ») kept."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


@functools.cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy of the repository's ``data/taxonomy``, loaded once.

    >>> default_taxonomy() is default_taxonomy()
    True
    """
    return Taxonomy.load()
