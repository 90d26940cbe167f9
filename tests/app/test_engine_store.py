"""Fitted engines saved per data version: loaded by the next worker, rebuilt when damaged,
old files pruned."""

from __future__ import annotations

import io
import os
import pickle
import threading
import time
from pathlib import Path

import pytest

from app import db
from app.index.store import KEEP, STALE_PRIVATE_SECONDS, IndexStore, code_version
from app.index.version import data_version
from recommender.geo import default_gazetteer
from recommender.taxonomy import default_taxonomy

from ..support.apps import build_app

pytestmark = pytest.mark.seeded

QUESTION = "/api/v1/recommendations?commune=Beauvais&freins=mobilite,emploi&age=30"


def _second_worker(app):
    """Another process of the same server: same database, same index folder."""
    instance = Path(app.instance_path)
    return build_app(
        instance.parent,
        app.config["DATABASE_URL"],
        migrate=False,
        INDEX_DIR=app.config["INDEX_DIR"],
    )


def _state(app):
    return app.extensions["relais.index"].state


def _version(app):
    with app.app_context(), db.session_scope(app) as session:
        return data_version(session)


def test_a_second_worker_loads_the_saved_engine_and_answers_the_same(app, client):
    first = client.get(QUESTION)
    assert first.status_code == 200
    assert _state(app).loaded is False
    saved = IndexStore(app.config["INDEX_DIR"]).path(_version(app))
    assert saved.exists() and code_version() in saved.name

    worker = _second_worker(app)
    second = worker.test_client().get(QUESTION)
    assert _state(worker).loaded is True
    assert second.get_json() == first.get_json()
    worker.extensions["relais.engine"].dispose()


def test_the_saved_indexes_share_the_referentials_instead_of_copying_them(app, client):
    """The taxonomy and gazetteer are the process's own after loading, and the file holds
    no copy of them (the gazetteer alone pickles to megabytes)."""
    client.get(QUESTION)
    saved = IndexStore(app.config["INDEX_DIR"]).path(_version(app))
    assert saved.stat().st_size < 500_000
    shared = {id(default_taxonomy()), id(default_gazetteer())}

    class Watch(pickle.Pickler):
        def persistent_id(self, obj):
            assert id(obj) not in shared, "a shared referential was pickled"

    state = _state(app)
    Watch(io.BytesIO()).dump((state.recommender, state.search))
    recommender, search = IndexStore(app.config["INDEX_DIR"]).load(_version(app))
    assert recommender.taxonomy_ is default_taxonomy()
    assert recommender.gazetteer_ is default_gazetteer()
    assert (recommender.taxonomy, search.taxonomy, search.gazetteer) == (None, None, None)


def test_a_damaged_engine_file_is_rebuilt_not_served(app, client):
    client.get(QUESTION)
    saved = IndexStore(app.config["INDEX_DIR"]).path(_version(app))
    saved.write_bytes(b"not a pickle")

    worker = _second_worker(app)
    response = worker.test_client().get(QUESTION)
    assert response.status_code == 200
    assert _state(worker).loaded is False
    assert saved.read_bytes() != b"not a pickle"
    worker.extensions["relais.engine"].dispose()


def test_workers_starting_together_fit_a_version_once(app, monkeypatch):
    from app.index import holder

    fits = []

    def slow_fit(records):
        fits.append(len(records))
        time.sleep(0.3)  # long enough for the other worker to arrive meanwhile
        return real_fit(records)

    real_fit = holder.fit_indexes
    monkeypatch.setattr(holder, "fit_indexes", slow_fit)
    version = _version(app)
    states = []

    def first_request(worker):
        with worker.app_context(), db.session_scope(worker) as session:
            states.append(worker.extensions["relais.index"].build(session, version))

    workers = [app, _second_worker(app)]
    threads = [threading.Thread(target=first_request, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fits) == 1
    assert sorted(state.loaded for state in states) == [False, True]
    workers[1].extensions["relais.engine"].dispose()


def test_reindex_refits_even_when_a_file_exists(app, runner, client):
    client.get(QUESTION)
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Index reconstruits" in result.output
    assert _state(app).loaded is False


def test_prune_keeps_the_newest_files_and_drops_leftovers(tmp_path):
    store = IndexStore(tmp_path)
    now = time.time()
    for age in range(KEEP + 2):
        path = store.path(f"v{age}")
        path.write_bytes(b"x")
        os.utime(path, (now - age, now - age))
    legacy = tmp_path / "0123456789ab"  # an index folder of an older release
    legacy.mkdir()
    (legacy / "COMPLET").write_text("1")
    stale = tmp_path / ".engine-old.pickle.123-abcd"
    stale.write_bytes(b"x")
    os.utime(stale, (now - STALE_PRIVATE_SECONDS - 1,) * 2)
    building = tmp_path / ".engine-new.pickle.456-ef01"  # another process writing now
    building.write_bytes(b"x")

    store.prune()

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [building.name, *(store.path(f"v{age}").name for age in range(KEEP))]
    )


def test_a_loaded_engine_maps_its_arrays_from_the_file_instead_of_copying_them(app, client):
    """Workers share the arrays through the page cache (issue 18): each large array of a
    loaded engine is a read-only view of the saved file, and it answers the same."""
    import numpy as np

    first = client.get(QUESTION).get_json()
    worker = _second_worker(app)
    assert worker.test_client().get(QUESTION).get_json() == first
    recommender = _state(worker).recommender
    arrays = [v for v in vars(recommender).values() if isinstance(v, np.ndarray) and v.size > 8]
    assert arrays
    assert not any(a.flags.writeable for a in arrays)
    worker.extensions["relais.engine"].dispose()


def test_small_arrays_are_packed_and_big_ones_start_on_a_page(tmp_path):
    """Thousands of small arrays (a few per frein) must not each take a page: at 200k
    that padding doubled the file (105 → 197 MB)."""
    import mmap

    import numpy as np

    small = [np.arange(i % 7 + 1, dtype=np.int32) for i in range(2000)]
    big = np.arange(100_000, dtype=np.float64)
    store = IndexStore(tmp_path)
    path = store.save("v1", (small, big))  # any picklable pair goes through the same path

    data_bytes = sum(a.nbytes for a in small) + big.nbytes
    assert path.stat().st_size < data_bytes + 2000 * 64 + 3 * mmap.PAGESIZE + 200_000
    loaded_small, loaded_big = store.load("v1")
    assert all(np.array_equal(a, b) for a, b in zip(small, loaded_small, strict=True))
    assert np.array_equal(loaded_big, big)
    assert loaded_big.ctypes.data % mmap.PAGESIZE == 0
