"""What the pipeline asks a format instead of knowing it."""

from __future__ import annotations

from app.importers.formats import FORMATS, FranceTravail, Parsed


def _parsed(raw: dict[str, str]) -> Parsed:
    return Parsed(line=2, source_id=raw["code_safir"], raw=raw, fields={})


def test_a_repeated_identifier_is_numbered_unless_the_format_knows_better():
    parsed = _parsed({"code_safir": "13001", "reference": "B"})
    for fmt in FORMATS:
        expected = "13001-B" if isinstance(fmt, FranceTravail) else ""
        assert fmt.alternate_id(parsed) == expected, fmt.name
    assert FranceTravail().alternate_id(_parsed({"code_safir": "13001"})) == ""
