"""Load test with a fault: readers hammer a real server while imports commit underneath.

Starts Relais (gunicorn from the venv when present, else ``relais serve``/waitress) on
127.0.0.1 on a free port, with a temporary SQLite database loaded with real data (the
shipped mairies, France Services and the 2016 annuaire when ``../shared/data`` is
there), then for ``--seconds`` runs ``--clients`` threads of mixed reads while imports
of other shared files run in parallel and, with ``--kill-worker S``, a gunicorn worker is
killed (SIGKILL) S seconds in. Prints requests, errors, p50/p95/p99 latency and the
server's RSS (with its children) at start and end (``--out FILE``: the same as JSON);
exits 1 on any error.

Usage: .venv/bin/python -m bench.load_with_faults [--seconds 60] [--clients 32]
       [--kill-worker 20] [--port P] [--out FILE]

Loopback only; bounded in time and request count; always stops the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
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


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def worker_memory(pid: int) -> list[dict[str, int]]:
    """RSS and PSS (shared pages divided among the processes that map them) of each
    worker, in MB: the saved index arrays are mapped, so PSS is what a worker costs."""
    out = []
    for child in children(pid):
        try:
            text = Path(f"/proc/{child}/smaps_rollup").read_text()
        except OSError:
            continue
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in text.splitlines()[1:]
            if line.split()[-1] == "kB"
        }
        out.append({"rss_mb": kb.get("Rss", 0) // 1024, "pss_mb": kb.get("Pss", 0) // 1024})
    return out


def kill_worker_after(
    server: subprocess.Popen, delay: float, how: signal.Signals, stop: threading.Event
) -> None:
    """The fault of issue 18: one worker stopped mid-run, gunicorn starts another. SIGTERM
    (the default) lets it finish its requests, as a restart does; SIGKILL drops them."""
    if stop.wait(delay):
        return
    workers = children(server.pid)
    if workers:
        os.kill(workers[0], how)
        print(f"  worker {workers[0]} arrêté ({how.name}) à {delay:.0f} s", flush=True)


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
        self.finished: list[float] = []  # monotonic time each request ended
        self.errors: list[str] = []
        self.by_status: dict[str, int] = {}

    def add(self, status: str, latency: float, error: str | None) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.finished.append(time.monotonic())
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
        except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
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


def windows(stats: Stats, started: float, width: float = 10.0) -> list[dict[str, float]]:
    """Requests, p99 and max latency per ``width`` seconds of the run: where a stall is."""
    by_window: dict[int, list[float]] = {}
    for end, latency in zip(stats.finished, stats.latencies, strict=True):
        by_window.setdefault(int((end - started) // width), []).append(latency)
    return [
        {
            "from_s": n * width,
            "requests": len(lat),
            "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
            "max_ms": round(max(lat) * 1000, 1),
        }
        for n, lat in sorted(by_window.items())
    ]


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


class FaultyImports:
    """The fault: imports of other shared files, one after the other, under the readers."""

    def __init__(self, paths: list[Path], env: dict[str, str], stats: Stats) -> None:
        self.paths = paths
        self.env = env
        self.stats = stats
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.process: subprocess.Popen | None = None
        self.done: list[tuple[str, int, float]] = []

    def run(self) -> None:
        for path in self.paths:
            if self.stop.is_set():
                return
            self.process = subprocess.Popen(
                relais("import", str(path)),
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            _, err = self.process.communicate()
            code = self.process.returncode
            self.done.append((path.name, code, time.monotonic() - self.started))
            if code != 0:
                self.stats.add("import", 0.0, f"import {path.name}: {err[-300:]!r}")


def server_command(kind: str, port: int, workers: int) -> list[str]:
    if kind == "waitress":
        return relais("serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "8")
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--timeout",
        "120",
        "-c",
        "python:app.gunicorn_conf",
        "--log-level",
        "warning",
        "app:create_app()",
    ]


def load(
    base: str,
    server: subprocess.Popen,
    imports: FaultyImports,
    clients: int,
    seconds: float,
    kill_at: float | None,
    kill_signal: signal.Signals = signal.SIGTERM,
) -> float:
    """``clients`` reader threads and the imports for ``seconds`` (and a worker killed at
    ``kill_at``); returns the time elapsed."""
    threads = [
        threading.Thread(target=client, args=(base, n, imports.stop, imports.stats), daemon=True)
        for n in range(clients)
    ]
    if kill_at is not None:
        killer = threading.Thread(
            target=kill_worker_after, args=(server, kill_at, kill_signal, imports.stop), daemon=True
        )
        threads.insert(0, killer)
    threads.append(threading.Thread(target=imports.run, daemon=True))
    for thread in threads:
        thread.start()
    while time.monotonic() - imports.started < seconds and server.poll() is None:
        time.sleep(0.5)
    imports.stop.set()
    elapsed = time.monotonic() - imports.started
    for thread in threads[:-1]:
        thread.join(timeout=90)
    return elapsed


def report(
    stats: Stats,
    imports: list[tuple[str, int, float]],
    elapsed: float,
    clients: int,
    server: str,
    rss: tuple[int, int],
    server_alive: bool,
    out: Path | None,
    workers: list[dict[str, int]],
    started: float,
) -> int:
    """Print the table (and the first errors), write it to ``out`` as JSON; 1 on any
    error or a dead server."""
    lat = stats.latencies
    n_errors = len([e for e in stats.errors if not e.startswith("import")])
    rows = [
        ("Serveur / server", server),
        ("Durée / duration", f"{elapsed:.0f} s, {clients} clients"),
        ("Requêtes / requests", f"{len(lat)} ({len(lat) / elapsed:.0f}/s)"),
        ("Statuts / statuses", ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items()))),
        ("Erreurs / errors", str(n_errors)),
        (
            "Latence p50 / p95 / p99",
            " / ".join(f"{percentile(lat, q) * 1000:.0f} ms" for q in (0.5, 0.95, 0.99)),
        ),
        ("Latence max", f"{max(lat, default=0) * 1000:.0f} ms"),
        ("RSS début / start", f"{rss[0] / 1024:.0f} Mo"),
        ("RSS fin / end", f"{rss[1] / 1024:.0f} Mo"),
        (
            "Workers RSS / PSS",
            ", ".join(f"{w['rss_mb']} / {w['pss_mb']} Mo" for w in workers) or "?",
        ),
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
    if out is not None:
        summary = {
            "server": server,
            "seconds": round(elapsed, 1),
            "clients": clients,
            "requests": len(lat),
            "errors": n_errors,
            "statuses": stats.by_status,
            "latency_ms": {
                f"p{round(q * 100)}": round(percentile(lat, q) * 1000, 1) for q in (0.5, 0.95, 0.99)
            }
            | {"max": round(max(lat, default=0) * 1000, 1)},
            "windows": windows(stats, started),
            "rss_mb": [round(r / 1024) for r in rss],
            "workers": workers,
            "imports": imports,
            "server_alive": server_alive,
            "load_average": os.getloadavg(),
        }
        out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default=None)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--kill-worker", type=float, default=None, help="stop a worker at S s")
    parser.add_argument("--kill-signal", choices=("TERM", "KILL"), default="TERM")
    parser.add_argument("--out", type=Path, default=None, help="JSON summary")
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
    during = [SHARED / "france_travail_agences_2024-01.csv", SHARED / "siae_2021-11.csv"]
    preload = [p for p in preload if p.exists()]
    during = [p for p in during if p.exists()]
    server = imports = None
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

        port = args.port or free_port()
        cmd = server_command(server_kind, port, args.workers)
        server = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        ready = wait_ready(base, server, timeout=180)
        # warm every worker (each builds its own indexes)
        for _ in range(4 * args.workers):
            urllib.request.urlopen(base + "/api/v1/partners?frein=emploi&commune=Lille").read()
        rss_start = rss_kb(server.pid)
        print(f"Serveur {server_kind} prêt en {ready:.1f} s sur {base}", flush=True)

        imports = FaultyImports(during, env, Stats())
        elapsed = load(
            base,
            server,
            imports,
            args.clients,
            seconds,
            args.kill_worker,
            signal.Signals[f"SIG{args.kill_signal}"],
        )
        rss_end = rss_kb(server.pid)
        workers = worker_memory(server.pid)
        server_alive = server.poll() is None
    finally:
        if imports is not None and imports.process is not None:
            stop_process(imports.process)
        if server is not None:
            stop_process(server)
        shutil.rmtree(tmp, ignore_errors=True)

    return report(
        imports.stats,
        imports.done,
        elapsed,
        args.clients,
        f"{server_kind} (workers {args.workers})",
        (rss_start, rss_end),
        server_alive,
        args.out,
        workers,
        imports.started,
    )


if __name__ == "__main__":
    sys.exit(main())
