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
