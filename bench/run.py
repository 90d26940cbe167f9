"""Relais benchmark at national scale: ``python -m bench.run [--quick]`` (``make bench``).

For each size (20k, 100k, 200k synthetic partners, each in its own temporary database):
index build time and memory, then in-process latencies (engine alone and full service)
and the same recommendation in plain SQL, side by side; then the app under gunicorn
(1 and 2 workers, 8 and 32 connections) and the generic CSV import throughput.
Prints a table (French) and writes ``bench/out/results-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench" / "out"
FULL_SIZES = (20_000, 100_000, 200_000)
WATCHED_FILES = (
    "app/index/holder.py",
    "app/index/records.py",
    "app/index/store.py",
    "app/index/version.py",
    "app/services.py",
    "app/importers/pipeline.py",
    "app/importers/plan.py",
    "app/importers/reading.py",
    "app/importers/store.py",
    "app/importers/archive.py",
    "recommender/engine.py",
    "recommender/search.py",
    "recommender/geoindex.py",
    "recommender/eligibility.py",
)

# (key, label, limit, "max" or "min")
TARGETS = (
    ("reco3_engine_median", "Recommandation 3 freins, moteur seul : médiane (ms)", 5, "max"),
    ("reco3_engine_p95", "Recommandation 3 freins, moteur seul : p95 (ms)", 15, "max"),
    ("reco3_service_median", "Recommandation 3 freins, service complet : médiane (ms)", 5, "max"),
    ("reco3_service_p95", "Recommandation 3 freins, service complet : p95 (ms)", 15, "max"),
    ("sql_ratio", "Moteur seul vs SQL (LIKE) : facteur", 10, "min"),
    ("search_engine_median", "Recherche texte + commune + rayon, moteur seul : médiane (ms)", 10,
     "max"),
    ("search_service_median", "Recherche texte + commune + rayon, service : médiane (ms)", 10,
     "max"),
    ("http_rps", "HTTP 8 connexions, 2 workers : recommandations/s", 300, "min"),
    ("http_p95", "HTTP 8 connexions, 2 workers : p95 (ms)", 50, "max"),
    ("http_errors", "HTTP : erreurs (toutes les mesures)", 0, "max"),
    ("build_s", "Construction des index (s)", 120, "max"),
    ("startup_s", "Démarrage d'un worker jusqu'à la 1re réponse (s)", 5, "max"),
    ("rss_mb", "Mémoire résidente par worker (Mo)", 400, "max"),
    ("import_rps", "Import CSV générique (lignes/s)", 5000, "min"),
)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def machine() -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    versions = {}
    packages = ("numpy", "scipy", "scikit-learn", "Whoosh", "rapidfuzz", "SQLAlchemy", "Flask")
    for package in (*packages, "gunicorn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "packages": versions,
        "load_average_start": os.getloadavg(),
    }


def sources() -> dict[str, Any]:
    """Which code was measured: the commit and a hash of the engine's files as they are."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.count("\n")
    except OSError:
        commit, dirty = "", 0
    files = {}
    for name in WATCHED_FILES:
        path = ROOT / name
        if path.exists():
            files[name] = hashlib.sha1(path.read_bytes()).hexdigest()[:10]
    return {"commit": commit, "uncommitted_paths": dirty, "files": files}


def child(module: str, args: list[str], env: dict[str, str], timeout_s: float) -> None:
    command = [sys.executable, "-m", module, *args]
    completed = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout_s)
    if completed.returncode != 0:
        raise RuntimeError(f"échec de {module} (code {completed.returncode})")


class Databases:
    """One empty database per size: SQLite files in a temporary folder, databases of a
    throwaway PostgreSQL cluster (``--postgres``), or one given URL (``--database-url``,
    reused for every size: its synthetic partners are replaced)."""

    def __init__(self, workdir: Path, *, postgres: bool, url: str | None):
        self.workdir = workdir
        self.url = url
        self.cluster = None
        if postgres:
            sys.path.insert(0, str(ROOT))
            from tests.support.pgcluster import PostgresCluster

            self.cluster = PostgresCluster().start()

    def for_size(self, label: str) -> str:
        if self.url:
            return self.url
        if self.cluster is not None:
            return self.cluster.create_database(f"relais_bench_{label}")
        return f"sqlite:///{self.workdir / label / 'relais.sqlite3'}"

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


