"""``relais coverage``: the national table as CSV, timed, with each frein's summary."""

from __future__ import annotations

import csv

import pytest

pytestmark = pytest.mark.seeded


def test_national_table_is_written_and_summarised(runner, tmp_path):
    output = tmp_path / "couverture.csv"
    # people under a justice measure: the profile the SPIP serves (rules.json)
    sous_main = "personnes-en-situation-juridique-specifique"
    result = runner.invoke(args=["coverage", "--publics", sous_main, "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "Couverture nationale : 13 freins × " in result.output
    assert "justice : " in result.output and "habitants en zone blanche" in result.output
    with output.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    justice = {r["code_insee"]: r for r in rows if r["frein"] == "justice"}
    assert justice["60057"]["partner_id"] == "spip60"  # the SPIP serves its département
    assert justice["60057"]["zone_blanche"] == "non"
    assert justice["80021"]["partner_id"] == ""  # no SPIP for the Somme in the seed
    assert len(rows) == 13 * len(justice)


def test_bad_option_is_a_french_error(runner):
    result = runner.invoke(args=["coverage", "--age", "deux cents"])
    assert result.exit_code != 0
    assert "« age » doit être un entier entre 0 et 120." in result.output
