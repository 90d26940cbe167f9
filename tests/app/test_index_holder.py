"""The index holder's promises (``app/index/holder.py``): built once per data version, a
background rebuild keeps serving the old indexes until the swap, a failed one keeps them."""

from __future__ import annotations

import threading
import time

import pytest

from app import db
from app.index.holder import IndexHolder, IndexState

from ..support.apps import build_app
from ..support.factories import partner


def _holder(app) -> IndexHolder:
    return app.extensions["relais.index"]


def _get(app) -> IndexState:
    with app.app_context(), db.session_scope(app) as session:
        return _holder(app).get(session)


def _add_partner(app, **overrides) -> None:
    """A data change, as an import or an admin edit makes it, then told to the holder."""
    with app.app_context():
        with db.session_scope(app) as session:
            session.add(partner(**overrides))
        _holder(app).invalidate()


def _count_builds(holder: IndexHolder, monkeypatch) -> list[str]:
    versions: list[str] = []
    build = holder.build

    def counted(session, version, **kw):
        versions.append(version)
        return build(session, version, **kw)

    monkeypatch.setattr(holder, "build", counted)
    return versions


def test_indexes_are_built_once_per_data_version(app, monkeypatch):
    built = _count_builds(_holder(app), monkeypatch)
    first = _get(app)
    assert _get(app) is first and _get(app) is first
    assert built == [first.version]
    _add_partner(app)
    second = _get(app)
    assert second.version != first.version
    assert _get(app) is second
    assert built == [first.version, second.version]


@pytest.fixture
def served_app(tmp_path, database_url):
    """An app as production runs it: not in test mode, so data changes rebuild in background."""
    app = build_app(tmp_path, database_url, TESTING=False, ENGINE_BACKGROUND_REBUILD=True)
    yield app
    app.extensions["relais.engine"].dispose()


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "la reconstruction n'a pas abouti"
        time.sleep(0.02)


def test_a_background_rebuild_serves_the_old_indexes_then_swaps(served_app, monkeypatch):
    holder = _holder(served_app)
    old = _get(served_app)
    release = threading.Event()
    build = holder.build

    def slow_build(session, version, **kw):
        assert release.wait(30)
        return build(session, version, **kw)

    monkeypatch.setattr(holder, "build", slow_build)
    _add_partner(served_app)
    assert _get(served_app) is old  # answered at once, from the previous version
    assert holder.building
    assert _get(served_app) is old  # a second request starts no second rebuild
    release.set()
    _wait_for(lambda: not holder.building)
    assert holder.state is not None and holder.state.version != old.version


def test_a_failed_background_rebuild_keeps_serving_the_old_indexes(served_app, monkeypatch):
    holder = _holder(served_app)
    old = _get(served_app)

    def broken(session, version, **kw):
        raise RuntimeError("index illisible")

    monkeypatch.setattr(holder, "build", broken)
    _add_partner(served_app)
    assert _get(served_app) is old
    _wait_for(lambda: not holder.building)
    assert holder.state is old


def test_a_background_rebuild_fits_in_another_process_and_loads_its_file(served_app, monkeypatch):
    """The serving process never fits once it serves: a fit would hold its GIL for
    seconds (the stall of issue 18); it loads what the refit process saved."""
    from app.index import holder as holder_module

    holder = _holder(served_app)
    old = _get(served_app)

    def no_fit_here(records):
        raise AssertionError("fitted in the serving process")

    monkeypatch.setattr(holder_module, "fit_indexes", no_fit_here)
    _add_partner(served_app)
    assert _get(served_app) is old
    _wait_for(lambda: not holder.building, seconds=120)
    assert holder.state is not None and holder.state.version != old.version
    assert holder.state.loaded


def test_a_worker_starting_during_a_rebuild_serves_the_newest_saved_indexes(
    served_app, tmp_path, database_url, monkeypatch
):
    """A (re)started worker answers at once from the last saved version instead of
    waiting for the current one to be fitted, and rebuilds it in the background."""
    old = _get(served_app)
    _add_partner(served_app)
    restarted = build_app(
        tmp_path / "restarted",
        database_url,
        migrate=False,
        TESTING=False,
        ENGINE_BACKGROUND_REBUILD=True,
        INDEX_DIR=served_app.config["INDEX_DIR"],
    )
    rebuilds = []
    monkeypatch.setattr(_holder(restarted), "rebuild_in_background", lambda: rebuilds.append(True))
    state = _get(restarted)
    assert (state.version, state.loaded) == (old.version, True)
    assert rebuilds == [True]
    restarted.extensions["relais.engine"].dispose()
