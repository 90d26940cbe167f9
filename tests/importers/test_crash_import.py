"""Crash safety: ``relais import`` killed (SIGKILL, once SIGTERM) at seeded random points
leaves the database and the search indexes exactly as they were; the next run completes.

Also kills ``relais reindex`` while it writes a version directory: the next app start
still serves the data. SQLite WAL by default, PostgreSQL in its lane (``database_url``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import inspect, text

from app import db

from ..support.apps import build_app

CRASH_FILE = "siae_2021-11.csv"
BASE_FILE = "france_travail_agences_2024-01.csv"
SEED = 20240917
CHECKSUM_TABLES = ("partner", "partner_source", "import_run")


def relais_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("relais")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def make_test_app(instance: Path, url: str, *, migrate: bool = False):
    """An app start on the instance the ``relais`` subprocesses use (their default index)."""
    return build_app(instance.parent, url, migrate=migrate, INDEX_DIR=str(instance / "index"))


def db_state(url: str) -> dict[str, object]:
    """Row counts of every table and a checksum of partner, partner_source and import_run."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(t for t in inspect(conn).get_table_names() if t != "alembic_version")
            state: dict[str, object] = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
            }
            active = "SELECT count(*) FROM partner WHERE status = 'active'"
            state["partner:active"] = conn.execute(text(active)).scalar_one()
            for table in CHECKSUM_TABLES:
                digest = hashlib.sha256()
                for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                    digest.update(repr(tuple(row)).encode())
                state[f"{table}#sha256"] = digest.hexdigest()
        return state
    finally:
        engine.dispose()


