"""``relais sync``: sources served by a local HTTP server (loopback, never the internet),
downloaded only when they changed, imported by the same pipeline, one transaction each."""

from __future__ import annotations

import socket
import tarfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.importers.files import detect_format, source_from_stem
from app.importers.sources import load_sources
from app.models import ImportRun, Partner, PartnerSource, SyncState

from ..support.shared_data import partner_files
from ..support.sources_server import TOKEN, sources_server

# Files of the shared data small enough for a quick run; the whole set runs in the slow test.
SAMPLE_BYTES = 150_000


def toml_entry(name: str, url: str, fmt: str, **extra: str) -> str:
    lines = [f'[[source]]\nname = "{name}"\nurl = "{url}"\nformat = "{fmt}"']
    lines += [f'{key} = "{value}"' for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def sources_file(tmp_path: Path, entries: list[str]) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def served_copies(shared_data: Path, root: Path, max_bytes: int | None) -> list[Path]:
    """Copies of the shared partner files (those under ``max_bytes``) in the served folder."""
    copies = []
    for path in partner_files(shared_data / "partners"):
        if max_bytes is None or path.stat().st_size <= max_bytes:
            copy = root / path.name
            copy.write_bytes(path.read_bytes())
            copies.append(copy)
    assert copies, "aucun fichier partagé à servir"
    return copies


def entries_for(files: list[Path], base: str, kind: str = "fichiers") -> list[str]:
    """One source per file, under its own import source (two files of one format would
    otherwise archive each other's records)."""
    return [
        toml_entry(
            source_from_stem(f.name),
            f"{base}/{kind}/{f.name}",
            detect_format(f, f.name).name,
            source=source_from_stem(f.name),
        )
        for f in files
    ]


def database_state(app) -> tuple:
    """Everything a sync may write, for before/after comparisons."""
    with session_scope(app) as session:
        partners = session.execute(
            select(Partner.id, Partner.nom, Partner.status).order_by(Partner.id)
        ).all()
        sources = session.execute(
            select(
                PartnerSource.source, PartnerSource.source_id, PartnerSource.content_hash
            ).order_by(PartnerSource.source, PartnerSource.source_id)
        ).all()
        states = session.execute(
            select(SyncState.name, SyncState.etag, SyncState.content_sha256).order_by(
                SyncState.name
            )
        ).all()
    return tuple(map(tuple, partners)), tuple(map(tuple, sources)), tuple(map(tuple, states))


def partner_count(app) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(Partner))


def sync_twice(app, runner, shared_data, tmp_path, max_bytes):
    root = tmp_path / "servi"
    root.mkdir()
    files = served_copies(shared_data, root, max_bytes)
    with sources_server(root) as server:
        path = sources_file(tmp_path, entries_for(files, server.url))
        started = time.perf_counter()
        first = runner.invoke(args=["sync", str(path)])
        first_s = time.perf_counter() - started
        assert first.exit_code == 0, first.output
        imported = partner_count(app)
        before = database_state(app)
        server.clear()
        started = time.perf_counter()
        second = runner.invoke(args=["sync", str(path)])
        elapsed = time.perf_counter() - started
        assert second.exit_code == 0, second.output
        # one request per source, each answered « 304 Not Modified »
        assert len(server.seen()) == len(files) == len(server.seen(304))
    assert first.output.count(" : importé : ") == len(files), first.output
    assert second.output.count(" : inchangé : ") == len(files), second.output
    assert imported > 0 and database_state(app)[:2] == before[:2]
    print(f"{len(files)} sources: first run {first_s:.1f} s, second run {elapsed:.2f} s")
    return elapsed


def test_first_run_imports_then_every_source_is_unchanged(app, runner, shared_data, tmp_path):
    elapsed = sync_twice(app, runner, shared_data, tmp_path, SAMPLE_BYTES)
    assert elapsed < 5, f"second run: {elapsed:.2f} s"


@pytest.mark.slow
def test_every_shared_file_synced_twice(app, runner, shared_data, tmp_path):
    elapsed = sync_twice(app, runner, shared_data, tmp_path, None)
    assert elapsed < 5, f"second run: {elapsed:.2f} s"


