"""Evaluation harness: hit@1, hit@3 and nDCG@5 of the recommender on ``cases.json``.

The partners are the real shared data (``../shared/data/partners``) plus the
partners the project ships (``data/partners``), imported exactly as the app
does: :func:`app.importers.run_import` into a temporary SQLite database, the
app's inferred freins, then :func:`app.index.records.records_from_session`. The
records are cached (pickle in the temp folder) until a data file, the
taxonomy, a referential or the code of ``app`` or ``recommender`` changes
(``--refresh`` reimports anyway).

The cases are the hand-written ``cases.json`` and the cases generated from
the domain's rules in ``matrix.json`` (each rule × real communes of every
milieu × profiles), plus plan, fit and error cases. Each (case, frein) pair is
one query; a result is relevant when its partner type is one the case accepts
(and, for a départemental rule, when the partner belongs to the expected
département). A rule violation is a type proposed first that must never be
first, a type that must never appear, or an order broken (CIDFF before France
Victimes). Cases are split, by a hash of their id, into a tuning half
(``reglage``, the only one weights may be calibrated on) and a held-out half
(``controle``). No weight was calibrated on the held-out half; two rules were
changed after reading its misses (employers after any accompanying service,
structures of no known type after the identified actors), so its figures are
no longer blind for those two rules. Run::

    python -m bench.evaluation.harness [--verbose] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
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
MATRIX = Path(__file__).with_name("matrix.json")
TUNING, HELD_OUT = "reglage", "controle"
#: Targets on the held-out half (issue 14).
TARGETS = {"hit@1": 0.85, "hit@3": 0.97}
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


def half(case_id: str) -> str:
    """The fixed half of a case: the parity of the SHA-256 of its id.

    >>> half("emploi-adulte-amiens-adulte-demandeur"), half("ales-jeune-permis")
    ('controle', 'reglage')
    """
    return HELD_OUT if int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 2 else TUNING


def _type_reader(sets: dict[str, list[str]]):
    def types_of(value: Any) -> set[str]:
        if value is None:
            return set()
        if isinstance(value, str):
            return set(sets[value[1:]]) if value.startswith("$") else {value}
        out: set[str] = set()
        for item in value:
            out |= types_of(item)
        return out

    return types_of


def load_cases(path: Path = CASES, matrix: Path | None = MATRIX) -> list[dict[str, Any]]:
    """The recommendation cases (hand-written, then generated from ``matrix``), with
    ``$name`` type lists expanded and expectations normalised to ``{frein: {"types": set,
    "departement": str | None, "never_first": set, "never": set, "order": [(set, set)]}}``;
    ``half`` says which half a case belongs to."""
    data = json.loads(path.read_text(encoding="utf-8"))
    types_of = _type_reader(data.get("type_sets", {}))
    cases = []
    for case in data["cases"]:
        expected = {}
        for frein, value in case["expected"].items():
            if isinstance(value, dict):
                expected[frein] = _expectation(types_of(value["types"]), value.get("departement"))
            else:
                expected[frein] = _expectation(types_of(value), None)
        cases.append({**case, "expected": expected, "half": half(case["id"])})
    if matrix is not None:
        cases.extend(matrix_cases(json.loads(matrix.read_text(encoding="utf-8"))))
    return cases


def _expectation(
    types: set[str],
    departement: str | None,
    never_first: set[str] | None = None,
    never: set[str] | None = None,
    order: list[tuple[set[str], set[str]]] | None = None,
) -> dict[str, Any]:
    return {
        "types": types,
        "departement": departement,
        "never_first": never_first or set(),
        "never": never or set(),
        "order": order or [],
    }


def matrix_cases(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """One case per rule × place × profile of ``matrix.json``."""
    types_of = _type_reader(matrix["type_sets"])
    places, profiles = matrix["lieux"], matrix["profils"]
    cases = []
    for rule in matrix["regles"]:
        for place_id in rule["lieux"]:
            place = places[place_id]
            for profile_id in rule["profils"]:
                profile = profiles[profile_id]
                departement = "$personne" if rule.get("departement_de_la_personne") else None
                expect = _expectation(
                    types_of(rule["attendus"]),
                    departement,
                    types_of(rule.get("jamais_premier")),
                    types_of(rule.get("jamais")),
                    [(types_of(a), types_of(b)) for a, b in [rule["ordre"]]]
                    if rule.get("ordre")
                    else [],
                )
                case_id = f"{rule['id']}-{place_id}-{profile_id}"
                cases.append(
                    {
                        "id": case_id,
                        "regle": rule["regle"],
                        "milieu": place["milieu"],
                        "commune": place["commune"],
                        "freins": [rule["frein"]],
                        **profile,
                        **({} if rule.get("vehicule") is None else {"vehicule": rule["vehicule"]}),
                        "expected": {rule["frein"]: expect},
                        "half": half(case_id),
                    }
                )
    return cases


def load_matrix(path: Path = MATRIX) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


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
    """One row per (case, frein): the top results' types, the metrics and the rule
    violations, judged on the ``records`` the recommender was fitted on."""
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
            departement = expect["departement"]
            if departement == "$personne":
                departement = profile.location.departement
            ranked = [records[r["partner_id"]] for r in item["results"]]
            relevance = [
                int(
                    rec.type_code in expect["types"]
                    and (departement is None or rec.departement == departement)
                )
                for rec in ranked
            ]
            ideal = dcg([1] * min(5, sum(relevance)))
            rows.append(
                {
                    "case": case["id"],
                    "half": case.get("half", half(case["id"])),
                    "frein": frein,
                    "top": [
                        f"{rec.type_code}({rec.departement}) {r['distance_km']} km"
                        for rec, r in zip(ranked[:5], item["results"][:5], strict=True)
                    ],
                    "hit@1": int(any(relevance[:1])),
                    "hit@3": int(any(relevance[:3])),
                    "ndcg@5": dcg(relevance[:5]) / ideal if ideal else 0.0,
                    "relevant_available": sum(relevance),
                    "violations": violations([rec.type_code for rec in ranked], expect),
                }
            )
    return rows


def violations(types: Sequence[str], expect: dict[str, Any]) -> list[str]:
    """The rules a ranked list of partner types breaks (in French).

    >>> expect = {"never_first": {"aci"}, "never": {"pmi"}, "order": [({"cidff"}, {"civi"})]}
    >>> violations(["aci", "civi", "cidff", "pmi"], expect)
    ['aci en premier', 'pmi proposé', 'civi avant cidff']
    """
    out = []
    if types and types[0] in expect.get("never_first", ()):
        out.append(f"{types[0]} en premier")
    out.extend(f"{t} proposé" for t in sorted(set(types) & set(expect.get("never", ()))))
    for before, after in expect.get("order", ()):
        first_before = next((i for i, t in enumerate(types) if t in before), None)
        first_after = next((i for i, t in enumerate(types) if t in after), None)
        if first_before is not None and first_after is not None and first_after < first_before:
            out.append(f"{types[first_after]} avant {types[first_before]}")
    return out


# ---------------------------------------------------------------------- plans, fits, errors


def minimal_plan_size(
    results: dict[str, list[tuple[str, float, bool]]], min_relative_score: float = 0.5
) -> int:
    """The size of the smallest set of proposed partners covering the freins, by the
    contract's rule, written here independently of ``recommender.plan``: a partner may
    cover a frein when its score is at least half the best, and at its main mission
    whenever one proposed partner has that frein as main mission.

    >>> minimal_plan_size({"a": [("x", 0.9, True), ("y", 0.8, True)], "b": [("y", 0.9, True)]})
    1
    """
    can: dict[str, set[str]] = {}
    for frein, ranked in results.items():
        if not ranked:
            continue
        core = [r for r in ranked if r[2]] or list(ranked)
        best = max(s for _, s, _ in core)
        for pid, s, _ in core:
            if s >= best * min_relative_score:
                can.setdefault(pid, set()).add(frein)
    need = {f for f, ranked in results.items() if ranked}
    for size in range(0, len(need) + 1):
        for combo in itertools.combinations(sorted(can), size):
            if need <= set().union(*(can[p] for p in combo)):
                return size
    return len(need)


def evaluate_plans(
    recommender: Any, records: Sequence[Any], cases: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every multi-frein case (and every plan case): is the plan minimal, does each
    frein go to a partner at its main mission when one is proposed, is it under the
    case's ``partenaires_max``? The answers are taken as the API gives them (5 a frein)."""
    from recommender.params import parse_profile

    by_id = {r.id: r for r in records}
    taxonomy = recommender.taxonomy_
    out = []
    for case in cases:
        if len(case["freins"]) < 2:
            continue
        profile = parse_profile(case_params(case), recommender.gazetteer_, taxonomy)
        answer = recommender.recommend(profile)
        results = {
            item["frein"]: [
                (
                    r["partner_id"],
                    r["score"],
                    item["frein"] in _core_freins(by_id[r["partner_id"]], taxonomy),
                )
                for r in item["results"]
            ]
            for item in answer["freins"]
        }
        plan = answer["plan"]
        problems = []
        smallest = minimal_plan_size(results)
        if len(plan["partners"]) != smallest:
            problems.append(f"{len(plan['partners'])} structures au lieu de {smallest}")
        for pid, freins in plan["covers"].items():
            for frein in freins:
                core_here = [r for r in results[frein] if r[2]]
                if core_here and not any(r[0] == pid for r in core_here):
                    problems.append(f"{frein} confié à une mission secondaire")
        limit = case.get("partenaires_max")
        if limit is not None and len(plan["partners"]) > limit:
            problems.append(f"plus de {limit} structure(s)")
        out.append(
            {"case": case["id"], "half": case.get("half", half(case["id"])), "problems": problems}
        )
    return out


