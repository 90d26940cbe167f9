"""``recommender.strings.StringColumn``: ids and search terms without a Python object each."""

from __future__ import annotations

import pickle

import pytest

from recommender.strings import StringColumn


def test_column_reads_like_the_list_it_replaces():
    values = ["syn-1-0000002", "réel-ÉÀ", "", "a b", "syn-1-0000001"]
    column = StringColumn(values, lookup=True)
    assert len(column) == 5 and list(column) == values and column == values
    assert [column[i] for i in range(-5, 5)] == values + values
    assert column[1:4] == values[1:4] and column[::2] == values[::2] and column[3:1] == []
    assert [column.find(v) for v in values] == [0, 1, 2, 3, 4]
    assert column.find("absent") is None and column.find("syn-1") is None
    with pytest.raises(IndexError):
        column[5]
    assert StringColumn([]) == [] and StringColumn([], lookup=True).find("x") is None


def test_column_pickles_its_strings_out_of_band():
    """Saved by app.index.store, the strings are buffers mapped from the file, not
    objects unpickled into each worker."""
    column = StringColumn([f"id-{i}" for i in range(1000)], lookup=True)
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(column, protocol=5, buffer_callback=buffers.append)
    assert len(data) < 1000 and sum(b.raw().nbytes for b in buffers) > 8000
    again = pickle.loads(data, buffers=buffers)
    assert again == column and again.find("id-999") == 999


def test_lookup_needs_to_be_asked_for():
    with pytest.raises(TypeError):
        StringColumn(["a"]).find("a")
