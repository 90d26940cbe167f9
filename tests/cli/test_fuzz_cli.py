"""Bad arguments never break the ``relais`` command: exit code ≠ 0, a message, no traceback.

Only invalid arguments are generated: no server is ever started (``serve``/``demo`` fail
while parsing their options) and nothing is written.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..support.fuzz_support import fuzz_app, fuzz_settings

FUZZ = fuzz_settings(100)
# Arguments as a shell passes them: no NUL, no lone surrogate.
arg = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
STATS: Counter = Counter()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    with fuzz_app(tmp_path_factory, "fuzz-cli") as (app, tmp, _):
        yield app.test_cli_runner(), tmp


def failed_cleanly(name: str, result, french: bool = True) -> str:
    """Exit ≠ 0 through SystemExit (click's own exits), no traceback; the message returned."""
    STATS[name] += 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code != 0, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    if french:
        french_words = ("Erreur", "invalide", "introuvable", "administrateur", "Mot de passe")
        assert any(word in output for word in french_words), output
    return output


def test_import_bad_arguments(cli):
    runner, tmp = cli

    @FUZZ
    @given(path=arg, fmt=st.one_of(st.none(), st.sampled_from(["generic-csv", "siae"])))
    def run(path, fmt):
        target = str(tmp / "absent" / path.replace("/", "_"))
        args = ["import", target] + (["--format", fmt] if fmt else [])
        output = failed_cleanly("import", runner.invoke(args=args))
        assert "Fichier introuvable" in output

    run()
    # Options of the wrong type or value: click refuses them (its messages name the option).
    for args in (
        ["import", "x.csv", "--format", "excel"],
        ["import", "x.csv", "--limit", "beaucoup"],
        ["import"],
    ):
        output = failed_cleanly("import", runner.invoke(args=args), french=False)
        assert "--format" in output or "--limit" in output or "CHEMIN" in output
    bad_source = tmp / "liste.csv"
    bad_source.write_text("nom,commune\nAuto-école,Beauvais\n", encoding="utf-8")
    output = failed_cleanly(
        "import", runner.invoke(args=["import", str(bad_source), "--source", "Mauvais Nom!"])
    )
    assert "Nom de source invalide" in output
    print(f"\nimport : {STATS['import']} appels invalides, tous refusés proprement")


def test_user_create_bad_arguments(cli):
    runner, _ = cli
    not_email = arg.filter(lambda s: "@" not in s)

    @FUZZ
    @given(
        email=not_email,
        dep=st.one_of(arg.filter(lambda s: s.strip() and not s.strip().isalnum()), st.just("ZZ")),
    )
    def run(email, dep):
        result = runner.invoke(
            args=["user", "create", "--departement", "60", "--", f"{email}x"], input="x" * 20 + "\n"
        )
        assert "Adresse électronique invalide" in failed_cleanly("user_create", result)
        result = runner.invoke(
            args=["user", "create", "a@b.fr", f"--departement={dep}", "--password-stdin"],
            input="x" * 20 + "\n",
        )
        assert "Code de département invalide" in failed_cleanly("user_create", result)

    run()
    for args, stdin, expected in (
        (["user", "create", "a@b.fr", "--role", "roi"], "", "--role"),
        (["user", "create", "a@b.fr", "--password-stdin"], "x" * 20, "départemental"),
        (["user", "create", "a@b.fr", "--role", "global", "--password-stdin"], "court\n", "court"),
    ):
        output = failed_cleanly(
            "user_create", runner.invoke(args=args, input=stdin), french=expected != "--role"
        )
        assert expected in output
    print(f"\nuser create : {STATS['user_create']} appels invalides, tous refusés proprement")


def test_serve_and_demo_bad_arguments(cli):
    runner, tmp = cli
    bad_port = st.one_of(
        st.integers().filter(lambda n: not 1 <= n <= 65535).map(str),
        arg.filter(lambda s: not s.strip().lstrip("+-").isdigit()),
    )

    @FUZZ
    @given(port=bad_port, command=st.sampled_from(["serve", "demo"]))
    def run(port, command):
        args = [command, "--port", port] if command == "serve" else [command, "--no-serve"]
        if command == "demo":
            args += ["--port", port]
        output = failed_cleanly("serve", runner.invoke(args=args), french=False)
        assert "--port" in output

    run()
    for args in (["serve", "--threads", "0"], ["serve", "--threads", "1000"]):
        assert "--threads" in failed_cleanly("serve", runner.invoke(args=args), french=False)
    output = failed_cleanly(
        "demo", runner.invoke(args=["demo", "--no-serve", str(tmp / "nulle-part.csv")]), False
    )
    assert "nulle-part.csv" in output
    print(f"\nserve/demo : {STATS['serve'] + STATS['demo']} appels invalides, refusés proprement")
