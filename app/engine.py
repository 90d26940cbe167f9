"""The engine as the web app holds it: records loaded from the database, indexes built
once per data version and shared by every request of the process.

A data version changes with every import or admin edit; each worker notices it
(checked at most every ``ENGINE_CHECK_SECONDS``) and swaps in fresh indexes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from recommender.engine import Recommender
from recommender.geo import default_gazetteer
from recommender.infer import infer_missing_freins, is_generic
from recommender.records import PartnerRecord
from recommender.search import PartnerSearch
from recommender.taxonomy import default_taxonomy

from .db import session_scope
from .models import AuditLog, ImportRun, Partner, utcnow

log = logging.getLogger(__name__)

_RECORD_COLUMNS = (
    Partner.id,
    Partner.nom,
    Partner.type_code,
    Partner.lat,
    Partner.lon,
    Partner.coords_exact,
    Partner.code_insee,
    Partner.departement,
    Partner.region,
    Partner.freins,
    Partner.freins_inferred,
    Partner.publics,
    Partner.age_min,
    Partner.age_max,
    Partner.zone_kind,
    Partner.zone_codes,
    Partner.zone_radius_km,
    Partner.source_updated_at,
    Partner.verified_at,
    Partner.status,
    Partner.description,
)


def freshness(source_updated_at: date | None, verified_at: datetime | None) -> date | None:
    """The date the partner's information was last known to be right."""
    verified = verified_at.date() if verified_at else None
    dates = [d for d in (source_updated_at, verified) if d]
    return max(dates) if dates else None


_JSON_LISTS = {"freins", "freins_inferred", "publics", "zone_codes"}


@functools.lru_cache(maxsize=4096)
def _decode_codes(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw))


def _codes(raw: str | list[str] | None) -> tuple[str, ...]:
    """A JSON list column: text on SQLite (decoded once per distinct value), a list on
    PostgreSQL (psycopg decodes json itself)."""
    if not raw:
        return ()
    return _decode_codes(raw) if isinstance(raw, str) else tuple(raw)


def records_from_session(session: Session) -> list[PartnerRecord]:
    """Every partner as an engine record, in one query over plain columns.

    The JSON lists are read as text: most partners share a handful of distinct
    values, so decoding each once keeps loading national data to a couple of seconds.
    """
    columns = [
        type_coerce(c, String).label(c.key) if c.key in _JSON_LISTS else c for c in _RECORD_COLUMNS
    ]
    records = []
    for row in session.connection().execute(select(*columns).order_by(Partner.id)):
        records.append(
            PartnerRecord(
                id=row.id,
                nom=row.nom,
                type_code=row.type_code,
                lat=row.lat,
                lon=row.lon,
                coords_exact=row.coords_exact,
                code_insee=row.code_insee,
                departement=row.departement,
                region=row.region,
                freins=_codes(row.freins),
                freins_inferred=_codes(row.freins_inferred),
                publics=_codes(row.publics),
                age_min=row.age_min,
                age_max=row.age_max,
                zone_kind=row.zone_kind,
                zone_codes=_codes(row.zone_codes),
                zone_radius_km=row.zone_radius_km,
                updated_at=freshness(row.source_updated_at, row.verified_at),
                status=row.status,
                description=row.description or "",
            )
        )
    return records


def data_version(session: Session) -> str:
    """A short fingerprint of the data: changes with every import, edit or archive."""
    last_run = session.scalar(select(func.max(ImportRun.id))) or 0
    last_edit = session.scalar(select(func.max(AuditLog.id))) or 0
    count, last_update = session.execute(
        select(func.count(Partner.id), func.max(Partner.updated_at))
    ).one()
    raw = f"{last_run}:{last_edit}:{count}:{last_update}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


@dataclass
class EngineState:
    version: str
    recommender: Recommender
    search: PartnerSearch
    built_in_s: float


class EngineHolder:
    """Builds the indexes lazily, once per data version, and swaps them atomically."""

    def __init__(self, app: Flask):
        self.app = app
        self.state: EngineState | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.building = False

    def get(self, session: Session) -> EngineState:
        now = time.monotonic()
        check_every = self.app.config.get("ENGINE_CHECK_SECONDS", 2.0)
        state = self.state
        if state is not None and now - self.checked_at < check_every:
            return state
        version = data_version(session)
        self.checked_at = now
        if state is not None and state.version == version:
            return state
        if state is not None and self.app.config.get("ENGINE_BACKGROUND_REBUILD", True):
            self.rebuild_in_background()
            return state
        with self.lock:
            if self.state is None or self.state.version != version:
                self.state = self.build(session, version)
            return self.state

    def rebuild_in_background(self) -> None:
        """Keep answering from the current indexes while the next ones are built."""
        with self.lock:
            if self.building:
                return
            self.building = True

        def run() -> None:
            try:
                with self.app.app_context(), session_scope(self.app) as session:
                    fresh = self.build(session, data_version(session))
                with self.lock:
                    self.state = fresh
            except Exception:
                log.exception("Index rebuild failed; still serving the previous version")
            finally:
                self.building = False

        threading.Thread(target=run, name="relais-reindex", daemon=True).start()

    def build(self, session: Session, version: str) -> EngineState:
        started = time.perf_counter()
        records = records_from_session(session)
        taxonomy, gazetteer = default_taxonomy(), default_gazetteer()
        recommender = Recommender(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
        # one index folder per data version, built by the first process, opened by the others
        index_dir = Path(self.app.config["INDEX_DIR"]) / version
        search = PartnerSearch(taxonomy=taxonomy, index_dir=index_dir).fit(records)
        return EngineState(version, recommender, search, time.perf_counter() - started)

    def invalidate(self) -> None:
        self.checked_at = 0.0


def store_inferred_freins(session: Session, *, changed_since: datetime | None = None) -> int:
    """Guess the freins of partners whose source and type give none, and store them as inferred.

    With ``changed_since`` (after an import), the model is trained only when a generic
    partner without freins was created or updated since: training takes seconds.
    """
    session.flush()
    records = records_from_session(session)
    taxonomy = default_taxonomy()
    if changed_since is not None:
        changed = set(
            session.scalars(select(Partner.id).where(Partner.updated_at >= changed_since))
        )
        if not any(r.id in changed and not r.freins and is_generic(r, taxonomy) for r in records):
            return 0
    inferred = infer_missing_freins(records, taxonomy)
    changed = 0
    for record in records:
        guess = list(inferred.get(record.id, ()))
        if guess != list(record.freins_inferred):
            session.execute(  # updated_at moves the data version: workers reload
                update(Partner)
                .where(Partner.id == record.id)
                .values(freins_inferred=guess, updated_at=utcnow())
            )
            changed += 1
    return changed


def reindex(session: Session) -> EngineState:
    """Refresh inferred freins, then rebuild this process's indexes now."""
    store_inferred_freins(session)
    session.flush()
    holder: EngineHolder = current_app.extensions["relais.engine_holder"]
    version = data_version(session)
    with holder.lock:
        holder.state = holder.build(session, version)
        holder.checked_at = time.monotonic()
    return holder.state


def init_app(app: Flask) -> None:
    # tests want each request to see the data of the previous one
    app.config.setdefault("ENGINE_BACKGROUND_REBUILD", not app.testing)
    app.extensions["relais.engine_holder"] = EngineHolder(app)


def current_engine(session: Session) -> EngineState:
    return current_app.extensions["relais.engine_holder"].get(session)
