"""In-process measurements on one database, in a fresh process (run by ``bench.run``).

``python -m bench.inprocess --database-url URL --index-dir DIR --out FILE [--quick]``

1. Index build (``IndexHolder.build``) with its phases, resident memory before/after
   and the process peak.
2. Latency of the engine call alone and of the full service call (engine + database
   fetch + JSON serialisation, in an app context) for recommendations (1, 3, 6 freins),
   text search (q + commune + radius), the widget call, the fit check and the commune
   autocomplete: median, p95, p99 after warm-up, wall and CPU time.
3. The same recommendations answered by plain SQL (``bench.sqlbaseline``).
4. Start-up with the engine of this version already saved (what a new worker does): the
   same build a second time, which loads the saved file instead of fitting.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import functools
import gc
import json
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

from .stats import measure, rss_kib


def _timed(store: dict[str, float], name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[name] = store.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"size": args.size, "pid": os.getpid()}
    mem: dict[str, Any] = {"start": rss_kib()}

    from werkzeug.datastructures import MultiDict

    from app import create_app, services
    from app.db import get_session
    from app.index import holder as holder_mod
    from recommender.geo import default_gazetteer
    from recommender.params import parse_location, parse_profile
    from recommender.taxonomy import default_taxonomy

    app = create_app(
        {"DATABASE_URL": args.database_url, "INDEX_DIR": args.index_dir, "SECRET_KEY": "bench"}
    )
    gazetteer, taxonomy = default_gazetteer(), default_taxonomy()
    result["app_and_referentials_s"] = round(time.perf_counter() - started, 3)
    mem["referentials_loaded"] = rss_kib()

    # ------------------------------------------------------------------ build
    phases: dict[str, float] = {}
    originals = (
        holder_mod.records_from_session,
        holder_mod.Recommender.fit,
        holder_mod.PartnerSearch.fit,
        holder_mod.IndexStore.save,
    )
    holder_mod.records_from_session = _timed(phases, "records_s", originals[0])
    holder_mod.Recommender.fit = _timed(phases, "recommender_fit_s", originals[1])
    holder_mod.PartnerSearch.fit = _timed(phases, "search_fit_s", originals[2])
    holder_mod.IndexStore.save = _timed(phases, "save_s", originals[3])
    holder = app.extensions["relais.index"]
    try:
        with app.app_context():
            session = get_session()
            timings = []
            for _ in range(5):  # the first call reads cold pages; later checks are warm
                t = time.perf_counter()
                version = holder_mod.data_version(session)
                timings.append(time.perf_counter() - t)
            data_version_s = sorted(timings[1:])[len(timings[1:]) // 2]
            t = time.perf_counter()
            state = holder.build(session, version, refit=True)
            build_s = time.perf_counter() - t
            holder.state, holder.checked_at = state, time.monotonic()
            n_records = len(state.recommender.table_)
    finally:
        (
            holder_mod.records_from_session,
            holder_mod.Recommender.fit,
            holder_mod.PartnerSearch.fit,
            holder_mod.IndexStore.save,
        ) = originals
    mem["after_build"] = rss_kib()
    mem["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gc.collect()
    mem["after_build_gc"] = rss_kib()
    # how much of it is memory freed by the build but kept by the C allocator
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        mem["after_malloc_trim"] = rss_kib()
    result["build"] = {
        "records": n_records,
        "version": version,
        "build_s": round(build_s, 3),
        **{k: round(v, 3) for k, v in phases.items()},
        "data_version_ms": round(data_version_s * 1000, 2),
        "data_version_first_ms": round(timings[0] * 1000, 2),
    }
    result["memory_kib"] = mem

    # ------------------------------------------------------------------ workload
    from .workload import Workload

    wl = Workload(args.seed, gazetteer=gazetteer, taxonomy=taxonomy)
    n_inputs = 60 if args.quick else 200
    iterations = 100 if args.quick else 200
    warmup = 10 if args.quick else 20
    max_s = 8.0 if args.quick else 12.0
    bounded = functools.partial(measure, warmup=warmup, iterations=iterations, max_seconds=max_s)
    recommender, search = state.recommender, state.search

    def service(fn):
        def call(params):
            with app.app_context():  # the workload's values are a query string's
                app.json.dumps(fn(MultiDict(params)))

        return call

    latency: dict[str, Any] = {}
    profiles: dict[int, list[dict[str, str]]] = {}
    parsed: dict[int, list[Any]] = {}
    for k in (1, 3, 6):
        profiles[k] = wl.profiles(n_inputs, k)
        parsed[k] = [parse_profile(MultiDict(p), gazetteer, taxonomy) for p in profiles[k]]
        latency[f"reco_{k}_engine"] = bounded(
            lambda p: recommender.recommend(p, limit=5), parsed[k]
        )
        latency[f"reco_{k}_service"] = bounded(service(services.recommend), profiles[k])

    # the same recommendation through Flask (routing, hooks, JSON response), no network
    client = app.test_client()
    from urllib.parse import urlencode

    def wsgi(path: str):
        def call(params):
            response = client.get(f"{path}?{urlencode(params)}")
            assert response.status_code == 200, response.status_code

        return call

    latency["reco_3_wsgi"] = bounded(wsgi("/api/v1/recommendations"), profiles[3])

    searches = wl.searches(n_inputs)
    located = [(s, parse_location(s, gazetteer)) for s in searches]
    latency["search_engine"] = bounded(
        lambda sl: search.search(
            q=sl[0]["q"],
            lat=sl[1].lat,
            lon=sl[1].lon,
            radius_km=float(sl[0]["radius_km"]),
            per_page=20,
        ),
        located,
    )
    latency["search_service"] = bounded(service(services.search_partners), searches)

    widget = wl.widget_calls(n_inputs)
    widget_located = [(w, parse_location(w, gazetteer)) for w in widget]
    latency["widget_engine"] = bounded(
        lambda wl_: search.search(
            freins=[wl_[0]["frein"]], lat=wl_[1].lat, lon=wl_[1].lon, per_page=5
        ),
        widget_located,
    )
    latency["widget_service"] = bounded(service(services.search_partners), widget)

    rng = random.Random(args.seed)
    ids = recommender.table_.ids
    fit_inputs = []
    for i, (params, profile) in enumerate(zip(profiles[3], parsed[3], strict=True)):
        pid = None
        if i % 2 == 0:
            for frein in recommender.recommend(profile, limit=1)["freins"]:
                if frein["results"]:
                    pid = frein["results"][0]["partner_id"]
                    break
        if pid is None:
            pid = ids[rng.randrange(len(ids))]
        fit_inputs.append(({**params, "partner_id": pid}, profile, pid))
    latency["fit_engine"] = bounded(lambda f: recommender.fit_check(f[1], f[2]), fit_inputs)
    latency["fit_service"] = bounded(service(services.fit_check), [f[0] for f in fit_inputs])

    # distinct inputs, none repeated: the gazetteer's answer cache must not flatter either
    typed = wl.autocomplete(iterations + warmup, salt=1)
    typed_service = wl.autocomplete(iterations + warmup, salt=2)
    latency["communes_engine"] = bounded(lambda q: gazetteer.autocomplete(q["q"], 10), typed)
    latency["communes_service"] = bounded(service(services.search_communes), typed_service)
    result["latency"] = latency

    # ------------------------------------------------------------------ SQL side by side
    from . import sqlbaseline

    db_engine = app.extensions["relais.engine"]
    result["sql_math"] = sqlbaseline.ensure_math(db_engine)
    statements = sqlbaseline.statements(db_engine.dialect.name)
    sql_bounded = functools.partial(
        measure,
        warmup=3,
        iterations=15 if args.quick else 40,
        max_seconds=20.0 if args.quick else 45.0,
    )
    sql: dict[str, Any] = {}
    overlap = []
    with db_engine.connect() as conn:
        for k in (1, 3):
            for variant, statement in statements.items():
                sql[f"sql_{variant}_reco_{k}"] = sql_bounded(
                    lambda p, st=statement: sqlbaseline.recommend_sql(conn, st, p), parsed[k]
                )
        for profile in parsed[3][:20]:
            by_sql = sqlbaseline.recommend_sql(conn, statements["like"], profile)
            by_engine = recommender.recommend(profile, limit=5)["freins"]
            for rows, item in zip(by_sql, by_engine, strict=True):
                engine_ids = {r["partner_id"] for r in item["results"]}
                if engine_ids:
                    overlap.append(len(engine_ids & {r[0] for r in rows}) / len(engine_ids))
    sql["top5_overlap_with_engine"] = round(sum(overlap) / len(overlap), 3) if overlap else None
    result["sql"] = sql
    engine_median = latency["reco_3_engine"]["median_ms"]
    result["ratios"] = {
        f"sql_{variant}_over_engine_reco_3": round(
            sql[f"sql_{variant}_reco_3"]["median_ms"] / engine_median, 1
        )
        for variant in statements
    } | {
        f"sql_{variant}_over_service_reco_3": round(
            sql[f"sql_{variant}_reco_3"]["median_ms"] / latency["reco_3_service"]["median_ms"], 1
        )
        for variant in statements
    }

    # ------------------------------------------------------------------ what-ifs
    if not args.no_what_if:
        what_if: dict[str, Any] = {}
        # start-up of a new worker, the engine of this version being saved already:
        # the same build again (what a worker does at its first request) loads it
        with app.app_context():
            t = time.perf_counter()
            again = holder.build(get_session(), version)
            what_if["second_build_s"] = round(time.perf_counter() - t, 3)
            what_if["second_build_loaded"] = again.loaded
        probe = [(s[0]["q"], s[1]) for s in located[:20]]
        what_if["second_build_same_results"] = all(
            again.search.search(q=q, lat=loc.lat, lon=loc.lon, radius_km=20.0)
            == search.search(q=q, lat=loc.lat, lon=loc.lon, radius_km=20.0)
            for q, loc in probe
        )
        result["what_if"] = what_if

    result["load_average"] = os.getloadavg()
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-what-if", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = run(args)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
