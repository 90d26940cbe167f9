"""One ``fold`` (recommender.text) for the gazetteer, the importers and the search: its
per-character table must give what folding the whole text gives, on real names."""

from __future__ import annotations

import csv
import gzip
import json
import re
import unicodedata
from pathlib import Path

import pytest

from recommender.geo import default_gazetteer
from recommender.text import fold

PARTNERS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "partners"
ROWS_PER_FILE = 2000


def reference_fold(text: str) -> str:
    """The definition: whole-text NFKD, combining marks dropped, lower case, separators."""
    for ligature, letters in {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"}.items():
        text = text.replace(ligature, letters)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped.lower()).strip()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _texts(path: Path) -> list[str]:
    """Every text of the file's first rows (names, addresses, labels…)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows = [row for _, row in zip(range(ROWS_PER_FILE), csv.reader(f), strict=False)]
        return [cell for row in rows for cell in row]
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        records = (
            data
            if isinstance(data, list)
            else next((v for v in data.values() if isinstance(v, list)), [data])
        )
        return _strings(records[:ROWS_PER_FILE])
    return []


def test_samples_fold_as_the_definition():
    samples = [
        "  Saint-Étienne-du-Rouvray / Œuvre ",
        "Straße ǅ ﬁ İ Ⅻ",
        "  CCAS — Pôle emploi / Saint-Denis ",
        "ÀÉÎÕÜ ç ñ ΟΔΟΣ",
        "",
    ]
    for text in samples:
        assert fold(text) == reference_fold(text)


def test_every_commune_name_folds_as_the_definition():
    gaz = default_gazetteer()
    names = {c.nom for c in gaz.communes.values()}
    with gzip.open(gaz.directory / "communes_anciennes.csv.gz", "rt", encoding="utf-8") as f:
        names |= {r["nom"] for r in csv.DictReader(f) if r["nom"]}
    assert [n for n in names if fold(n) != reference_fold(n)] == []


@pytest.mark.parametrize("path", sorted(PARTNERS.iterdir()), ids=lambda p: p.name)
def test_partner_files_texts_fold_as_the_definition(path):
    texts = _texts(path)
    assert [t for t in texts if fold(t) != reference_fold(t)] == []
