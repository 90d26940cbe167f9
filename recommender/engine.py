"""The orientation recommender: for a person and their freins, the partners to propose.

``fit(records)`` builds, once, a columnar table of the partners and the
candidate indexes (a k-d tree per frein plus zone tables); ``recommend`` and
``fit_check`` then work on numpy arrays only, whatever the number of
partners. Both go through the same eligibility rules (``eligibility.check``)
and the same scoring (``ranking.score`` / ``ranking.explain``), so a
recommended pair is never judged incompatible by ``fit_check``.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from .eligibility import Checks, PersonContext, blockers, check, commune_or_none, make_context
from .errors import NotFound
from .geo import haversine_km
from .geoindex import (
    MISSION_CORE,
    MISSION_INFERRED,
    MISSION_INFERRED_SIDE,
    MISSION_SIDE,
    RAYON,
    GeoIndex,
    PartnerTable,
    RowsNear,
)
from .hours import departement_column, open_on
from .plan import Proposal, minimal_cover
from .profile import Profile
from .ranking import (
    RankingParams,
    after_caps,
    after_reasons,
    explain,
    rank_after,
    score,
    upper_bound,
)
from .records import ZONE_KINDS, PartnerRecord
from .referentials import with_shared, without_shared
from .rules import AFTER, EXCLUDE, rule_follows, rule_rows, rules_by_frein
from .services import SERVICE_BONUS, with_service_bonus
from .strings import StringColumn
from .types import (
    CommuneLike,
    FitCheck,
    FreinRecommendations,
    GazetteerLike,
    LeftOut,
    Recommendation,
    Recommendations,
)
from .validation import check_date, check_int, check_is_fitted, check_number

if TYPE_CHECKING:
    from .taxonomy import PartnerType, Taxonomy

NO_PUBLIC = "tous-publics"
#: Results per frein when the caller gives no limit.
DEFAULT_LIMIT = 5
#: At most this many "écarté" partners per frein.
MAX_LEFT_OUT = 3


class Recommender:
    """Orientation engine: eligible partners per frein, ranked and explained in French.

    Parameters
    ----------
    taxonomy, gazetteer : optional
        ``None`` means ``default_taxonomy()`` / ``default_gazetteer()`` at fit time.
    candidate_k : int
        Nearest partners fetched per frein before the eligibility rules (the
        search widens by itself when that is not enough to be sure of the top).
    max_km_default : float, optional
        Hard distance cap when the profile gives no ``max_km``.
    stale_after_years : float
        Records older than this are ranked lower and flagged.
    inferred_weight : float
        Multiplier of a frein guessed from the description.
    side_weight : float
        Coverage of a secondary mission (the main mission counts 1.0); 0.4 was the best
        of 0.2–0.7 on the tuning half of the evaluation (0.6 before).
    default_radius_km : float
        Radius of a ``rayon`` zone when neither the record nor its type gives one.
    plan_min_relative_score : float
        See :func:`recommender.plan.minimal_cover`.
    left_out_km : float
        How far an expected partner removed by a rule is still reported (``ecartes``).
    reference_date : datetime.date, optional
        "Today" for freshness (``None``: the date of ``fit``).

    Attributes
    ----------
    taxonomy_, gazetteer_ : Taxonomy, Gazetteer
        The referentials used (the defaults when the parameters are ``None``).
    table_ : PartnerTable
        The partners' columns; ``index_`` the candidate indexes over them.

    Raises
    ------
    ValueError
        From ``fit``, when a parameter is out of its range.
    recommender.validation.NotFittedError
        From ``recommend`` or ``fit_check`` before ``fit``.

    Examples
    --------
    >>> from recommender.params import parse_profile
    >>> from recommender.records import PartnerRecord
    >>> spip = dict(type_code="spip", freins=("justice",), zone_kind="departement")
    >>> rec = Recommender().fit([
    ...     PartnerRecord(id="spip-60", nom="SPIP de l'Oise", lat=49.43, lon=2.08,
    ...                   departement="60", **spip),
    ...     PartnerRecord(id="spip-80", nom="SPIP de la Somme", lat=49.89, lon=2.30,
    ...                   departement="80", **spip),
    ... ])
    >>> profile = parse_profile({"commune": "Grandvilliers", "freins": "justice",
    ...                          "publics": "personnes-en-situation-juridique-specifique"},
    ...                         rec.gazetteer_, rec.taxonomy_)
    >>> best = rec.recommend(profile)["freins"][0]["results"][0]
    >>> best["partner_id"], best["reasons"][:2]
    ('spip-60', ["SPIP compétent pour l'Oise", 'à 28,3 km'])
    >>> rec.fit_check(profile, "spip-80")["blockers"]
    ["compétent seulement pour la Somme : la personne réside dans l'Oise"]
    >>> Recommender(candidate_k=-5).fit([])
    Traceback (most recent call last):
    ...
    ValueError: candidate_k must be an integer >= 1, got -5.
    """

    def __init__(
        self,
        *,
        taxonomy: Taxonomy | None = None,
        gazetteer: GazetteerLike | None = None,
        candidate_k: int = 200,
        max_km_default: float | None = None,
        stale_after_years: float = 3.0,
        inferred_weight: float = 0.5,
        side_weight: float = 0.4,
        default_radius_km: float = 30.0,
        plan_min_relative_score: float = 0.5,
        left_out_km: float = 40.0,
        reference_date: date | None = None,
    ):
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.candidate_k = candidate_k
        self.max_km_default = max_km_default
        self.stale_after_years = stale_after_years
        self.inferred_weight = inferred_weight
        self.side_weight = side_weight
        self.default_radius_km = default_radius_km
        self.plan_min_relative_score = plan_min_relative_score
        self.left_out_km = left_out_km
        self.reference_date = reference_date

    def __getstate__(self) -> dict[str, Any]:
        return without_shared(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(with_shared(state))

    # ------------------------------------------------------------------ fit

    def _check_params(self) -> None:
        check_int("candidate_k", self.candidate_k, minimum=1)
        check_number("max_km_default", self.max_km_default, positive=True, optional=True)
        check_number("stale_after_years", self.stale_after_years, positive=True)
        check_number("inferred_weight", self.inferred_weight, fraction=True)
        check_number("side_weight", self.side_weight, fraction=True)
        check_number("default_radius_km", self.default_radius_km, positive=True)
        check_number("plan_min_relative_score", self.plan_min_relative_score, fraction=True)
        check_number("left_out_km", self.left_out_km, positive=True)
        check_date("reference_date", self.reference_date)

    def fit(self, records: Iterable[PartnerRecord]) -> Recommender:
        """Build the partner table and the candidate indexes.

        Raises
        ------
        ValueError
            When a parameter is out of its range (checked here, as scikit-learn does).
        """
        self._check_params()
        if self.taxonomy is None:
            from .taxonomy import default_taxonomy

            self.taxonomy_ = default_taxonomy()
        else:
            self.taxonomy_ = self.taxonomy
        if self.gazetteer is None:
            from .geo import default_gazetteer

            self.gazetteer_ = default_gazetteer()
        else:
            self.gazetteer_ = self.gazetteer
        self.params_ = RankingParams(stale_after_years=self.stale_after_years)
        records_list = list(records)
        self.table_ = build_table(
            records_list,
            self.taxonomy_,
            self.gazetteer_,
            TableParams(
                side_weight=self.side_weight,
                inferred_weight=self.inferred_weight,
                default_radius_km=self.default_radius_km,
                reference_date=self.reference_date or date.today(),
            ),
        )
        table = self.table_
        self._fit_hours(records_list)
        self.addressable_ = (
            (table.weights() > 0)
            & table.active[:, None]
            & table.recommendable[:, None]
            & (table.has_point | (table.zone_kind != RAYON))[:, None]
        )
        # per frein, the zone-wide partners with a point: the neighbouring département's
        # service is not a candidate (its zone does not cover the person) but may be "écarté"
        self.zone_points_ = [
            RowsNear(
                np.flatnonzero(
                    self.addressable_[:, f] & (table.zone_kind != RAYON) & table.has_point
                ),
                table.lat,
                table.lon,
            )
            for f in range(len(table.freins))
        ]
        self.index_ = GeoIndex(candidate_k=self.candidate_k).fit(
            table.lat, table.lon, self.addressable_, table.zone_kind, table.zone_codes
        )
        # per frein, over the tree rows: best mission weight, publics, widest radius
        self.tree_bounds_ = []
        for f in range(len(table.freins)):
            rows = self.index_.tree_rows(f)
            if rows.size == 0:
                self.tree_bounds_.append((0.0, 0, 0, 0.0))
                continue
            self.tree_bounds_.append(
                (
                    float(table.weights(rows, f).max()),
                    int(np.bitwise_or.reduce(table.exclusive_mask[rows])),
                    int(
                        np.bitwise_or.reduce(table.publics_mask[rows] | table.exclusive_mask[rows])
                    ),
                    float(table.radius[rows].max()),
                )
            )
        self.frein_labels_ = {code: f.label for code, f in self.taxonomy_.freins.items()}
        self.public_labels_ = {
            code: (label if isinstance(label, str) else getattr(label, "label", code))
            for code, label in self.taxonomy_.publics.items()
        }
        return self

    def _fit_hours(self, records: list[PartnerRecord]) -> None:
        """Per table row, the weekdays it opens and its département (public holidays)."""
        by_id = {r.id: r for r in records}
        rows = [by_id.get(pid) for pid in self.table_.ids]
        self.open_days_ = np.array([r.open_days if r else 0 for r in rows], dtype=np.uint8)
        self.departements_ = departement_column([r.departement if r else None for r in rows])
        # Services the sources describe: per row, the reason for each frein they name.
        self.service_reasons_ = {
            i: dict(r.service_reasons) for i, r in enumerate(rows) if r and r.service_reasons
        }
        self.service_match_ = np.zeros((len(rows), len(self.table_.freins)), dtype=bool)
        for i, reasons in self.service_reasons_.items():
            for code in reasons:
                with contextlib.suppress(KeyError, ValueError):
                    self.service_match_[i, self.table_.frein_index(code)] = True

    # ------------------------------------------------------------------ recommend

    def recommend(
        self, profile: Profile, limit: int = DEFAULT_LIMIT, *, open_day: date | None = None
    ) -> Recommendations:
        """The best eligible partners for each frein of ``profile``, and a plan covering them;
        with ``open_day``, only partners whose structured hours open that day."""
        check_is_fitted(self, "table_")
        ctx = self._context(profile)
        opened = (
            None if open_day is None else open_on(self.open_days_, open_day, self.departements_)
        )
        freins_out: list[FreinRecommendations] = []
        proposals: dict[str, list[Proposal]] = {}
        for code in profile.freins:
            f = self.table_.frein_index(code)
            checks, scores, candidates = self._rank(ctx, f, limit, opened)
            results = [self._result(ctx, checks, scores, j, code) for j in range(checks.rows.size)]
            freins_out.append(
                {
                    "frein": code,
                    "label": self.frein_labels_.get(code, code),
                    "results": results,
                    "ecartes": self._left_out(ctx, candidates, checks),
                }
            )
            missions = self.table_.mission[checks.rows, f]
            proposals[code] = [
                (r["partner_id"], r["score"], bool(m == MISSION_CORE))
                for r, m in zip(results, missions, strict=True)
            ]
        plan = minimal_cover(proposals, min_relative_score=self.plan_min_relative_score)
        return {"location": profile.location.to_dict(), "freins": freins_out, "plan": plan}

    def _context(self, profile: Profile) -> PersonContext:
        return make_context(
            profile, self.table_, self.index_, self.gazetteer_, max_km_default=self.max_km_default
        )

    def _rank(
        self, ctx: PersonContext, f: int, limit: int, opened: np.ndarray | None = None
    ) -> tuple[Checks, np.ndarray, Checks]:
        """Top ``limit`` eligible rows for frein column ``f``, best first, and the checks
        of every candidate looked at (for :meth:`_left_out`).

        Zone-wide partners covering the person come from the zone tables (all of
        them); ``rayon`` partners from the frein's k-d tree, nearest first. The
        nearest set is widened until no farther ``rayon`` partner could be
        eligible (beyond every radius or ``max_km``) or outscore the current
        ``limit``-th result (the score is bounded by its distance factor). The
        caps of the ``apres`` rules come from the first (``candidate_k`` nearest)
        candidates, so that they do not depend on ``limit``.
        """
        index, table = self.index_, self.table_
        zone_rows = ctx.covering[self.addressable_[ctx.covering, f]]
        size = index.size(f)
        max_mission, excl_bits, pub_bits, max_radius = self.tree_bounds_[f]
        if excl_bits & ctx.publics_bits:
            max_public = 1.0
        elif pub_bits & ctx.publics_bits:
            max_public = self.params_.public_targeted
        else:
            max_public = self.params_.public_other
        best_possible = max_mission * max_public * (1 + SERVICE_BONUS)
        k = self.candidate_k
        near, reach = index.nearest(f, ctx.lat, ctx.lon, k=k)
        checks = check(table, ctx, np.concatenate([near, zone_rows]), f)  # disjoint sets
        eligible, scores = self._eligible(ctx, checks, opened)
        # the caps come from the first, nearest candidates: the same for any limit
        caps = after_caps(table, ctx, eligible, scores)
        scores = rank_after(table, eligible, scores, caps)
        seen, complete = near.size, False
        while not complete and seen < size and reach <= max_radius:
            if ctx.max_km is not None and reach > ctx.max_km:
                break
            if scores.size >= limit:
                kth = float(np.partition(scores, scores.size - limit)[scores.size - limit])
                if kth >= best_possible * upper_bound(reach, ctx, self.params_):
                    break
                # every rayon partner that could still outscore the limit-th result is
                # nearer than where the bound falls to it: fetch exactly those, and stop
                km = (
                    self.params_.half_km(ctx.vehicule) * math.log2(best_possible / kth)
                    if kth > 0
                    else np.inf
                )
                km = min(km, max_radius, np.inf if ctx.max_km is None else ctx.max_km)
                wider, complete = index.within(f, ctx.lat, ctx.lon, km), True
            else:
                k *= 4
                wider, reach = index.nearest(f, ctx.lat, ctx.lon, k=k)
                seen = wider.size
            more = check(table, ctx, np.setdiff1d(wider, checks.rows, assume_unique=True), f)
            checks = checks.join(more)
            more_eligible, more_scores = self._eligible(ctx, more, opened)
            eligible = eligible.join(more_eligible)
            scores = np.concatenate([scores, rank_after(table, more_eligible, more_scores, caps)])
        distance = np.where(np.isnan(eligible.distance), np.inf, eligible.distance)
        order = np.lexsort((table.input_order[eligible.rows], distance, -scores))[:limit]
        return eligible.subset(order), scores[order], checks

    def _eligible(
        self, ctx: PersonContext, checks: Checks, opened: np.ndarray | None
    ) -> tuple[Checks, np.ndarray]:
        """The eligible (and, with ``opened``, open) rows of ``checks`` and their scores
        (service bonus included, ``apres`` caps not yet)."""
        kept = checks.eligible if opened is None else checks.eligible & opened[checks.rows]
        eligible = checks.subset(kept)
        raw = score(self.table_, ctx, eligible, self.params_)
        return eligible, with_service_bonus(raw, self.service_match_[eligible.rows, eligible.frein])

    def _left_out(self, ctx: PersonContext, candidates: Checks, proposed: Checks) -> list[LeftOut]:
        """Partners the person would expect but cannot be proposed, and why.

        Per type whose main mission is the frein, the nearest partner within
        ``left_out_km`` (or competent for the person's place, however far) that a rule
        of situation, the zone or the distance cap removed, when no partner of its
        type at least as near is proposed: the only auto-école sociale of the area,
        the SPIP of the neighbouring département, the person's SPIP when the person
        is not under a justice measure.
        At most ``MAX_LEFT_OUT``, nearest first.
        """
        table, f = self.table_, candidates.frein
        zone = self.zone_points_[f].within(ctx.lat, ctx.lon, self.left_out_km)
        near_zone = zone[
            haversine_km(ctx.lat, ctx.lon, table.lat[zone], table.lon[zone]) <= self.left_out_km
        ]
        # the zone-wide candidates are the rows covering the person: the others are new
        extra = near_zone[~ctx.covered[near_zone]]
        if extra.size:
            candidates = candidates.join(check(table, ctx, extra, f))
        distance = np.where(np.isnan(candidates.distance), np.inf, candidates.distance)
        removed = (
            ~candidates.eligible
            & candidates.active
            & candidates.recommendable
            & candidates.addresses
            & (table.mission[candidates.rows, f] == MISSION_CORE)
            & ((distance <= self.left_out_km) | candidates.competent)
            # removed by a rule of situation, or by place or distance: not a partner
            # reserved to an age or a public the person is plainly outside of (an ESAT)
            & (
                (candidates.rule_block >= 0)
                | (
                    (~candidates.zone_ok | candidates.too_far)
                    & candidates.age_ok
                    & candidates.public_ok
                )
            )
        )
        nearest_proposed: dict[int, float] = {}
        for row, d in zip(proposed.rows, proposed.distance, strict=True):
            t = int(table.type_idx[row])
            d = np.inf if math.isnan(d) else float(d)
            nearest_proposed[t] = min(d, nearest_proposed.get(t, np.inf))
        out: list[LeftOut] = []
        seen: set[int] = set()
        at = np.flatnonzero(removed)
        first = np.lexsort((table.input_order[candidates.rows[at]], distance[at]))
        for j in at[first]:  # nearest first, ties in the records' order
            row = int(candidates.rows[j])
            t = int(table.type_idx[row])
            if t in seen or nearest_proposed.get(t, np.inf) <= distance[j]:
                continue
            seen.add(t)
            why = blockers(
                table,
                ctx,
                candidates,
                int(j),
                gazetteer=self.gazetteer_,
                type_label=self._type_label(table.type_code(row)),
                public_labels=self.public_labels_,
            )
            if not why:
                continue
            out.append(
                {
                    "partner_id": table.ids[row],
                    "distance_km": round(float(distance[j]), 1),
                    "raison": f"écarté : {why[0]}",
                }
            )
            if len(out) == MAX_LEFT_OUT:
                break
        return out

    def _result(
        self, ctx: PersonContext, checks: Checks, scores: np.ndarray, j: int, frein: str
    ) -> Recommendation:
        row = int(checks.rows[j])
        reasons, warnings, verdict = explain(
            self.table_,
            ctx,
            checks,
            j,
            params=self.params_,
            frein_label=self.frein_labels_.get(frein, frein),
            type_label=self._type_label(self.table_.type_code(row)),
            public_labels=self.public_labels_,
            gazetteer=self.gazetteer_,
        )
        if service := self.service_reasons_.get(row, {}).get(frein):
            reasons.append(service)
        distance = float(checks.distance[j])
        return {
            "partner_id": self.table_.ids[row],
            "score": round(float(scores[j]), 3),
            "distance_km": None if math.isnan(distance) else round(distance, 1),
            "verdict": verdict,
            "reasons": reasons,
            "warnings": warnings,
        }

    def _type_label(self, type_code: str) -> str:
        ptype = self.taxonomy_.partner_types.get(type_code)
        return ptype.label if ptype is not None else type_code

    # ------------------------------------------------------------------ fit check

    def fit_check(
        self, profile: Profile, partner_id: str, *, frein: str | None = None, details: bool = False
    ) -> FitCheck:
        """Verdict on one orientation: ``compatible``, ``a_verifier`` or ``incompatible``.

        Same rules and same score as :meth:`recommend`; the score and reasons
        are those of the requested frein where the partner scores best (or of
        ``frein`` when given: the same as that frein's entry in ``recommend``).
        With no frein in the profile, the partner's own freins are judged.
        Unknown ``partner_id`` → :class:`~recommender.errors.NotFound`.

        Returns ``{"verdict", "score", "reasons", "blockers", "distance_km",
        "partner_id"}``; with ``details``, also the ``warnings`` behind an
        ``a_verifier`` verdict, the ``frein`` judged, and the requested freins the
        partner addresses (``freins_traites``) or not (``freins_non_traites``).
        """
        check_is_fitted(self, "table_")
        table = self.table_
        row = table.row_of(partner_id)
        if row is None:
            raise NotFound(
                f"Partenaire introuvable : « {partner_id} ».", details={"partner_id": partner_id}
            )
        ctx = self._context(profile)
        if frein is not None:
            self.taxonomy_.frein(frein)  # an unknown code raises UnknownFrein (400)
        freins = self._judged_freins(profile, row, frein)
        rows = np.array([row], dtype=np.int64)
        per_frein = [(code, check(table, ctx, rows, table.frein_index(code))) for code in freins]
        # (no frein asked and none addressed: the frein-agnostic rules still apply; a rule by
        # situation blocks only when it blocks every frein the partner addresses)
        open_freins = [c for _, c in per_frein if c.addresses[0] and c.rule_block[0] < 0]
        first = (
            open_freins[0]
            if open_freins
            else per_frein[0][1]
            if per_frein
            else check(table, ctx, rows, 0)
        )
        found = blockers(
            table,
            ctx,
            first,
            0,
            gazetteer=self.gazetteer_,
            type_label=self._type_label(table.type_code(row)),
            public_labels=self.public_labels_,
        )
        addressed = [(code, c) for code, c in per_frein if c.addresses[0]]
        if not addressed:
            labels = ", ".join(self.frein_labels_.get(c, c).lower() for c in freins) or "aucun"
            found.append(f"ne traite pas le frein demandé ({labels})")
        distance = float(first.distance[0])
        answer: FitCheck = {
            "partner_id": partner_id,
            "distance_km": None if math.isnan(distance) else round(distance, 1),
            "verdict": "incompatible",
            "score": 0.0,
            "reasons": [],
            "blockers": found,
        }
        warnings: list[str] = []
        judged = None
        if not found:
            value, judged, checks = self._best_frein(ctx, addressed)
            result = self._result(ctx, checks, np.array([value]), 0, judged)
            answer.update(
                verdict=result["verdict"], score=result["score"], reasons=result["reasons"]
            )
            warnings = result["warnings"]
        if details:
            answer.update(
                freins_traites=[code for code, _ in addressed],
                freins_non_traites=[code for code, c in per_frein if not c.addresses[0]],
                warnings=warnings,
                frein=judged,
            )
        return answer

    def _judged_freins(self, profile: Profile, row: int, frein: str | None) -> list[str]:
        """The frein asked, else the profile's, else those the partner addresses."""
        if frein:
            return [frein]
        table = self.table_
        return list(profile.freins) or [
            c for i, c in enumerate(table.freins) if table.weights(row, i) > 0
        ]

    def _best_frein(
        self, ctx: PersonContext, addressed: list[tuple[str, Checks]]
    ) -> tuple[float, str, Checks]:
        """(score, frein, checks) of the addressed frein where the partner scores best
        (the first one on a tie)."""
        best = None
        for code, checks in addressed:
            if checks.rule_block[0] >= 0:
                continue
            value = self._ranked_score(ctx, checks)
            if best is None or value > best[0]:
                best = (value, code, checks)
        assert best is not None
        return best

    def _ranked_score(self, ctx: PersonContext, one: Checks) -> float:
        """The score of one eligible row as :meth:`recommend` ranks it: capped by the
        ``apres`` rules over the same first candidates as :meth:`_rank`."""
        table, f = self.table_, one.frein
        raw = score(table, ctx, one, self.params_)
        if not after_reasons(table, ctx, f, int(one.rows[0])):
            return float(raw[0])
        zone_rows = ctx.covering[self.addressable_[ctx.covering, f]]
        near, _ = self.index_.nearest(f, ctx.lat, ctx.lon, k=self.candidate_k)
        candidates = check(table, ctx, np.concatenate([near, zone_rows]), f)
        eligible = candidates.subset(candidates.eligible)
        caps = after_caps(table, ctx, eligible, score(table, ctx, eligible, self.params_))
        return float(rank_after(table, one, raw, caps)[0])


# ---------------------------------------------------------------------- table


@dataclass(frozen=True)
class TableParams:
    """The :class:`Recommender` parameters the partner table is built with."""

    side_weight: float
    inferred_weight: float
    default_radius_km: float
    reference_date: date


def build_table(
    records: list[PartnerRecord],
    taxonomy: Taxonomy,
    gazetteer: GazetteerLike,
    params: TableParams,
) -> PartnerTable:
    """Columns of the engine over ``records`` (one pass; zones normalised to code lists).

    The rows follow the places (:func:`spatial_order`), not ``records``: the candidates of
    a request, neighbours, then sit in a few memory pages instead of one page each (a
    request reads a dozen columns of a few hundred rows). ``input_order`` keeps each
    row's position in ``records``: ties are broken by it, so the answers do not depend
    on the row order."""
    commune = functools.cache(functools.partial(commune_or_none, gazetteer))
    order = spatial_order(records, commune)
    ordered = [records[i] for i in order]
    builder = _TableBuilder(ordered, taxonomy, gazetteer, params, commune)
    for i, rec in enumerate(ordered):
        builder.add(i, rec)
    builder.input_order = order
    return builder.table()


def spatial_order(
    records: list[PartnerRecord], commune: Callable[[str], CommuneLike | None] | None
) -> np.ndarray:
    """Positions of ``records`` along a Z-order curve of their point (else the centre of
    their ``commune``; without either, last, in their order).

    >>> from recommender.records import PartnerRecord
    >>> far, near, nowhere, next_door = (
    ...     PartnerRecord(id=i, nom=i, type_code="ccas", lat=lat, lon=lon)
    ...     for i, lat, lon in [("a", 43.3, 5.4), ("b", 49.4, 2.1), ("c", None, None),
    ...                         ("d", 49.4, 2.2)])
    >>> spatial_order([far, near, nowhere, next_door], commune=None).tolist()
    [0, 1, 3, 2]
    """
    lat = np.full(len(records), np.nan)
    lon = np.full(len(records), np.nan)
    for i, rec in enumerate(records):
        if rec.lat is not None and rec.lon is not None:
            lat[i], lon[i] = rec.lat, rec.lon
        elif rec.code_insee and commune is not None:
            home = commune(rec.code_insee)
            if home is not None and home.lat is not None and home.lon is not None:
                lat[i], lon[i] = home.lat, home.lon
    placed = ~(np.isnan(lat) | np.isnan(lon))
    y = ((np.clip(lat[placed], -90.0, 90.0) + 90.0) / 180.0 * 0xFFFF).astype(np.int64)
    x = ((np.clip(lon[placed], -180.0, 180.0) + 180.0) / 360.0 * 0xFFFF).astype(np.int64)
    key = np.full(len(records), np.iinfo(np.int64).max, dtype=np.int64)
    key[placed] = _spread_bits(x) | (_spread_bits(y) << 1)
    return np.argsort(key, kind="stable")


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """The 16 low bits of each value moved to the even bits of 32 (a Z-order coordinate)."""
    v = v & 0xFFFF
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << shift)) & mask
    return v


