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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, String, func, select, type_coerce, update
from sqlalchemy.orm import Session

from recommender.engine import Recommender
from recommender.geo import default_gazetteer
from recommender.records import PartnerRecord
from recommender.search import PartnerSearch
from recommender.taxonomy import default_taxonomy

from .db import session_scope
from .engine_store import EngineStore
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


@functools.lru_cache(maxsize=4096)
def _decode_codes(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw))


def json_codes(raw: str | list[str] | None) -> tuple[str, ...]:
    """A JSON list column: text on SQLite (decoded once per distinct value), a list on
    PostgreSQL (psycopg decodes json itself)."""
    if not raw:
        return ()
    return _decode_codes(raw) if isinstance(raw, str) else tuple(raw)


def json_as_text(columns: Iterable[Any]) -> list[Any]:
    """``columns`` to select, the JSON lists read as text (decode them with ``json_codes``)."""
    return [type_coerce(c, String).label(c.key) if isinstance(c.type, JSON) else c for c in columns]


def records_from_session(session: Session) -> list[PartnerRecord]:
    """Every partner as an engine record, in one query over plain columns.

    The JSON lists are read as text: most partners share a handful of distinct
    values, so decoding each once keeps loading national data to a couple of seconds.
    """
    records = []
    query = select(*json_as_text(_RECORD_COLUMNS)).order_by(Partner.id)
    for row in session.connection().execute(query):
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
                freins=json_codes(row.freins),
                freins_inferred=json_codes(row.freins_inferred),
                publics=json_codes(row.publics),
                age_min=row.age_min,
                age_max=row.age_max,
                zone_kind=row.zone_kind,
                zone_codes=json_codes(row.zone_codes),
                zone_radius_km=row.zone_radius_km,
                updated_at=freshness(row.source_updated_at, row.verified_at),
                status=row.status,
                description=row.description or "",
            )
        )
    return records


def data_version(session: Session) -> str:
    """A short fingerprint of the data: changes with every import, edit or archive."""
    # four index-only reads (one statement scanning partner rows took 240 ms at 200k)
    last_run = session.scalar(select(func.max(ImportRun.id))) or 0
    last_edit = session.scalar(select(func.max(AuditLog.id))) or 0
    count = session.scalar(select(func.count()).select_from(Partner))
    last_update = session.scalar(select(func.max(Partner.updated_at)))
    raw = f"{last_run}:{last_edit}:{count}:{last_update}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


PARTNER_CACHE_SIZE = 5000


