"""Import throughput of the generic CSV through ``run_import``, in a fresh process.

``python -m bench.importbench --database-url URL --csv PATH --rows N --out FILE``

Writes N synthetic partners as a generic CSV (``python -m bench.generate --csv``), imports
it into the (empty) database and, optionally, imports it a second time (every row
unchanged: the idempotent re-import a nightly job does).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from .stats import rss_kib


def run(args: argparse.Namespace) -> dict[str, Any]:
    from app import create_app, db
    from app.importers import ImportOptions, run_import
    from app.inference import store_inferred_freins
    from bench.generate import write_csv

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    engine = app.extensions["relais.engine"]
    db.upgrade(engine)
    csv_path = Path(args.csv)
    t = time.perf_counter()
    rows = write_csv(csv_path, args.rows, args.seed)
    out: dict[str, Any] = {
        "rows": rows,
        "workers": args.workers,
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "csv_write_s": round(time.perf_counter() - t, 2),
    }
    runs = []
    for attempt in range(2 if args.reimport else 1):
        with db.session_scope(app) as session:
            t, cpu = time.perf_counter(), _cpu_seconds()
            options = ImportOptions(
                format="generic-csv",
                source="synthetique-csv",
                workers=args.workers,
                after_write=store_inferred_freins,  # as `relais import`
            )
            report = run_import(session, csv_path, options)
        # Timed with the commit (session_scope's exit), as `relais import` pays it.
        seconds = time.perf_counter() - t
        cpu_seconds = _cpu_seconds() - cpu
        runs.append(
            {
                "kind": "premier import" if attempt == 0 else "réimport (inchangé)",
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds, 1),
                "cpu_s": round(cpu_seconds, 2),
                "counts": dict(report.counts),
                "phases_s": {k: round(v, 2) for k, v in report.timings.items()},
            }
        )
    out["runs"] = runs
    out["memory"] = rss_kib() | {
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        # the largest of the helper processes (reading, then composing the rows)
        "helper_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    out["load_average"] = os.getloadavg()
    return out


def _cpu_seconds() -> float:
    """User and system time of this process and of its ended children (the reading
    helper of ``workers=2``)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reimport", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="as `relais import` (2 cores)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    Path(args.out).write_text(json.dumps(run(args), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
