"""Speed of the engine on all the shared data: index build, one recommendation, one search.

Profiles are drawn at random: a commune weighted by population, three freins,
an age, a vehicle or not. Timings are taken after a warm-up, in-process. With
``--scale N`` the partners are cloned (jittered by a few km) up to N records
to see how the per-request cost grows. Run::

    python -m bench.evaluation.speed [--requests 500] [--scale 200000]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Sequence

import numpy as np

from bench.stats import percentile


def scaled(records: list, target: int, seed: int = 0) -> list:
    """``records`` cloned with jittered points (and new ids) until ``target`` records."""
    rng = np.random.default_rng(seed)
    out = list(records)
    copy = 0
    while len(out) < target:
        copy += 1
        for rec in records:
            if len(out) >= target:
                break
            lat = None if rec.lat is None else rec.lat + float(rng.normal(0, 0.03))
            lon = None if rec.lon is None else rec.lon + float(rng.normal(0, 0.03))
            out.append(dataclasses.replace(rec, id=f"{rec.id}~{copy}", lat=lat, lon=lon))
    return out


def random_profiles(gazetteer, taxonomy, n: int, seed: int = 1) -> list:
    from recommender.profile import Profile, location_from_commune

    rng = np.random.default_rng(seed)
    communes = [c for c in gazetteer.communes.values() if c.lat is not None and c.kind == "commune"]
    weights = np.array([max(c.population, 1) for c in communes], dtype=float)
    weights /= weights.sum()
    freins = list(taxonomy.freins)
    profiles = []
    for i in rng.choice(len(communes), size=n, p=weights):
        profiles.append(
            Profile(
                location=location_from_commune(communes[i]),
                freins=tuple(rng.choice(freins, size=3, replace=False)),
                age=int(rng.integers(16, 70)) if rng.random() < 0.8 else None,
                publics=(),
                vehicule=[None, True, False][int(rng.integers(3))],
            )
        )
    return profiles


def time_calls(fn, items, warmup: int) -> list[float]:
    for item in items[:warmup]:
        fn(item)
    timings = []
    for item in items[warmup:]:
        started = time.perf_counter()
        fn(item)
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mesure la vitesse du moteur d'orientation.")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--scale", type=int, default=0, help="cloner jusqu'à N partenaires")
    parser.add_argument("--no-search", action="store_true", help="ne pas mesurer la recherche")
    args = parser.parse_args(argv)

    from bench.evaluation.harness import load_records
    from recommender.engine import Recommender
    from recommender.geo import default_gazetteer
    from recommender.search import PartnerSearch
    from recommender.taxonomy import default_taxonomy

    gazetteer, taxonomy = default_gazetteer(), default_taxonomy()
    records = load_records()
    if args.scale:
        records = scaled(records, args.scale)
    started = time.perf_counter()
    recommender = Recommender(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
    build = time.perf_counter() - started
    print(f"{len(records)} partenaires ; index du moteur construit en {build:.2f} s")

    profiles = random_profiles(gazetteer, taxonomy, args.warmup + args.requests)
    timings = time_calls(recommender.recommend, profiles, args.warmup)
    print(
        f"recommandation (3 freins, 5 résultats) : médiane {statistics.median(timings):.2f} ms, "
        f"p95 {percentile(timings, 95):.2f} ms, max {max(timings):.2f} ms "
        f"({len(timings)} requêtes)"
    )
    ids = [r.id for r in records]
    pairs = [(p, ids[i % len(ids)]) for i, p in enumerate(profiles)]
    fit_timings = time_calls(lambda pair: recommender.fit_check(*pair), pairs, args.warmup)
    print(
        f"vérification d'une orientation : médiane {statistics.median(fit_timings):.2f} ms, "
        f"p95 {percentile(fit_timings, 95):.2f} ms"
    )
    if args.no_search:
        return 0
    started = time.perf_counter()
    search = PartnerSearch(taxonomy=taxonomy).fit(records)
    print(f"index de recherche plein texte construit en {time.perf_counter() - started:.2f} s")
    queries = ["auto ecole", "mission locale", "caf", "permis", "france services", "spip",
               "insertion", "aide alimentaire", "cidff", "mairie"]  # fmt: skip
    calls = [
        {"q": queries[i % len(queries)], "lat": p.location.lat, "lon": p.location.lon}
        for i, p in enumerate(profiles[:200])
    ]
    search_timings = time_calls(lambda kw: search.search(**kw), calls, 20)
    print(
        f"recherche plein texte : médiane {statistics.median(search_timings):.2f} ms, "
        f"p95 {percentile(search_timings, 95):.2f} ms"
    )
    geo_calls = [
        {"lat": p.location.lat, "lon": p.location.lon, "radius_km": 20.0} for p in profiles[:200]
    ]
    geo_timings = time_calls(lambda kw: search.search(**kw), geo_calls, 20)
    print(
        f"recherche autour d'un point (20 km) : médiane {statistics.median(geo_timings):.2f} ms, "
        f"p95 {percentile(geo_timings, 95):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
