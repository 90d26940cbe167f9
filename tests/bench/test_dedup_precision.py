"""The hand labels of the merges are complete and the held-out precision meets the target."""

from __future__ import annotations

from bench.dedup_precision import read_labels, score


def test_every_labelled_pair_has_a_label_and_a_reason():
    rows = read_labels()
    assert len(rows) >= 350
    assert {row["echantillon"] for row in rows} == {"reglage", "controle"}
    assert all(row["reason"] for row in rows)
    pairs = [(row["source"], row["source_id"]) for row in rows]
    assert len(pairs) == len(set(pairs)), "une paire étiquetée deux fois"


def test_precision_of_the_held_out_sample_as_labelled():
    same, total = score(read_labels())[("controle", "ensemble")]
    assert total == 150 and same / total >= 0.98
