"""Time the import of the four shared national partner files into a fresh SQLite database.

    .venv/bin/python -m bench.time_import [--shared ../shared/data] [--keep DIR]

Prints, per file, the counts and the seconds (wall and CPU) of each run, then the totals.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FILES = (
    "france_services_2024-08.csv",
    "france_travail_agences_2024-01.csv",
    "siae_2021-11.csv",
    "annuaire_services_publics_2016-02.csv",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--keep", type=Path, help="dossier où garder la base créée")
    args = parser.parse_args()
    partners = args.shared / "partners"
    if not partners.is_dir():
        print(f"Données partagées absentes : {partners}", file=sys.stderr)
        return 1
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="relais-time-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["RELAIS_INSTANCE_PATH"] = str(workdir / "instance")

    from app import create_app, db
    from app.db import session_scope
    from app.importers import ImportOptions, run_import
    from app.inference import store_inferred_freins
    from recommender.geo import default_gazetteer
    from recommender.taxonomy import default_taxonomy

    AS_CLI = ImportOptions(after_write=store_inferred_freins)  # what `relais import` runs

    database = workdir / "time_import.sqlite3"
    database.unlink(missing_ok=True)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}"})
    db.upgrade(app.extensions["relais.engine"])
    started = time.perf_counter()
    default_gazetteer(), default_taxonomy()
    print(f"référentiels chargés en {time.perf_counter() - started:.1f} s")

    header = f"{'fichier':<40} {'lignes':>7} {'créés':>7} {'fusion.':>7} {'rejet.':>7} "
    print(header + f"{'s':>7} {'s CPU':>7} {'lignes/s':>9}")
    wall_total = cpu_total = 0.0
    rows_total = 0
    with app.app_context():
        for name in FILES:
            wall, cpu = time.perf_counter(), time.process_time()
            with session_scope(app) as session:
                report = run_import(session, partners / name, AS_CLI)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            wall_total += wall
            cpu_total += cpu
            rows_total += report.rows
            c = report.counts
            print(
                f"{name:<40} {report.rows:>7} {c['created']:>7} {c['merged']:>7} "
                f"{c['rejected']:>7} {wall:>7.1f} {cpu:>7.1f} {report.rows / wall:>9.0f}"
            )
    print(
        f"{'total':<40} {rows_total:>7} {'':>7} {'':>7} {'':>7} {wall_total:>7.1f} "
        f"{cpu_total:>7.1f} {rows_total / wall_total:>9.0f}"
    )
    app.extensions["relais.engine"].dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
