"""``make e2e``: the app built and served exactly as the README's ``make demo``, then walked.

1. ``make demo`` in a fresh instance folder (``RELAIS_INSTANCE_PATH`` in a temporary
   directory), with none of the settings tests like to inject (``SECRET_KEY``, ``TESTING``,
   ``FLASK_*``, ``DATABASE_URL``), on ``../shared/data/partners``: it loads the data and
   serves with waitress on http://127.0.0.1:5000, as a newcomer sees it.
2. An admin made by the documented command ``relais user create … --password-stdin``.
3. ``pytest tests/e2e`` (crawler, Chromium journeys, axe-core, reflow) against that URL.
4. schemathesis against ``/api/v1/openapi.json``: every check, 100 examples per operation,
   a fixed seed; any failure fails the lane.
5. The server stopped whatever happens; a summary table, the wall time, exit 1 on any failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .findings import ENGLISH, TRACEBACK

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = ROOT / ".venv" / "bin"
ARTIFACTS = ROOT / "tests" / "artifacts"
SHARED = ROOT.parent / "shared" / "data" / "partners"
URL = "http://127.0.0.1:5000"  # the README's address: `make demo` takes no port
HOST_PORT = os.environ.get("RELAIS_E2E_HOST_PORT", "5201")  # the widget's second origin
ADMIN_EMAIL = "e2e@relais.example"
# What a user's shell does not hold: a test configuration must not leak into the lane.
UNSET = ("SECRET_KEY", "TESTING", "DATABASE_URL", "INDEX_DIR", "RELAIS_SECURE_COOKIES")
STARTUP_S = 900
SCHEMATHESIS = {"max_examples": "100", "seed": "20261204"}


def say(message: str) -> None:
    print(f"[e2e] {message}", flush=True)


def clean_environment(instance: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in UNSET and not key.startswith(("FLASK_", "RELAIS_"))
    }
    env["RELAIS_INSTANCE_PATH"] = instance
    return env


def answering(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_for(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"make demo s'est arrêté (code {server.returncode}) avant de servir")
        if answering(url):
            return
        time.sleep(1)
    raise RuntimeError(f"{url} ne répond pas après {STARTUP_S} s")


def stop(server: subprocess.Popen) -> None:
    """Stop make and the relais it started (their own process group), by id."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(5)