def generate(url: str, instance: Path, n: int, seed: int) -> dict[str, Any]:
    """Fill the database with N synthetic partners (the ``python -m bench.generate`` code)."""
    os.environ["RELAIS_INSTANCE_PATH"] = str(instance)
    from app import create_app, db
    from bench.generate import write_partners

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    engine = app.extensions["relais.engine"]
    db.upgrade(engine)
    with engine.begin() as conn:
        result = write_partners(conn, n, seed, replace=True)
    engine.dispose()
    result["rows_per_s"] = round(n / result["seconds"], 1)
    result["seconds"] = round(result["seconds"], 2)
    return result


# --------------------------------------------------------------------------- phases


def phase_inprocess(args, dbs: Databases, out: dict[str, Any]) -> dict[int, dict[str, Any]]:
    places: dict[int, dict[str, Any]] = {}
    for n in args.sizes:
        label = f"{n // 1000}k"
        folder = args.workdir / label
        instance = folder / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        url = dbs.for_size(label)
        log(f"{label} : génération de {n} partenaires synthétiques…")
        gen = generate(url, instance, n, args.seed)
        out["generation"][label] = gen
        log(f"{label} : {gen['partners']} partenaires en {gen['seconds']} s")
        places[n] = {"url": url, "instance": instance}
        if args.skip_inprocess:
            continue
        log(f"{label} : construction des index et mesures en processus…")
        result_file = folder / "inprocess.json"
        env = dict(os.environ, RELAIS_INSTANCE_PATH=str(instance))
        command = [
            "--database-url",
            url,
            "--index-dir",
            str(instance / "index"),
            "--size",
            str(n),
            "--seed",
            str(args.seed),
            "--out",
            str(result_file),
        ]
        if args.quick:
            command.append("--quick")
        child("bench.inprocess", command, env, timeout_s=args.phase_timeout)
        result = json.loads(result_file.read_text())
        out["inprocess"][label] = result
        log(
            f"{label} : index en {result['build']['build_s']} s, recommandation 3 freins "
            f"{result['latency']['reco_3_engine']['median_ms']} ms (moteur), "
            f"{result['latency']['reco_3_service']['median_ms']} ms (service)"
        )
    return places


def phase_http(args, place: dict[str, Any], out: dict[str, Any]) -> None:
    from recommender.geo import default_gazetteer
    from recommender.taxonomy import default_taxonomy

    from .http_load import RssMonitor, Server, cold_start, load, load_wrk, request_mix
    from .workload import Workload

    workload = Workload(args.seed + 1, gazetteer=default_gazetteer(), taxonomy=default_taxonomy())
    mixes = {s: request_mix(workload, 400, s) for s in ("reco", "mix")}
    server = Server(
        workers=2,
        database_url=place["url"],
        instance=place["instance"],
        log_path=args.out_dir / f"gunicorn-{args.stamp}.log",
        timeout_s=args.gunicorn_timeout,
    )
    http: dict[str, Any] = {
        "size": args.http_size,
        "runs": [],
        "gunicorn_timeout_s": args.gunicorn_timeout,
        "load_client": args.load_client,
    }
    out["http"] = http
    log(f"HTTP : gunicorn -w 2 sur 127.0.0.1:{server.port} (démarrage à froid)…")
    server.start()
    try:
        http["cold_start_2_workers"] = cold_start(server, mixes["reco"][0][1], args.phase_timeout)
        log(f"HTTP : premières réponses {http['cold_start_2_workers']}")
        load(server.port, mixes["mix"], concurrency=4, duration_s=3, max_requests=60)  # warm-up
        for workers in (2, 1):
            if workers == 1:
                server.remove_one_worker()
                load(server.port, mixes["mix"], concurrency=2, duration_s=2, max_requests=20)
            for scenario in ("reco", "mix"):
                for concurrency in args.concurrency:
                    monitor = RssMonitor(server)
                    monitor.start()
                    send = load_wrk if args.load_client == "wrk" else load
                    result = send(
                        server.port,
                        mixes[scenario],
                        concurrency=concurrency,
                        duration_s=args.http_duration,
                        max_requests=args.http_max_requests,
                    )
                    result.update(
                        workers=len(server.worker_pids()), scenario=scenario, **monitor.stop()
                    )
                    ok = result["requests"] - result["errors"]
                    result["server_cpu_ms_per_request"] = (
                        round(1000 * result["workers_cpu_s"] / ok, 2) if ok else None
                    )
                    http["runs"].append(result)
                    log(
                        f"HTTP : {workers} worker(s), {scenario}, {concurrency} connexions : "
                        f"{result['rps']} req/s, p95 {result['p95_ms']} ms, "
                        f"{result['errors']} erreur(s), RSS max {result['max_rss_mb']} Mo"
                    )
    finally:
        server.stop()
    log_text = server.log_path.read_text(errors="replace")
    http["worker_timeouts_in_log"] = log_text.count("WORKER TIMEOUT")
    http["tracebacks_in_log"] = log_text.count("Traceback")