def _core_freins(record: Any, taxonomy: Any) -> tuple[str, ...]:
    """The freins of a partner's main mission, read from the taxonomy (its type's
    ``freins_core``, or the freins it declares for a type without defaults)."""
    ptype = taxonomy.partner_types.get(record.type_code)
    core = tuple(ptype.freins_core) if ptype is not None else ()
    side = tuple(ptype.freins_side) if ptype is not None else ()
    return core or tuple(f for f in record.freins if f not in side)


def evaluate_fits(
    recommender: Any, records: Sequence[Any], cases: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Fit cases: the first active partner (by id) of the named type, département and
    commune is judged incompatible, or not, as the case's rule says."""
    from recommender.params import parse_profile

    out = []
    for case in cases:
        want = case["partenaire"]
        found = sorted(
            (
                r
                for r in records
                if r.type_code == want["type"]
                and r.departement == want["departement"]
                and r.active
                and ("commune" not in want or r.code_insee == want["commune"])
            ),
            key=lambda r: r.id,
        )
        if not found:
            out.append({"case": case["id"], "ok": False, "got": "aucun partenaire de ce type"})
            continue
        profile = parse_profile(case_params(case), recommender.gazetteer_, recommender.taxonomy_)
        fit = recommender.fit_check(profile, found[0].id, frein=case["freins"][0])
        incompatible = fit["verdict"] == "incompatible"
        out.append(
            {
                "case": case["id"],
                "ok": incompatible == case["incompatible"],
                "got": f"{fit['verdict']} ({'; '.join(fit['blockers'])})",
            }
        )
    return out


def evaluate_errors(recommender: Any, cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Error cases: the request is refused with the expected error code."""
    from recommender.params import parse_profile

    out = []
    for case in cases:
        try:
            parse_profile(case["params"], recommender.gazetteer_, recommender.taxonomy_)
            got = "acceptée"
        except RelaisError as exc:
            got = exc.code
        out.append({"case": case["id"], "ok": got == case["code"], "got": got})
    return out


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean metrics and violation counts per frein and overall (``"tous"``)."""
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
            "violations": sum(len(r.get("violations", ())) for r in items),
        }
    return out


def format_table(summary: dict[str, dict[str, float]], order: Sequence[str]) -> str:
    lines = [f"{'frein':<24} {'n':>3} {'hit@1':>6} {'hit@3':>6} {'nDCG@5':>7} {'viol.':>5}"]
    for frein in [*(f for f in order if f in summary), "tous"]:
        m = summary[frein]
        lines.append(
            f"{frein:<24} {m['n']:>3} {m['hit@1']:>6.2f} {m['hit@3']:>6.2f} {m['ndcg@5']:>7.2f}"
            f" {int(m.get('violations', 0)):>5}"
        )
    return "\n".join(lines)


def run(
    recommender: Any, records: Sequence[Any], *, cases: Path = CASES, matrix: Path = MATRIX
) -> dict[str, Any]:
    """Everything ``make evaluate`` measures, per half."""
    all_cases = load_cases(cases, matrix)
    extra = load_matrix(matrix)
    rows = evaluate(recommender, records, all_cases)
    plan_cases = [{**c, "half": half(c["id"])} for c in (*all_cases, *extra["plans"])]
    plans = evaluate_plans(recommender, records, plan_cases)
    return {
        "cases": len(all_cases),
        "rows": rows,
        "summary": {h: summarize([r for r in rows if r["half"] == h]) for h in (TUNING, HELD_OUT)},
        "plans": plans,
        "fits": evaluate_fits(recommender, records, extra["ajustements"]),
        "errors": evaluate_errors(recommender, extra["erreurs"]),
    }


def meets_targets(report: dict[str, Any]) -> list[str]:
    """What the held-out half misses of the targets (empty: all met)."""
    held = report["summary"][HELD_OUT]["tous"]
    misses = [f"{k} {held[k]:.3f} < {v}" for k, v in TARGETS.items() if held[k] < v]
    if held["violations"]:
        misses.append(f"{held['violations']} violation(s) de règle")
    bad_plans = [p for p in report["plans"] if p["half"] == HELD_OUT and p["problems"]]
    if bad_plans:
        misses.append(f"{len(bad_plans)} plan(s) non minimal(aux)")
    return misses


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
    report = run(recommender, records, cases=args.cases)
    rows = report["rows"]
    print(
        f"{len(records)} partenaires (chargés en {loaded - started:.1f} s, index en "
        f"{fitted - loaded:.1f} s), {report['cases']} cas, {len(rows)} requêtes "
        f"({time.perf_counter() - fitted:.1f} s)"
    )
    order = list(recommender.taxonomy_.freins)
    for name, title in (
        (TUNING, "Moitié de réglage"),
        (HELD_OUT, "Moitié de contrôle (poids jamais réglés dessus)"),
    ):
        print(f"\n{title}\n{format_table(report['summary'][name], order)}")
    bad = [r for r in rows if r["violations"]]
    print(f"\nViolations de règle : {sum(len(r['violations']) for r in bad)}")
    for row in bad:
        print(f"  [{row['half']}] {row['case']} / {row['frein']}: {', '.join(row['violations'])}")
    plans = report["plans"]
    minimal = sum(not p["problems"] for p in plans)
    print(f"\nPlans minimaux et à mission principale : {minimal}/{len(plans)}")
    for plan in plans:
        if plan["problems"]:
            print(f"  [{plan['half']}] {plan['case']}: {', '.join(plan['problems'])}")
    for key, title in (("fits", "Vérifications d'orientation"), ("errors", "Erreurs")):
        items = report[key]
        print(f"\n{title} : {sum(i['ok'] for i in items)}/{len(items)} conformes")
        for item in items:
            if not item["ok"]:
                print(f"  {item['case']}: {item['got']}")
    misses = [r for r in rows if not r["hit@3"]]
    if misses or args.verbose:
        print("\nRequêtes sans résultat pertinent dans le top 3 :" if misses else "")
        for row in rows if args.verbose else misses:
            mark = "ok " if row["hit@3"] else "-- "
            print(
                f"{mark}[{row['half']}] {row['case']} / {row['frein']}: "
                + " | ".join(row["top"][:3])
            )
    missed = meets_targets(report)
    print(
        "\nObjectifs de la moitié de contrôle : "
        + ("atteints" if not missed else "; ".join(missed))
    )
    if args.json:
        args.json.write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=sorted),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
