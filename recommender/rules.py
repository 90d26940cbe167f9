"""Rules by situation (``data/taxonomy/rules.json``): the one engine that reads them.

A partner type's mission for a frein can depend on the person: a PMI serves
families, not an adult alone; a SPIP serves people under a justice measure; an
SIAE is an employer, proposed after the services that accompany towards
employment. Each rule names types (optionally only partners whose name holds a
word), the freins it concerns and one effect:

- ``ecarter``: the partner is not proposed for those freins, unless the person
  belongs to one of ``sauf_publics`` (stated or implied by age and freins); the
  rule's ``raison`` is the blocker the user reads;
- ``apres``: the partner stays, but ranks just below the best proposed partner of
  ``apres_types`` when there is one (``"*"``: of any type the rule does not
  concern); the ``raison`` is shown among the reasons.

:func:`load_rules` checks the file against the taxonomy; the partner table keeps,
per row and rule, whether the rule concerns the partner (:func:`rule_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .text import fold

EXCLUDE = "ecarter"
AFTER = "apres"
#: In ``apres_types``: every type the rule does not concern.
ANY_OTHER = "*"
EFFECTS = (EXCLUDE, AFTER)
#: How far below the best reference partner an ``apres`` partner is placed.
AFTER_MARGIN = 0.99


@dataclass(frozen=True, slots=True)
class SituationRule:
    """One rule of ``rules.json`` (see the module docstring)."""

    id: str
    types: tuple[str, ...]
    freins: tuple[str, ...]
    effect: str
    raison: str
    sauf_publics: tuple[str, ...] = ()
    nom_contient: tuple[str, ...] = ()
    apres_types: tuple[str, ...] = ()

    def applies_to(self, publics: Iterable[str]) -> bool:
        """Whether the rule holds for a person with these publics.

        >>> rule = SituationRule("r", ("pmi",), ("sante",), EXCLUDE, "…", ("familles",))
        >>> rule.applies_to(["jeunes"]), rule.applies_to(["familles"])
        (True, False)
        """
        return not set(self.sauf_publics) & set(publics)

    def follows(self, type_code: str) -> bool:
        """Whether an ``apres`` rule's partners rank after a partner of this type.

        >>> SituationRule("r", ("aci",), ("emploi",), AFTER, "…", apres_types=("*",)).follows(
        ...     "france-service")
        True
        """
        if ANY_OTHER in self.apres_types:
            return type_code not in self.types
        return type_code in self.apres_types

    def concerns(self, type_code: str, folded_name: str) -> bool:
        """Whether the rule concerns a partner of that type and (folded) name.

        >>> rule = SituationRule("r", ("point-justice",), ("justice",), EXCLUDE, "…",
        ...                      nom_contient=("notaires",))
        >>> rule.concerns("point-justice", "notaires et associes"), rule.concerns(
        ...     "point-justice", "maison de justice et du droit")
        (True, False)
        """
        if type_code not in self.types:
            return False
        if not self.nom_contient:
            return True
        words = set(folded_name.split())
        return any(fold(word) in words for word in self.nom_contient)


def load_rules(
    raw: Any,
    frein_codes: Iterable[str],
    type_codes: Iterable[str],
    public_codes: Iterable[str],
) -> tuple[SituationRule, ...]:
    """Checked rules of ``rules.json``; ``ValueError`` names the faulty rule."""
    if not isinstance(raw, list):
        raise ValueError("rules.json must hold a JSON list")
    freins, types, publics = set(frein_codes), set(type_codes), set(public_codes)
    rules: list[SituationRule] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict) or not item.get("id"):
            raise ValueError(f"rules.json: bad entry {item!r}")
        where = f"rules.json, rule {item['id']!r}"
        if item["id"] in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(item["id"])
        rule = SituationRule(
            id=item["id"],
            types=_codes(item.get("types"), where, "types", types, required=True),
            freins=_codes(item.get("freins"), where, "freins", freins, required=True),
            effect=item.get("effet", ""),
            raison=item.get("raison", ""),
            sauf_publics=_codes(item.get("sauf_publics"), where, "sauf_publics", publics),
            nom_contient=tuple(fold(w) for w in strings(item.get("nom_contient"), where)),
            apres_types=_codes(item.get("apres_types"), where, "apres_types", types | {ANY_OTHER}),
        )
        if rule.effect not in EFFECTS:
            raise ValueError(f"{where}: effet must be one of {EFFECTS}")
        if not isinstance(rule.raison, str) or not rule.raison.strip():
            raise ValueError(f"{where}: a rule needs its French raison")
        if (rule.effect == AFTER) != bool(rule.apres_types):
            raise ValueError(f"{where}: apres_types is required by, and only by, effet 'apres'")
        rules.append(rule)
    return tuple(rules)


def strings(value: Any, where: str) -> tuple[str, ...]:
    """A data file's list of non-empty strings (``None``: empty), or a ``ValueError``."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _codes(
    value: Any, where: str, field: str, known: set[str], *, required: bool = False
) -> tuple[str, ...]:
    codes = strings(value, f"{where}, {field}")
    if required and not codes:
        raise ValueError(f"{where}: {field} is required")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"{where}, {field}: unknown codes {unknown}")
    return codes


def rule_rows(
    rules: Sequence[SituationRule], type_codes: Sequence[str], names: Sequence[str]
) -> np.ndarray:
    """``(rows × rules)`` booleans: rule ``k`` concerns partner ``i`` (type and name)."""
    out = np.zeros((len(type_codes), len(rules)), dtype=bool)
    for i, (type_code, name) in enumerate(zip(type_codes, names, strict=True)):
        folded = fold(name or "")
        for k, rule in enumerate(rules):
            out[i, k] = rule.concerns(type_code, folded)
    return out


def rule_follows(rules: Sequence[SituationRule], type_codes: Sequence[str]) -> np.ndarray:
    """``(rules × types)`` booleans: an ``apres`` rule ``k``'s partners rank after a partner
    of type ``type_codes[t]`` (:meth:`SituationRule.follows`, once per type at fit)."""
    out = np.zeros((len(rules), len(type_codes)), dtype=bool)
    for k, rule in enumerate(rules):
        out[k] = [rule.follows(t) for t in type_codes]
    return out


def rules_by_frein(
    rules: Sequence[SituationRule], freins: Sequence[str], effect: str
) -> tuple[tuple[int, ...], ...]:
    """Per frein of ``freins``, the rules of ``effect`` about it, in the order they apply
    (for ``apres``, the rules naming ``"*"`` last: an ACI stays after a France Travail
    that is itself after the mission locale), computed once at fit."""
    order = sorted(
        range(len(rules)), key=lambda k: effect == AFTER and ANY_OTHER in rules[k].apres_types
    )
    return tuple(
        tuple(k for k in order if rules[k].effect == effect and code in rules[k].freins)
        for code in freins
    )


def active_rules(rules: Sequence[SituationRule], publics: Iterable[str]) -> np.ndarray:
    """Per rule, whether it holds for a person with these publics."""
    publics = tuple(publics)
    return np.array([rule.applies_to(publics) for rule in rules], dtype=bool)
