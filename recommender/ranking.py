"""Transparent score of an eligible (person, partner, frein) triple, and its French reasons.

The score is a product of factors, each in [0, 1] and each explained:

``score = mission × public × proximité × fraîcheur × précision``

- **mission**: 1.0 when the frein is the partner's main mission, ``side_weight``
  (0.4, calibrated on the tuning half of ``bench/evaluation``) when secondary; an
  inferred mission is multiplied by ``inferred_weight``;
- **public**: 1.0 for a service *dedicated* to one of the person's publics (a
  type reserved to a public the person belongs to: mission locale for a young
  person, SPIP for someone sous main de justice), ``public_targeted`` (0.9)
  when the partner targets one of the person's publics, ``public_other`` (0.7)
  otherwise — a CIP sends a young person to the mission locale before the
  France Travail agency next door;
- **proximité**: ``2 ** (-d / d½)`` with ``d½`` depending on mobility (5 km
  without a vehicle, 25 km with one, 12 km when unknown). A zone-wide service
  whose competence covers the person decays ``competent_slowdown`` times
  slower and keeps at least ``competent_floor``; a *dedicated* départemental
  service whose main mission is the frein (the SPIP of the person's
  département for justice) keeps at least ``designated_floor``: the person has
  to deal with it wherever its office is;
- **fraîcheur**: ``stale_factor`` when the record is older than
  ``stale_after_years`` (ranked lower, never hidden; the answer's ``fiabilite`` says it,
  the verdict does not: :mod:`recommender.reliability`);
- **précision**: ``approx_factor`` when the point is the commune's centre.

Then the ``apres`` rules by situation (:mod:`recommender.rules`) cap a partner
just below the best proposed partner of the types it must follow
(:func:`rank_after`): an ACI after France Travail for emploi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compiled import compiled
from .eligibility import (
    Checks,
    PersonContext,
    eligibility_warnings,
    format_km,
    lower_first,
    zone_text,
)
from .geoindex import (
    DEPARTEMENT,
    FRANCE,
    MISSION_CORE,
    MISSION_INFERRED,
    MISSION_INFERRED_SIDE,
    MISSION_SIDE,
    PartnerTable,
)
from .rules import AFTER, AFTER_MARGIN
from .text import fold
from .types import GazetteerLike


@dataclass(frozen=True)
class RankingParams:
    """Weights of the score (see the module docstring)."""

    half_km_no_vehicle: float = 5.0
    half_km_vehicle: float = 25.0
    half_km_unknown: float = 12.0
    competent_slowdown: float = 2.0
    competent_floor: float = 0.25
    designated_floor: float = 0.8
    public_targeted: float = 0.9
    public_other: float = 0.7
    stale_after_years: float = 3.0
    stale_factor: float = 0.85
    approx_factor: float = 0.95
    far_without_vehicle_km: float = 15.0

    def half_km(self, vehicule: bool | None) -> float:
        if vehicule is None:
            return self.half_km_unknown
        return self.half_km_vehicle if vehicule else self.half_km_no_vehicle


@compiled
def proximity(
    distance: float,
    competent: bool,
    designated: bool,
    half_km: float,
    slowdown: float,
    competent_floor: float,
    designated_floor: float,
) -> float:
    """Distance decay, half at ``half_km``; competent zone-wide services decay ``slowdown``
    times slower, floored (higher for a designated service); an unknown distance (NaN)
    is infinite.

    >>> p = RankingParams()
    >>> [round(proximity(d, c, g, 5.0, p.competent_slowdown, p.competent_floor,
    ...                  p.designated_floor), 2)
    ...  for d, c, g in [(0.0, False, False), (5.0, False, False), (60.0, True, False),
    ...                  (60.0, True, True), (float("nan"), True, False)]]
    [1.0, 0.5, 0.25, 0.8, 0.25]
    """
    d = np.inf if np.isnan(distance) else distance
    if not competent:
        return np.exp2(-d / half_km)
    floor = designated_floor if designated else competent_floor
    return max(floor, np.exp2(-d / (half_km * slowdown)))


@compiled
def _products(
    rows: np.ndarray,
    frein: int,
    distance: np.ndarray,
    competent: np.ndarray,
    publics_bits: int,
    factors: np.ndarray,
    mission: np.ndarray,
    mission_weight: np.ndarray,
    zone_kind: np.ndarray,
    exclusive_mask: np.ndarray,
    publics_mask: np.ndarray,
    years_old: np.ndarray,
    approx: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled (run through score)
    """The product of the module docstring per row, in one compiled pass. ``factors``:
    half distance, then :class:`RankingParams`' competent slowdown and floors, public,
    freshness and precision factors (see :func:`score`)."""
    half, slowdown = factors[0], factors[1]
    competent_floor, designated_floor = factors[2], factors[3]
    targeted_factor, other_factor = factors[4], factors[5]
    stale_after, stale_factor, approx_factor = factors[6], factors[7], factors[8]
    out = np.empty(rows.size)
    for j in range(rows.size):
        r = rows[j]
        dedicated = (exclusive_mask[r] & publics_bits) != 0
        targeted = dedicated or (publics_mask[r] & publics_bits) != 0
        # the SPIP of the person's département for justice: dealt with wherever it is
        designated = dedicated and zone_kind[r] == DEPARTEMENT and mission[r, frein] == MISSION_CORE
        near = proximity(
            distance[j], competent[j], designated, half, slowdown, competent_floor,
            designated_floor,
        )  # fmt: skip
        public = 1.0 if dedicated else (targeted_factor if targeted else other_factor)
        fresh = stale_factor if years_old[r] > stale_after else 1.0  # NaN compares False
        precise = approx_factor if approx[r] else 1.0
        weight = np.float64(mission_weight[mission[r, frein]])
        out[j] = weight * public * near * fresh * precise
    return out


def score(
    table: PartnerTable, ctx: PersonContext, checks: Checks, params: RankingParams
) -> np.ndarray:
    """Scores in [0, 1] of every row of ``checks`` (meant for the eligible ones)."""
    factors = np.array(
        [
            params.half_km(ctx.vehicule),
            params.competent_slowdown,
            params.competent_floor,
            params.designated_floor,
            params.public_targeted,
            params.public_other,
            params.stale_after_years,
            params.stale_factor,
            params.approx_factor,
        ]
    )
    products = _products(
        checks.rows,
        checks.frein,
        checks.distance,
        checks.competent,
        ctx.publics_bits,
        factors,
        table.mission,
        table.mission_weight,
        table.zone_kind,
        table.exclusive_mask,
        table.publics_mask,
        table.years_old,
        table.approx,
    )
    return np.round(np.clip(products, 0.0, 1.0), 4)


def after_caps(
    table: PartnerTable, ctx: PersonContext, checks: Checks, scores: np.ndarray
) -> dict[int, float]:
    """Per ``apres`` rule holding for the person and frein, the cap of its partners:
    ``AFTER_MARGIN`` × the best score among the eligible ``checks`` of the types it
    follows (a rule with none of them there has no cap). Rules apply one after the
    other on the scores the previous ones capped, ``"*"`` rules last: an ACI stays
    after a France Travail that is itself after the mission locale."""
    rules = table.after_rules[checks.frein]
    if not rules:
        return {}
    types = table.type_idx[checks.rows]
    current = scores.astype(np.float64)
    caps: dict[int, float] = {}
    for k in rules:
        if not ctx.rules_active[k]:
            continue
        reference = table.rule_follows[k, types]
        if reference.any():
            caps[k] = AFTER_MARGIN * float(current[reference].max())
            demoted = table.rule_rows[checks.rows, k]
            current[demoted] = np.minimum(current[demoted], caps[k])
    return caps


def rank_after(
    table: PartnerTable, checks: Checks, scores: np.ndarray, caps: dict[int, float]
) -> np.ndarray:
    """``scores`` with each partner of an ``apres`` rule capped (see :func:`after_caps`)."""
    out = scores.copy()
    for k, cap in caps.items():
        demoted = table.rule_rows[checks.rows, k]
        out[demoted] = np.minimum(out[demoted], cap)
    return np.round(out, 4)


def after_reasons(table: PartnerTable, ctx: PersonContext, frein: int, row: int) -> list[str]:
    """The ``raison`` of the ``apres`` rules holding for this partner, person and frein."""
    code = table.freins[frein]
    return [
        rule.raison
        for k, rule in enumerate(table.rules)
        if rule.effect == AFTER
        and ctx.rules_active[k]
        and code in rule.freins
        and table.rule_rows[row, k]
    ]


def upper_bound(distance_km: float, ctx: PersonContext, params: RankingParams) -> float:
    """Best score a non-competent partner at ``distance_km`` or farther could reach."""
    return float(np.exp2(-distance_km / params.half_km(ctx.vehicule)))


# --------------------------------------------------------------------------- reasons

_FEMININE = {
    "mission", "maison", "caisse", "caf", "cpam", "mdph", "msa", "agence", "adil", "permanence",
    "structure", "association", "entreprise", "auto", "plateforme", "direction", "antenne",
    "cellule", "pmi", "mairie", "regie", "epicerie", "boutique", "ecole", "mjd", "siae", "ei",
    "etti", "ai", "ea", "maia", "carsat", "delegation", "federation", "residence", "banque",
    "mds", "plie", "creche", "halte", "aide", "clinique",
}  # fmt: skip


def competent_word(type_label: str) -> str:
    """``compétent`` or ``compétente`` after a type label.

    >>> competent_word("Mission locale"), competent_word("SPIP")
    ('compétente', 'compétent')
    """
    words = fold(type_label).split()
    return "compétente" if words and words[0] in _FEMININE else "compétent"


def explain(
    table: PartnerTable,
    ctx: PersonContext,
    checks: Checks,
    j: int,
    *,
    params: RankingParams,
    frein_label: str,
    type_label: str,
    public_labels: dict[str, str],
    gazetteer: GazetteerLike | None = None,
) -> tuple[list[str], list[str], str]:
    """Reasons, warnings and verdict (``compatible`` / ``a_verifier``) of one eligible row.

    The warnings, and so the verdict, are about the fit only (mission, publics, reach,
    place); the record's age and precision go in the answer's ``fiabilite``."""
    row = int(checks.rows[j])
    reasons: list[str] = []
    warnings: list[str] = []
    distance = float(checks.distance[j])
    known_distance = not np.isnan(distance)

    if checks.competent[j]:
        if int(table.zone_kind[row]) == FRANCE:
            reasons.append("service national : compétent pour toute la France")
        else:
            label = type_label or "Service"
            reasons.append(
                f"{label} {competent_word(label)} pour {zone_text(table, row, gazetteer)}"
            )
    if known_distance:
        reasons.append(f"à {format_km(distance)}")

    kind = int(table.mission[row, checks.frein])
    label = lower_first(frein_label)
    if kind == MISSION_CORE:
        reasons.append(f"mission principale : {label}")
    elif kind == MISSION_SIDE:
        reasons.append(f"mission secondaire : {label}")
        warnings.append("mission secondaire pour ce frein : vérifier que la structure peut aider")
    elif kind in (MISSION_INFERRED, MISSION_INFERRED_SIDE):
        reasons.append(f"mission probable (déduite de sa description) : {label}")
        warnings.append("mission déduite de la description de la structure : à confirmer")

    matched = int(table.publics_mask[row] | table.exclusive_mask[row]) & ctx.publics_bits
    if matched:
        names = ", ".join(lower_first(public_labels.get(c, c)) for c in table.publics_of(matched))
        reasons.append(f"public accueilli : {names}")

    reasons.extend(after_reasons(table, ctx, checks.frein, row))
    warnings.extend(eligibility_warnings(table, ctx, checks, j, public_labels=public_labels))

    # (the record's age and precision are not the fit's: see recommender.reliability)
    if not known_distance:
        warnings.append("adresse inconnue : vérifier le lieu d'accueil")
    elif (
        ctx.vehicule is False
        and distance > params.far_without_vehicle_km
        and not checks.far_but_competent[j]
    ):
        warnings.append(
            f"à {format_km(distance)} sans véhicule : vérifier la desserte en transports en commun"
        )
    verdict = "a_verifier" if warnings else "compatible"
    return reasons, warnings, verdict
