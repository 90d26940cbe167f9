"""The fault bench's summary: the latency windows show where a stall is."""

from __future__ import annotations

from bench.load_with_faults import Stats, windows


def test_windows_put_each_request_in_the_ten_seconds_it_ended_in():
    stats = Stats()
    stats.latencies = [0.010, 0.020, 7.300, 0.015]
    stats.finished = [100.5, 109.9, 111.0, 125.0]
    rows = windows(stats, started=100.0)
    assert [(w["from_s"], w["requests"], w["max_ms"]) for w in rows] == [
        (0.0, 2, 20.0),
        (10.0, 1, 7300.0),
        (20.0, 1, 15.0),
    ]
