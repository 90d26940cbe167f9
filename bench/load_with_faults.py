"""Load test with a fault: readers hammer a real server while imports commit underneath.

Starts Relais (gunicorn from the venv when present, else ``relais serve``/waitress) on
127.0.0.1 on a free port, with a temporary SQLite database loaded with real data (the
shipped mairies, France Services and the 2016 annuaire when ``../shared/data`` is
there), then for ``--seconds`` runs ``--clients`` threads of mixed reads while imports
of other shared files run in parallel. Prints requests, errors, p50/p95 latency and the
server's RSS (with its children) at start and end; exits 1 on any error.

Usage: .venv/bin/python -m bench.load_with_faults [--seconds 60] [--clients 8]

Loopback only; bounded in time and request count; always stops the server.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from recommender.taxonomy import default_taxonomy

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "partners"
BIN = Path(sys.executable).parent
MAX_REQUESTS = 500_000

FREINS = tuple(default_taxonomy().freins)
COMMUNES = ("Lille", "Beauvais", "Amiens", "Marseille", "Rennes", "Toulouse", "75056", "Nantes")


def relais(*args: str) -> list[str]:
    script = BIN / "relais"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in kB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def random_path(rng: random.Random) -> str:
    frein, commune = rng.choice(FREINS), rng.choice(COMMUNES)
    second = rng.choice(FREINS)
    return rng.choice(
        (
            f"/api/v1/partners?frein={frein}&commune={commune}",
            f"/api/v1/partners?frein={frein}&commune={commune}",
            f"/api/v1/recommendations?freins={frein},{second}&commune={commune}",
            f"/api/v1/recommendations?freins={frein}&commune={commune}&age=24",
            f"/widget?frein={frein}&commune={commune}",
            "/widget.js",
            "/",
        )
    )


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.by_status: dict[str, int] = {}

    def add(self, status: str, latency: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.by_status[status] = self.by_status.get(status, 0) + 1
            if error is not None and len(self.errors) < 1000:
                self.errors.append(error)


def client(base: str, seed: int, stop: threading.Event, stats: Stats) -> None:
    rng = random.Random(seed)
    while not stop.is_set() and len(stats.latencies) < MAX_REQUESTS:
        path = random_path(rng)
        started = time.perf_counter()
        error = None
        try:
            with urllib.request.urlopen(base + path, timeout=60) as resp:
                resp.read()
                status = str(resp.status)
        except urllib.error.HTTPError as exc:
            status = str(exc.code)
            if exc.code >= 400:
                error = f"{exc.code} {path}: {exc.read()[:200]!r}"
        except (OSError, urllib.error.URLError) as exc:
            status = "connexion"
            error = f"{path}: {exc!r}"
        stats.add(status, time.perf_counter() - started, error)


def wait_ready(base: str, server: subprocess.Popen, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"le serveur s'est arrêté (code {server.returncode})")
        try:
            with urllib.request.urlopen(base + "/api/v1/partners?per_page=1", timeout=60) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.3)
    raise SystemExit("le serveur ne répond pas")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default=None)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    seconds = max(5.0, min(args.seconds, 1800.0))
    server_kind = args.server or ("gunicorn" if (BIN / "gunicorn").exists() else "waitress")

    tmp = Path(tempfile.mkdtemp(prefix="relais-load-"))
    env = {
        **os.environ,
        "RELAIS_INSTANCE_PATH": str(tmp / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp / 'relais.sqlite3'}",
        "SECRET_KEY": "load-test",
    }
    env.pop("RELAIS_TEST_POSTGRES", None)
    preload = [SHARED / "france_services_2024-08.csv"]
    preload += [SHARED / "annuaire_services_publics_2016-02.csv"]
    during = [SHARED / "siae_2021-11.csv", SHARED / "france_travail_agences_2024-01.csv"]
    preload = [p for p in preload if p.exists()]
    during = [p for p in during if p.exists()]
    server = importer = None
    try:
        print(f"Chargement des données / loading data in {tmp} …", flush=True)
        t = time.monotonic()
        subprocess.run(
            relais("demo", "--no-serve", *map(str, preload)),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  prêt en {time.monotonic() - t:.0f} s", flush=True)

        port = free_port()
        if server_kind == "gunicorn":
            cmd = [
                str(BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                "4",
                "--timeout",
                "120",
                "--log-level",
                "warning",
                "app:create_app()",
            ]
        else:
            cmd = relais("serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "8")
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        ready = wait_ready(base, server, timeout=180)
        # warm every worker (each builds its own indexes)
        for _ in range(4 * args.workers):
            urllib.request.urlopen(base + "/api/v1/partners?frein=emploi&commune=Lille").read()
        rss_start = rss_kb(server.pid)
        print(f"Serveur {server_kind} prêt en {ready:.1f} s sur {base}", flush=True)

        def run_imports() -> None:
            nonlocal importer
            for path in during:
                if stop.is_set():
                    return
                importer = subprocess.Popen(
                    relais("import", str(path)),
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
                _, err = importer.communicate()
                imports.append((path.name, importer.returncode, time.monotonic() - load_start))
                if importer.returncode != 0:
                    stats.add("import", 0.0, f"import {path.name}: {err[-300:]!r}")

        stats, stop, imports = Stats(), threading.Event(), []
        load_start = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(base, n, stop, stats), daemon=True)
            for n in range(args.clients)
        ]
        threads.append(threading.Thread(target=run_imports, daemon=True))
        for thread in threads:
            thread.start()
        while time.monotonic() - load_start < seconds and server.poll() is None:
            time.sleep(0.5)
        stop.set()
        elapsed = time.monotonic() - load_start
        for thread in threads[:-1]:
            thread.join(timeout=90)
        rss_end = rss_kb(server.pid)
        server_alive = server.poll() is None
    finally:
        if importer is not None:
            stop_process(importer)
        if server is not None:
            stop_process(server)
        shutil.rmtree(tmp, ignore_errors=True)

    lat = stats.latencies
    n_errors = len([e for e in stats.errors if not e.startswith("import")])
    rows = [
        ("Serveur / server", f"{server_kind} (workers {args.workers})"),
        ("Durée / duration", f"{elapsed:.0f} s, {args.clients} clients"),
        ("Requêtes / requests", f"{len(lat)} ({len(lat) / elapsed:.0f}/s)"),
        ("Statuts / statuses", ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items()))),
        ("Erreurs / errors", str(n_errors)),
        (
            "Latence p50 / p95",
            f"{percentile(lat, 0.5) * 1000:.0f} ms / {percentile(lat, 0.95) * 1000:.0f} ms",
        ),
        ("Latence max", f"{max(lat, default=0) * 1000:.0f} ms"),
        ("RSS début / start", f"{rss_start / 1024:.0f} Mo"),
        ("RSS fin / end", f"{rss_end / 1024:.0f} Mo"),
        (
            "Imports pendant la charge",
            "; ".join(f"{name} → code {rc} à {at:.0f} s" for name, rc, at in imports) or "aucun",
        ),
        ("Serveur vivant à la fin", "oui" if server_alive else "NON"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for error in stats.errors[:10]:
        print(f"  ! {error}")
    failed = bool(stats.errors) or not server_alive
    print("\nÉCHEC / FAILED" if failed else "\nOK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