class PartnerCache:
    """Partner answers of one data version, least recently used dropped first.

    Results of nearby searches come back to the same partners; reading them from
    the database was a third of a recommendation's time. A partner cannot change
    without changing the data version, and the cache goes with its version.
    """

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(
        self, ids: Iterable[str], fetch: Callable[[list[str]], dict[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """The answers for ``ids``, calling ``fetch`` once for those not cached."""
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        with self.lock:
            for key in dict.fromkeys(ids):
                if key in self.items:
                    self.items.move_to_end(key)
                    found[key] = self.items[key]
                else:
                    missing.append(key)
        if missing:
            fetched = fetch(missing)
            found.update(fetched)
            with self.lock:
                self.items.update(fetched)
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return found


@dataclass
class EngineState:
    """The indexes of one data version, and what requests cache alongside them."""

    version: str
    recommender: Recommender
    search: PartnerSearch
    built_in_s: float
    loaded: bool = False  # read from a saved file rather than fitted here
    partners: PartnerCache = field(default_factory=lambda: PartnerCache(PARTNER_CACHE_SIZE))


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
        check_every = self.app.config["ENGINE_CHECK_SECONDS"]
        state = self.state
        if state is not None and now - self.checked_at < check_every:
            return state
        version = data_version(session)
        self.checked_at = now
        if state is not None and state.version == version:
            return state
        # Tests want each request to see the data of the previous one: no background rebuild.
        background = self.app.config["ENGINE_BACKGROUND_REBUILD"] and not self.app.testing
        if state is not None and background:
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

    def build(self, session: Session, version: str, *, refit: bool = False) -> EngineState:
        """The engine of ``version``: loaded when a process already saved it (unless
        ``refit``), else fitted from the database and saved for the others."""
        started = time.perf_counter()
        store = EngineStore(self.app.config["INDEX_DIR"])
        engine = None if refit else store.load(version)
        loaded = engine is not None
        if engine is None:
            with store.fitting():
                engine = None if refit else store.load(version)  # saved while we waited?
                loaded = engine is not None
                if engine is None:
                    engine = fit_engine(records_from_session(session))
                    store.save(version, engine)
        recommender, search = engine
        elapsed = time.perf_counter() - started
        return EngineState(version, recommender, search, elapsed, loaded=loaded)

    def invalidate(self) -> None:
        self.checked_at = 0.0


def fit_engine(records: list[PartnerRecord]) -> tuple[Recommender, PartnerSearch]:
    taxonomy, gazetteer = default_taxonomy(), default_gazetteer()
    recommender = Recommender(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
    search = PartnerSearch(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
    return recommender, search


def store_inferred_freins(session: Session, *, changed_since: datetime | None = None) -> int:
    """Guess the freins of partners whose source and type give none, and store them as inferred.

    With ``changed_since`` (after an import) only partners created or updated since are
    guessed; without (``relais reindex``), all. The database selects what is read: those
    partners, and the candidates of the bounded training sample
    (:func:`recommender.infer.training_examples`); the model is reused while that sample
    stays the same. Returns how many partners changed (one executemany UPDATE).
    """
    # here, not at the top: serving never guesses, and scikit-learn costs a worker 1 s to load
    from recommender.infer import PER_TYPE, infer_missing_freins, is_generic, is_generic_type

    session.flush()
    taxonomy = default_taxonomy()
    generic = [code for code in taxonomy.partner_types if is_generic_type(code, taxonomy)]
    columns = json_as_text(
        (
            Partner.id,
            Partner.nom,
            Partner.type_code,
            Partner.description,
            Partner.status,
            Partner.freins,
            Partner.freins_inferred,
        )
    )

    def records(query: Any) -> list[PartnerRecord]:
        return [
            PartnerRecord(
                id=row.id,
                nom=row.nom,
                type_code=row.type_code,
                description=row.description or "",
                status=row.status,
                freins=json_codes(row.freins),
                freins_inferred=json_codes(row.freins_inferred),
            )
            for row in session.execute(query)
        ]

    # Generic partners (to guess) and partners with guesses (to clear if no longer generic).
    scope = select(*columns).where(
        Partner.type_code.in_(generic)
        | Partner.type_code.not_in(list(taxonomy.partner_types))
        | (Partner.freins_inferred.cast(String) != "[]")
    )
    if changed_since is not None:
        scope = scope.where(Partner.updated_at >= changed_since)
    scoped = records(scope)
    targets = [r for r in scoped if not r.freins and is_generic(r, taxonomy)]
    guesses: dict[str, tuple[str, ...]] = {}
    if targets:
        rank = func.row_number().over(partition_by=Partner.type_code, order_by=Partner.id)
        candidates = (
            select(*columns, rank.label("rank"))
            .where(
                Partner.status == "active",
                Partner.type_code.in_(list(taxonomy.partner_types)),
                Partner.type_code.not_in(generic),
                Partner.freins.cast(String) != "[]",
            )
            .subquery()
        )
        examples = records(select(candidates).where(candidates.c.rank <= PER_TYPE))
        guesses = infer_missing_freins(examples, taxonomy, targets=targets)
    now = utcnow()  # updated_at moves the data version: workers reload
    changes = [
        {"id": r.id, "freins_inferred": list(guesses.get(r.id, ())), "updated_at": now}
        for r in scoped
        if guesses.get(r.id, ()) != r.freins_inferred
    ]
    if changes:
        session.execute(update(Partner), changes)  # bulk UPDATE by primary key
    return len(changes)


def reindex(session: Session) -> EngineState:
    """Refresh inferred freins, then refit this process's indexes now and save them for
    the workers."""
    store_inferred_freins(session)
    session.flush()
    holder: EngineHolder = current_app.extensions["relais.engine_holder"]
    version = data_version(session)
    with holder.lock:
        holder.state = holder.build(session, version, refit=True)
        holder.checked_at = time.monotonic()
    return holder.state


def init_app(app: Flask) -> None:
    app.extensions["relais.engine_holder"] = EngineHolder(app)


def current_engine(session: Session) -> EngineState:
    return current_app.extensions["relais.engine_holder"].get(session)
