"""Bad input never breaks the pages: every public and admin form, generated values, no 5xx.

Forms fuzzed (~200 generated submissions each): the directory search (GET), the orientation
form (POST), « signaler une erreur » (POST), the admin sign-in (POST) and the admin partner
edit form (POST, as a signed-in national admin). Each answer must be < 500, HTML in French,
without a traceback, and never echo a script tag unescaped. CSRF is off here (its own tests
are in ``test_admin_auth.py``) so that the generated values reach the form handling.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.admin import sessions as admin_sessions
from app.admin.auth import LoginLimiter

from ...support.fuzz_support import (
    INJECTIONS,
    NUMBERS,
    SCRIPT,
    Tally,
    encode,
    fuzz_app,
    fuzz_settings,
    hostile_text,
    quote_any,
)
from ...support.pages_support import add_user, login, seed

EXAMPLES = 200
FUZZ = fuzz_settings(EXAMPLES)
HOSTILE = [
    *INJECTIONS,
    '=HYPERLINK("http://x","clic")',
    *NUMBERS,
    "9" * 30,
    "x" * 3000,
    "mobilite",
    "justice",
    "jeunes",
    "spip",
    "Beauvais",
    "60057",
    "beauvai",
    "37",
    "30",
    "oui",
    "non",
    "verifier",
    "mobil60",
    "spip60",
    "\u202e\ufeff",
    " ",
    "",
]
value = hostile_text(HOSTILE, 15, 6)


def form(names: list[str]):
    """Form data: known and random field names, repeated fields, hostile values."""
    return st.lists(
        st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=5)), value), max_size=8
    )


def post_form(client, url: str, body: str):
    """POST a body :func:`encode` built, as is: odd escapes must reach the form parser."""
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


TALLY = Tally("formulaires générés", minimum=EXAMPLES * 0.9)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with fuzz_app(tmp_path_factory, "fuzz-pages", WTF_CSRF_ENABLED=False) as (app, _, mp):
        # Password hashing (scrypt, ~0.1 s) is not what is fuzzed here; the limiter neither.
        mp.setattr(
            admin_sessions, "verify_password", lambda user, pw: user is not None and pw == "ok"
        )
        app.extensions["relais.login_limiter"] = LoginLimiter(
            app.extensions["relais.rate_limiter"], max_failures=10**9, per_ip=10**9
        )
        seed(app)
        add_user(app, "national@relais.test", role="global", departements=())
        admin = app.test_client()
        assert login(admin, "national@relais.test", "ok").status_code == 303
        yield app, app.test_client(), admin


def check(name: str, response) -> None:
    TALLY.record(name, response.status_code)
    html = response.get_data(as_text=True)
    assert response.status_code < 500, (response.status_code, html[:300])
    assert "Traceback" not in html
    assert SCRIPT not in html
    if response.status_code >= 400:
        assert 'lang="fr"' in html or response.is_json


def test_search_page(site, record_property):
    _, client, _ = site
    names = ["q", "commune", "type", "public", "radius_km", "frein", "page"]

    @FUZZ
    @given(pairs=form(names))
    def run(pairs):
        check("recherche", client.get(f"/?{encode(pairs)}"))

    run()
    TALLY.report("recherche", record_property)


def test_orientation_form(site, record_property):
    _, client, _ = site
    names = ["commune", "freins", "age", "publics", "vehicule", "max_km", "action"]
    names += ["verifier_q", "verifier_id", "verifier_choisi"]
    base = st.fixed_dictionaries(
        {"commune": st.sampled_from(["Beauvais", "60057", "Amiens", "", "zzz"])},
        optional={"freins": st.sampled_from(["mobilite", "justice", "logement"])},
    )

    @FUZZ
    @given(base=base, pairs=form(names))
    def run(base, pairs):
        body = encode([*base.items(), *pairs])
        response = post_form(client, "/orientation", body)
        check("orientation", response)
        if response.status_code == 200:
            assert response.headers["Cache-Control"] == "no-store"

    run()
    TALLY.report("orientation", record_property)


def test_report_error_form(site, record_property):
    _, client, _ = site

    @FUZZ
    @given(
        partner=st.sampled_from(["mobil60", "spip60", "inconnu", "x" * 80]),
        pairs=form(["message", "contact"]),
    )
    def run(partner, pairs):
        response = post_form(client, f"/partenaires/{partner}/signaler", encode(pairs))
        check("signaler", response)

    run()
    TALLY.report("signaler", record_property)


def test_admin_login_form(site, record_property):
    app, _, _ = site
    client = app.test_client()

    @FUZZ
    @given(pairs=form(["email", "password"]), next_url=value)
    def run(pairs, next_url):
        response = post_form(client, f"/admin/connexion?next={quote_any(next_url)}", encode(pairs))
        check("connexion", response)
        if response.status_code in (301, 302, 303):  # never an open redirect
            assert response.headers["Location"].startswith("/")
            assert not response.headers["Location"].startswith("//")

    run()
    TALLY.report("connexion", record_property)


def test_admin_partner_edit_form(site, record_property):
    _, _, admin = site
    valid = {
        "nom": "Plateforme mobilité du Beauvaisis",
        "type_code": "plateforme-mobilite",
        "zone_kind": "rayon",
        "zone_radius_km": "40",
        "code_insee": "60057",
        "code_postal": "60000",
    }
    names = [*valid, "description", "adresse", "complement_adresse", "commune_nom"]
    names += ["telephone", "email", "site_web", "horaires", "freins", "publics"]
    names += ["age_min", "age_max", "zone_codes"]

    @FUZZ
    @given(keep=st.lists(st.sampled_from(list(valid)), unique=True), pairs=form(names))
    def run(keep, pairs):
        body = encode([*((k, valid[k]) for k in keep), *pairs])
        response = post_form(admin, "/admin/partenaires/mobil60", body)
        check("admin_fiche", response)
        assert response.status_code in (200, 303, 400)

    run()
    TALLY.report("admin_fiche", record_property)
