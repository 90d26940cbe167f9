"""The indexes as the web app holds them: built once per data version and shared by every
request of the process.

A data version changes with every import or admin edit; each worker notices it
(checked at most every ``ENGINE_CHECK_SECONDS``) and swaps in fresh indexes. A serving
worker never fits them itself once it serves: the fit runs in a separate, lower-priority
process (:mod:`.refit`) that saves them, and the worker only loads the file, so its
requests never wait behind a fit holding the GIL. A worker that starts (or is restarted)
while the current version is being fitted serves the newest saved one meanwhile.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.orm import Session

from recommender.engine import Recommender
from recommender.geo import default_gazetteer
from recommender.records import PartnerRecord
from recommender.search import PartnerSearch
from recommender.taxonomy import default_taxonomy

from ..db import session_scope
from ..inference import store_inferred_freins
from ..partners.cache import PARTNER_CACHE_SIZE, PartnerCache
from .coverage_cache import CoverageCache
from .records import records_from_session
from .store import IndexStore
from .version import data_version

log = logging.getLogger(__name__)


@dataclass
class IndexState:
    """The indexes of one data version, and what requests cache alongside them."""

    version: str
    recommender: Recommender
    search: PartnerSearch
    built_in_s: float
    loaded: bool = False  # read from a saved file rather than fitted here
    partners: PartnerCache = field(default_factory=lambda: PartnerCache(PARTNER_CACHE_SIZE))
    coverage: CoverageCache = field(default_factory=CoverageCache)


class IndexHolder:
    """Builds the indexes lazily, once per data version, and swaps them atomically."""

    def __init__(self, app: Flask):
        self.app = app
        self.state: IndexState | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.building = False

    def get(self, session: Session) -> IndexState:
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
            if self.state is None and background:
                self.state = self.serve_saved(version)
            current = self.state
            if current is None or (current.version != version and not background):
                current = self.state = self.build(session, version)
        if current.version != version:  # a saved older version, served meanwhile
            self.rebuild_in_background()
        return current

    def serve_saved(self, version: str) -> IndexState | None:
        """A starting worker's indexes without waiting for a fit: those of ``version`` when
        saved, else the newest saved ones (rebuilt in the background)."""
        started = time.perf_counter()
        store = IndexStore(self.app.config["INDEX_DIR"])
        fitted = store.load(version)
        saved = (version, fitted) if fitted is not None else store.latest()
        if saved is None:
            return None
        (recommender, search), elapsed = saved[1], time.perf_counter() - started
        return IndexState(saved[0], recommender, search, elapsed, loaded=True)

    def rebuild_in_background(self) -> None:
        """Keep answering from the current indexes while the next ones are built."""
        with self.lock:
            if self.building:
                return
            self.building = True

        def run() -> None:
            try:
                with self.app.app_context(), session_scope(self.app) as session:
                    fresh = self.build(session, data_version(session), elsewhere=True)
                with self.lock:
                    self.state = fresh
            except Exception:
                log.exception("Index rebuild failed; still serving the previous version")
            finally:
                self.building = False

        threading.Thread(target=run, name="relais-reindex", daemon=True).start()

    def build(
        self, session: Session, version: str, *, refit: bool = False, elsewhere: bool = False
    ) -> IndexState:
        """The indexes of ``version``: loaded when a process already saved them (unless
        ``refit``), else fitted from the database and saved for the others — ``elsewhere``
        in a separate process (:func:`fit_elsewhere`), then loaded."""
        started = time.perf_counter()
        store = IndexStore(self.app.config["INDEX_DIR"])
        fitted = None if refit else store.load(version)
        if fitted is None and elsewhere:
            version = fit_elsewhere(self.app)
            fitted = store.load(version)
        loaded = fitted is not None
        if fitted is None:
            with store.fitting():
                fitted = None if refit else store.load(version)  # saved while we waited?
                loaded = fitted is not None
                if fitted is None:
                    fitted = fit_indexes(records_from_session(session))
                    store.save(version, fitted)
        recommender, search = fitted
        elapsed = time.perf_counter() - started
        return IndexState(version, recommender, search, elapsed, loaded=loaded)

    def invalidate(self) -> None:
        self.checked_at = 0.0


REFIT_TIMEOUT_S = 1800


def fit_elsewhere(app: Flask) -> str:
    """Fit and save the current version's indexes in a separate process (:mod:`.refit`,
    which holds the fitting lock); returns the version it saved. The process reads the
    same instance, database and index folder."""
    env = {
        **os.environ,
        "RELAIS_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INDEX_DIR": str(app.config["INDEX_DIR"]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.index.refit"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=REFIT_TIMEOUT_S,  # a hung fit is killed, and retried at the next check
    )
    if done.returncode != 0:
        raise RuntimeError(f"index fit failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def fit_indexes(records: list[PartnerRecord]) -> tuple[Recommender, PartnerSearch]:
    taxonomy, gazetteer = default_taxonomy(), default_gazetteer()
    recommender = Recommender(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
    search = PartnerSearch(taxonomy=taxonomy, gazetteer=gazetteer).fit(records)
    return recommender, search


def reindex(session: Session) -> IndexState:
    """Refresh inferred freins, then refit this process's indexes now and save them for
    the workers."""
    store_inferred_freins(session)
    session.flush()
    holder: IndexHolder = current_app.extensions["relais.index"]
    version = data_version(session)
    with holder.lock:
        holder.state = holder.build(session, version, refit=True)
        holder.checked_at = time.monotonic()
    return holder.state


def init_app(app: Flask) -> None:
    app.extensions["relais.index"] = IndexHolder(app)


def current_index(session: Session) -> IndexState:
    return current_app.extensions["relais.index"].get(session)


def data_changed() -> None:
    """Tell this process that partners changed, so the next request rebuilds the indexes."""
    current_app.extensions["relais.index"].invalidate()
