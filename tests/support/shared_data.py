"""The real public data beside the checkout (``../shared/data``), as tests walk it: every data
file of ``partners/``, whatever its name, so that a file is tested the day it appears."""

from __future__ import annotations

import csv
import json
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PARTNERS = SHARED_DATA / "partners"
DATA_SUFFIXES = (".csv", ".json", ".gz")


def partner_files(directory: Path = PARTNERS) -> list[Path]:
    """The data files of ``directory``, sorted by name (the order of ``relais demo``): only
    README-like notes and hidden files are left out."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.lower().startswith("readme")
        and path.suffix.lower() in DATA_SUFFIXES
    )


def count_rows(path: Path) -> int:
    """Records in a file, counted without the importer: CSV data rows that are not blank,
    the items of a JSON list, or of every list of a JSON object (``{"service": […]}``, zones)."""
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, list):
            return len(data)
        return sum(len(v) for v in data.values() if isinstance(v, list))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=_delimiter(handle.readline()))
        return sum(1 for row in rows if any(cell.strip() for cell in row))


def _delimiter(header: str) -> str:
    return max(",;\t|", key=header.count)
