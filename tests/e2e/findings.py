"""What the end-to-end lane looks for, and the one ledger every e2e test writes its findings to.

A finding is one defect on one page (a 5xx, an English default message, a traceback, a reflow
failure, an axe violation, a console error). A test fails on any finding.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SUMMARY = ARTIFACTS / "e2e-summary.json"

# "journey": a step of a user journey that did not do what the user expects.
KINDS = ("5xx", "4xx", "english", "traceback", "reflow", "axe", "console", "journey")

# Flask, werkzeug and click defaults: none of them may reach a user.
ENGLISH = re.compile(
    r"Not Found|Internal Server Error|Method Not Allowed|Bad Request|The requested URL"
    r"|Unauthorized|Forbidden|Request Entity Too Large|Too Many Requests"
    r"|You should be redirected automatically|Redirecting\.\.\.|\bUsage:|\bError:"
)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


@dataclass(frozen=True)
class Finding:
    kind: str
    url: str
    detail: str


def expectation(url: str, met: bool, detail: str) -> list[Finding]:
    """A journey step that must hold, kept as a finding so the walk goes on."""
    return [] if met else [Finding("journey", url, detail)]


def body_findings(url: str, status: int, body: str) -> list[Finding]:
    """A 5xx, an English default message or a traceback in one response."""
    found = []
    if status >= 500:
        found.append(Finding("5xx", url, f"HTTP {status}"))
    if match := ENGLISH.search(body):
        found.append(Finding("english", url, match.group(0)))
    if match := TRACEBACK.search(body):
        found.append(Finding("traceback", url, match.group(0)))
    return found


@dataclass
class Ledger:
    """Counts for the lane's summary, and the findings of the test being run."""

    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    surfaces: set[str] = field(default_factory=set)
    audit: list[dict[str, object]] = field(default_factory=list)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def add(self, found: list[Finding]) -> None:
        self.findings.extend(found)

    def verdict(self) -> None:
        """Fail on any finding of the test being run."""
        found, self.findings = self.findings, []
        for finding in found:
            self.count(finding.kind)
        if found:
            lines = "\n".join(f"  {f.kind:9} {f.url}  {f.detail}" for f in found)
            pytest.fail(f"{len(found)} défaut(s) :\n{lines}", pytrace=False)

    def write(self) -> dict[str, object]:
        summary = {
            "surfaces": sorted(self.surfaces),
            "counts": {kind: self.counts.get(kind, 0) for kind in KINDS}
            | {k: v for k, v in sorted(self.counts.items()) if k not in KINDS},
            "audit": self.audit,
        }
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        SUMMARY.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        return summary
