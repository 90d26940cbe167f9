"""gunicorn server hooks for the benchmark (``gunicorn -c bench/gunicorn_hooks.py``).

They only write a line per event to ``$RELAIS_BENCH_HOOK_LOG``: when each worker is
forked, when it has loaded the app, and its requests until its first success, so the
harness knows when *each* worker answered for the first time (its cold start).
"""

from __future__ import annotations

import json
import os
import time

_answered = False


def _write(event: str, **fields) -> None:
    path = os.environ.get("RELAIS_BENCH_HOOK_LOG")
    if not path:
        return
    line = json.dumps({"event": event, "pid": os.getpid(), "t": time.time(), **fields})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def post_fork(server, worker) -> None:
    _write("fork")


def post_worker_init(worker) -> None:
    _write("app_loaded")


def post_request(worker, req, environ, resp) -> None:
    global _answered
    if _answered:
        return
    status = getattr(resp, "status_code", None)
    _write("request", status=status, path=req.path)
    if status == 200:
        _answered = True
