"""The app under gunicorn on 127.0.0.1, and a bounded load client (threads + http.client).

Only loopback is used. Every load run stops after ``duration_s`` or ``max_requests``,
whichever comes first; the server is stopped by its process id.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .stats import rss_kib, summary_ms

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_binary() -> str:
    candidate = Path(sys.executable).with_name("gunicorn")
    return str(candidate) if candidate.exists() else "gunicorn"


class Server:
    """``gunicorn -w N "app:create_app()"`` on a free loopback port."""

    def __init__(
        self,
        *,
        workers: int,
        database_url: str,
        instance: Path,
        log_path: Path,
        timeout_s: int,
    ):
        self.workers = workers
        self.hook_log = log_path.with_suffix(".hooks.jsonl")
        self.port = free_port()
        self.log_path = log_path
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            RELAIS_INSTANCE_PATH=str(instance),
            SECRET_KEY="bench-secret-key",
            RELAIS_BENCH_HOOK_LOG=str(self.hook_log),
        )
        self.command = [
            gunicorn_binary(),
            "-w",
            str(workers),
            "-b",
            f"{HOST}:{self.port}",
            "--timeout",
            str(timeout_s),
            "--graceful-timeout",
            "10",
            "-c",
            str(Path(__file__).with_name("gunicorn_hooks.py")),
            "app:create_app()",
        ]
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.hook_log.unlink(missing_ok=True)
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def wait_listening(self, timeout_s: float = 60.0) -> None:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn s'est arrêté (voir {self.log_path})")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn n'écoute pas")

    def hook_events(self) -> list[dict[str, Any]]:
        if not self.hook_log.exists():
            return []
        events = []
        for line in self.hook_log.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # a line being written
        return events

    def worker_pids(self) -> list[int]:
        """Children of the gunicorn master (read from /proc)."""
        if self.proc is None:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(entry))
        return sorted(pids)

    def remove_one_worker(self, timeout_s: float = 30.0) -> None:
        """SIGTTOU: the master retires one worker (the others stay warm)."""
        assert self.proc is not None
        before = len(self.worker_pids())
        os.kill(self.proc.pid, signal.SIGTTOU)
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if len(self.worker_pids()) < before:
                self.workers = before - 1
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn n'a pas retiré de worker")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def get(port: int, path: str, timeout_s: float = 30.0) -> tuple[int, int]:
    """One GET on a new connection: (status or -1 on a transport error, latency ns)."""
    started = time.perf_counter_ns()
    status = -1
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = -1
    finally:
        conn.close()
    return status, time.perf_counter_ns() - started


def cold_start(server: Server, path: str, timeout_s: float) -> dict[str, Any]:
    """Right after the start, requests (one more than workers, at once, again and again)
    until *every* worker has answered once: per worker, the time from the spawn of
    gunicorn and from its own fork to its first successful answer, and the failed
    answers meanwhile (the gunicorn hooks log which worker answered)."""
    server.wait_listening()
    deadline = time.time() + timeout_s
    failures: dict[str, int] = defaultdict(int)

    def ready() -> dict[int, float]:
        return {
            e["pid"]: e["t"]
            for e in server.hook_events()
            if e["event"] == "request" and e.get("status") == 200
        }

    while time.time() < deadline:
        answered = ready()
        alive = server.worker_pids()
        if alive and all(pid in answered for pid in alive):
            break
        threads = []
        statuses: list[int] = []

        def one(out: list[int] = statuses) -> None:
            out.append(get(server.port, path, timeout_s=timeout_s)[0])

        for _ in range(server.workers + 1):
            threads.append(threading.Thread(target=one))
            threads[-1].start()
        for t in threads:
            t.join()
        for status in statuses:
            if status != 200:
                failures[str(status)] += 1
    events = server.hook_events()
    forks = {e["pid"]: e["t"] for e in events if e["event"] == "fork"}
    loaded = {e["pid"]: e["t"] for e in events if e["event"] == "app_loaded"}
    answered = ready()
    workers = []
    for pid, fork_t in sorted(forks.items()):
        first = answered.get(pid)
        workers.append(
            {
                "pid": pid,
                "app_loaded_s": round(loaded[pid] - fork_t, 2) if pid in loaded else None,
                "first_answer_s": round(first - server.started_at, 2) if first else None,
                "first_answer_after_fork_s": round(first - fork_t, 2) if first else None,
            }
        )
    firsts = [w["first_answer_s"] for w in workers if w["first_answer_s"] is not None]
    return {
        "workers": workers,
        "first_answer_s": min(firsts) if firsts else None,
        "all_workers_answered_s": max(firsts) if len(firsts) == len(workers) else None,
        "failed_answers": dict(failures),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssMonitor(threading.Thread):
    """Peak resident memory of each gunicorn worker, sampled twice a second."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.peak: dict[int, int] = {}
        self.done = threading.Event()
        self.cpu_start = {pid: cpu_seconds(pid) for pid in server.worker_pids()}
        self.client_cpu_start = time.process_time()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in self.server.worker_pids():
                rss = rss_kib(pid)["rss_kib"]
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
            self.done.wait(0.5)

    def stop(self) -> dict[str, Any]:
        self.done.set()
        self.join(timeout=5)
        values = sorted(self.peak.values())
        worker_cpu = sum(cpu_seconds(pid) - t for pid, t in self.cpu_start.items())
        return {
            "workers_seen": len(values),
            "max_rss_mb": round(max(values) / 1024, 1) if values else None,
            "workers_cpu_s": round(worker_cpu, 2),
            "client_cpu_s": round(time.process_time() - self.client_cpu_start, 2),
        }


