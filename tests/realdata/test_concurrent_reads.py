"""Readers during an import see the old or the new data, never an error.

Reader threads hit the search and recommendation API in a loop while a writer thread
imports a real file (one transaction) and the engine swaps its indexes.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from app import db
from app.models import Partner
from tests.support.apps import build_app

READERS = 3
SEARCH = "/api/v1/partners?frein=emploi&commune=Lille&per_page=5"
COUNT = "/api/v1/partners?per_page=1"
RECO = "/api/v1/recommendations?freins=emploi,mobilite&commune=Lille"


def active_count(app) -> int:
    with app.app_context(), db.session_scope() as session:
        query = select(func.count(Partner.id)).where(Partner.status == "active")
        return session.scalar(query)


def test_readers_see_old_or_new_data_during_an_import(tmp_path, database_url, shared_data):

    app = build_app(tmp_path, database_url)
    try:
        check_readers(app, shared_data)
    finally:
        app.extensions["relais.engine"].dispose()


def check_readers(app, shared_data) -> None:
    from app.importers import run_import

    with app.app_context(), db.session_scope() as session:
        run_import(session, shared_data / "partners" / "france_travail_agences_2024-01.csv")
    old = active_count(app)
    client = app.test_client()
    first = client.get(COUNT)
    assert first.status_code == 200 and first.get_json()["total"] == old
    assert client.get(RECO).status_code == 200, client.get(RECO).get_json()

    seen: list[tuple[str, int, int | None]] = []
    failures: list[str] = []
    done = threading.Event()
    new_seen = threading.Event()
    new_count: list[int] = []

    def reader(n: int) -> None:
        local = app.test_client()
        urls = (COUNT, SEARCH, RECO)
        i = n
        while not (done.is_set() and new_seen.is_set()) and len(failures) < 5:
            url = urls[i % 3]
            i += 1
            try:
                resp = local.get(url)
            except Exception as exc:  # a reader must never crash
                failures.append(f"{url}: {exc!r}")
                continue
            body = resp.get_json(silent=True) or {}
            total = body.get("total") if url == COUNT else None
            seen.append((url, resp.status_code, total))
            if resp.status_code != 200:
                failures.append(f"{url}: {resp.status_code} {body}")
            if new_count and total == new_count[0]:
                new_seen.set()

    def writer() -> None:
        try:
            with app.app_context(), db.session_scope() as session:
                run_import(session, shared_data / "partners" / "siae_2021-11.csv")
        except Exception as exc:
            failures.append(f"import: {exc!r}")
            new_seen.set()
        finally:
            new_count.append(active_count(app))
            done.set()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # readers already running when the import starts
    write = threading.Thread(target=writer)
    write.start()
    write.join(timeout=120)
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "readers stuck"
    assert not failures, failures[:5]
    new = new_count[0]
    assert new > old + 3000
    totals = [total for url, _, total in seen if url == COUNT]
    assert set(totals) <= {old, new}, sorted(set(totals))
    assert old in totals and new in totals
    print(
        f"\nconcurrent reads: {len(seen)} responses, all 200; totals seen "
        f"{totals.count(old)}× old ({old}) then {totals.count(new)}× new ({new})"
    )