def phase_import(args, dbs: Databases, out: dict[str, Any]) -> None:
    label = f"import-{args.import_rows // 1000}k"
    folder = args.workdir / label
    folder.mkdir(parents=True, exist_ok=True)
    url = dbs.for_size(label)
    result_file = folder / "import.json"
    log(f"Import : CSV générique de {args.import_rows} lignes…")
    child(
        "bench.importbench",
        [
            "--database-url",
            url,
            "--csv",
            str(folder / "synthetique.csv"),
            "--rows",
            str(args.import_rows),
            "--out",
            str(result_file),
            *(["--reimport"] if args.reimport else []),
        ],
        dict(os.environ, RELAIS_INSTANCE_PATH=str(folder / "instance")),
        timeout_s=args.phase_timeout,
    )
    out["import"] = json.loads(result_file.read_text())
    first = out["import"]["runs"][0]
    log(f"Import : {first['rows_per_s']} lignes/s ({first['seconds']} s)")


# --------------------------------------------------------------------------- verdicts


def measured_targets(out: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    sizes = list(out["inprocess"])
    if sizes:
        big = out["inprocess"][sizes[-1]]
        lat = big["latency"]
        values.update(
            reco3_engine_median=lat["reco_3_engine"]["median_ms"],
            reco3_engine_p95=lat["reco_3_engine"]["p95_ms"],
            reco3_service_median=lat["reco_3_service"]["median_ms"],
            reco3_service_p95=lat["reco_3_service"]["p95_ms"],
            sql_ratio=big["ratios"]["sql_like_over_engine_reco_3"],
            search_engine_median=lat["search_engine"]["median_ms"],
            search_service_median=lat["search_service"]["median_ms"],
            build_s=big["build"]["build_s"],
        )
    http = out.get("http")
    if http and http.get("runs"):
        reco8 = [
            r
            for r in http["runs"]
            if r["scenario"] == "reco" and r["concurrency"] == 8 and r["workers"] == 2
        ]
        if reco8:
            values["http_rps"] = reco8[0]["rps"]
            values["http_p95"] = reco8[0]["p95_ms"]
        values["http_errors"] = sum(r["errors"] for r in http["runs"])
        values["startup_s"] = http["cold_start_2_workers"]["first_answer_s"]
        values["rss_mb"] = max((r["max_rss_mb"] or 0) for r in http["runs"])
    if out.get("import"):
        values["import_rps"] = out["import"]["runs"][0]["rows_per_s"]
    verdicts = {}
    for key, label, limit, kind in TARGETS:
        value = values.get(key)
        if value is None:
            verdicts[key] = {"label": label, "target": limit, "value": None, "ok": None}
            continue
        ok = value <= limit if kind == "max" else value >= limit
        verdicts[key] = {"label": label, "target": limit, "value": value, "ok": ok}
    return verdicts


# --------------------------------------------------------------------------- report

LATENCY_ROWS = (
    ("reco_1", "Recommandation 1 frein"),
    ("reco_3", "Recommandation 3 freins"),
    ("reco_6", "Recommandation 6 freins"),
    ("search", "Recherche texte + commune + rayon"),
    ("widget", "Widget (frein + commune, 5 résultats)"),
    ("fit", "Vérification d'orientation (fit)"),
    ("communes", "Autocomplétion des communes"),
)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ") if value >= 100 else f"{value:.2f}"
    return str(value)


def _capacity(run: dict[str, Any], out: dict[str, Any]) -> float | None:
    """Requests/s the workers could serve with their cores to themselves: the measured
    CPU time per request, on min(workers, cores) cores."""
    cpu_ms = run.get("server_cpu_ms_per_request")
    if not cpu_ms:
        return None
    return round(min(run["workers"], out["machine"]["nproc"]) * 1000 / cpu_ms, 1)


def markdown(out: dict[str, Any]) -> str:
    lines: list[str] = []
    m = out["machine"]
    lines += [
        f"Mesuré le {out['date']} ({'rapide' if out['quick'] else 'complet'}, "
        f"base {out['database']}).",
        f"Machine : {m['nproc']} cœurs ({m['cpu']}), {m['memory_gb']} Go, Python {m['python']}, "
        f"SQLite {m['sqlite']}. Charge moyenne au début : "
        f"{' / '.join(f'{x:.2f}' for x in m['load_average_start'])}, à la fin : "
        f"{' / '.join(f'{x:.2f}' for x in out.get('load_average_end', (0, 0, 0)))}.",
        "",
        "### Objectifs",
        "",
        "| Objectif | Cible | Mesuré | |",
        "|---|---:|---:|---|",
    ]
    for v in out["targets"].values():
        mark = "–" if v["ok"] is None else ("atteint" if v["ok"] else "**manqué**")
        lines.append(f"| {v['label']} | {v['target']} | {_fmt(v['value'])} | {mark} |")
    if out["generation"]:
        lines += ["", "### Génération des données synthétiques", "",
                  "| Taille | Durée (s) | Lignes/s |", "|---|---:|---:|"]  # fmt: skip
        for label, g in out["generation"].items():
            lines.append(f"| {label} | {g['seconds']} | {_fmt(g['rows_per_s'])} |")
    if out["inprocess"]:
        lines += [
            "",
            "### Construction des index et mémoire",
            "",
            "| Taille | Total (s) | Lecture base (s) | Recommandeur (s) | Recherche (s) "
            "| Enregistrement (s) | RSS après (Mo) | après malloc_trim (Mo) | Pic RSS (Mo) "
            "| data_version (ms) | 2e construction, moteur enregistré (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, r in out["inprocess"].items():
            b, mem = r["build"], r["memory_kib"]
            trim = mem.get("after_malloc_trim")
            trimmed = f"{trim['rss_kib'] / 1024:.0f}" if trim else "–"
            what_if = r.get("what_if", {})
            lines.append(
                f"| {label} | {b['build_s']} | {b.get('records_s')} | {b.get('recommender_fit_s')} "
                f"| {b.get('search_fit_s')} | {b.get('save_s')} "
                f"| {mem['after_build']['rss_kib'] / 1024:.0f} "
                f"| {trimmed} | {mem['ru_maxrss_kib'] / 1024:.0f} | {b['data_version_ms']} "
                f"| {what_if.get('second_build_s', '–')} |"
            )
        lines += [
            "",
            "### Latences en processus (ms) — moteur seul / service complet (moteur + base + JSON)",
            "",
            "Médiane, p95, p99 du temps écoulé ; « CPU » = médiane du temps CPU du fil "
            "(indépendant de la charge de la machine).",
            "",
            "| Taille | Requête | Moteur méd. | p95 | p99 | CPU | Service méd. | p95 | p99 | CPU |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, r in out["inprocess"].items():
            lat = r["latency"]
            for key, name in LATENCY_ROWS:
                e, s = lat[f"{key}_engine"], lat[f"{key}_service"]
                lines.append(
                    f"| {label} | {name} | {_fmt(e['median_ms'])} | {_fmt(e['p95_ms'])} "
                    f"| {_fmt(e['p99_ms'])} | {_fmt(e['cpu_median_ms'])} | {_fmt(s['median_ms'])} "
                    f"| {_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} | {_fmt(s['cpu_median_ms'])} |"
                )
        lines.append("")
        for label, r in out["inprocess"].items():
            w = r["latency"].get("reco_3_wsgi")
            if w:
                lines.append(
                    f"- {label} : recommandation 3 freins à travers Flask (client de test WSGI, "
                    f"sans réseau) : médiane {_fmt(w['median_ms'])} ms, "
                    f"p95 {_fmt(w['p95_ms'])} ms, CPU {_fmt(w['cpu_median_ms'])} ms."
                )
        lines += [
            "",
            "### Même recommandation en SQL, côte à côte (ms, médiane / p95)",
            "",
            "| Taille | 1 frein LIKE | 1 frein json_each | 3 freins LIKE | 3 freins json_each "
            "| Moteur 3 freins | SQL/moteur | SQL/service | Recouvrement top 5 |",
            "|---|---|---|---|---|---|---:|---:|---:|",
        ]
        for label, r in out["inprocess"].items():
            sql, lat = r["sql"], r["latency"]

            def cell(entry: dict[str, Any]) -> str:
                return f"{_fmt(entry['median_ms'])} / {_fmt(entry['p95_ms'])}"

            lines.append(
                f"| {label} | {cell(sql['sql_like_reco_1'])} | {cell(sql['sql_json_reco_1'])} "
                f"| {cell(sql['sql_like_reco_3'])} | {cell(sql['sql_json_reco_3'])} "
                f"| {cell(lat['reco_3_engine'])} "
                f"| ×{r['ratios']['sql_like_over_engine_reco_3']} "
                f"| ×{r['ratios']['sql_like_over_service_reco_3']} "
                f"| {sql['top5_overlap_with_engine']} |"
            )
    http = out.get("http")
    if http:
        cold = http.get("cold_start_2_workers", {})
        lines += [
            "",
            f"### HTTP (gunicorn, {http['size'] // 1000}k partenaires, 127.0.0.1)",
            "",
            f"Démarrage à froid de 2 workers : première réponse à {cold.get('first_answer_s')} s, "
            f"les deux à {cold.get('all_workers_answered_s')} s après le lancement de gunicorn "
            f"(réponses en erreur pendant ce temps : {cold.get('failed_answers')} ; "
            "par worker, chargement de l'app / 1re réponse après le fork : "
            + ", ".join(
                f"{w['app_loaded_s']} s / {w['first_answer_after_fork_s']} s"
                for w in cold.get("workers", [])
            )
            + "). "
            f"WORKER TIMEOUT dans le journal : {http.get('worker_timeouts_in_log')}, "
            f"tracebacks : {http.get('tracebacks_in_log')}.",
            "",
            "« CPU serveur/requête » : temps CPU consommé par les workers divisé par le nombre de "
            "réponses ; « capacité CPU » : ce que ces workers serviraient avec leurs cœurs pour "
            "eux seuls (la machine de mesure est partagée). Client de charge : "
            + (
                "wrk (une connexion par fil)."
                if http.get("load_client") == "wrk"
                else "threads Python (http.client, une connexion par requête)."
            ),
            "",
            "| Workers | Charge | Connexions | Requêtes | req/s | p50 | p95 | p99 | Erreurs "
            "| RSS max/worker (Mo) | CPU serveur/requête (ms) | Capacité CPU (req/s) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in http["runs"]:
            lines.append(
                f"| {r['workers']} | {r['scenario']} | {r['concurrency']} | {r['requests']} "
                f"| {_fmt(r['rps'])} | {_fmt(r['median_ms'])} | {_fmt(r['p95_ms'])} "
                f"| {_fmt(r['p99_ms'])} | {r['errors']} | {_fmt(r['max_rss_mb'])} "
                f"| {_fmt(r.get('server_cpu_ms_per_request'))} | {_fmt(_capacity(r, out))} |"
            )
        lines += ["", "Détail du mélange (2 workers, 8 connexions) :", ""]
        for r in http["runs"]:
            if r["scenario"] == "mix" and r["concurrency"] == 8 and r["workers"] == 2:
                for kind, k in r["by_kind"].items():
                    times = (
                        f", médiane {k['median_ms']} ms, p95 {k['p95_ms']} ms"
                        if "median_ms" in k
                        else ""
                    )
                    lines.append(f"- {kind} : {k['rps']} req/s{times}")
    imp = out.get("import")
    if imp:
        lines += [
            "",
            f"### Import du CSV générique ({imp['rows']} lignes, {imp['csv_mb']} Mo)",
            "",
            "| Passage | Durée (s) | Lignes/s | Phases (s) |",
            "|---|---:|---:|---|",
        ]
        for r in imp["runs"]:
            phases = ", ".join(f"{k} {v}" for k, v in r["phases_s"].items())
            lines.append(f"| {r['kind']} | {r['seconds']} | {_fmt(r['rows_per_s'])} | {phases} |")
        lines.append(
            f"\nPic de mémoire de l'import : {imp['memory']['ru_maxrss_kib'] / 1024:.0f} Mo."
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20k seulement, HTTP court.")
    parser.add_argument("--sizes", help="Tailles séparées par des virgules (20000,100000,200000).")
    parser.add_argument("--http-size", type=int, help="Taille servie en HTTP (la plus grande).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--http-duration", type=float, help="Secondes par mesure HTTP.")
    parser.add_argument("--http-max-requests", type=int, default=20_000)
    parser.add_argument(
        "--load-client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="Client de charge HTTP : wrk (si installé, par défaut) ou threads Python.",
    )
    parser.add_argument("--gunicorn-timeout", type=int, default=1800)
    parser.add_argument("--import-rows", type=int, help="Lignes du CSV importé (200000).")
    parser.add_argument("--reimport", action="store_true", help="Mesurer aussi un réimport.")
    parser.add_argument("--skip-inprocess", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--database-url", help="Base à utiliser (PostgreSQL de test).")
    parser.add_argument("--postgres", action="store_true", help="Cluster PostgreSQL jetable.")
    parser.add_argument("--workdir", type=Path, help="Dossier des bases (temporaire sinon).")
    parser.add_argument("--keep", action="store_true", help="Garder les bases à la fin.")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--phase-timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    if args.sizes:
        args.sizes = [int(x) for x in args.sizes.split(",")]
    else:
        args.sizes = [20_000] if args.quick else list(FULL_SIZES)
    args.http_size = args.http_size or max(args.sizes)
    if args.http_size not in args.sizes:
        parser.error("--http-size doit être l'une des tailles mesurées")
    args.http_duration = args.http_duration or (5.0 if args.quick else 15.0)
    args.import_rows = args.import_rows or (20_000 if args.quick else 200_000)
    args.concurrency = [int(x) for x in args.concurrency.split(",")]
    if args.load_client == "auto":
        args.load_client = "wrk" if shutil.which("wrk") else "python"
    elif args.load_client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk introuvable : « apt-get install wrk » ou --load-client python")
    if args.database_url and args.postgres:
        parser.error("--database-url et --postgres s'excluent")
    if args.database_url and not args.skip_import:
        print("--database-url : l'import est mesuré seulement avec une base vide (--postgres) ; "
              "phase d'import ignorée.")  # fmt: skip
        args.skip_import = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    args.stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    own_workdir = args.workdir is None
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="relais-bench-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    database = "PostgreSQL" if args.postgres or args.database_url else "SQLite"
    out: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "database": database,
        "seed": args.seed,
        "sizes": args.sizes,
        "machine": machine(),
        "sources": sources(),
        "generation": {},
        "inprocess": {},
    }
    log(f"Banc Relais ({'rapide' if args.quick else 'complet'}, {database}) dans {args.workdir}")
    dbs = Databases(args.workdir, postgres=args.postgres, url=args.database_url)
    try:
        places = phase_inprocess(args, dbs, out)
        if not args.skip_http:
            phase_http(args, places[args.http_size], out)
        if not args.skip_import:
            phase_import(args, dbs, out)
    finally:
        dbs.close()
        if own_workdir and not args.keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    out["load_average_end"] = os.getloadavg()
    out["elapsed_s"] = round(time.perf_counter() - started, 1)
    out["targets"] = measured_targets(out)
    json_path = args.out_dir / f"results-{args.stamp}.json"
    json_path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    report = markdown(out)
    (args.out_dir / f"results-{args.stamp}.md").write_text(report)
    print()
    print(report)
    log(f"Résultats : {json_path} ({out['elapsed_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
