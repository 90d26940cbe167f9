"""Evaluation harness: hit@1, hit@3 and nDCG@5 of the recommender on ``cases.json``.

The partners are the real shared data (``../shared/data/partners``) plus the
partners the project ships (``data/partners``), imported exactly as the app
does: :func:`app.importers.run_import` into a temporary SQLite database, the
app's inferred freins, then :func:`app.index.records.records_from_session`. The
records are cached (pickle in the temp folder) until a data file, the
taxonomy, a referential or the code of ``app`` or ``recommender`` changes
(``--refresh`` reimports anyway).

Each (case, frein) pair is one query; a result is relevant when its partner
type is one the case accepts (and, for a départemental rule, when the partner
belongs to the expected département). Run::

    python -m bench.evaluation.harness [--verbose] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recommender.errors import RelaisError

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("cases.json")
IMPORTABLE = (".csv", ".json", ".gz", ".tsv")


def shared_data_dir() -> Path:
    """``$RELAIS_SHARED_DATA`` or the ``shared/data`` folder next to the repository."""
    return Path(os.environ.get("RELAIS_SHARED_DATA", ROOT.parent / "shared" / "data"))


def partner_files() -> list[Path]:
    """Every partner file to import: the shared ones, then the shipped ones."""
    files: list[Path] = []
    for folder in (shared_data_dir() / "partners", ROOT / "data" / "partners"):
        if folder.is_dir():
            files.extend(
                sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in IMPORTABLE)
            )
    return files


def _fingerprint(files: Sequence[Path]) -> str:
    """Sizes and times of everything the records depend on: the partner files, the taxonomy
    and referentials, and all the code of the app and the engine (wherever a refactoring
    moves the import and loading code, a change to it invalidates the cache)."""
    watched = [*files, *sorted((ROOT / "data" / "taxonomy").glob("*.json"))]
    watched += sorted((ROOT / "data" / "referentiels").iterdir())
    for package in ("app", "recommender"):
        watched += sorted((ROOT / package).rglob("*.py"))
    digest = hashlib.sha1()
    for path in watched:
        if path.exists():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def load_records(*, refresh: bool = False, verbose: bool = False) -> list[Any]:
    """The partners as engine records, imported the way the app imports them."""
    files = partner_files()
    if not files:
        raise SystemExit(f"Aucun fichier de partenaires dans {shared_data_dir() / 'partners'}.")
    cache = Path(tempfile.gettempdir()) / f"relais-eval-records-{_fingerprint(files)}.pkl"
    if cache.exists() and not refresh:
        with cache.open("rb") as fh:
            return pickle.load(fh)
    records = import_records(files, verbose=verbose)
    tmp = cache.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(records, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return records


def import_records(files: Sequence[Path], *, verbose: bool = False) -> list[Any]:
    """Import ``files`` into a throwaway SQLite database and read them back as records."""
    from sqlalchemy.orm import Session

    from app import db
    from app.importers import ImportOptions, run_import
    from app.index.records import records_from_session
    from app.inference import store_inferred_freins
    from recommender.geo import default_gazetteer
    from recommender.taxonomy import default_taxonomy

    options = ImportOptions(gazetteer=default_gazetteer(), taxonomy=default_taxonomy())
    with tempfile.TemporaryDirectory(prefix="relais-eval-") as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'eval.sqlite3'}")
        try:
            db.upgrade(engine)
            for path in files:
                started = time.perf_counter()
                with Session(engine) as session:
                    report = run_import(session, path, options)
                    session.commit()
                if verbose:
                    print(
                        f"  import {path.name}: {report.counts} "
                        f"({time.perf_counter() - started:.1f} s)",
                        file=sys.stderr,
                    )
            with Session(engine) as session:
                store_inferred_freins(session)
                session.commit()
                return records_from_session(session)
        finally:
            engine.dispose()


# ---------------------------------------------------------------------- cases


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """The cases, with ``$name`` type lists expanded and expectations normalised to
    ``{frein: {"types": set, "departement": str | None}}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sets = data.get("type_sets", {})

    def types_of(value: Any) -> set[str]:
        if isinstance(value, str):
            return set(sets[value[1:]]) if value.startswith("$") else {value}
        out: set[str] = set()
        for item in value:
            out |= types_of(item)
        return out

    cases = []
    for case in data["cases"]:
        expected = {}
        for frein, value in case["expected"].items():
            if isinstance(value, dict):
                expected[frein] = {
                    "types": types_of(value["types"]),
                    "departement": value.get("departement"),
                }
            else:
                expected[frein] = {"types": types_of(value), "departement": None}
        cases.append({**case, "expected": expected})
    return cases