def load(
    port: int,
    requests: list[tuple[str, str]],
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
) -> dict[str, Any]:
    """``concurrency`` threads send ``requests`` (kind, path) round robin until the time
    or request budget is spent; throughput and latency per kind and overall."""
    counter = itertools.count()
    deadline = time.perf_counter() + duration_s
    samples: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def worker() -> None:
        local = []
        while time.perf_counter() < deadline:
            i = next(counter)
            if i >= max_requests:
                break
            kind, path = requests[i % len(requests)]
            status, latency = get(port, path)
            local.append((kind, status, latency))
        with lock:
            samples.extend(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    by_kind: dict[str, list[int]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for kind, status, latency in samples:
        if status == 200:
            by_kind[kind].append(latency)
        else:
            errors[str(status)] += 1
    ok = [lat for kind, status, lat in samples if status == 200]
    out: dict[str, Any] = {
        "client": "python",
        "concurrency": concurrency,
        "requests": len(samples),
        "seconds": round(elapsed, 2),
        "rps": round(len(ok) / elapsed, 1),
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        **{k: v for k, v in summary_ms(ok).items() if k != "n"},
        "by_kind": {
            kind: {"rps": round(len(v) / elapsed, 1), **summary_ms(v)}
            for kind, v in sorted(by_kind.items())
        },
    }
    return out


def load_wrk(
    port: int,
    requests: list[tuple[str, str]],
    *,
    concurrency: int,
    duration_s: float,
    max_requests: int,
) -> dict[str, Any]:
    """The same bounded load as :func:`load`, sent by wrk (C, one connection per thread):
    the client then takes a few per cent of a core instead of a fifth. Per kind, only the
    answer counts (wrk's script sees no per-request time)."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
        handle.writelines(f"{kind}\t{path}\n" for kind, path in requests)
    env = dict(
        os.environ,
        RELAIS_WRK_PATHS=handle.name,
        RELAIS_WRK_MAX_PER_THREAD=str(max(1, max_requests // concurrency)),
    )
    command = ["wrk", f"-t{concurrency}", f"-c{concurrency}", f"-d{max(1, round(duration_s))}s",
               "--timeout", "30s", "-s", str(Path(__file__).with_name("wrk_load.lua")),
               f"http://{HOST}:{port}/"]  # fmt: skip
    try:
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(handle.name)
    line = next((x for x in run.stdout.splitlines() if x.startswith("RELAIS_JSON ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk a échoué : {run.stderr.strip() or run.stdout.strip()}")
    raw = json.loads(line.removeprefix("RELAIS_JSON "))
    elapsed = raw["duration_us"] / 1e6
    ok = raw["statuses"].get("200", 0)
    errors = {k: v for k, v in raw["statuses"].items() if k != "200"}
    if raw["transport_errors"]:
        errors["-1"] = raw["transport_errors"]
    return {
        "client": "wrk",
        "concurrency": concurrency,
        "requests": raw["requests"],
        "seconds": round(elapsed, 2),
        "rps": round(ok / elapsed, 1),
        "errors": sum(errors.values()),
        "errors_by_status": errors,
        **{
            name: round(raw["latency_us"][p] / 1000, 2)
            for p, name in (("p50", "median_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))
        },
        "by_kind": {k: {"rps": round(n / elapsed, 1)} for k, n in sorted(raw["by_kind"].items())},
    }


def request_mix(workload: Any, n: int, scenario: str) -> list[tuple[str, str]]:
    """(kind, path) list: ``reco`` = recommendations only (3 freins); ``mix`` = half
    recommendations, a quarter text searches, a quarter widget calls."""
    recos = [("recommandation", "/api/v1/recommendations?" + urlencode(p)) for p in
             workload.profiles(n, 3)]  # fmt: skip
    if scenario == "reco":
        return recos
    searches = [("recherche", "/api/v1/partners?" + urlencode(p)) for p in workload.searches(n)]
    widget = [("widget", "/api/v1/partners?" + urlencode(p)) for p in workload.widget_calls(n)]
    mixed = []
    for i in range(n):
        mixed.append(recos[i])
        mixed.append(searches[i] if i % 2 == 0 else widget[i])
    return mixed
