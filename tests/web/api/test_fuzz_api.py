"""Bad input never breaks the JSON API: thousands of generated requests, zero 5xx.

Every endpoint of ``/api/v1`` gets ≥ 1,000 generated requests (random and hostile strings,
broken percent-escapes and lone surrogates, huge numbers, NaN/Infinity, SQL and HTML payloads,
wrong JSON types, missing fields). Every answer must be < 500, and every 4xx must carry exactly
the contract's error shape ``{"error": {"code", "message", "details"}}``.

One app per module (temporary SQLite, five seeded partners) keeps each request a few ms.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ...support.fuzz_support import (
    INJECTIONS,
    NUMBERS,
    Tally,
    fuzz_app,
    fuzz_settings,
    hostile_text,
    quote_any,
)
from ...support.pages_support import seed

EXAMPLES = 1000
FUZZ = fuzz_settings(EXAMPLES)

FREINS = ["mobilite", "logement", "justice", "emploi", "formation", "sante"]
PARAMS = [
    "q",
    "limit",
    "frein",
    "freins",
    "type",
    "commune",
    "lat",
    "lon",
    "radius_km",
    "public",
    "publics",
    "page",
    "per_page",
    "age",
    "vehicule",
    "max_km",
    "partner_id",
]
HOSTILE = [
    *INJECTIONS,
    '" OR ""="',
    "1; SELECT * FROM user",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "%s%s%s%n",
    "\x00",
    "\u202e\u200b\ufeff",
    *NUMBERS,
    "nan",
    "-Infinity",
    "inf",
    "-1e309",
    "1e-400",
    "0",
    "-0",
    "１２",
    "9" * 400,
    "1" * 25,
    "x" * 5000,
    "mobilite," * 500,
    ",,,,",
    " ",
    "true",
    "[]",
    "{}",
    "null",
    "60057",
    "Beauvais",
    "beauvai",
    "02100 Saint-Quentin",
    "Saint-Denis 974",
    "mobilite",
    "mobilite,justice",
    "jeunes",
    "spip",
    "mobil60",
    "49.43",
    "2.08",
    "30",
]
# Raw (already percent-encoded) fragments: broken escapes, invalid UTF-8, lone surrogates.
RAW_ESCAPES = ["%", "%G1", "%ED%A0%80", "%ED%BF%BF", "%FF%FE", "%C0%AF", "%00", "%E2%82", "%2F"]

text = hostile_text(HOSTILE, 20, 8, st.floats().map(repr))


@st.composite
def query_string(draw, names=PARAMS) -> str:
    """A query string: known and random names, hostile values, raw broken escapes."""
    pairs = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(names), st.text(max_size=6)),
                text,
                st.sampled_from(["", "", "", "", *RAW_ESCAPES]),
            ),
            max_size=5,
        )
    )
    return "&".join(
        f"{quote_any(name)}={quote_any(value)}{escape}" for name, value, escape in pairs
    )


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(HOSTILE),
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
profile_value = st.one_of(
    json_value,
    st.sampled_from(FREINS),
    st.lists(st.sampled_from([*FREINS, "inconnu", ""]), max_size=20),
    st.sampled_from(["Beauvais", "60057", "Amiens", "mobil60", "spip60"]),
)


@st.composite
def json_body(draw, extra: tuple[str, ...] = ()) -> bytes:
    """A request body: profile-shaped objects, random JSON, NaN/Infinity literals, non-JSON."""
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        keys = ["commune", "lat", "lon", "freins", "age", "publics", "vehicule", "max_km"]
        keys += ["limit", *extra]
        body = draw(
            st.dictionaries(
                st.one_of(st.sampled_from(keys), st.text(max_size=8)), profile_value, max_size=8
            )
        )
        text_body = json.dumps(body)
        if kind == 5 and body:  # Python's json accepts NaN / Infinity literals: send them
            key = draw(st.sampled_from(list(body)))
            literal = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0"]))
            body[key] = "@@"
            text_body = json.dumps(body).replace('"@@"', literal)
        return text_body.encode()
    if kind <= 7:
        return json.dumps(draw(json_value)).encode()
    if kind == 8:
        return draw(st.binary(max_size=200))
    return draw(st.sampled_from(["", "{", "[1,", '{"freins": ["mobilite"]', "\ufeff{}"])).encode(
        "utf-8"
    )


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
        None,
    ]
)

TALLY = Tally("requêtes générées", minimum=EXAMPLES * 0.95)


@pytest.fixture(scope="module")
def api_client(tmp_path_factory):
    with fuzz_app(tmp_path_factory, "fuzz-api") as (app, _, _):
        seed(app)
        client = app.test_client()
        assert client.get("/api/v1/partners?frein=mobilite").status_code == 200  # builds indexes
        yield client


def check(name: str, response) -> None:
    """No 5xx; a 4xx has exactly the error shape; a 2xx is JSON (3xx: ``//`` redirects)."""
    status = response.status_code
    TALLY.record(name, status)
    assert status < 500, (status, response.get_data(as_text=True)[:500])
    body = response.get_json(silent=True)
    if status >= 400:
        assert isinstance(body, dict) and set(body) == {"error"}, response.get_data()[:300]
        error = body["error"]
        assert set(error) == {"code", "message", "details"}, error
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]
        assert isinstance(error["details"], dict)
    elif status < 300:
        assert isinstance(body, dict)
        json.dumps(body, allow_nan=False)  # no NaN/Infinity ever leaks into an answer


