"""Memory of N processes that load the same saved indexes: mapped (as workers do) or
copied (as before the arrays were mapped), RSS and PSS each.

``python -m bench.shared_memory --index-dir DIR [--workers 2] [--out FILE]``

PSS divides each shared page among the processes that map it: with mapped arrays, N
workers cost one copy of the arrays between them, and PSS per worker falls as N grows.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _smaps() -> dict[str, int]:
    text = Path("/proc/self/smaps_rollup").read_text()
    return {
        line.split(":")[0]: int(line.split()[1]) // 1024
        for line in text.splitlines()[1:]
        if line.split()[-1] == "kB"
    }


def _touch(obj: Any, seen: set[int]) -> int:
    """Read every array reachable from ``obj`` (as queries eventually do): its pages
    become resident."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.view(np.uint8).sum()) if obj.dtype != object else 0
    if isinstance(obj, (list, tuple)):
        return sum(_touch(v, seen) for v in obj)
    if isinstance(obj, dict):
        return sum(_touch(v, seen) for v in obj.values())
    state = getattr(obj, "__dict__", None)
    return _touch(state, seen) if isinstance(state, dict) else 0


def _worker(index_dir: str, copied: bool, ready: Any, measure: Any, out: Any) -> None:
    from app.index.store import IndexStore

    started = time.perf_counter()
    found = IndexStore(index_dir).latest()
    assert found is not None, "aucun index enregistré"
    indexes = found[1]
    if copied:  # the former format: every array a private copy
        indexes = pickle.loads(pickle.dumps(indexes, protocol=5))
    load_s = time.perf_counter() - started
    _touch(indexes, set())
    ready.set()
    measure.wait(120)
    out.put({"load_s": round(load_s, 3), **{k: _smaps()[k] for k in ("Rss", "Pss")}})


def measure(index_dir: str, workers: int, copied: bool) -> list[dict[str, Any]]:
    ctx = multiprocessing.get_context("spawn")
    measure_now, out = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(workers)]
    procs = [
        ctx.Process(target=_worker, args=(index_dir, copied, r, measure_now, out)) for r in readies
    ]
    for p in procs:
        p.start()
    for r in readies:
        r.wait(600)
    measure_now.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    files = sorted(Path(args.index_dir).glob("engine-*.pickle"))
    report = {
        "file_mb": round(max(f.stat().st_size for f in files) / 1e6, 1) if files else None,
        "mapped": measure(args.index_dir, args.workers, copied=False),
        "copied": measure(args.index_dir, args.workers, copied=True),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
