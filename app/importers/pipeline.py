"""``run_import``: read → resolve → classify (unchanged / updated / new) → deduplicate →
write → archive, as one transaction of its caller (who commits it).

The steps: :mod:`.reading` (the file's records), :mod:`.store` (the existing state read
once, the plan written with bulk statements), :mod:`.plan` (pure decisions),
:mod:`.archive` (what a full file no longer holds, within its scope).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from recommender.bulk import gc_paused
from recommender.errors import ImportFailed

from ..models import IMPORT_FAILED, ImportRun, MergeDecision, Partner, PartnerSource, utcnow
from .archive import MassArchiveRefused, Scope, archive_missing
from .files import detect_format, fetch, source_from_stem
from .formats import Format, by_name
from .options import ImportOptions
from .parallel import offloaded
from .plan import Item, Rows, classify, deduplicate, merge_entry, recomposed, written
from .reading import Reader
from .report import ImportReport
from .resolve import Resolver
from .store import Batch, Store, chunks, sqlite_cache

if TYPE_CHECKING:
    from recommender.geo import Gazetteer
    from recommender.taxonomy import Taxonomy

log = logging.getLogger(__name__)


def run_import(
    session: Session, path: str | Path, options: ImportOptions | None = None
) -> ImportReport:
    """Import one file or http(s) URL into the database; see ``docs/import.md``.

    The run is written in the caller's transaction, never committed here: the caller
    commits it (with its own rows, e.g. the admin's audit entry) or rolls it back. It is
    rolled back here on any error and in a dry run (which still computes the full report).
    Raises :class:`ImportFailed` (French message) when the file as a whole is unusable,
    :class:`MassArchiveRefused` past ``options.max_archive_share``; a failure is kept in
    the history (:func:`record_failure`) unless in a dry run.
    """
    options = options or ImportOptions()
    text_path = str(path)
    remote = bool(re.match(r"^https?://", text_path, re.I))
    display = options.filename or (
        (Path(urlparse(text_path).path).name or text_path) if remote else Path(text_path).name
    )
    try:
        return _import(session, text_path, display, options)
    except Exception as exc:
        if not options.dry_run:
            reason = exc.message if isinstance(exc, ImportFailed) else UNEXPECTED_FAILURE
            record_failure(
                session,
                filename=display,
                source=options.source,
                format=options.format,
                user_id=options.user_id,
                reason=reason,
            )
        raise


# A file this big refreshes the planner's statistics of what it wrote (PostgreSQL).
ANALYZE_AFTER_ROWS = 1000

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


@contextlib.contextmanager
def _local_file(text_path: str) -> Iterator[Path]:
    """The file to read: a local path, or an http(s) URL downloaded (deleted afterwards)."""
    if not re.match(r"^https?://", text_path, re.I):
        local = Path(text_path)
        if not local.is_file():
            raise ImportFailed(f"Fichier introuvable : « {text_path} ».")
        yield local
        return
    downloaded = fetch(text_path)
    try:
        yield downloaded
    finally:
        downloaded.unlink(missing_ok=True)


def _source_name(source: str | None, fmt: Format, display: str) -> str:
    name = source or fmt.default_source or source_from_stem(display)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", name):
        raise ImportFailed(f"Nom de source invalide : « {name} » (minuscules, chiffres, tirets).")
    return name


def _import(session: Session, text_path: str, display: str, options: ImportOptions) -> ImportReport:
    started = time.perf_counter()
    with _local_file(text_path) as local:
        fmt = by_name(options.format) if options.format else detect_format(local, display)
        source = _source_name(options.source, fmt, display)
        taxonomy, gazetteer = options.taxonomy, options.gazetteer
        if taxonomy is None:
            from recommender.taxonomy import default_taxonomy

            taxonomy = default_taxonomy()
        if gazetteer is None:
            from recommender.geo import default_gazetteer

            gazetteer = default_gazetteer()
        report = ImportReport(source=source, format=fmt.name, filename=display)
        report.dry_run = options.dry_run
        try:
            with gc_paused(), sqlite_cache(session):
                run = _Run(session, fmt, source, local, report, gazetteer, taxonomy, options)
                history = run.execute()
        except BaseException:
            session.rollback()
            raise
        report.duration_s = time.perf_counter() - started
        if options.dry_run:
            session.rollback()
            report.import_run_id = None
        else:
            history.report = report.to_dict()
            if options.after_write is not None:
                options.after_write(session, changed_since=history.started_at)
        return report


class _Run:
    """One run's phases, in order, each timed in the report."""

    def __init__(
        self,
        session: Session,
        fmt: Format,
        source: str,
        path: Path,
        report: ImportReport,
        gazetteer: Gazetteer,
        taxonomy: Taxonomy,
        options: ImportOptions,
    ):
        self.session, self.fmt, self.source, self.report = session, fmt, source, report
        self.gaz, self.tax, self.options = gazetteer, taxonomy, options
        self.store = Store(session)
        resolver = Resolver(gazetteer, taxonomy, fmt, source, options.address_geocoder)
        self.reader = Reader(fmt, source, path, report, taxonomy, resolver, options.workers)
        self.items: list[Item] = []
        self.new_items: list[Item] = []
        self.now = utcnow()

    def execute(self) -> ImportRun:
        """Every phase; returns the run's history row (flushed, not committed)."""
        t0 = time.perf_counter()
        self.reader.read(self.options.progress)
        if self.report.rows == 0:
            raise ImportFailed(f"Le fichier « {self.report.filename} » ne contient aucune ligne.")
        self.items = self.reader.items
        self.report.count_types(i.fields for i in self.items)
        run = ImportRun(
            source=self.source,
            filename=self.report.filename[:500],
            format=self.fmt.name,
            dry_run=self.report.dry_run,
            user_id=self.options.user_id,
            started_at=self.now,
        )
        self.session.add(run)
        self.session.flush()
        self.rows = Rows(self.fmt.name, self.source, run.id, self.now)
        self.report.import_run_id = run.id
        timings = self.report.timings
        timings["lecture"] = time.perf_counter() - t0
        phases = [
            ("index", self.load),
            ("classement", self.classify),
            ("dedoublonnage", self.deduplicate),
            ("ecriture", self.write),
        ]
        if self.options.archive_missing and self.fmt.full_snapshot:
            phases.append(("archivage", self.archive))
        # (a dry run is rolled back, its statistics with it)
        if self.report.rows >= ANALYZE_AFTER_ROWS and not self.report.dry_run:
            phases.append(("statistiques", self.store.refresh_statistics))
        for name, phase in phases:
            t = time.perf_counter()
            phase()
            timings[name] = time.perf_counter() - t
        run.finished_at = utcnow()
        run.counts = dict(self.report.counts) | {"rows": self.report.rows}
        run.report = self.report.to_dict()
        self.session.flush()
        return run

    def load(self) -> None:
        self.existing = self.store.load(self.gaz, self.tax)

    def classify(self) -> None:
        self.new_items = classify(self.items, self.existing, self.source)

    def deduplicate(self) -> None:
        deduplicate(self.items, self.new_items, self.existing, self.source, self.report)

    def write(self) -> None:
        """New partners, then the existing ones they touch, then the source rows: the rows
        of the first and the last are composed by the helper process (on a big file) while
        this one writes the previous chunk."""
        store, rows, names = self.store, self.rows, self.existing.partner_names
        plan = written(self.items, self.report)
        self.items = plan.items
        added = [i for i in plan.items if i.status in ("created", "merged")]
        size = store.batch_size
        partner_jobs = [(Partner, block) for block in chunks(plan.new.items(), size)]
        jobs = [*partner_jobs, *((PartnerSource, block) for block in chunks(added, size))]
        with contextlib.closing(offloaded(jobs, self.prepared, helper=self.reader.helper)) as done:
            for batch, new_names in itertools.islice(done, len(partner_jobs)):
                names.update(new_names)
                store.execute(batch)
            if plan.touched:
                self.recompose(plan.touched)
            for batch, _ in done:
                store.execute(batch)
        store.update(
            PartnerSource, [rows.source_update(i) for i in plan.items if i.status == "updated"]
        )
        merged = [(i, i.match) for i in plan.items if i.status == "merged" and i.match]
        store.insert(MergeDecision, [rows.decision(i, m) for i, m in merged])
        self.report.merges.extend(merge_entry(i, m, names) for i, m in merged)

    def prepared(self, job: tuple[type, list[Any]]) -> tuple[Batch, dict[str, str]]:
        """One chunk of rows to insert, ready to execute, and the names of new partners."""
        model, block = job
        if model is Partner:
            new = [self.rows.new_partner(pid, members, self.tax) for pid, members in block]
            return self.store.batch(Partner, new), {row["id"]: row["nom"] for row in new}
        return self.store.batch(PartnerSource, [self.rows.source_row(i) for i in block]), {}

    def recompose(self, touched: dict[str, list[Item]]) -> None:
        """Existing partners that gain or change a record, recomposed from all their records."""
        ids = list(touched)
        stored, partners = self.store.stored_sources(ids)
        locks = self.store.locked_fields(set(ids))
        columns = recomposed(touched, stored, partners, locks, self.source, self.tax, self.now)
        self.store.detach(partners.values())
        self.store.update(Partner, columns)

    def archive(self) -> None:
        scope = Scope(
            self.fmt,
            self.source,
            self.items,
            self.reader.seen_ids,
            self.existing,
            self.report,
            self.options.scope,
        )
        archive_missing(scope, self.store, self.new_items, self.options.max_archive_share, self.now)


__all__ = [
    "ImportOptions",
    "ImportReport",
    "MassArchiveRefused",
    "detect_format",
    "record_failure",
    "run_import",
    "source_from_stem",
]
