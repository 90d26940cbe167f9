"""What every import format provides: detection, raw records, and one parsed record per row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from ..normalize import clean
from ..reader import read_csv


class RowError(Exception):
    """One row cannot be imported; the message (French) goes to the report."""


@dataclass
class Parsed:
    """One source record as a format reads it, before location and type are resolved.

    ``fields`` holds what the source states (keys listed in ``docs/import.md``): ``nom``,
    ``source_type`` (the source's own type code) or ``type_code``, address parts, contacts,
    ``freins``/``thematiques``/``publics`` when the source declares them, ``zone_*``…
    """

    line: int
    source_id: str
    raw: dict[str, Any]
    fields: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    # Identifiers of the same record in other sources (e.g. DILA's old pivot id).
    links: list[tuple[str, str]] = field(default_factory=list)
    # data·inclusion: a service attaches to its structure (same source).
    parent_id: str | None = None
    # The identifier was computed (generic CSV without an id column), not read.
    generated_id: bool = False


@dataclass
class Context:
    """What a format may need besides the row: the file and the referentials."""

    path: Path
    source: str
    file_date: date | None
    publics: dict[str, str]
    taxonomy: Any = None
    encoding: str = ""
    delimiter: str = ""
    headers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)


class Format:
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    default_source: ClassVar[str] = ""
    # Key of the source in the taxonomy's source-type mappings.
    taxonomy_source: ClassVar[str] = ""
    # What to do with a repeated identifier: "suffix" keeps both rows, "reject" the later ones.
    duplicate_ids: ClassVar[str] = "suffix"
    kind: ClassVar[str] = "csv"
    # Full re-import by default: records missing from the file get archived.
    full_snapshot: ClassVar[bool] = True
    # Structures and services come in separate files: a file archives its own kind only.
    archives_by_kind: ClassVar[bool] = False

    def sniff_csv(self, headers: set[str]) -> bool:
        return False

    def sniff_json(self, sample: str) -> bool:
        return False

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, dict[str, Any] | str]]:
        """``(line, raw)`` per record; ``raw`` is a French error string for a broken row."""
        table = read_csv(path)
        headers = table.headers
        ctx.encoding, ctx.delimiter, ctx.headers = table.encoding, table.delimiter, headers
        for line, cells in table.rows:
            if len(cells) == 1 and cells[0].startswith("\x00csv-error:"):
                yield line, f"CSV mal formé à partir d'ici ({cells[0][11:]})"
                continue
            if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
                yield (
                    line,
                    f"{len(cells)} colonnes au lieu de {len(headers)} "
                    "(séparateur ou guillemets mal placés ?)",
                )
                continue
            cells = cells + [""] * (len(headers) - len(cells))
            yield line, {h: cells[i] for i, h in enumerate(headers) if h}

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        raise NotImplementedError

    @staticmethod
    def sub_source(source_id: str) -> str | None:
        """The sub-source a record belongs to within its source (None: the source has
        none): a file archives only records of the sub-sources it holds."""
        return None

    @staticmethod
    def alternate_id(parsed: Parsed) -> str:
        """The identifier a repeated one takes, when the source has a better one than a
        number ("": the pipeline numbers the repeats ``id-2``, ``id-3``…)."""
        return ""


def get(raw: dict[str, Any], key: str) -> str:
    return clean(raw.get(key))


def trimmed(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw record without empty values (what is stored and hashed)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            value = value.strip()
            if value:
                out[key] = value
        elif isinstance(value, dict):
            sub = trimmed(value)
            if sub:
                out[key] = sub
        elif isinstance(value, list):
            items = [trimmed(v) if isinstance(v, dict) else v for v in value]
            items = [v for v in items if v not in ("", None, {}, [])]
            if items:
                out[key] = items
        elif value is not None:
            out[key] = value
    return out
