"""``run_import``: read → resolve → classify (unchanged / updated / new) → deduplicate →
write, as one transaction.

The existing source index (every ``PartnerSource`` key and content hash) and the dedup
candidates are loaded once per run; partners and source rows are written with bulk
statements, so the cost per row stays flat.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import hashlib
import io
import itertools
import json
import logging
import operator
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

from recommender.errors import ImportFailed
from recommender.text import fold

from ..models import (
    IMPORT_FAILED,
    AuditLog,
    ImportRun,
    MergeDecision,
    Partner,
    PartnerSource,
    utcnow,
)
from .compose import OWNED_COLUMNS, compose, from_partner_row
from .dedup import Candidate, DedupIndex, Match, assign
from .formats import FORMATS, Format, by_name
from .formats.base import Context, Parsed, RowError, trimmed
from .formats.csv_sources import FranceTravail
from .normalize import date_from_filename
from .parallel import ordered_map
from .reader import check_not_binary, detect_encoding, excel_separator, head, sniff_delimiter
from .report import ImportReport
from .resolve import Resolver

log = logging.getLogger(__name__)

# Bump when normalisation changes: every record then counts as updated once.
NORMALIZER_VERSION = "1"
MAX_DOWNLOAD_BYTES = 1 << 30
CHUNK = 500
# Reading on two cores from 8 MiB (~16,000 generic rows): it saves a fifth of the
# reading time; below, a few tenths of a second are not worth a process.
PARALLEL_BYTES = 8 << 20


@dataclass
class Item:
    line: int
    source_id: str
    raw: dict[str, Any]
    fields: dict[str, Any]
    hash: str
    warnings: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    parent_id: str | None = None
    status: str = ""
    partner_id: str | None = None
    ps_id: int | None = None
    match: Match | None = None
    # data·inclusion: the structure of this run a service joins.
    parent: Item | None = None


@dataclass
class Prepared:
    """One record as :meth:`_Run._prepare` leaves it: parsed (``parsed.raw`` trimmed) and
    resolved, or the French reason it cannot be; its identifier is not checked yet."""

    parsed: Parsed | None = None  # None: the record could not be parsed
    fields: dict[str, Any] | None = None
    hash: str = ""
    error: str = ""
    unexpected: bool = False  # an error of ours (logged), not of the record


# --------------------------------------------------------------------------- helpers


def _unexpected(line: int, exc: Exception) -> str:
    log.exception("import: unexpected error on line %s", line)
    return f"erreur inattendue ({type(exc).__name__} : {exc})"


def source_from_stem(name: str) -> str:
    """``auto_ecoles_sociales_liste_manuelle.csv`` → ``auto-ecoles-sociales-liste-manuelle``."""
    stem = name
    for suffix in (".gz", ".csv", ".json", ".txt", ".tsv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    slug = fold(stem).replace(" ", "-")
    return slug[:64] or "import"


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


def partner_id_for(source: str, source_id: str, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{source}:{source_id}".encode()).hexdigest()
    for size in (12, 16, 20, 40):
        if digest[:size] not in taken:
            return digest[:size]
    raise ImportFailed("Collision d'identifiants de partenaires.")  # pragma: no cover


def fetch(url: str) -> Path:
    """Download an http(s) URL to a temporary file (the caller deletes it)."""
    parsed = urlparse(url)
    suffix = "".join(Path(parsed.path).suffixes[-2:]) or ".dat"
    request = urllib.request.Request(url, headers={"User-Agent": "Relais-import/1.0"})
    fd, name = tempfile.mkstemp(prefix="relais-import-", suffix=suffix)
    target = Path(name)
    try:
        with open(fd, "wb") as out, urllib.request.urlopen(request, timeout=120) as response:
            size = 0
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ImportFailed("Fichier distant trop volumineux (plus de 1 Go).")
                out.write(chunk)
    except ImportFailed:
        target.unlink(missing_ok=True)
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()
        reason = getattr(exc, "reason", None) or exc
        raise ImportFailed(f"Téléchargement impossible de « {url} » : {reason}.") from None
    return target


# Below this many records to archive, an import is never refused as a mass archive.
MASS_ARCHIVE_MIN = 10


class MassArchiveRefused(ImportFailed):
    """The import would archive more than the allowed share of its source (nothing written)."""

    code = "archivage_massif"

    def __init__(self, source: str, missing: int, total: int, share: float):
        self.source, self.missing, self.total, self.share = source, missing, total, share
        super().__init__(self.explain("--no-archive", "--allow-mass-archive"))

    def explain(self, partial: str, force: str) -> str:
        """The French message, naming how to import partially and how to force (CLI or form)."""
        return (
            f"L'import archiverait {self.missing} des {self.total} fiches de la source "
            f"« {self.source} » ({self.missing / self.total:.0%}), plus que la part admise "
            f"({self.share:.0%}, réglage IMPORT_MAX_ARCHIVE_SHARE) : rien n'a été enregistré. "
            f"Si le fichier ne contient qu'une partie de la source, importez-le sans archivage "
            f"({partial}) ; si ces fiches ont vraiment disparu de la source, confirmez "
            f"l'archivage ({force})."
        ).replace("%", " %")


NUL_IN_ROW = "caractère nul (octet 0) dans la ligne : ligne rejetée, corrigez le fichier"


def _holds_nul(value: Any) -> bool:
    """Whether a raw record holds a NUL character in any key or text, at any depth."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def detect_format(path: Path, display_name: str) -> Format:
    """The format of a file, from its first bytes (JSON keys or CSV headers)."""
    sample = head(path)
    check_not_binary(sample, display_name)
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        for fmt in FORMATS:
            if fmt.kind == "json" and fmt.sniff_json(stripped):
                return fmt
        raise ImportFailed(
            f"Format JSON non reconnu pour « {display_name} » : ni export de l'annuaire DILA "
            "(clé « service »), ni export data·inclusion (structures ou services). "
            "Précisez --format si besoin."
        )
    delimiter, text = excel_separator(text)
    delimiter = delimiter or sniff_delimiter(text[:20000])
    try:
        headers = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (StopIteration, csv.Error):
        headers = []
    names = {h.strip().lstrip("\ufeff").lower() for h in headers}
    for fmt in FORMATS:
        if fmt.kind == "csv" and fmt.sniff_csv(names):
            return fmt
    shown = ", ".join(h for h in headers[:12] if h.strip()) or "aucune"
    raise ImportFailed(
        f"Format non reconnu pour « {display_name} » (colonnes : {shown}). Un CSV générique "
        "doit avoir au moins une colonne « nom » et une colonne de localisation (commune, "
        "code postal, département ou latitude/longitude) ; voir docs/import.md."
    )


