"""Multi-frein plan: the fewest proposed partners that cover the requested freins.

A partner *may cover* a frein when it is proposed for it and

- its score there is at least ``min_relative_score`` × the best score proposed
  for that frein (one distant "does everything" structure does not replace two
  much better ones), and
- its mission for the frein is the main one, unless no partner proposed for the
  frein has it as main mission (a France Services does not cover logement
  "in passing" next to an ADIL).

Among the sets of partners covering every coverable frein, the plan is one of the
smallest (an exact search: a request has at most 13 freins and a few results
each), then the one with the highest summed score, then the earliest proposed.
Each frein is assigned to the plan partner scoring best on it; the partners are
listed by the number of freins they cover, then in the order first proposed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from math import comb

from .types import Plan

#: (partner_id, score, main mission for this frein)
Proposal = tuple[str, float, bool]
#: Beyond this many candidate sets of one size, the search keeps the greedy plan.
MAX_COMBINATIONS = 200_000


def minimal_cover(
    results: Mapping[str, Sequence[Proposal]], *, min_relative_score: float = 0.5
) -> Plan:
    """Plan from ``{frein: [(partner_id, score, core), ...]}`` (best first, request order).

    >>> plan = minimal_cover({
    ...     "numerique": [("asso-num", 0.9, True), ("fs", 0.8, True)],
    ...     "acces-aux-droits": [("caf", 0.85, True), ("fs", 0.8, True)],
    ...     "justice": [],
    ... })
    >>> plan["partners"], plan["covers"], plan["uncovered"]
    (['fs'], {'fs': ['numerique', 'acces-aux-droits']}, ['justice'])
    """
    order = list(results)
    coverable, first_seen = _coverable(results, min_relative_score)
    wanted = [f for f in order if results[f]]
    chosen = _smallest_set(coverable, first_seen, wanted)
    covers: dict[str, list[str]] = {pid: [] for pid in chosen}
    for frein in wanted:
        best = max(
            (pid for pid in chosen if frein in coverable[pid]),
            key=lambda pid: (coverable[pid][frein], -chosen.index(pid)),
        )
        covers[best].append(frein)
    partners = sorted(
        (pid for pid in chosen if covers[pid]),
        key=lambda pid: (-len(covers[pid]), first_seen[pid]),
    )
    left = [f for f in order if not results[f]]
    return {
        "partners": partners,
        "covers": {pid: covers[pid] for pid in partners},
        "uncovered": left,
    }


def _coverable(
    results: Mapping[str, Sequence[Proposal]], min_relative_score: float
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[int, int]]]:
    """``{partner: {frein: score}}`` where the partner may cover the frein, and where
    each partner was first proposed (rank, frein position)."""
    coverable: dict[str, dict[str, float]] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for fi, frein in enumerate(results):
        ranked = list(results[frein])
        if not ranked:
            continue
        any_core = any(core for _, _, core in ranked)
        best = max(s for _, s, core in ranked if core or not any_core)
        for rank, (pid, s, core) in enumerate(ranked):
            first_seen.setdefault(pid, (rank, fi))
            if s >= best * min_relative_score and (core or not any_core):
                coverable.setdefault(pid, {})[frein] = s
    return coverable, first_seen


def _smallest_set(
    coverable: dict[str, dict[str, float]],
    first_seen: dict[str, tuple[int, int]],
    wanted: list[str],
) -> list[str]:
    """The smallest set of partners covering ``wanted`` (ties: summed score, then
    earliest proposed), in the order first proposed."""
    candidates = sorted(coverable, key=lambda pid: first_seen[pid])
    need = set(wanted)
    for size in range(1, len(wanted) + 1):
        if comb(len(candidates), size) > MAX_COMBINATIONS:
            break
        best: tuple[float, int] | None = None
        best_set: tuple[str, ...] = ()
        for combo in itertools.combinations(candidates, size):
            if not need <= {f for pid in combo for f in coverable[pid]}:
                continue
            total = sum(max(coverable[p].get(f, 0.0) for p in combo) for f in need)
            key = (total, -sum(first_seen[p][0] * 100 + first_seen[p][1] for p in combo))
            if best is None or key > best:
                best, best_set = key, combo
        if best is not None:
            return list(best_set)
    return _greedy(coverable, first_seen, wanted)


def _greedy(
    coverable: dict[str, dict[str, float]],
    first_seen: dict[str, tuple[int, int]],
    wanted: list[str],
) -> list[str]:
    """Greedy set cover, for the (rare) requests too large for the exact search."""
    uncovered, chosen = list(wanted), []
    while uncovered:
        pid = max(
            (p for p in coverable if p not in chosen),
            key=lambda p: (
                sum(f in coverable[p] for f in uncovered),
                sum(coverable[p].get(f, 0.0) for f in uncovered),
                tuple(-x for x in first_seen[p]),
            ),
        )
        chosen.append(pid)
        uncovered = [f for f in uncovered if f not in coverable[pid]]
    return chosen
