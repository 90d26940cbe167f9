"""The OpenAPI document tells the truth: schemathesis generates valid and invalid requests from
it, sends them to the app (seeded with a few partners) and runs every check (server errors,
status codes, content types, response schemas, valid input accepted, invalid input refused).
The number of examples is bounded and derandomized, so a failure reproduces."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig

from ...support.apps import build_app
from ...support.pages_support import seed

EXAMPLES = 100


def _seeded_app():
    folder = Path(tempfile.mkdtemp(prefix="relais-contract-"))
    # a throwaway database and index, built at import time (schemathesis reads the schema then)
    app = build_app(folder, f"sqlite:///{folder / 'relais.sqlite3'}")
    seed(app)
    return app


CONFIG = SchemathesisConfig.from_dict({"generation": {"max-examples": EXAMPLES}, "seed": 1})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _seeded_app(), config=CONFIG)


@schema.parametrize()
def test_api_contract(case):
    case.call_and_validate()
