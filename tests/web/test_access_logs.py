"""A session of use against the real server processes leaves no profile value in any log.

gunicorn started as ``docs/scale-out.md`` says (``-c python:app.gunicorn_conf``, access log on,
debug level) and waitress as ``relais serve`` starts it, each on a loopback port, are hit
with profiles through GET and POST recommendations, fit and orientation (and a profile
address as referrer); their whole stdout and stderr must not contain the profile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ..support.apps import build_app
from ..support.pages_support import seed
from .test_privacy import AGE, COMMUNE, FREINS, PUBLICS, SECRETS

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
QUERY = urllib.parse.urlencode(
    {"commune": COMMUNE, "freins": ",".join(FREINS), "age": AGE, "publics": ",".join(PUBLICS)}
)


@pytest.fixture
def database(tmp_path, database_url) -> dict[str, str]:
    """A seeded database and the environment a server process reads it with."""
    app = build_app(tmp_path, database_url)
    seed(app)
    app.extensions["relais.engine"].dispose()
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "RELAIS_INSTANCE_PATH": str(tmp_path / "served-instance"),
        "INDEX_DIR": str(tmp_path / "served-index"),
        "RELAIS_SECURE_COOKIES": "false",
    }


def call(base: str, path: str, body: dict | None = None, form: dict | None = None, **headers):
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def session_of_use(base: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if call(base, "/api/v1/freins") == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "le serveur n'a pas démarré"
        time.sleep(0.3)
    profile = {"commune": COMMUNE, "freins": FREINS, "age": AGE, "publics": PUBLICS}
    assert call(base, f"/api/v1/recommendations?{QUERY}") == 200
    assert call(base, "/api/v1/recommendations", body=profile) == 200
    assert call(base, "/api/v1/fit", body={**profile, "partner_id": "mobil60"}) == 200
    # A profile put in a POST's address is refused (undocumented parameters), yet logged path-only.
    assert call(base, f"/api/v1/fit?{QUERY}", body={**profile, "partner_id": "mobil60"}) == 400
    assert call(base, f"/orientation?{QUERY}") == 200
    assert call(base, "/orientation", form={**profile, "vehicule": "non"}) == 200
    referer = f"{base}/orientation?{QUERY}"
    assert call(base, "/api/v1/partners?commune=60057", Referer=referer) == 200


def run_server(command: list[str], env: dict[str, str], base: str, logs: Path) -> str:
    with (logs / "out.log").open("w") as out, (logs / "err.log").open("w") as err:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
        try:
            session_of_use(base)
        finally:
            process.terminate()
            process.wait(30)
    return (logs / "out.log").read_text() + (logs / "err.log").read_text()


def assert_no_profile(text: str) -> None:
    for secret in [*SECRETS, f"age={AGE}", "mobilite%2C", "Germer"]:
        assert secret not in text, f"{secret!r} dans les journaux :\n{text[-3000:]}"


def test_gunicorn_access_log_keeps_no_profile(database, tmp_path):
    command = [
        str(BIN / "gunicorn"),
        "-c",
        "python:app.gunicorn_conf",
        "-w",
        "1",
        "-b",
        "127.0.0.1:5631",
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--log-level",
        "debug",
        "app:create_app()",
    ]
    text = run_server(command, database, "http://127.0.0.1:5631", tmp_path)
    assert_no_profile(text)
    # The access log is on: profile addresses are logged without their query string, other
    # addresses in full.
    assert '"GET /api/v1/recommendations HTTP/1.1" 200' in text
    assert '"POST /orientation HTTP/1.1" 200' in text
    assert "GET /api/v1/partners?commune=60057 HTTP/1.1" in text


def test_relais_serve_logs_no_profile(database, tmp_path):
    command = [str(BIN / "relais"), "serve", "--port", "5632", "--threads", "2"]
    text = run_server(command, database, "http://127.0.0.1:5632", tmp_path)
    assert_no_profile(text)
    assert "Relais sur http://127.0.0.1:5632/" in text