def case_params(case: dict[str, Any]) -> dict[str, Any]:
    """The request parameters of a case, as the API would receive them (JSON body)."""
    keys = ("commune", "lat", "lon", "freins", "age", "publics", "vehicule", "max_km")
    return {k: case[k] for k in keys if k in case}


# ---------------------------------------------------------------------- metrics


def dcg(relevance: Sequence[int]) -> float:
    """Discounted cumulative gain of binary relevances, best rank first.

    >>> round(dcg([0, 1, 1]), 3)
    1.131
    """
    return sum(rel / math.log2(rank + 2) for rank, rel in enumerate(relevance))


def evaluate(
    recommender: Any,
    records: Sequence[Any],
    cases: Sequence[dict[str, Any]],
    *,
    depth: int = 50,
) -> list[dict[str, Any]]:
    """One row per (case, frein): the top results' types and the metrics, judged on the
    ``records`` the recommender was fitted on."""
    from recommender.params import parse_profile

    records = {r.id: r for r in records}
    rows = []
    for case in cases:
        try:
            profile = parse_profile(
                case_params(case), recommender.gazetteer_, recommender.taxonomy_
            )
        except RelaisError as exc:
            raise SystemExit(f"Cas {case['id']} invalide : {exc.message}") from None
        answer = recommender.recommend(profile, limit=depth)
        for item in answer["freins"]:
            frein = item["frein"]
            expect = case["expected"].get(frein)
            if expect is None:
                continue
            ranked = [records[r["partner_id"]] for r in item["results"]]
            relevance = [
                int(
                    rec.type_code in expect["types"]
                    and (expect["departement"] is None or rec.departement == expect["departement"])
                )
                for rec in ranked
            ]
            ideal = dcg([1] * min(5, sum(relevance)))
            rows.append(
                {
                    "case": case["id"],
                    "frein": frein,
                    "top": [
                        f"{rec.type_code}({rec.departement}) {r['distance_km']} km"
                        for rec, r in zip(ranked[:5], item["results"][:5], strict=True)
                    ],
                    "hit@1": int(any(relevance[:1])),
                    "hit@3": int(any(relevance[:3])),
                    "ndcg@5": dcg(relevance[:5]) / ideal if ideal else 0.0,
                    "relevant_available": sum(relevance),
                }
            )
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean metrics per frein and overall (``"tous"``)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["frein"]].append(row)
        groups["tous"].append(row)
    out = {}
    for frein, items in groups.items():
        n = len(items)
        out[frein] = {
            "n": n,
            "hit@1": sum(r["hit@1"] for r in items) / n,
            "hit@3": sum(r["hit@3"] for r in items) / n,
            "ndcg@5": sum(r["ndcg@5"] for r in items) / n,
        }
    return out


def format_table(summary: dict[str, dict[str, float]], order: Sequence[str]) -> str:
    lines = [f"{'frein':<24} {'n':>3} {'hit@1':>6} {'hit@3':>6} {'nDCG@5':>7}"]
    for frein in [*(f for f in order if f in summary), "tous"]:
        m = summary[frein]
        lines.append(
            f"{frein:<24} {m['n']:>3} {m['hit@1']:>6.2f} {m['hit@3']:>6.2f} {m['ndcg@5']:>7.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Évalue le moteur d'orientation sur les cas.")
    parser.add_argument("--cases", type=Path, default=CASES, help="fichier de cas (JSON)")
    parser.add_argument("--refresh", action="store_true", help="réimporter les données")
    parser.add_argument("--verbose", action="store_true", help="détailler chaque requête")
    parser.add_argument("--json", type=Path, help="écrire le détail en JSON")
    args = parser.parse_args(argv)

    from recommender.engine import Recommender

    started = time.perf_counter()
    records = load_records(refresh=args.refresh, verbose=args.verbose)
    loaded = time.perf_counter()
    recommender = Recommender().fit(records)
    fitted = time.perf_counter()
    cases = load_cases(args.cases)
    rows = evaluate(recommender, records, cases)
    summary = summarize(rows)
    print(
        f"{len(records)} partenaires (chargés en {loaded - started:.1f} s, index en "
        f"{fitted - loaded:.1f} s), {len(cases)} cas, {len(rows)} requêtes"
    )
    print(format_table(summary, list(recommender.taxonomy_.freins)))
    misses = [r for r in rows if not r["hit@3"]]
    if misses or args.verbose:
        print("\nRequêtes sans résultat pertinent dans le top 3 :" if misses else "")
        for row in rows if args.verbose else misses:
            mark = "ok " if row["hit@3"] else "-- "
            print(f"{mark}{row['case']} / {row['frein']}: " + " | ".join(row["top"][:3]))
    if args.json:
        args.json.write_text(
            json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