def _either(value: float | None, default: float | None) -> float:
    """``value``, else ``default``, as a float column value (``None``: NaN)."""
    chosen = value if value is not None else default
    return np.nan if chosen is None else chosen


class _TableBuilder:
    """Fit-time helper of :func:`build_table`: the columns, filled one record at a time."""

    def __init__(
        self,
        records: list[PartnerRecord],
        taxonomy: Taxonomy,
        gazetteer: GazetteerLike,
        params: TableParams,
        commune: Callable[[str], CommuneLike | None],
    ):
        n = len(records)
        self.records = records
        self.commune = commune  # the gazetteer's look-up, cached for the whole build
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.default_radius_km = params.default_radius_km
        self.reference_date = params.reference_date
        self.freins = tuple(taxonomy.freins)
        self.frein_pos = {code: i for i, code in enumerate(self.freins)}
        self.public_codes = tuple(c for c in taxonomy.publics if c != NO_PUBLIC)[:63]
        self.public_pos = {code: i for i, code in enumerate(self.public_codes)}
        self.type_codes = tuple(sorted({rec.type_code for rec in records}))
        self.type_pos = {code: i for i, code in enumerate(self.type_codes)}

        self.lat = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.approx = np.zeros(n, dtype=bool)
        self.active = np.zeros(n, dtype=bool)
        self.recommendable = np.ones(n, dtype=bool)
        self.zone_kind = np.zeros(n, dtype=np.int8)
        self.zone_codes: list[tuple[str, ...]] = []
        self.radius = np.full(n, np.inf)
        self.age_min = np.full(n, np.nan)
        self.age_max = np.full(n, np.nan)
        self.years_old = np.full(n, np.nan)
        self.mission = np.zeros((n, len(self.freins)), dtype=np.int8)
        side, inferred = params.side_weight, params.inferred_weight
        self.mission_weight = np.array(  # by MISSION_* kind
            [0.0, 1.0, side, inferred, side * inferred], dtype=np.float32
        )
        self.publics_mask = np.zeros(n, dtype=np.int64)
        self.exclusive_mask = np.zeros(n, dtype=np.int64)
        self.type_idx = np.zeros(n, dtype=np.int16)

    def _commune(self, code: str | None) -> CommuneLike | None:
        return self.commune(code) if code else None

    def _bits(self, codes: Iterable[str]) -> int:
        out = 0
        for code in codes:
            if code in self.public_pos:
                out |= 1 << self.public_pos[code]
        return out

    def add(self, i: int, rec: PartnerRecord) -> None:
        """Fill row ``i`` from ``rec`` (its type's defaults where it says nothing)."""
        self.type_idx[i] = self.type_pos[rec.type_code]
        ptype = self.taxonomy.partner_types.get(rec.type_code)
        self.active[i] = rec.active
        if ptype is not None:
            self.recommendable[i] = bool(ptype.recommendable)
        home = self._point(i, rec)
        departement, region = rec.departement, rec.region
        if departement is None or region is None:
            home = home or self._commune(rec.code_insee)
            if home is not None:
                departement = departement or home.departement
                region = region or home.region
        self._zone(i, rec, ptype, home, departement, region)
        self.age_min[i] = _either(rec.age_min, getattr(ptype, "age_min", None))
        self.age_max[i] = _either(rec.age_max, getattr(ptype, "age_max", None))
        if rec.updated_at is not None:
            self.years_old[i] = (self.reference_date - rec.updated_at).days / 365.25
        self._freins(i, rec, ptype)
        # publics: targeted (bonus) and exclusive (hard rule)
        targeted = rec.publics or tuple(getattr(ptype, "publics", ()) or ())
        self.publics_mask[i] = self._bits(targeted)
        if ptype is not None and ptype.publics_exclusive:
            self.exclusive_mask[i] = self._bits(ptype.publics or targeted)

    def _point(self, i: int, rec: PartnerRecord) -> CommuneLike | None:
        """The record's point, else the centre of its commune (approximate); the
        commune when it was looked up."""
        if rec.lat is not None and rec.lon is not None:
            self.lat[i], self.lon[i] = rec.lat, rec.lon
            self.approx[i] = not rec.coords_exact
            return None
        home = self._commune(rec.code_insee)
        if home is not None and home.lat is not None:
            self.lat[i], self.lon[i] = home.lat, home.lon
        self.approx[i] = True
        return home

    def _zone(
        self,
        i: int,
        rec: PartnerRecord,
        ptype: PartnerType | None,
        home: CommuneLike | None,
        departement: str | None,
        region: str | None,
    ) -> None:
        """The zone as a kind and a code list; a zone without codes is a ``rayon``."""
        kind, rad = rec.zone_kind, rec.zone_radius_km
        if ptype is not None and kind == "rayon" and rad is None and ptype.zone_kind != "rayon":
            kind = ptype.zone_kind  # a record left at the default takes its type's zone
        codes = tuple(rec.zone_codes)
        if kind == "epci":
            codes = self._epci_members(codes or self._home_epci(rec, home))
        elif not codes:
            default = {"departement": departement, "region": region, "communes": rec.code_insee}
            codes = (default[kind],) if default.get(kind) else ()
        if kind not in ZONE_KINDS or (kind not in ("rayon", "france") and not codes):
            kind, codes = "rayon", ()
        if kind == "rayon":
            if rad is None and ptype is not None and ptype.zone_kind == "rayon":
                rad = ptype.zone_radius_km
            self.radius[i] = float(rad) if rad else self.default_radius_km
        self.zone_kind[i] = ZONE_KINDS.index(kind)
        self.zone_codes.append(codes)

    def _home_epci(self, rec: PartnerRecord, home: CommuneLike | None) -> tuple[str, ...]:
        home = home or self._commune(rec.code_insee)
        epci = getattr(home, "epci", None)
        return (epci,) if epci else ()

    def _epci_members(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        members: set[str] = set()
        for code in codes:
            with contextlib.suppress(KeyError, LookupError):
                members.update(self.gazetteer.epci_members(code))
        return tuple(sorted(members))

    def _freins(self, i: int, rec: PartnerRecord, ptype: PartnerType | None) -> None:
        """Declared freins (main or secondary mission of the type), then inferred ones."""
        core = set(getattr(ptype, "freins_core", ()) or ())
        side = set(getattr(ptype, "freins_side", ()) or ()) - core
        declared = tuple(rec.freins)
        if not declared and not rec.freins_inferred and ptype is not None:
            declared = tuple(ptype.freins_core) + tuple(ptype.freins_side)
        for code in declared:
            f = self.frein_pos.get(code)
            if f is None:
                continue
            self.mission[i, f] = MISSION_SIDE if code in side else MISSION_CORE
        for code in rec.freins_inferred:
            f = self.frein_pos.get(code)
            if f is None or self.mission[i, f]:
                continue
            self.mission[i, f] = MISSION_INFERRED_SIDE if code in side else MISSION_INFERRED

    def table(self) -> PartnerTable:
        """The built table (each of its columns is the builder's attribute of that name)."""
        self.ids = StringColumn((rec.id for rec in self.records), lookup=True)
        self.rules = self.taxonomy.rules
        self.rule_rows = rule_rows(
            self.rules, [rec.type_code for rec in self.records], [rec.nom for rec in self.records]
        )
        self.rule_follows = rule_follows(self.rules, self.type_codes)
        self.exclude_rules = rules_by_frein(self.rules, self.freins, EXCLUDE)
        self.after_rules = rules_by_frein(self.rules, self.freins, AFTER)
        self.has_point = ~(np.isnan(self.lat) | np.isnan(self.lon))
        return PartnerTable(**{f.name: getattr(self, f.name) for f in fields(PartnerTable)})