def test_search_endpoints_never_fail(api_client, record_property):
    """Each generated query string goes to the three endpoints that take parameters."""
    endpoints = {
        "communes": "/api/v1/communes",
        "partners": "/api/v1/partners",
        "recommendations_get": "/api/v1/recommendations",
    }

    @FUZZ
    @given(qs=query_string())
    def run(qs):
        for name, path in endpoints.items():
            check(name, api_client.get(f"{path}?{qs}"))

    run()
    for name in endpoints:
        TALLY.report(name, record_property)


def test_fixed_endpoints_never_fail(api_client, record_property):
    """/freins and /openapi.json ignore junk parameters; /partners/<id> takes any id."""
    ident = st.one_of(
        text, st.sampled_from(["mobil60", "MOBIL60", "mobil60 ", "a" * 65, "../spip60"])
    )

    @FUZZ
    @given(qs=query_string(), ident=ident, escape=st.sampled_from(["", "", *RAW_ESCAPES]))
    def run(qs, ident, escape):
        for name, path in (("freins", "/api/v1/freins"), ("openapi", "/api/v1/openapi.json")):
            response = api_client.get(f"{path}?{qs}")
            check(name, response)
            assert response.status_code in (200, 400)  # 400: a NUL byte in the address
        segment = quote_any(ident) + escape
        check("partner_detail", api_client.get(f"/api/v1/partners/{segment or 'x'}"))

    run()
    for name in ("freins", "openapi", "partner_detail"):
        TALLY.report(name, record_property)


def test_post_endpoints_never_fail(api_client, record_property):
    """Each generated body goes to POST /recommendations and POST /fit."""

    @FUZZ
    @given(body=json_body(("partner_id", "partner_id")), content_type=CONTENT_TYPES)
    def run(body, content_type):
        headers = {"Content-Type": content_type} if content_type else {}
        for name, path in (
            ("recommendations_post", "/api/v1/recommendations"),
            ("fit", "/api/v1/fit"),
        ):
            check(name, api_client.post(path, data=body, headers=headers))

    run()
    for name in ("recommendations_post", "fit"):
        TALLY.report(name, record_property)


def test_wrong_methods_and_oversized_bodies(api_client):
    """Other methods → 405 and a 64 KiB+ body → 400, both with the error shape."""
    for method in ("put", "delete", "patch"):
        response = getattr(api_client, method)("/api/v1/recommendations", json={})
        check("methods", response)
        assert response.status_code == 405
    big = json.dumps({"commune": "Beauvais", "freins": ["mobilite"], "x": "a" * 70_000})
    response = api_client.post(
        "/api/v1/recommendations", data=big, headers={"Content-Type": "application/json"}
    )
    check("methods", response)
    assert response.status_code == 400


def test_known_regressions(api_client):
    """Inputs that once gave a 500: unicode digits, '+-5', integers too large for a float."""
    cases = [
        ("get", "/api/v1/recommendations?commune=Beauvais&freins=mobilite&limit=%C2%B2", None),
        ("get", "/api/v1/recommendations?commune=Beauvais&freins=mobilite&age=%2B-5", None),
        ("get", "/api/v1/partners?page=%C2%B2", None),
        ("post", "/api/v1/recommendations", {"freins": ["mobilite"], "lat": 10**400, "lon": 2}),
        (
            "post",
            "/api/v1/recommendations",
            {"commune": "Beauvais", "freins": "mobilite", "max_km": 10**309},
        ),
        ("post", "/api/v1/fit", {"partner_id": "mobil60", "commune": "Beauvais", "age": 10**400}),
    ]
    for method, url, body in cases:
        response = getattr(api_client, method)(url, json=body) if body else api_client.get(url)
        check("regressions", response)
        assert response.status_code == 400, (url, body)
