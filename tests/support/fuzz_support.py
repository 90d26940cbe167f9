"""What the fuzz tests share: reproducible settings, hostile values, encoding, tallies, an app."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from .apps import build_app

SCRIPT = "<script>alert(1)</script>"
# Payloads every form and endpoint gets: injections, then numbers Python parses oddly.
INJECTIONS = [
    "' OR 1=1 --",
    "'; DROP TABLE partner; --",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
]
NUMBERS = ["NaN", "Infinity", "1e309", "-1", "+-5", "²", "٣٧"]
# Lone surrogates, private use, control characters and symbols.
ODD_CHARACTERS = st.characters(categories=["Cs", "Co", "Cc", "So"])


def fuzz_settings(examples: int) -> settings:
    """The same inputs on every run (CI is reproducible), no deadline, no example database."""
    return settings(
        derandomize=True,
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def hostile_text(
    samples: list[str], max_size: int, odd_size: int, *more: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Known-bad samples, random text, odd code points and integers, all as strings."""
    return st.one_of(
        st.sampled_from(samples),
        st.text(max_size=max_size),
        st.text(ODD_CHARACTERS, max_size=odd_size),
        st.integers().map(str),
        *more,
    )


def quote_any(text: str) -> str:
    """Percent-encode any string, lone surrogates included, as a hostile client would."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def encode(pairs) -> str:
    """A query string or form body from ``(name, value)`` pairs, repeats kept."""
    return "&".join(f"{quote_any(name)}={quote_any(value)}" for name, value in pairs)


class Tally:
    """Generated inputs and 5xx answers per target: the report proves the volume was reached."""

    def __init__(self, noun: str, minimum: float) -> None:
        self.noun, self.minimum = noun, minimum
        self.counts: Counter = Counter()

    def record(self, name: str, status: int) -> None:
        self.counts[name, "tried"] += 1
        if status >= 500:
            self.counts[name, "5xx"] += 1

    def report(self, name: str, record_property) -> None:
        tried, fives = self.counts[name, "tried"], self.counts[name, "5xx"]
        record_property(f"{name}_tried", tried)
        record_property(f"{name}_5xx", fives)
        print(f"\n{name}: {tried} {self.noun}, {fives} réponses 5xx")
        assert tried >= self.minimum
        assert fives == 0


@contextmanager
def fuzz_app(
    tmp_path_factory, name: str, **config
) -> Iterator[tuple[Flask, Path, pytest.MonkeyPatch]]:
    """One app per fuzz module (its own SQLite file keeps each request a few ms)."""
    tmp = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        app = build_app(tmp, f"sqlite:///{tmp / 'fuzz.sqlite3'}", **config)
        try:
            yield app, tmp, mp
        finally:
            app.extensions["relais.engine"].dispose()
