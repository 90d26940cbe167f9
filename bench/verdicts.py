"""Verdict distribution of the recommender on random real profiles (issue 14, item 1).

The verdict judges the fit only; how old a record is goes in ``fiabilite``. This counts,
on ``--n`` random profiles over the real partners (``bench.evaluation.harness.load_records``),
how many proposed results are ``compatible`` and how many first results are (and the
``fiabilite`` level of the results, for contrast). Profiles:
a commune drawn from the referential **weighted by population** (where people live; the
overseas communes included), 1 to 3 distinct freins, an age 16–80, a vehicle yes / no /
unknown, no stated public. Run::

    python -m bench.verdicts [--n 1000] [--seed 14]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date

from recommender.engine import Recommender
from recommender.profile import Profile, location_from_commune
from recommender.records import PartnerRecord
from recommender.reliability import fiabilite


def random_profiles(recommender: Recommender, n: int, seed: int) -> list[Profile]:
    """``n`` profiles at communes drawn by population (see the module docstring)."""
    rng = random.Random(seed)
    communes = [
        c
        for c in recommender.gazetteer_.communes.values()
        if c.kind == "commune" and c.lat is not None and c.population > 0
    ]
    communes.sort(key=lambda c: c.code_insee)
    weights = [c.population for c in communes]
    freins = list(recommender.taxonomy_.freins)
    places = rng.choices(communes, weights=weights, k=n)
    return [
        Profile(
            location_from_commune(place),
            tuple(rng.sample(freins, rng.randint(1, 3))),
            age=rng.randint(16, 80),
            vehicule=rng.choice((True, False, None)),
        )
        for place in places
    ]


def distribution(
    recommender: Recommender, profiles: Sequence[Profile], records: Sequence[PartnerRecord]
) -> dict[str, Counter]:
    """Verdicts of every result and of every frein's first result, and the ``fiabilite``
    of every result (as the app computes it, from the record)."""
    every: Counter = Counter()
    first: Counter = Counter()
    reliability: Counter = Counter()
    by_id = {r.id: r for r in records}
    today = date.today()
    for profile in profiles:
        for item in recommender.recommend(profile, limit=5)["freins"]:
            for rank, result in enumerate(item["results"]):
                every[result["verdict"]] += 1
                record = by_id[result["partner_id"]]
                found = fiabilite(
                    record.updated_at, approximate=not record.coords_exact, today=today
                )
                reliability[found["niveau"]] += 1
                if rank == 0:
                    first[result["verdict"]] += 1
            if not item["results"]:
                first["aucun résultat"] += 1
    return {
        "tous les résultats": every,
        "premier résultat par frein": first,
        "fiabilité des résultats": reliability,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Répartition des verdicts sur des profils.")
    parser.add_argument("--n", type=int, default=1000, help="nombre de profils")
    parser.add_argument("--seed", type=int, default=14, help="graine du tirage")
    args = parser.parse_args(argv)

    from bench.evaluation.harness import load_records

    started = time.perf_counter()
    records = load_records()
    recommender = Recommender().fit(records)
    profiles = random_profiles(recommender, args.n, args.seed)
    found = distribution(recommender, profiles, records)
    print(
        f"{args.n} profils (communes tirées selon leur population, graine {args.seed}), "
        f"{time.perf_counter() - started:.0f} s"
    )
    for title, counts in found.items():
        total = sum(counts.values()) or 1
        shares = ", ".join(f"{k} {v} ({v / total:.1%})" for k, v in counts.most_common())
        print(f"{title} : {shares}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
