"""The app's JSON encoder (orjson): what Flask's own would write, NaN aside."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import numpy as np


@dataclasses.dataclass
class _Point:
    lat: float
    lon: float


def test_answers_are_compact_utf8_in_key_order_as_flask_writes_them(app):
    value = {"zèbre": "à côté", "a": [1, 2.5, None, True], 3: "clé entière"}
    with app.test_request_context():
        body = app.json.response(value).get_data(as_text=True)
    assert body == '{"zèbre":"à côté","a":[1,2.5,null,true],"3":"clé entière"}\n'


def test_dates_decimals_dataclasses_and_numpy_go_through_flask_default(app):
    value = {
        "day": date(2026, 12, 4),
        "amount": Decimal("12.50"),
        "point": _Point(49.4, 2.1),
        "score": np.float64(0.5),
        "rows": np.arange(3),
    }
    assert json.loads(app.json.dumps(value)) == {
        "day": "Fri, 04 Dec 2026 00:00:00 GMT",
        "amount": "12.50",
        "point": {"lat": 49.4, "lon": 2.1},
        "score": 0.5,
        "rows": [0, 1, 2],
    }


def test_nan_is_null_and_huge_integers_fall_back_to_the_standard_encoder(app):
    assert app.json.dumps({"x": float("nan")}) == '{"x":null}'
    assert json.loads(app.json.dumps({"n": 2**70})) == {"n": 2**70}


def test_an_indent_is_honoured(app):
    assert app.json.dumps({"a": 1}, indent=2) == '{\n  "a": 1\n}'
