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
    MISSION_SIDE,
    PartnerTable,
)
from .rules import AFTER, AFTER_MARGIN, ANY_OTHER
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


def proximity(
    distance: np.ndarray,
    competent: np.ndarray,
    half_km: float,
    params: RankingParams,
    designated: np.ndarray | None = None,
) -> np.ndarray:
    """Distance decay, half at ``half_km``; competent zone-wide services decay slower, floored.

    >>> import numpy as np
    >>> p = proximity(np.array([0.0, 5.0, 60.0, 60.0, np.nan]),
    ...               np.array([False, False, True, True, True]), 5.0, RankingParams(),
    ...               designated=np.array([False, False, False, True, False]))
    >>> p.round(2).tolist()
    [1.0, 0.5, 0.25, 0.8, 0.25]
    """
    d = np.where(np.isnan(distance), np.inf, distance)
    plain = np.exp2(-d / half_km)
    slow = np.exp2(-d / (half_km * params.competent_slowdown))
    floor = np.full(d.shape, params.competent_floor)
    if designated is not None:
        floor = np.where(designated, params.designated_floor, floor)
    return np.where(competent, np.maximum(floor, slow), plain)


def public_match(
    table: PartnerTable, ctx: PersonContext, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dedicated, targeted): the partner is reserved to / targets one of the person's publics."""
    dedicated = (table.exclusive_mask[rows] & ctx.publics_bits) != 0
    targeted = dedicated | ((table.publics_mask[rows] & ctx.publics_bits) != 0)
    return dedicated, targeted


def score(
    table: PartnerTable, ctx: PersonContext, checks: Checks, params: RankingParams
) -> np.ndarray:
    """Scores in [0, 1] of every row of ``checks`` (meant for the eligible ones)."""
    rows = checks.rows
    mission = table.weight[rows, checks.frein].astype(np.float64)
    dedicated, targeted = public_match(table, ctx, rows)
    designated = (
        dedicated
        & (table.zone_kind[rows] == DEPARTEMENT)
        & (table.mission[rows, checks.frein] == MISSION_CORE)
    )
    half = params.half_km(ctx.vehicule)
    near = proximity(checks.distance, checks.competent, half, params, designated)
    public = np.where(
        dedicated, 1.0, np.where(targeted, params.public_targeted, params.public_other)
    )
    stale = table.years_old[rows] > params.stale_after_years  # NaN (unknown) compares False
    fresh = np.where(stale, params.stale_factor, 1.0)
    precise = np.where(table.approx[rows], params.approx_factor, 1.0)
    return np.round(np.clip(mission * public * near * fresh * precise, 0.0, 1.0), 4)


def after_caps(
    table: PartnerTable, ctx: PersonContext, checks: Checks, scores: np.ndarray
) -> dict[int, float]:
    """Per ``apres`` rule holding for the person and frein, the cap of its partners:
    ``AFTER_MARGIN`` × the best score among the eligible ``checks`` of the types it
    follows (a rule with none of them there has no cap). Rules apply one after the
    other on the scores the previous ones capped, ``"*"`` rules last: an ACI stays
    after a France Travail that is itself after the mission locale."""
    code = table.freins[checks.frein]
    types = table.type_idx[checks.rows]
    current = scores.astype(np.float64)
    caps: dict[int, float] = {}
    order = sorted(range(len(table.rules)), key=lambda k: ANY_OTHER in table.rules[k].apres_types)
    for k in order:
        rule = table.rules[k]
        if rule.effect != AFTER or not ctx.rules_active[k] or code not in rule.freins:
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
    elif kind == MISSION_INFERRED:
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