def tree_state(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def served_total(instance: Path, url: str) -> tuple[int, str]:
    """A fresh app start: the total of an unfiltered search and the data version served."""
    app = make_test_app(instance, url)
    try:
        client = app.test_client()
        resp = client.get("/api/v1/partners?per_page=1")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert client.get("/api/v1/partners?q=insertion&per_page=3").status_code == 200
        return resp.get_json()["total"], app.extensions["relais.index"].state.version
    finally:
        app.extensions["relais.engine"].dispose()


def backup_to(app, path: Path, url: str) -> None:
    from sqlalchemy.engine import make_url

    from app import backup

    if url.startswith("sqlite"):
        backup.backup_sqlite(Path(make_url(url).database), path)
    else:
        backup.backup_postgres(make_url(url), path)


def restore_baseline(app, path: Path, url: str) -> None:
    from sqlalchemy.engine import make_url

    from app import backup

    app.extensions["relais.engine"].dispose()
    if url.startswith("sqlite"):
        backup.restore_sqlite(path, Path(make_url(url).database))
    else:
        backup.restore_postgres(path, make_url(url))


def assert_complete_import(url: str, before: dict[str, object]) -> None:
    """The one new import run is finished and every partner it created is there."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT finished_at, counts FROM import_run ORDER BY id"))
            runs = runs.all()
            partners = conn.execute(text("SELECT count(*) FROM partner")).scalar_one()
    finally:
        engine.dispose()
    assert len(runs) == before["import_run"] + 1
    finished_at, counts = runs[-1]
    counts = json.loads(counts) if isinstance(counts, str) else counts
    assert finished_at is not None and counts["created"] > 0
    assert partners == before["partner"] + counts["created"]


class Child:
    """A ``relais`` subprocess whose output lines are timestamped as they arrive."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            relais_command(*args),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.append((time.monotonic() - self.started, line))

    def wait(self, timeout: float = 120) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return rc

    def output(self) -> str:
        return "".join(line for _, line in self.lines)


def test_import_killed_at_random_points_loses_nothing(
    tmp_path, monkeypatch, database_url, shared_data
):
    instance = tmp_path / "instance"
    monkeypatch.setenv("RELAIS_INSTANCE_PATH", str(instance))
    index_root = instance / "index"
    crash_file = shared_data / "partners" / CRASH_FILE
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RELAIS_INSTANCE_PATH": str(instance),
        "PYTHONUNBUFFERED": "1",
    }

    # baseline: one real source imported and indexed, in process
    from app.importers import ImportOptions, run_import
    from app.index.holder import reindex
    from app.inference import store_inferred_freins

    app = make_test_app(instance, database_url, migrate=True)
    with app.app_context():
        with db.session_scope() as session:
            run_import(
                session,
                shared_data / "partners" / BASE_FILE,
                ImportOptions(after_write=store_inferred_freins),
            )
        with db.session_scope() as session:
            old_version = reindex(session).version
    app.extensions["relais.engine"].dispose()
    before, index_before = db_state(database_url), tree_state(index_root)
    baseline_backup = tmp_path / "baseline.backup"
    with app.app_context():
        backup_to(app, baseline_backup, database_url)
    assert before["partner"] > 900 and index_before

    # measure: a dry run does all the work and rolls back (the DB must not change either)
    dry = Child(["import", "--dry-run", "--json", str(crash_file)], env)
    assert dry.wait() == 0, dry.output()
    duration = time.monotonic() - dry.started
    work = json.loads(dry.output()[dry.output().index("{\n") :])["duration_s"]
    started_work = max(0.3, duration - work - 0.3)  # start-up (imports, app) before it
    assert db_state(database_url) == before

    # kill points: seeded, some during start-up, most while the file is processed
    rng = random.Random(SEED)
    points = [(rng.uniform(0.2, started_work), signal.SIGKILL)]
    # stratified over the processing window, so the points do not bunch up
    step = 0.9 * work / 4
    signals = [signal.SIGKILL] * 3 + [signal.SIGTERM]
    rng.shuffle(signals)
    points += [(started_work + (k + rng.random()) * step, sig) for k, sig in enumerate(signals)]
    tried = []
    for delay, sig in points:
        child = Child(["import", str(crash_file)], env)
        time.sleep(max(0.0, delay - (time.monotonic() - child.started)))
        if child.proc.poll() is None:
            child.proc.send_signal(sig)
        rc = child.wait()
        # rc 0: a loaded machine let the import finish first (checked as "after commit")
        assert rc in (-sig, 0), f"import failed at {delay:.2f} s (rc {rc}): {child.output()}"
        assert tree_state(index_root) == index_before
        state = db_state(database_url)
        if state != before:
            # killed after its commit: the import must then be whole; back to the baseline
            assert_complete_import(database_url, before)
            restore_baseline(app, baseline_backup, database_url)
            assert db_state(database_url) == before
            tried.append(f"{sig.name}@{delay:.2f}s({'finished' if rc == 0 else 'after commit'})")
        else:
            tried.append(f"{sig.name}@{delay:.2f}s")
    # no half-written version used: a fresh start serves the old data
    total, version = served_total(instance, database_url)
    assert (total, version) == (before["partner:active"], old_version)

    # the next run completes normally
    final = Child(["import", "--json", str(crash_file)], env)
    assert final.wait() == 0, final.output()
    out = final.output()
    report = json.loads(out[out.index("{\n") :])
    after = db_state(database_url)
    counts = report["counts"]
    assert counts["created"] > 3000 and after["import_run"] == before["import_run"] + 1
    assert after["partner"] == before["partner"] + counts["created"]

    # reindex killed while writing the new version directory
    reindexing = Child(["reindex"], env)
    deadline = time.monotonic() + 60
    while reindexing.proc.poll() is None and time.monotonic() < deadline:
        if len([d for d in index_root.iterdir() if d.is_dir()]) > 1:
            time.sleep(rng.uniform(0.0, 0.3))
            break
        time.sleep(0.02)
    reindexing.proc.kill()
    reindexing.wait()
    total, version = served_total(instance, database_url)
    assert total == after["partner:active"] and version != old_version

    print(
        f"\ncrash points tried: {', '.join(tried)} (dry run {duration:.1f} s, work from "
        f"{started_work:.1f} s); reindex killed rc={reindexing.proc.returncode}; "
        f"final run counts: {counts}; partners {before['partner']} -> {after['partner']}"
    )