_JSON_LISTS: dict[tuple[Any, ...], str] = {}


def _json(value: Any) -> str:
    """JSON text; lists of codes (the same few for thousands of partners) are memoised."""
    if isinstance(value, list):
        key = tuple(value)
        found = _JSON_LISTS.get(key)
        if found is None:
            found = json.dumps(value, ensure_ascii=False)
            if len(_JSON_LISTS) < 50000:
                _JSON_LISTS[key] = found
        return found
    return json.dumps(value, ensure_ascii=False)


def _sqlite_converter(column_type: Any) -> Any:
    """How SQLAlchemy would store a Python value of that type in SQLite (None: as is)."""
    if isinstance(column_type, sqltypes.JSON):
        return _json
    if isinstance(column_type, sqltypes.DateTime):
        return functools.lru_cache(maxsize=16)(lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if isinstance(column_type, sqltypes.Date):
        return lambda v: v.isoformat()
    if isinstance(column_type, sqltypes.Boolean):
        return int
    return None


def _sqlite_insert(table: Any, rows: list[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """The INSERT and the parameters of ``rows`` (which share their keys), converted here
    and sent straight to the driver: SQLAlchemy's per-value processing would cost more
    than the whole rest of an import."""
    keys = list(rows[0])
    converters = [
        (i, conv)
        for i, k in enumerate(keys)
        if (conv := _sqlite_converter(table.c[k].type)) is not None
    ]
    getter = operator.itemgetter(*keys)
    params = []
    for row in rows:
        values = list(getter(row))
        for i, conv in converters:
            if values[i] is not None:
                values[i] = conv(values[i])
        params.append(tuple(values))
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table.name, ", ".join(f'"{k}"' for k in keys), ", ".join("?" * len(keys))
    )
    return sql, params


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a run: it allocates hundreds of thousands of
    acyclic objects, and full collections over the referentials would dominate."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _sqlite_cache(session: Session, mib: int = 64) -> Iterator[None]:
    """A bigger SQLite page cache during a run: with the default 2 MiB, the indexes of a
    big import spill to the WAL page after page (a quarter of the time spent in SQLite at
    200,000 rows). Restored afterwards: the connection goes back to its pool."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{mib * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _progress(iterable: Iterable[Any], enabled: bool, desc: str) -> Iterable[Any]:
    if not enabled or not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit=" lignes", file=sys.stderr, leave=False)


_PARTNER_TARGET = re.compile(r"(?:partner|partenaire)s?[:/]\s*([\w-]+)", re.I)


def locked_fields(session: Session, partner_ids: set[str]) -> dict[str, set[str]]:
    """Fields an admin edited (``AuditLog`` rows with a partner target and field changes):
    an import never overwrites them."""
    if not partner_ids:
        return {}
    locked: dict[str, set[str]] = defaultdict(set)
    owned = set(OWNED_COLUMNS)
    rows = session.execute(
        select(AuditLog.action, AuditLog.target, AuditLog.changes).where(
            AuditLog.action.notlike("import%")
        )
    )
    for action, target, changes in rows:
        target = target or ""
        m = _PARTNER_TARGET.search(target)
        pid = m[1] if m else target.strip()
        if pid not in partner_ids or not isinstance(changes, dict):
            continue
        keys = set(changes)
        if isinstance(changes.get("fields"), list):
            keys |= {str(k) for k in changes["fields"]}
        if "archive" in (action or "") or "status" in keys:
            keys.add("status")
        locked[pid] |= keys & owned
    return locked


# --------------------------------------------------------------------------- entry point


def run_import(
    session: Session,
    path: str | Path,
    *,
    format: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    archive_missing: bool = True,
    progress: bool = False,
    user_id: int | None = None,
    gazetteer: Any = None,
    taxonomy: Any = None,
    commit: bool = True,
    address_geocoder: Any = None,
    workers: int = 1,
    max_archive_share: float | None = None,
) -> ImportReport:
    """Import one file or http(s) URL into the database; see ``docs/import.md``.

    ``max_archive_share`` (the ``IMPORT_MAX_ARCHIVE_SHARE`` setting; None: no limit) refuses,
    with :class:`MassArchiveRefused`, an import that would archive more than that share of
    its source's records (a partial file imported as a full one).

    The run is one transaction: committed at the end (unless ``commit`` is False), rolled
    back on any error and in ``dry_run`` (which still computes the full report). Raises
    :class:`ImportFailed` (French message) when the file as a whole is unusable. With
    ``workers=2`` a big file is read on two cores (a forked helper process: for a command,
    not a multi-threaded server).
    """
    text_path = str(path)
    remote = bool(re.match(r"^https?://", text_path, re.I))
    display = (Path(urlparse(text_path).path).name or text_path) if remote else Path(text_path).name
    try:
        return _import(
            session,
            text_path,
            display,
            format=format,
            source=source,
            dry_run=dry_run,
            archive_missing=archive_missing,
            progress=progress,
            user_id=user_id,
            gazetteer=gazetteer,
            taxonomy=taxonomy,
            commit=commit,
            address_geocoder=address_geocoder,
            workers=workers,
            max_archive_share=max_archive_share,
        )
    except Exception as exc:
        if not dry_run:
            reason = exc.message if isinstance(exc, ImportFailed) else UNEXPECTED_FAILURE
            record_failure(
                session,
                filename=display,
                source=source,
                format=format,
                user_id=user_id,
                reason=reason,
            )
        raise


UNEXPECTED_FAILURE = "Erreur inattendue pendant l'import (détail dans le journal du serveur)."


def record_failure(
    session: Session,
    *,
    filename: str,
    source: str | None,
    format: str | None,
    user_id: int | None,
    reason: str,
) -> None:
    """Keep a failed import in the history (status « échec » and its French reason).

    Written in its own session and transaction: the failed run's rollback, and the
    caller's, must not erase it. A database that cannot take even this row (unreachable,
    read-only) is logged, never raised over the import's own error.
    """
    session.rollback()
    now = utcnow()
    run = ImportRun(
        source=(source or "")[:64],
        filename=filename[:500],
        format=(format or "")[:32],
        dry_run=False,
        user_id=user_id,
        started_at=now,
        finished_at=now,
        counts={},
        report={"statut": IMPORT_FAILED, "erreur": reason},
    )
    try:
        with Session(bind=session.get_bind()) as own:
            own.add(run)
            own.commit()
    except Exception:
        log.exception("import: the failed run could not be recorded")


def _import(
    session: Session,
    text_path: str,
    display: str,
    *,
    format: str | None,
    source: str | None,
    dry_run: bool,
    archive_missing: bool,
    progress: bool,
    user_id: int | None,
    gazetteer: Any,
    taxonomy: Any,
    commit: bool,
    address_geocoder: Any,
    workers: int,
    max_archive_share: float | None,
) -> ImportReport:
    started = time.perf_counter()
    downloaded: Path | None = None
    if re.match(r"^https?://", text_path, re.I):
        downloaded = fetch(text_path)
        local = downloaded
    else:
        local = Path(text_path)
        if not local.is_file():
            raise ImportFailed(f"Fichier introuvable : « {text_path} ».")
    try:
        fmt = by_name(format) if format else detect_format(local, display)
        source_name = source or fmt.default_source or source_from_stem(display)
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", source_name):
            raise ImportFailed(
                f"Nom de source invalide : « {source_name} » (minuscules, chiffres, tirets)."
            )
        if taxonomy is None:
            from recommender.taxonomy import default_taxonomy

            taxonomy = default_taxonomy()
        if gazetteer is None:
            from recommender.geo import default_gazetteer

            gazetteer = default_gazetteer()
        report = ImportReport(source=source_name, format=fmt.name, filename=display)
        report.dry_run = dry_run
        try:
            with _gc_paused(), _sqlite_cache(session):
                _Run(
                    session,
                    fmt,
                    source_name,
                    local,
                    report,
                    gazetteer,
                    taxonomy,
                    address_geocoder,
                    workers,
                    max_archive_share,
                ).execute(archive_missing=archive_missing, progress=progress, user_id=user_id)
        except BaseException:
            session.rollback()
            raise
        report.duration_s = time.perf_counter() - started
        if dry_run:
            session.rollback()
            report.import_run_id = None
        else:
            run = session.get(ImportRun, report.import_run_id)
            if run is not None:
                run.report = report.to_dict()
            from ..inference import store_inferred_freins

            if run is not None:
                store_inferred_freins(session, changed_since=run.started_at)
            if commit:
                session.commit()
        return report
    finally:
        if downloaded is not None:
            downloaded.unlink(missing_ok=True)


class _Run:
    def __init__(
        self,
        session: Session,
        fmt: Format,
        source: str,
        path: Path,
        report: ImportReport,
        gazetteer: Any,
        taxonomy: Any,
        address_geocoder: Any = None,
        workers: int = 1,
        max_archive_share: float | None = None,
    ):
        self.session = session
        self.max_archive_share = max_archive_share
        self.fmt = fmt
        self.source = source
        self.path = path
        self.report = report
        self.gaz = gazetteer
        self.tax = taxonomy
        self.resolver = Resolver(gazetteer, taxonomy, fmt, source, address_geocoder)
        # A helper process pays off on big files; the geocoder's connections stay here.
        self.read_helper = (
            workers > 1 and address_geocoder is None and path.stat().st_size >= PARALLEL_BYTES
        )
        self.items: list[Item] = []
        self.seen_ids: set[str] = set()  # ids present in the file (kept from archiving)
        self.now = utcnow()

    # ------------------------------------------------------------------ phases
    def execute(self, *, archive_missing: bool, progress: bool, user_id: int | None) -> None:
        self.t0 = time.perf_counter()
        self.read(progress)
        if self.report.rows == 0:
            raise ImportFailed(f"Le fichier « {self.report.filename} » ne contient aucune ligne.")
        run = ImportRun(
            source=self.source,
            filename=self.report.filename[:500],
            format=self.fmt.name,
            dry_run=self.report.dry_run,
            user_id=user_id,
            started_at=self.now,
        )
        self.session.add(run)
        self.session.flush()
        self.run_id = run.id
        self.report.import_run_id = run.id
        timings = self.report.timings
        timings["lecture"] = time.perf_counter() - self.t0
        for name, phase in (
            ("index", self.load_index),
            ("classement", self.classify),
            ("dedoublonnage", self.deduplicate),
            ("ecriture", self.write),
        ):
            t = time.perf_counter()
            phase()
            timings[name] = time.perf_counter() - t
        if archive_missing and self.fmt.full_snapshot:
            t = time.perf_counter()
            self.archive_missing()
            timings["archivage"] = time.perf_counter() - t
        run.finished_at = utcnow()
        run.counts = dict(self.report.counts) | {"rows": self.report.rows}
        run.report = self.report.to_dict()
        self.session.flush()

    def read(self, progress: bool) -> None:
        """Every record parsed and resolved (a big file on two cores, see
        :mod:`.parallel`), then, in file order, identified and kept or rejected."""
        fmt, report = self.fmt, self.report
        ctx = Context(
            path=self.path,
            source=self.source,
            file_date=date_from_filename(report.filename),
            publics=dict(self.tax.publics),
            taxonomy=self.tax,
        )
        first_line: dict[str, int] = {}
        suffixes: dict[str, int] = defaultdict(int)
        rows = ordered_map(
            lambda: fmt.records(self.path, ctx),
            functools.partial(self._prepare, ctx),
            helper=self.read_helper,
        )
        for line, prepared in _progress(rows, progress, "Lecture"):
            report.rows += 1
            parsed = prepared.parsed
            if parsed is None:
                report.reject(line, prepared.error)
                continue
            source_id = parsed.source_id
            try:
                if not source_id:
                    raise RowError("identifiant vide")
                source_id = self._unique_id(parsed, first_line, suffixes)
            except RowError as exc:
                if source_id:
                    self.seen_ids.add(source_id)
                report.reject(line, str(exc), source_id)
                continue
            except Exception as exc:  # one bad row never stops the others
                report.reject(line, _unexpected(line, exc), source_id)
                continue
            if prepared.error:
                if not prepared.unexpected:
                    self.seen_ids.add(source_id)
                report.reject(line, prepared.error, source_id)
                continue
            item = Item(
                line=line,
                source_id=source_id,
                raw=parsed.raw,
                fields=prepared.fields,
                hash=prepared.hash,
                warnings=parsed.warnings,
                links=parsed.links,
                parent_id=parsed.parent_id,
            )
            self.items.append(item)
            self.seen_ids.add(source_id)
            for message in parsed.warnings:
                report.warn(line, message, source_id)
        report.encoding, report.delimiter = ctx.encoding, ctx.delimiter
        report.notes.extend(ctx.notes)

    def _prepare(self, ctx: Context, line: int, raw: dict[str, Any] | str) -> Prepared:
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

    def _unique_id(self, parsed: Parsed, first_line: dict[str, int], suffixes: dict) -> str:
        source_id = parsed.source_id
        if source_id not in first_line:
            first_line[source_id] = parsed.line
            return source_id
        seen_at = first_line[source_id]
        if self.fmt.duplicate_ids == "reject" and not parsed.generated_id:
            raise RowError(f"identifiant « {source_id} » en double (déjà vu ligne {seen_at})")
        alternate = (
            FranceTravail.alternate_id(parsed) if isinstance(self.fmt, FranceTravail) else ""
        )
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

    def load_index(self) -> None:
        """Every source record of the database, and the dedup candidates, in two queries."""
        self.by_key: dict[tuple[str, str], Any] = {}
        self.sources_of: dict[str, set[str]] = defaultdict(set)
        self.source_rows_of: dict[str, list[Any]] = defaultdict(list)
        cols = (
            PartnerSource.id,
            PartnerSource.partner_id,
            PartnerSource.source,
            PartnerSource.source_id,
            PartnerSource.content_hash,
            PartnerSource.archived,
        )
        for row in self.session.execute(select(*cols)):
            self.by_key[(row.source, row.source_id)] = row
            self.sources_of[row.partner_id].add(row.source)
            self.source_rows_of[row.partner_id].append(row)
        self.partner_ids: set[str] = set()
        self.partner_names: dict[str, str] = {}
        self.partner_status: dict[str, str] = {}
        communes: dict[str, str] = {}

        def commune_name(code: str) -> str:
            if code not in communes:
                commune = self.gaz.get(code)
                communes[code] = commune.nom if commune else ""
            return communes[code]

        from recommender.geo import haversine_km

        self.index = DedupIndex(self.tax, haversine_km, commune_name)
        pcols = (
            Partner.id,
            Partner.nom,
            Partner.type_code,
            Partner.lat,
            Partner.lon,
            Partner.coords_exact,
            Partner.code_insee,
            Partner.siret,
            Partner.adresse,
            Partner.status,
            Partner.departement,
        )
        self.partner_departement: dict[str, str | None] = {}
        for p in self.session.execute(select(*pcols)):
            self.partner_ids.add(p.id)
            self.partner_names[p.id] = p.nom
            self.partner_status[p.id] = p.status
            self.partner_departement[p.id] = p.departement
            if p.status != "active":
                continue
            self.index.add(
                Candidate(
                    partner_id=p.id,
                    nom=p.nom,
                    type_code=p.type_code,
                    lat=p.lat,
                    lon=p.lon,
                    coords_exact=bool(p.coords_exact),
                    code_insee=p.code_insee,
                    siret=p.siret,
                    adresse=p.adresse or "",
                    sources=self.sources_of.get(p.id, set()),
                )
            )

    def classify(self) -> None:
        self.new_items: list[Item] = []
        for item in self.items:
            existing = self.by_key.get((self.source, item.source_id))
            if existing is None:
                self.new_items.append(item)
                continue
            item.partner_id, item.ps_id = existing.partner_id, existing.id
            if existing.content_hash == item.hash and not existing.archived:
                item.status = "unchanged"
            else:
                item.status = "updated"

    def deduplicate(self) -> None:
        """Services join their structure; other new records merge into an existing partner
        of another source, or create one."""
        by_source_id = {item.source_id: item for item in self.items}
        # Services whose structure is neither in the file nor known join the first service
        # of the same structure (already imported, or new in this run).
        siblings: dict[str, Item] = {
            item.parent_id: item for item in self.items if item.parent_id and item.status
        }
        proposals: list[tuple[int, list[Match]]] = []
        candidates: list[Item] = []
        for item in self.new_items:
            if item.parent_id:
                parent = by_source_id.get(item.parent_id)
                existing = self.by_key.get((self.source, item.parent_id))
                if parent is not None and parent is not item:
                    item.status, item.parent = "merged", parent
                    continue
                if existing is not None:
                    item.status, item.partner_id = "merged", existing.partner_id
                    item.match = Match(existing.partner_id, "structure", 1.0, None)
                    continue
                sibling = siblings.get(item.parent_id)
                if sibling is not None:
                    item.status, item.parent = "merged", sibling
                    continue
            if not item.fields.get("code_insee") and item.fields.get("lat") is None:
                item.status = "rejected"
                self.report.reject(
                    item.line,
                    f"service sans adresse et structure « {item.parent_id} » inconnue",
                    item.source_id,
                )
                continue
            if item.parent_id:
                siblings[item.parent_id] = item
            rec = dict(item.fields)
            rec["_links"] = [
                self.by_key[link].partner_id for link in item.links if link in self.by_key
            ]
            matches = self.index.matches(rec, self.source)
            if matches:
                proposals.append((len(candidates), matches))
            candidates.append(item)
        chosen = assign(proposals, self.source)
        for idx, item in enumerate(candidates):
            match = chosen.get(idx)
            if match is None:
                item.status = "created"
            else:
                item.status, item.partner_id, item.match = "merged", match.partner_id, match
        taken = set(self.partner_ids)
        for item in self.new_items:
            if item.status == "created":
                item.partner_id = partner_id_for(self.source, item.source_id, taken)
                taken.add(item.partner_id)
        for item in self.new_items:
            parent = item.parent
            if parent is not None:
                item.partner_id = parent.partner_id
                item.match = Match(parent.partner_id, "structure", 1.0, None)

    # ------------------------------------------------------------------ writing
    def _stored_raw(self, item: Item) -> dict[str, Any]:
        """What a source row keeps: the raw record and its resolved fields (empty ones
        dropped), so that a later merge or update can recompose the partner."""
        fields = {k: v for k, v in item.fields.items() if v not in ("", None, [])}
        return {"format": self.fmt.name, "line": item.line, "record": item.raw, "fields": fields}

    def _source_row(self, item: Item) -> dict[str, Any]:
        updated = item.fields.get("source_updated_at")
        from datetime import date

        return {
            "partner_id": item.partner_id,
            "source": self.source,
            "source_id": item.source_id,
            "raw": self._stored_raw(item),
            "content_hash": item.hash,
            "source_updated_at": date.fromisoformat(updated) if updated else None,
            "imported_at": self.now,
            "import_run_id": self.run_id,
            "archived": False,
        }

    def write(self) -> None:
        report = self.report
        groups: dict[str, list[Item]] = defaultdict(list)
        touched: dict[str, list[Item]] = defaultdict(list)
        self.items = [i for i in self.items if i.status != "rejected"]
        for item in self.items:
            report.counts[item.status] += 1
            joins_new = item.parent is not None and item.parent.status == "created"
            if item.status == "created" or joins_new:
                groups[item.partner_id].append(item)
            elif item.status in ("updated", "merged"):
                touched[item.partner_id].append(item)

        # New partners (rows made as they are written: all at once would double the memory).
        def new_partners() -> Iterator[dict[str, Any]]:
            for partner_id, members in groups.items():
                columns = compose([m.fields for m in members], self.tax)
                self.partner_names[partner_id] = columns["nom"]
                yield self._partner_row(partner_id, columns)

        self._insert(Partner, new_partners())

        # Existing partners that gain or change a record: recomposed from all their records.
        if touched:
            self._recompose(touched)

        # Source rows.
        inserts = (self._source_row(i) for i in self.items if i.status in ("created", "merged"))
        self._insert(PartnerSource, inserts)
        updates = []
        for item in self.items:
            if item.status == "updated":
                row = self._source_row(item)
                row["id"] = item.ps_id
                del row["partner_id"], row["source"], row["source_id"]
                updates.append(row)
        self._update(PartnerSource, updates)

        # Merge decisions.
        decisions = []
        for item in self.items:
            if item.status != "merged" or item.match is None:
                continue
            m = item.match
            decisions.append(
                {
                    "import_run_id": self.run_id,
                    "partner_id": item.partner_id,
                    "source": self.source,
                    "source_id": item.source_id,
                    "rule": m.rule,
                    "score": m.score,
                    "distance_km": m.distance_km,
                    "created_at": self.now,
                    "reviewed": False,
                }
            )
            report.merges.append(
                {
                    "line": item.line,
                    "source_id": item.source_id,
                    "nom": item.fields["nom"],
                    "partner_id": item.partner_id,
                    "partner_nom": self.partner_names.get(item.partner_id, ""),
                    "rule": m.rule,
                    "score": round(m.score, 3),
                    "distance_km": m.distance_km,
                }
            )
        self._insert(MergeDecision, decisions)

    def _insert(self, model: Any, rows: Iterable[dict[str, Any]]) -> None:
        """Core executemany, in chunks (rows of one call share their keys)."""
        table = model.__table__
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            for chunk in _chunks(rows, 2000):
                self.session.execute(table.insert(), chunk)
            return
        for chunk in _chunks(rows, 5000):
            connection.exec_driver_sql(*_sqlite_insert(table, chunk))

    def _update(self, model: Any, rows: list[dict[str, Any]]) -> None:
        """Core executemany UPDATE by primary key, one statement per set of keys."""
        table = model.__table__
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_keys[tuple(sorted(k for k in row if k != "id"))].append(row)
        for keys, group in by_keys.items():
            stmt = (
                table.update()
                .where(table.c.id == bindparam("_pk"))
                .values({k: bindparam(k) for k in keys})
            )
            params = [{"_pk": r["id"], **{k: r[k] for k in keys}} for r in group]
            for chunk in _chunks(params, 2000):
                self.session.execute(stmt, chunk)

    def _partner_row(self, partner_id: str, columns: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": partner_id,
            **columns,
            "freins_inferred": [],
            "synthetic": False,
            "verified_at": None,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _recompose(self, touched: dict[str, list[Item]]) -> None:
        session = self.session
        ids = list(touched)
        stored: dict[str, list[Any]] = defaultdict(list)
        partners: dict[str, Any] = {}
        for chunk in _chunks(ids):
            q = select(
                PartnerSource.partner_id,
                PartnerSource.source,
                PartnerSource.source_id,
                PartnerSource.raw,
                PartnerSource.archived,
            ).where(PartnerSource.partner_id.in_(chunk))
            for row in session.execute(q):
                stored[row.partner_id].append(row)
            for p in session.execute(select(Partner).where(Partner.id.in_(chunk))).scalars():
                partners[p.id] = p
        locks = locked_fields(session, set(ids))
        rows = []
        for partner_id, items in touched.items():
            partner = partners.get(partner_id)
            if partner is None:
                continue
            replaced = {i.source_id for i in items if i.status == "updated"}
            records, baseline = [], False
            for row in stored.get(partner_id, ()):
                if row.source == self.source and row.source_id in replaced:
                    continue
                if row.archived:
                    continue
                fields = (row.raw or {}).get("fields") if isinstance(row.raw, dict) else None
                if isinstance(fields, dict) and fields.get("nom"):
                    records.append(fields)
                else:
                    baseline = True
            records.extend(i.fields for i in items)
            if baseline or not stored.get(partner_id):
                records.append(from_partner_row(partner))
            columns = compose(records, self.tax)
            for key in locks.get(partner_id, ()):
                columns.pop(key, None)
            columns["id"] = partner_id
            columns["updated_at"] = self.now
            rows.append(columns)
        # Detach loaded objects so that the bulk UPDATE is the only writer.
        for p in partners.values():
            session.expunge(p)
        self._update(Partner, rows)

    def _refuse_mass_archive(self, missing: int) -> None:
        share = self.max_archive_share
        if share is None or missing < MASS_ARCHIVE_MIN:
            return
        total = sum(
            1
            for (source, _), row in self.by_key.items()
            if source == self.source and not row.archived
        )
        if missing > share * total:
            raise MassArchiveRefused(self.source, missing, total, share)

    def _same_kind(self, rows: list[Any]) -> list[Any]:
        """data·inclusion publishes structures and services in separate files: a file of
        one kind only archives missing records of that kind."""
        kinds = {bool(i.fields.get("service")) for i in self.items}
        if not self.fmt.archives_by_kind or len(kinds) != 1 or not rows:
            return rows
        kind = kinds.pop()
        kept = []
        for chunk in _chunks(rows):
            q = select(PartnerSource.id, PartnerSource.raw).where(
                PartnerSource.id.in_([r.id for r in chunk])
            )
            same = {
                row.id
                for row in self.session.execute(q)
                if bool(((row.raw or {}).get("fields") or {}).get("service")) == kind
            }
            kept.extend(r for r in chunk if r.id in same)
        return kept

    def _in_area(self, rows: list[Any]) -> list[Any]:
        """A file only speaks for the départements it covers: an extract of one département
        (or one record) does not archive the rest of France."""
        covered = {i.fields.get("departement") for i in self.items}
        kept = [r for r in rows if self.partner_departement.get(r.partner_id) in covered]
        if len(kept) < len(rows):
            shown = ", ".join(sorted(d for d in covered if d)[:10])
            more = "…" if len(covered) > 10 else ""
            self.report.notes.append(
                f"archivage limité aux {len(covered)} département(s) du fichier "
                f"({shown}{more}) : {len(rows) - len(kept)} fiche(s) absente(s) d'autres "
                "départements conservée(s)"
            )
        return kept

    def archive_missing(self) -> None:
        """Archive the source records of this source missing from the file, then the partners
        left with archived records only."""
        report = self.report
        if not self.items:
            report.notes.append(
                "aucune ligne valide : les fiches existantes de la source n'ont pas été archivées"
            )
            return
        missing = [
            row
            for (source, source_id), row in self.by_key.items()
            if source == self.source and source_id not in self.seen_ids and not row.archived
        ]
        missing = self._in_area(self._same_kind(missing))
        if not missing:
            return
        self._refuse_mass_archive(len(missing))
        for chunk in _chunks([r.id for r in missing]):
            self.session.execute(
                update(PartnerSource).where(PartnerSource.id.in_(chunk)).values(archived=True)
            )
        now_archived = {r.id for r in missing}
        revived = {i.ps_id for i in self.items if i.status == "updated"}
        candidates = {r.partner_id for r in missing}
        locks = locked_fields(self.session, candidates)
        to_archive = []
        for partner_id in candidates:
            rows = self.source_rows_of.get(partner_id, [])
            alive = [
                r for r in rows if r.id not in now_archived and (not r.archived or r.id in revived)
            ]
            alive_new = any(
                i.partner_id == partner_id and i.status == "merged" for i in self.new_items
            )
            if alive or alive_new or "status" in locks.get(partner_id, ()):
                continue
            if self.partner_status.get(partner_id) != "archived":
                to_archive.append(partner_id)
        for chunk in _chunks(to_archive):
            self.session.execute(
                update(Partner)
                .where(Partner.id.in_(chunk))
                .values(status="archived", updated_at=self.now)
            )
        report.counts["archived"] = len(to_archive)
        if to_archive:
            report.notes.append(
                f"{len(missing)} fiche(s) de la source absente(s) du fichier : "
                f"{len(to_archive)} partenaire(s) archivé(s) (jamais supprimés)"
            )


def formats_help() -> str:
    return ", ".join(f.name for f in FORMATS)


__all__ = [
    "ImportReport",
    "MassArchiveRefused",
    "detect_format",
    "formats_help",
    "run_import",
    "source_from_stem",
]