def create_admin(env: dict[str, str]) -> str:
    password = secrets.token_urlsafe(18)
    done = subprocess.run(
        [BIN / "relais", "user", "create", ADMIN_EMAIL, "--role", "global", "--password-stdin"],
        input=password + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = (done.stdout + done.stderr).strip()
    say(f"relais user create : {output}")
    if done.returncode != 0 or ENGLISH.search(output) or TRACEBACK.search(output):
        raise RuntimeError("relais user create a échoué ou n'a pas répondu en français")
    return password


def a_partner_id() -> str:
    with urllib.request.urlopen(f"{URL}/api/v1/partners?per_page=1", timeout=30) as response:
        return json.load(response)["results"][0]["id"]


def run_schemathesis(env: dict[str, str]) -> tuple[int, dict]:
    report_dir = ARTIFACTS / "schemathesis"
    shutil.rmtree(report_dir, ignore_errors=True)
    command = [
        BIN / "schemathesis",
        "--config-file",
        HERE / "schemathesis.toml",
        "run",
        f"{URL}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        SCHEMATHESIS["max_examples"],
        "--seed",
        SCHEMATHESIS["seed"],
        "--generation-database",
        "none",
        "--report",
        "junit,json",
        "--report-dir",
        report_dir,
        "--no-color",
    ]
    env = env | {"RELAIS_E2E_PARTNER_ID": a_partner_id()}
    code = subprocess.run(command, env=env, cwd=ARTIFACTS, check=False).returncode
    reports = sorted(report_dir.glob("json-*.json"))
    return code, json.loads(reports[-1].read_text()) if reports else {}


def summary_table(pytest_code: int, st_code: int, st: dict, log_defects: int, wall_s: float) -> str:
    path = ARTIFACTS / "e2e-summary.json"
    lane = json.loads(path.read_text()) if path.exists() else {"counts": {}, "surfaces": []}
    counts = lane["counts"]

    def tally(kind: str) -> str:
        return str(counts.get(kind, 0))

    cases = st.get("test_cases", {})
    operations = st.get("operations", {}).get("tested", 0)
    rows = [
        ("surfaces parcourues", len(lane["surfaces"])),
        ("pages explorées (HTTP)", counts.get("pages_crawled", 0)),
        ("pages vues dans Chromium (× 3 largeurs)", counts.get("browser_pages", 0)),
        ("parcours", counts.get("journeys", 0)),
        ("appels d'API", counts.get("api_calls", 0)),
        ("5xx", tally("5xx")),
        ("liens internes cassés (4xx)", tally("4xx")),
        ("anglais", tally("english")),
        ("traceback (pages) / anglais ou trace (journal)", f"{tally('traceback')} / {log_defects}"),
        ("débordements à 390 et 320 px", tally("reflow")),
        ("violations axe WCAG 2.1 AA", tally("axe")),
        ("erreurs de console", tally("console")),
        ("étapes de parcours non tenues", tally("journey")),
        ("pytest tests/e2e", "ok" if pytest_code == 0 else f"ÉCHEC ({pytest_code})"),
        (
            "schemathesis : opérations × exemples",
            f"{operations} × ≤ {SCHEMATHESIS['max_examples']} ({cases.get('generated', 0)} cas)",
        ),
    ]
    for failure in st.get("failures", []):
        rows.append((f"  nouveau {failure['code']} {failure['title']}", failure["count"]))
    rows.append(("schemathesis", "ok" if st_code == 0 else f"ÉCHEC ({st_code})"))
    rows.append(("durée totale", f"{wall_s / 60:.1f} min"))
    lane["schemathesis"] = {
        "exit_code": st_code,
        **{k: st.get(k) for k in ("test_cases", "operations", "failures")},
    }
    lane["server_log_bad_lines"] = log_defects
    lane["wall_time_s"] = round(wall_s, 1)
    path.write_text(json.dumps(lane, ensure_ascii=False, indent=2))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def main() -> int:
    started = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "e2e-summary.json").unlink(missing_ok=True)  # never report a previous run
    if answering(URL + "/"):
        say(f"{URL} répond déjà : arrêtez ce serveur avant de lancer la voie de bout en bout.")
        return 2
    if not SHARED.is_dir():
        say(f"Attention : {SHARED} absent, la démonstration ne charge que les mairies livrées.")
    instance = tempfile.mkdtemp(prefix="relais-e2e-instance-")
    env = clean_environment(instance)
    log_path = ARTIFACTS / "e2e-server.log"
    pytest_code = st_code = 1
    st: dict = {}
    server = None
    # SIGTERM (CI timeout) must still stop the server: make it an exception.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with log_path.open("w") as log:
            say(f"make demo (instance {instance}) → {URL}")
            server = subprocess.Popen(
                ["make", "demo"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            wait_for(server, URL + "/")
            say(f"servi après {time.monotonic() - started:.0f} s")
            password = create_admin(env)
            pytest_env = env | {
                "RELAIS_E2E_URL": URL,
                "RELAIS_E2E_ADMIN_EMAIL": ADMIN_EMAIL,
                "RELAIS_E2E_ADMIN_PASSWORD": password,
                "RELAIS_E2E_HOST_PORT": HOST_PORT,
            }
            pytest_code = subprocess.run(
                [
                    BIN / "pytest",
                    "-p",
                    "no:cacheprovider",
                    "-q",
                    "tests/e2e",
                    f"--junitxml={ARTIFACTS / 'e2e-junit.xml'}",
                ],
                cwd=ROOT,
                env=pytest_env,
                check=False,
            ).returncode
            st_code, st = run_schemathesis(env)
    except (RuntimeError, OSError) as error:
        say(f"Échec : {error}")
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(instance, ignore_errors=True)
    # make's own lines ("make[1]: … Terminated") aside, the server speaks French, never a trace.
    bad_lines = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if not line.startswith("make") and (ENGLISH.search(line) or TRACEBACK.search(line))
    ]
    for line in bad_lines[:20]:
        say(f"journal du serveur : {line[:200]}")
    log_defects = len(bad_lines)
    wall = time.monotonic() - started
    table = summary_table(pytest_code, st_code, st, log_defects, wall)
    print("\nVoie de bout en bout — résumé\n" + table)
    ok = pytest_code == 0 and st_code == 0 and log_defects == 0
    say(("réussie" if ok else "ÉCHEC") + f" en {wall:.0f} s (journal du serveur : {log_path})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
