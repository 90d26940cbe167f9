"""``app/api/spec.py``'s promises: a valid OpenAPI 3.x document, generated from the routes'
registry so that it cannot drift from the server (every route documented, every documented
path routed, every parameter bounded by what the server enforces)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.api.routes import bp
from app.api.spec import OPERATIONS, openapi_document, operation_id, query_names
from recommender.taxonomy import default_taxonomy

TAX = default_taxonomy()
# The document describes the API, not itself.
SELF = "/openapi.json"


@pytest.fixture(scope="module")
def document():
    return openapi_document(TAX, "https://relais.example/api/v1")


def _routed(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every rule of the ``api`` blueprint."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != bp.name:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(bp.url_prefix))
        routes.update((path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def test_the_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_route_is_documented_and_every_documented_path_is_routed(app, document):
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    routed = _routed(app) - {(SELF, "get")}
    assert routed == documented


def test_the_document_is_served_with_the_configured_public_url(client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served["servers"][0]["url"].endswith("/api/v1")
    assert set(served["paths"]) == {op.path for op in OPERATIONS}


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert operation_id("get", "/partners/{partner_id}") == "get__partners_partner_id"


def test_query_names_cover_every_documented_query_parameter():
    for op in OPERATIONS:
        names = query_names(op, TAX)
        for param in op.params(TAX):
            if param.location == "query" and "properties" not in param.schema:
                assert param.name in names, (op.path, param.name)
