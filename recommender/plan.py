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
    earliest proposed), in the order first proposed.

    Partners are grouped by the freins they may cover (a bit mask): in a smallest set no
    two partners cover the same freins (one would be useless and a smaller set would
    cover), so the search runs over sets of distinct masks whose union is every frein,
    then over the partners of those masks — not over every set of partners (a 6-frein
    request has up to 30 partners: 170 000 sets of 4 or 5, 60 ms a request) — and
    within a mask only over the partners no earlier one of that mask outscores.
    """
    candidates = sorted(coverable, key=lambda pid: first_seen[pid])
    bit = {frein: 1 << k for k, frein in enumerate(wanted)}
    full = (1 << len(wanted)) - 1
    by_mask: dict[int, list[int]] = {}
    for i, pid in enumerate(candidates):
        group = by_mask.setdefault(sum(bit[f] for f in coverable[pid]), [])
        scores = coverable[pid]
        # an earlier partner of the same freins scoring at least as well on each of them
        # beats this one in any set (same or higher total, earlier proposed): leave it out
        if not any(all(coverable[candidates[k]][f] >= s for f, s in scores.items()) for k in group):
            group.append(i)
    need = set(wanted)
    for size in range(1, len(wanted) + 1):
        if comb(len(candidates), size) > MAX_COMBINATIONS:
            break
        best: tuple[tuple[float, int], tuple[int, ...]] | None = None
        for masks in itertools.combinations(by_mask, size):
            union = 0
            for mask in masks:
                union |= mask
            if union != full:
                continue
            for picked in itertools.product(*(by_mask[m] for m in masks)):
                idx = tuple(sorted(picked))
                combo = [candidates[i] for i in idx]
                total = sum(max(coverable[p].get(f, 0.0) for p in combo) for f in need)
                key = (total, -sum(first_seen[p][0] * 100 + first_seen[p][1] for p in combo))
                # the highest key; among equal keys, the set first in proposal order
                if best is None or key > best[0] or (key == best[0] and idx < best[1]):
                    best = (key, idx)
        if best is not None:
            return [candidates[i] for i in best[1]]
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
