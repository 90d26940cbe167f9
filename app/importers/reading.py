"""Reading a file into records: each one parsed, resolved, trimmed and hashed (a big file
on two cores, see :mod:`.parallel`), then, in file order, identified and kept or rejected."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .formats import Format
from .formats.base import Context, Parsed, RowError, trimmed
from .normalize import date_from_filename
from .parallel import ordered_map
from .plan import Item
from .report import ImportReport
from .resolve import Resolver

if TYPE_CHECKING:
    from recommender.taxonomy import Taxonomy

log = logging.getLogger(__name__)

# Bump when normalisation changes: every record then counts as updated once.
NORMALIZER_VERSION = "2"  # 2: structured hours and services
# Reading on two cores from 8 MiB (~16,000 generic rows): it saves a fifth of the
# reading time; below, a few tenths of a second are not worth a process.
PARALLEL_BYTES = 8 << 20
NUL_IN_ROW = "caractère nul (octet 0) dans la ligne : ligne rejetée, corrigez le fichier"


@dataclass
class Prepared:
    """One record as :meth:`Reader.prepare` leaves it: parsed (``parsed.raw`` trimmed) and
    resolved, or the French reason it cannot be; its identifier is not checked yet."""

    parsed: Parsed | None = None  # None: the record could not be parsed
    fields: dict[str, Any] | None = None
    hash: str = ""
    error: str = ""
    unexpected: bool = False  # an error of ours (logged), not of the record


def _unexpected(line: int, exc: Exception) -> str:
    log.exception("import: unexpected error on line %s", line)
    return f"erreur inattendue ({type(exc).__name__} : {exc})"


def content_hash(fmt: Format, raw: dict[str, Any]) -> str:
    """SHA-256 of the normalised record (and of the normaliser's version)."""
    if all(type(v) is str for v in raw.values()):  # a CSV row: no JSON needed
        parts = [NORMALIZER_VERSION, fmt.name, *map("\x1e".join, sorted(raw.items()))]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    payload = json.dumps(
        {"v": NORMALIZER_VERSION, "f": fmt.name, "r": raw},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _holds_nul(value: Any) -> bool:
    """Whether a raw record holds a NUL character in any key or text, at any depth."""
    if type(value) is dict:
        try:  # a CSV row, only text: two joins instead of a call per cell
            return "\x00" in "".join(value) or "\x00" in "".join(value.values())
        except TypeError:
            pass
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _progress(iterable: Iterable[Any], enabled: bool, desc: str) -> Iterable[Any]:
    if not enabled or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit=" lignes", file=sys.stderr, leave=False)


class Reader:
    """The records of one file, kept in :attr:`items` (with every identifier seen, even
    on a rejected line, in :attr:`seen_ids`); rejections and warnings go to the report."""

    def __init__(
        self,
        fmt: Format,
        source: str,
        path: Path,
        report: ImportReport,
        taxonomy: Taxonomy,
        resolver: Resolver,
        workers: int = 1,
    ):
        self.fmt, self.source, self.path, self.report = fmt, source, path, report
        self.tax = taxonomy
        self.resolver = resolver
        # A helper process pays off on big files; the geocoder's connections stay here.
        self.helper = (
            workers > 1
            and resolver.address_geocoder is None
            and path.stat().st_size >= PARALLEL_BYTES
        )
        self.items: list[Item] = []
        self.seen_ids: set[str] = set()  # ids present in the file (kept from archiving)
        self.first_line: dict[str, int] = {}
        self.suffixes: dict[str, int] = defaultdict(int)

    def read(self, progress: bool) -> None:
        fmt, report = self.fmt, self.report
        ctx = Context(
            path=self.path,
            source=self.source,
            file_date=date_from_filename(report.filename),
            publics=dict(self.tax.publics),
            taxonomy=self.tax,
        )
        rows = ordered_map(
            lambda: fmt.records(self.path, ctx),
            functools.partial(self.prepare, ctx),
            helper=self.helper,
        )
        for line, prepared in _progress(rows, progress, "Lecture"):
            report.rows += 1
            self.keep(line, prepared)
        report.encoding, report.delimiter = ctx.encoding, ctx.delimiter
        report.notes.extend(ctx.notes)

    def keep(self, line: int, prepared: Prepared) -> None:
        """One prepared record, in file order: identified and kept, or rejected."""
        report = self.report
        parsed = prepared.parsed
        if parsed is None:
            report.reject(line, prepared.error)
            return
        source_id = parsed.source_id
        try:
            if not source_id:
                raise RowError("identifiant vide")
            source_id = self.unique_id(parsed)
        except RowError as exc:
            if source_id:
                self.seen_ids.add(source_id)
            report.reject(line, str(exc), source_id)
            return
        except Exception as exc:  # one bad row never stops the others
            report.reject(line, _unexpected(line, exc), source_id)
            return
        if prepared.error:
            if not prepared.unexpected:
                self.seen_ids.add(source_id)
            report.reject(line, prepared.error, source_id)
            return
        assert prepared.fields is not None
        self.items.append(
            Item(
                line=line,
                source_id=source_id,
                raw=parsed.raw,
                fields=prepared.fields,
                hash=prepared.hash,
                warnings=parsed.warnings,
                links=parsed.links,
                parent_id=parsed.parent_id,
            )
        )
        self.seen_ids.add(source_id)
        for message in parsed.warnings:
            report.warn(line, message, source_id)

    def prepare(self, ctx: Context, line: int, raw: dict[str, Any] | str) -> Prepared:
        """One record parsed and resolved, its raw record trimmed and hashed: everything
        that does not depend on the other records (so it may run in the helper process)."""
        if isinstance(raw, str):
            return Prepared(error=raw)
        try:
            parsed = self.fmt.parse(line, raw, ctx)
            parsed.source_id = parsed.source_id.strip()[:200]
        except RowError as exc:
            return Prepared(error=str(exc))
        except Exception as exc:  # one bad row never stops the others
            return Prepared(error=_unexpected(line, exc), unexpected=True)
        if _holds_nul(raw):  # PostgreSQL text cannot store it; SQLite would keep it silently
            parsed.source_id = parsed.source_id.replace("\x00", "")
            return Prepared(parsed=parsed, error=NUL_IN_ROW)
        if not parsed.source_id:
            return Prepared(parsed=parsed)
        try:
            fields = self.resolver.resolve(parsed)
        except RowError as exc:
            return Prepared(parsed=parsed, error=str(exc))
        except Exception as exc:
            return Prepared(parsed=parsed, error=_unexpected(line, exc), unexpected=True)
        parsed.raw = trimmed(parsed.raw)
        return Prepared(parsed=parsed, fields=fields, hash=content_hash(self.fmt, parsed.raw))

    def unique_id(self, parsed: Parsed) -> str:
        """The record's identifier, or another for a repeated one (the format's alternate
        identifier, else a numbered suffix) with a warning."""
        first_line, suffixes = self.first_line, self.suffixes
        source_id = parsed.source_id
        if source_id not in first_line:
            first_line[source_id] = parsed.line
            return source_id
        seen_at = first_line[source_id]
        if self.fmt.duplicate_ids == "reject" and not parsed.generated_id:
            raise RowError(f"identifiant « {source_id} » en double (déjà vu ligne {seen_at})")
        alternate = self.fmt.alternate_id(parsed)
        if not alternate or alternate in first_line:
            suffixes[source_id] += 1
            alternate = f"{source_id}-{suffixes[source_id] + 1}"
            while alternate in first_line:
                suffixes[source_id] += 1
                alternate = f"{source_id}-{suffixes[source_id] + 1}"
        first_line[alternate] = parsed.line
        what = "même nom et même lieu que" if parsed.generated_id else "identifiant déjà vu"
        self.report.warn(
            parsed.line,
            f"doublon : {what} ligne {seen_at} (« {source_id} ») — ligne gardée "
            f"sous l'identifiant « {alternate} »",
            alternate,
        )
        return alternate
