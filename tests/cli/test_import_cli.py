"""``relais import`` through the CLI runner: French output, exit codes, URLs."""

from __future__ import annotations

import http.server
import json
import threading
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli.imports import import_paths, rejection_lines
from app.db import session_scope
from app.importers.report import ImportReport
from app.models import Partner

from ..support.real_rows import annuaire_and_dila_files, generic_bom_file, generic_cp1252_file


def partner_count(app) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(Partner))


def test_import_prints_a_french_report(app, runner, shared_data, tmp_path):
    sample = generic_cp1252_file(tmp_path)
    result = runner.invoke(args=["import", str(sample.path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "format generic-csv" in out and "créés" in out and "rejetés" in out
    assert f"ligne {sample.lines['no_name']} : nom manquant" in out
    assert "Traceback" not in out
    assert partner_count(app) == len(sample.lines) - 2


def test_dry_run_and_json_output(app, runner, shared_data, tmp_path):
    path = generic_bom_file(tmp_path).path
    result = runner.invoke(args=["import", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dry_run"] is True and data["counts"]["created"] == 3
    assert partner_count(app) == 0


def test_format_and_source_options(app, runner, shared_data, tmp_path):
    annuaire, _ = annuaire_and_dila_files(tmp_path)
    args = ["import", str(annuaire.path), "--format", "annuaire-service-public"]
    result = runner.invoke(args=[*args, "--source", "annuaire-oise", "--no-archive"])
    assert result.exit_code == 0, result.output
    assert "source « annuaire-oise »" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binaire\x00", "binaire"),
        (b"", "vide"),
        (b"a,b\n1,2\n", "Format non reconnu"),
    ],
)
def test_bad_files_exit_1_with_a_french_message(app, runner, tmp_path, content, message):
    path = tmp_path / "mauvais.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and message in result.output
    assert "Traceback" not in result.output
    assert partner_count(app) == 0


def test_wrong_format_name_is_refused(runner, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text("nom,commune\n", encoding="utf-8")  # never read: the option is refused first
    result = runner.invoke(args=["import", str(path), "--format", "xls"])
    assert result.exit_code == 2 and "xls" in result.output


def test_missing_file(runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "absent.csv")])
    assert result.exit_code == 1 and "Fichier introuvable" in result.output


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args, **kwargs):
        pass


@pytest.fixture
def http_root(tmp_path):
    """A local HTTP server (127.0.0.1 only) serving tmp_path; never the network."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_import_from_a_url(app, runner, http_root, shared_data):
    root, base = http_root
    generic_bom_file(root, "liste_cip.csv")
    result = runner.invoke(args=["import", f"{base}/liste_cip.csv"])
    assert result.exit_code == 0, result.output
    assert "source « liste-cip »" in result.output and partner_count(app) == 3
    missing = runner.invoke(args=["import", f"{base}/absent.csv"])
    assert missing.exit_code == 1 and "Téléchargement impossible" in missing.output


def test_import_paths_for_the_demo(app, tmp_path, shared_data):
    bad = tmp_path / "mauvais.csv"
    bad.write_text("a,b\n1,2\n")
    annuaire, _ = annuaire_and_dila_files(tmp_path)
    liste = generic_bom_file(tmp_path)
    lines: list[str] = []
    with app.app_context():
        failures = import_paths([annuaire.path, liste.path, bad], echo=lines.append)
    assert failures == 1
    types = [line for line in lines if line.startswith("  Types attribués : ")]
    assert len(types) == 2  # one per imported file (see tests/test_import_typing.py)
    lines = [line for line in lines if line not in types]
    assert lines[0].startswith(f"{annuaire.path.name} : 2 créés")
    assert lines[1].startswith("generic_bom_comma.csv : 3 créés") and "2 rejetés" in lines[1]
    # the rejections explained under their file, and where to read every one
    repeated, wide = liste.lines["repeated"], liste.lines["wide"]
    assert lines[2] == f"  rejet : identifiant « … » en double — 1 ligne ({repeated})"
    assert lines[3].startswith("  rejet : 11 colonnes au lieu de 8") and f"({wide})" in lines[3]
    assert lines[4].startswith("  Détail de chaque rejet : relais import --dry-run ")
    assert lines[4].endswith("generic_bom_comma.csv")
    assert lines[5].startswith("Erreur : mauvais.csv")
    assert partner_count(app) == 5


def test_rejections_grouped_by_reason_with_three_example_lines():
    report = ImportReport(source="s", format="generic-csv", filename="f.csv")
    for line in (3, 5, 8, 13, 21):
        report.reject(line, f"SIRET invalide : « {line}0 » (14 chiffres attendus)")
    report.reject(9, "identifiant « AE-1 » en double (déjà vu ligne 2)")
    report.reject(11, "erreur inattendue (KeyError : 'x')")
    assert report.rejection_groups() == [
        ("SIRET invalide", [3, 5, 8, 13, 21]),
        ("identifiant « … » en double", [9]),
        ("erreur inattendue", [11]),
    ]
    lines = rejection_lines(report, Path("/données/mon fichier.csv"))
    assert lines == [
        "  rejet : SIRET invalide — 5 lignes (3, 5, 8, …)",
        "  rejet : identifiant « … » en double — 1 ligne (9)",
        "  rejet : erreur inattendue — 1 ligne (11)",
        "  Détail de chaque rejet : relais import --dry-run '/données/mon fichier.csv'",
    ]
