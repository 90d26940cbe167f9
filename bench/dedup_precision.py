"""Precision of the cross-source merges, measured on a hand-labelled sample.

The importers merge a record into a partner of another source when a rule of
``app/importers/dedup.py`` says both describe the same place. Whether they
really do is a human judgement: ``bench/dedup_labels.csv`` holds a seeded
random sample of the merges of ``relais demo`` on the shared data, each pair
read and labelled by hand (``meme`` = same place, ``different`` = two places
wrongly merged), with the reason. Two samples: ``reglage`` (200 pairs, drawn
first; the rules were tightened after reading it) and ``controle`` (drawn
after, from the merges of the tightened rules, never used to change them).

Two commands::

    # draw a new sample to label (prints CSV; labels are written by a person)
    python -m bench.dedup_precision sample --database sqlite:///instance/relais.sqlite3 \
        --seed 2 --exclude bench/dedup_labels.csv

    # precision of the labels still merged in a database, per sample and rule
    python -m bench.dedup_precision score --database sqlite:///instance/relais.sqlite3

Labels are never produced by code: ``sample`` leaves the ``label`` column empty.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Row, create_engine, text

LABELS = Path(__file__).with_name("dedup_labels.csv")
SEED = 20261204
COLUMNS = [
    "rule",
    "distance_km",
    "source",
    "source_id",
    "incoming",
    "target_source",
    "target_id",
    "target",
    "label",
    "reason",
    "echantillon",
]

_HOLDERS = text("SELECT source, source_id, partner_id FROM partner_source WHERE NOT archived")
Counts = dict[tuple[str, str], tuple[int, int]]
_MERGES = text(
    "SELECT md.rule, md.distance_km, md.source, md.source_id, md.partner_id "
    "FROM merge_decision md WHERE md.undone_at IS NULL ORDER BY md.id"
)
_RECORDS = text(
    "SELECT source, source_id, raw FROM partner_source "
    "WHERE partner_id = :pid ORDER BY imported_at, id"
)


def _describe(raw: object) -> str:
    """One line a person can judge: name, type, address, commune."""
    data = json.loads(raw) if isinstance(raw, str) else raw
    fields = data.get("fields", {}) if isinstance(data, dict) else {}
    parts = [
        str(fields.get("nom", "")),
        f"[{fields.get('type_code', '')}]",
        str(fields.get("adresse", "")),
        f"{fields.get('code_postal', '')} {fields.get('commune_nom', '')}".strip(),
    ]
    return " | ".join(part for part in parts if part)


def _merged(database: str) -> list[Row]:
    with create_engine(database).connect() as connection:
        return list(connection.execute(_MERGES).all())


def _holders(database: str) -> dict[tuple[str, str], str]:
    with create_engine(database).connect() as connection:
        rows = connection.execute(_HOLDERS).all()
    return {(row.source, row.source_id): row.partner_id for row in rows}


def sample(
    database: str, size: int, seed: int = SEED, exclude: set[tuple[str, str]] = frozenset()
) -> list[dict[str, str]]:
    """A seeded uniform sample of the live merges, with both sides described."""
    merges = [m for m in _merged(database) if (m.source, m.source_id) not in exclude]
    with create_engine(database).connect() as connection:
        rows = []
        for merge in random.Random(seed).sample(merges, min(size, len(merges))):
            records = connection.execute(_RECORDS, {"pid": merge.partner_id}).all()
            incoming = next(
                (r for r in records if (r.source, r.source_id) == (merge.source, merge.source_id)),
                None,
            )
            target = next(
                (r for r in records if (r.source, r.source_id) != (merge.source, merge.source_id)),
                None,
            )
            if incoming is None or target is None:
                continue
            rows.append(
                {
                    "rule": merge.rule,
                    "distance_km": f"{merge.distance_km or 0:.2f}",
                    "source": merge.source,
                    "source_id": merge.source_id,
                    "incoming": _describe(incoming.raw),
                    "target_source": target.source,
                    "target_id": target.source_id,
                    "target": _describe(target.raw),
                    "label": "",
                    "reason": "",
                    "echantillon": "",
                }
            )
    return rows


def read_labels(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["label"]]
    unknown = {row["label"] for row in rows} - {"meme", "different"}
    if unknown:
        raise SystemExit(f"Étiquettes inconnues : {', '.join(sorted(unknown))}")
    return rows


def score(rows: list[dict[str, str]], holder: dict[tuple[str, str], str] | None = None) -> Counts:
    """(same, labelled) per sample and rule, over the labelled pairs still merged: both
    records held by one partner of ``holder`` ((source, source_id) → partner id)."""
    if holder is not None:
        rows = [
            row
            for row in rows
            if holder.get((row["source"], row["source_id"]))
            == holder.get((row["target_source"], row["target_id"]), "")
        ]
    labelled: Counter[tuple[str, str]] = Counter()
    same: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for key in ((row["echantillon"], row["rule"]), (row["echantillon"], "ensemble")):
            labelled[key] += 1
            same[key] += row["label"] == "meme"
    return {key: (same[key], labelled[key]) for key in sorted(labelled)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup_precision")
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("sample")
    draw.add_argument("--database", required=True)
    draw.add_argument("--size", type=int, default=200)
    draw.add_argument("--seed", type=int, default=SEED)
    draw.add_argument(
        "--exclude", type=Path, help="fichier d'étiquettes dont les paires sont exclues"
    )
    rate = commands.add_parser("score")
    rate.add_argument(
        "--database", help="ne compter que les paires encore fusionnées dans cette base"
    )
    args = parser.parse_args(argv)
    if args.command == "sample":
        exclude = (
            {(r["source"], r["source_id"]) for r in read_labels(args.exclude)}
            if args.exclude
            else set()
        )
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(sample(args.database, args.size, args.seed, exclude))
        return 0
    labels = read_labels()
    holder = _holders(args.database) if args.database else None
    for (sample_name, rule), (same, total) in score(labels, holder).items():
        print(f"{sample_name:<9} {rule:<12} {same:>4} / {total:<4} précision {same / total:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
