"""RGPD: a beneficiary's profile is processed for the answer only, never stored nor logged.

After a session of use with a distinctive profile (a rare commune, age 87, rare publics and
freins) through the orientation page, the API and the partner pages, neither the database
(every row, dumped as SQL) nor the captured logs (every logger at DEBUG) contain it.
See ``docs/rgpd.md``.
"""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest

from ..support.apps import build_app
from ..support.pages_support import seed

COMMUNE = "Saint-Germer-de-Fly"  # 60, no partner there
AGE = 87
FREINS = ["violences-conjugales", "mobilite"]
PUBLICS = ["personnes-exilees"]
SECRETS = [COMMUNE, "Germer", "violences-conjugales", "personnes-exilees"]


@pytest.fixture
def site(tmp_path, monkeypatch):
    path = tmp_path / "prive.sqlite3"
    app = build_app(tmp_path, f"sqlite:///{path}")
    seed(app)
    app.test_client().get("/api/v1/partners?frein=mobilite")  # indexes built before the session
    yield app, path
    app.extensions["relais.engine"].dispose()


def dump(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_profile_is_neither_stored_nor_logged(site, caplog):
    app, path = site
    before = dump(path)
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "waitress", "app", "recommender", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = app.test_client()

    profile = {"commune": COMMUNE, "freins": FREINS, "age": AGE, "publics": PUBLICS}
    page = client.post(
        "/orientation",
        data={**profile, "age": str(AGE), "vehicule": "non", "max_km": "30"},
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert COMMUNE in html  # the answer is about this person...
    assert page.headers["Cache-Control"] == "no-store"  # ...and kept out of every cache
    answer = client.post("/api/v1/recommendations", json=profile)
    assert answer.status_code == 200
    assert answer.get_json()["location"]["nom"] == COMMUNE
    assert "no-store" in answer.headers["Cache-Control"]
    fit = client.post("/api/v1/fit", json={**profile, "partner_id": "mobil60"})
    assert fit.status_code == 200
    assert "no-store" in fit.headers["Cache-Control"]
    for pid in ("mobil60", "spip60"):
        assert client.get(f"/partenaires/{pid}").status_code == 200
        assert client.get(f"/api/v1/partners/{pid}").status_code == 200

    after = dump(path)
    assert after == before, "la session a écrit dans la base"
    text = "\n".join(after)
    for secret in SECRETS:
        assert secret not in text

    logs = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logs, secret
    assert not re.search(rf"\b{AGE}\b", logs)


def test_orientation_form_is_post_only_for_profiles(site):
    """The page never puts a profile in its address (history, logs, Referer)."""
    app, _ = site
    html = app.test_client().get("/orientation").get_data(as_text=True)
    forms = re.findall(r"<form[^>]*>", html)
    assert forms and all('method="post"' in form.lower() for form in forms)
