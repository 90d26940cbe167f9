"""Timing helpers: bounded measurement loops and percentiles."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in [0, 100]) of unsorted values.

    >>> percentile([1, 2, 3, 4], 50), percentile([5], 99)
    (2.5, 5.0)
    """
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    return float(data[low] + (data[high] - data[low]) * (pos - low))


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    ms = [s / 1e6 for s in samples_ns]
    return {
        "n": len(ms),
        "median_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else math.nan,
        "max_ms": round(max(ms), 3) if ms else math.nan,
    }


def measure(
    call: Callable[[Any], Any],
    inputs: Sequence[Any],
    *,
    warmup: int,
    iterations: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Call ``call(inputs[i % len(inputs)])`` ``warmup`` times, then up to ``iterations``
    times within ``max_seconds``; wall and CPU (thread) time of each measured call."""
    for i in range(min(warmup, iterations)):
        call(inputs[i % len(inputs)])
    wall: list[int] = []
    cpu: list[int] = []
    deadline = time.perf_counter() + max_seconds
    for i in range(iterations):
        arg = inputs[(i + warmup) % len(inputs)]
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        call(arg)
        t1, c1 = time.perf_counter_ns(), time.thread_time_ns()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
        if time.perf_counter() > deadline:
            break
    out = summary_ms(wall)
    cpu_summary = summary_ms(cpu)
    out["cpu_median_ms"] = cpu_summary["median_ms"]
    out["cpu_p95_ms"] = cpu_summary["p95_ms"]
    out["truncated"] = len(wall) < iterations
    return out


def rss_kib(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB, from /proc."""
    out = {"rss_kib": 0, "hwm_kib": 0}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    out["rss_kib"] = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm_kib"] = int(line.split()[1])
    except OSError:
        pass
    return out