def small_file(shared_data: Path, root: Path) -> Path:
    return min(served_copies(shared_data, root, SAMPLE_BYTES), key=lambda p: p.stat().st_size)


def test_same_content_without_validators_is_unchanged(app, runner, shared_data, tmp_path):
    path = small_file(shared_data, tmp_path)
    with sources_server(tmp_path) as server:
        toml = sources_file(tmp_path, entries_for([path], server.url, "sans-validateurs"))
        assert runner.invoke(args=["sync", str(toml)]).exit_code == 0
        second = runner.invoke(args=["sync", str(toml)])
        assert not any("If-None-Match" in h for h in server.headers_seen)
    assert second.exit_code == 0, second.output
    assert "inchangé : contenu identique au dernier import" in second.output


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failures_are_skipped_and_leave_the_database_unchanged(app, runner, shared_data, tmp_path):
    root = tmp_path / "servi"
    root.mkdir()
    files = sorted(served_copies(shared_data, root, SAMPLE_BYTES), key=lambda p: p.stat().st_size)
    kept, changed = files[0], files[-1]
    with sources_server(root) as server:
        good = entries_for([kept, changed], server.url)
        toml = sources_file(tmp_path, good)
        assert runner.invoke(args=["sync", str(toml)]).exit_code == 0
        before = database_state(app)
        runs = _runs(app)
        # a new version of ``changed`` (its last rows gone), whose transfer is cut
        lines = changed.read_bytes().splitlines(keepends=True)
        changed.write_bytes(b"".join(lines[: len(lines) // 2]))
        server.cut.add(changed.name)
        failing = [
            toml_entry("erreur-serveur", f"{server.url}/erreur/500", "generic-csv"),
            toml_entry("injoignable", f"http://127.0.0.1:{closed_port()}/x.csv", "generic-csv"),
        ]
        toml = sources_file(tmp_path, failing + good)
        result = runner.invoke(args=["sync", str(toml)])
        assert result.exit_code == 1, result.output
        out = result.output
        assert "erreur-serveur : échec : Téléchargement impossible" in out
        assert "erreur HTTP 500" in out
        assert "injoignable : échec : Téléchargement impossible" in out
        assert f"{source_from_stem(kept.name)} : inchangé" in out
        assert f"{source_from_stem(changed.name)} : échec : Téléchargement interrompu" in out
        assert "2 source(s)" not in out and "3 en échec" in out
        assert "Traceback" not in out
        # nothing half-written: partners, records and sync states as they were
        assert database_state(app) == before
        assert [r for r in _runs(app) if r not in runs] == ["echec"] * 3
        # the next run, with the transfer whole, imports the new version
        server.cut.clear()
        again = runner.invoke(args=["sync", str(sources_file(tmp_path, good))])
    assert again.exit_code == 0, again.output
    assert f"{source_from_stem(changed.name)} : importé : " in again.output
    assert database_state(app) != before


def _runs(app) -> list[str]:
    with session_scope(app) as session:
        return [
            (run.report or {}).get("statut", "ok")
            for run in session.scalars(select(ImportRun).order_by(ImportRun.id))
        ]


def test_the_dila_annuaire_is_read_inside_its_tar_bz2(app, runner, shared_data, tmp_path):
    dila = [
        p
        for p in partner_files(shared_data / "partners")
        if p.suffix == ".json" and detect_format(p, p.name).name == "dila-annuaire"
    ]
    assert dila, "aucun extrait de l'annuaire DILA dans les données partagées"
    archive = tmp_path / "all_latest.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(dila[0], arcname="2026-12-04_annuaire-data.gouv_local.json")
    with sources_server(tmp_path) as server:
        entry = toml_entry(
            "annuaire-dila", f"{server.url}/fichiers/{archive.name}", "dila-annuaire"
        )
        result = runner.invoke(args=["sync", str(sources_file(tmp_path, [entry]))])
    assert result.exit_code == 0, result.output
    assert "annuaire-dila : importé : 1 créés" in result.output
    with session_scope(app) as session:
        run = session.scalars(select(ImportRun).where(ImportRun.source == "dila-annuaire")).one()
        assert run.filename == archive.name and run.format == "dila-annuaire"


def test_a_bearer_token_read_from_the_environment(app, runner, shared_data, tmp_path, monkeypatch):
    path = small_file(shared_data, tmp_path)
    with sources_server(tmp_path) as server:
        (entry,) = entries_for([path], server.url, "prive")
        toml = sources_file(
            tmp_path, [entry.replace("\n", '\ntoken_env = "RELAIS_TEST_JETON"\n', 1)]
        )
        monkeypatch.delenv("RELAIS_TEST_JETON", raising=False)
        missing = runner.invoke(args=["sync", str(toml)])
        assert missing.exit_code == 1 and "RELAIS_TEST_JETON" in missing.output
        assert server.seen() == []  # not even asked without its token
        monkeypatch.setenv("RELAIS_TEST_JETON", "mauvais")
        wrong = runner.invoke(args=["sync", str(toml)])
        assert wrong.exit_code == 1 and "erreur HTTP 401" in wrong.output
        monkeypatch.setenv("RELAIS_TEST_JETON", TOKEN)
        good = runner.invoke(args=["sync", str(toml)])
    assert good.exit_code == 0 and " : importé : " in good.output, good.output
    assert TOKEN not in good.output + wrong.output


def test_bad_toml_is_refused_with_its_line(runner, tmp_path):
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nname = "a"\nurl = http://x\n', encoding="utf-8")
    result = runner.invoke(args=["sync", str(toml)])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : ") and "ligne 3" in result.output
    assert "Traceback" not in result.output


def test_wrong_entries_are_skipped_the_others_run(app, runner, shared_data, tmp_path):
    path = small_file(shared_data, tmp_path)
    with sources_server(tmp_path) as server:
        wrong = [
            toml_entry("format-inconnu", f"{server.url}/fichiers/{path.name}", "xls"),
            '[[source]]\nname = "sans-adresse"\nformat = "generic-csv"\n',
            toml_entry("faute", f"{server.url}/x.csv", "generic-csv", urll="x"),
            toml_entry("pas-http", "ftp://exemple.fr/x.csv", "generic-csv"),
        ]
        toml = sources_file(tmp_path, wrong + entries_for([path], server.url))
        result = runner.invoke(args=["sync", str(toml)])
    out = result.output
    assert result.exit_code == 1, out
    assert "format-inconnu : échec : source ignorée : Format inconnu : « xls »" in out
    assert "sans-adresse : échec : source ignorée : clé « url » manquante" in out
    assert "faute : échec : source ignorée : clé(s) inconnue(s) : urll" in out
    assert "pas-http : échec : source ignorée : adresse « ftp://exemple.fr/x.csv »" in out
    assert out.count(" : importé : ") == 1 and partner_count(app) > 0


def test_missing_sources_file(runner, tmp_path):
    result = runner.invoke(args=["sync", str(tmp_path / "absent.toml")])
    assert result.exit_code == 1 and "Fichier de sources introuvable" in result.output


def test_the_shipped_example_lists_valid_sources():
    """The national sources example parses and names real formats (its URLs are never
    fetched by the tests)."""
    example = Path(__file__).resolve().parents[2] / "docs" / "sources.example.toml"
    entries = load_sources(example)
    assert entries and all(e.error is None for e in entries), entries
    formats = {e.source.format for e in entries if e.source}
    assert {"data-inclusion", "dila-annuaire", "france-services"} <= formats


def test_a_mass_archive_is_refused_with_what_to_do(app, runner, shared_data, tmp_path):
    """A source that suddenly lost most of its records is not archived by a nightly run:
    the message says how to confirm it by hand."""
    path = max(served_copies(shared_data, tmp_path, SAMPLE_BYTES), key=lambda p: p.stat().st_size)
    with sources_server(tmp_path) as server:
        toml = sources_file(tmp_path, entries_for([path], server.url))
        assert runner.invoke(args=["sync", str(toml)]).exit_code == 0
        before = database_state(app)
        header, *rows = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(header + b"".join(rows[::10]))  # nine in ten records gone
        result = runner.invoke(args=["sync", str(toml)])
    assert result.exit_code == 1, result.output
    assert "plus que la part admise" in result.output
    assert "relais import --allow-mass-archive --format" in result.output
    assert "--no-archive" not in result.output
    assert database_state(app) == before
