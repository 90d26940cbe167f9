"""One source of ``relais sync``: a conditional download, then the import pipeline.

An unchanged source costs one request (« 304 Not Modified », or a body whose hash is the
one last imported) and writes nothing but its check time. A changed one is imported by
:func:`run_import` in the caller's transaction, with the source's new validators: a failed
import keeps the old ones, so the next run tries again.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.errors import ImportFailed

from ..models import SyncState, utcnow
from .archive import MassArchiveRefused
from .files import Download, Validators, download
from .formats import by_name
from .options import ImportOptions
from .pipeline import UNEXPECTED_FAILURE, record_failure, run_import
from .report import ImportReport
from .sources import SyncSource

log = logging.getLogger(__name__)

Status = Literal["inchangé", "importé", "échec"]


@dataclass(frozen=True)
class SyncOutcome:
    status: Status
    detail: str = ""  # why unchanged, or the failure (French)
    report: ImportReport | None = None


def sync_source(
    session: Session, source: SyncSource, options: ImportOptions, token: str | None = None
) -> SyncOutcome:
    """Download ``source`` if it changed and import it; never raises for the source's own
    problems (network, HTTP, truncation, import refused): they are its outcome, kept as a
    failed run in the import history. The caller commits."""
    state = session.scalar(select(SyncState).where(SyncState.name == source.name))
    if state is None:
        state = SyncState(name=source.name, url=source.url)
        session.add(state)
    known = state.url == source.url
    validators = Validators(state.etag, state.last_modified) if known else None
    filename = Path(urlparse(source.url).path).name or source.name
    try:
        fetched = download(source.url, validators, token)
    except ImportFailed as exc:
        _record(session, source, filename, exc.message)
        return SyncOutcome("échec", exc.message)
    state.checked_at = utcnow()
    if fetched.path is None:
        return SyncOutcome("inchangé", "pas de nouvelle version selon le serveur")
    try:
        if known and fetched.sha256 == state.content_sha256:
            _remember(state, source, fetched)
            return SyncOutcome("inchangé", "contenu identique au dernier import")
        report = _import(session, source, options, fetched.path, filename)
    except MassArchiveRefused as exc:
        force = (
            f"relais import --allow-mass-archive --format {source.format} "
            f"--source {exc.source} {source.url}"
        )
        return SyncOutcome("échec", exc.explain("clé scope du fichier de sources", force))
    except ImportFailed as exc:
        return SyncOutcome("échec", exc.message)
    except Exception:
        log.exception("sync: the import of %s failed", source.name)
        return SyncOutcome("échec", UNEXPECTED_FAILURE)
    finally:
        fetched.path.unlink(missing_ok=True)
    _remember(state, source, fetched)
    state.imported_at = state.checked_at
    return SyncOutcome("importé", report=report)


def _import(
    session: Session, source: SyncSource, options: ImportOptions, path: Path, filename: str
) -> ImportReport:
    fmt = by_name(source.format)
    return run_import(
        session,
        path,
        dataclasses.replace(
            options,
            format=fmt.name,
            source=source.source or fmt.default_source or source.name,
            scope=source.scope,
            filename=filename,
        ),
    )


def _remember(state: SyncState, source: SyncSource, fetched: Download) -> None:
    state.url = source.url
    state.etag = fetched.validators.etag
    state.last_modified = fetched.validators.last_modified
    state.content_sha256 = fetched.sha256


def _record(session: Session, source: SyncSource, filename: str, reason: str) -> None:
    """A download that failed, in the import history (as ``relais import URL`` keeps it)."""
    record_failure(
        session,
        filename=filename,
        source=source.source or source.name,
        format=source.format,
        user_id=None,
        reason=reason,
    )
