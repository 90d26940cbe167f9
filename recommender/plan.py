"""Multi-frein plan: the fewest proposed partners that cover the requested freins.

A greedy weighted set cover over the results already proposed for each frein:
at each step, take the partner that covers the most still-uncovered freins
(ties: the highest summed score, then the first proposed). A partner only
counts as covering a frein when its score there is at least
``min_relative_score`` × the best score proposed for that frein, so that one
distant "does everything" structure does not replace two much better ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .types import Plan


def greedy_cover(
    results: Mapping[str, Sequence[tuple[str, float]]],
    *,
    min_relative_score: float = 0.5,
) -> Plan:
    """Plan from ``{frein: [(partner_id, score), ...]}`` (best first, request order).

    >>> plan = greedy_cover({
    ...     "numerique": [("asso-num", 0.9), ("fs", 0.8)],
    ...     "acces-aux-droits": [("caf", 0.85), ("fs", 0.8)],
    ...     "justice": [],
    ... })
    >>> plan["partners"], plan["covers"], plan["uncovered"]
    (['fs'], {'fs': ['numerique', 'acces-aux-droits']}, ['justice'])
    """
    order = list(results)
    coverable, first_seen = _coverable(results, min_relative_score)
    uncovered = [f for f in order if results[f]]
    partners: list[str] = []
    covers: dict[str, list[str]] = {}
    while uncovered:
        best_pid = _best_partner(coverable, first_seen, uncovered, covers)
        if best_pid is None:  # pragma: no cover - every listed frein has a coverable best
            break
        new = [f for f in uncovered if f in coverable[best_pid]]
        partners.append(best_pid)
        covers[best_pid] = new
        uncovered = [f for f in uncovered if f not in new]
    left = {f for f in order if not results[f]} | set(uncovered)
    return {"partners": partners, "covers": covers, "uncovered": [f for f in order if f in left]}


def _coverable(
    results: Mapping[str, Sequence[tuple[str, float]]], min_relative_score: float
) -> tuple[dict[str, dict[str, float]], dict[str, tuple[int, int]]]:
    """``{partner: {frein: score}}`` where the partner is good enough to cover the
    frein, and where each partner was first proposed (rank, frein position)."""
    coverable: dict[str, dict[str, float]] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    for fi, frein in enumerate(results):
        ranked = list(results[frein])
        if not ranked:
            continue
        best = max(s for _, s in ranked)
        for rank, (pid, s) in enumerate(ranked):
            first_seen.setdefault(pid, (rank, fi))
            if s >= best * min_relative_score:
                coverable.setdefault(pid, {})[frein] = s
    return coverable, first_seen


def _best_partner(
    coverable: dict[str, dict[str, float]],
    first_seen: dict[str, tuple[int, int]],
    uncovered: list[str],
    covers: dict[str, list[str]],
) -> str | None:
    """The partner not yet in the plan covering the most uncovered freins (ties: the
    highest summed score, then the first proposed)."""
    best_pid, best_key = None, None
    for pid, freins in coverable.items():
        new = [f for f in uncovered if f in freins]
        if not new or pid in covers:
            continue
        rank, fi = first_seen[pid]
        key = (len(new), sum(freins[f] for f in new), -rank, -fi)
        if best_key is None or key > best_key:
            best_pid, best_key = pid, key
    return best_pid
