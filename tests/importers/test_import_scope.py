"""Archiving stays within what a file covers: its sub-sources (data·inclusion's ``source``
field) and its départements, or an explicit ``--scope``; two extracts of one source give the
same directory in either order. Real rows of the data·inclusion v0 export."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app, db
from app.db import session_scope
from app.importers import ImportOptions, run_import
from app.importers.options import ArchiveScope
from app.inference import store_inferred_freins
from app.models import Partner, PartnerSource
from recommender.errors import ImportFailed

from ..support.real_rows import read_json

pytestmark = pytest.mark.usefixtures("shared_data")

V0 = "data_inclusion_v0_structures_2023-01.json"
PER_FILE = 25  # rows per extract: enough to overlap, small enough to stay fast


def departement(row: dict) -> str:
    return (row.get("code_insee") or row.get("code_postal") or "")[:2]


def by_sub_source() -> tuple[list[dict], list[dict]]:
    """Two extracts of two sub-sources over the same départements (what a second
    data·inclusion export of another producer looks like)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in read_json(V0):
        if departement(row):
            groups[row["source"]].append(row)
    pairs = [
        (a, b, {departement(r) for r in groups[a]} & {departement(r) for r in groups[b]})
        for a in sorted(groups)
        for b in sorted(groups)
        if a < b
    ]
    a, b, shared = max(pairs, key=lambda p: len(p[2]))
    if not shared:
        pytest.skip("aucune paire de sous-sources sur un même département")
    return (
        [r for r in groups[a] if departement(r) in shared][:PER_FILE],
        [r for r in groups[b] if departement(r) in shared][:PER_FILE],
    )


def by_departement() -> tuple[list[dict], list[dict]]:
    """One sub-source split in two by département."""
    rows = [r for r in read_json(V0) if r["source"] == "conseiller-numerique" and departement(r)]
    deps = sorted({departement(r) for r in rows})
    half = set(deps[: len(deps) // 2])
    first_half = [r for r in rows if departement(r) in half][:PER_FILE]
    second_half = [r for r in rows if departement(r) not in half][:PER_FILE]
    return first_half, second_half


def fresh_app(tmp_path: Path, name: str, monkeypatch):
    """A second empty database in one test (the ``app`` fixture gives one): both orders
    are compared side by side."""
    monkeypatch.setenv("RELAIS_INSTANCE_PATH", str(tmp_path / f"instance-{name}"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.sqlite3'}",
            "INDEX_DIR": str(tmp_path / f"index-{name}"),
            "ENGINE_CHECK_SECONDS": 0,
        }
    )
    db.upgrade(app.extensions["relais.engine"])
    return app


def run(app, path: Path, **kwargs):
    options = ImportOptions(after_write=store_inferred_freins, **kwargs)
    with app.app_context(), session_scope(app) as session:
        return run_import(session, path, options)


def directory(app) -> set[tuple[str, frozenset[str]]]:
    """Active partners as (type, source records): independent of partner ids."""
    with session_scope(app) as session:
        rows = session.execute(
            select(Partner.id, Partner.type_code, PartnerSource.source_id)
            .join(PartnerSource, PartnerSource.partner_id == Partner.id)
            .where(Partner.status == "active", PartnerSource.archived.is_(False))
        ).all()
    grouped: dict[str, tuple[str, set[str]]] = {}
    for pid, type_code, source_id in rows:
        grouped.setdefault(pid, (type_code, set()))[1].add(source_id)
    return {(t, frozenset(ids)) for t, ids in grouped.values()}


@pytest.mark.parametrize("split", [by_sub_source, by_departement])
def test_two_extracts_give_the_same_directory_in_either_order(tmp_path, monkeypatch, split):
    a_rows, b_rows = split()
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(a_rows, ensure_ascii=False))
    b.write_text(json.dumps(b_rows, ensure_ascii=False))
    ab, ba = fresh_app(tmp_path, "ab", monkeypatch), fresh_app(tmp_path, "ba", monkeypatch)
    for app, order in ((ab, (a, b)), (ba, (b, a))):
        for path in order:
            report = run(app, path)
            assert report.counts["archived"] == 0, report.notes
            assert report.archive_scope
    assert directory(ab) == directory(ba)
    kept = {sid for _, ids in directory(ab) for sid in ids}
    assert {f"{r['source']}--{r['id']}" for r in a_rows + b_rows} <= kept


def test_an_extract_archives_its_own_missing_records_only(app, tmp_path):
    a_rows, b_rows = by_sub_source()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(a_rows + b_rows, ensure_ascii=False))
    run(app, path)
    # The next export of the first producer lacks one of its records: only that one goes.
    path.write_text(json.dumps(a_rows[1:], ensure_ascii=False))
    report = run(app, path)
    assert report.counts["archived"] == 1
    assert f"sous-source(s) du fichier {a_rows[0]['source']}" in report.archive_scope


def test_an_explicit_scope_limits_what_a_full_import_archives(app, tmp_path):
    a_rows, b_rows = by_sub_source()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(a_rows + b_rows, ensure_ascii=False))
    run(app, path)
    other = b_rows[0]["source"]
    # A file of the first producer only, told it speaks for the other one: nothing of the
    # first producer is archived, and every record of the other producer is.
    path.write_text(json.dumps(a_rows, ensure_ascii=False))
    scope = ArchiveScope.parse([f"source:{other}"])
    report = run(app, path, scope=scope, max_archive_share=None)
    assert report.archive_scope == f"sous-source(s) {other} (--scope)"
    with session_scope(app) as session:
        archived = set(
            session.scalars(select(PartnerSource.source_id).where(PartnerSource.archived))
        )
    assert archived == {f"{r['source']}--{r['id']}" for r in b_rows}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["departement:60,2a", "source:dora"], ArchiveScope(frozenset({"60", "2A"}), {"dora"})),
        (["departement:1"], ArchiveScope(frozenset({"01"}))),
        ([], None),
    ],
)
def test_scope_syntax(values, expected):
    assert ArchiveScope.parse(values) == expected


@pytest.mark.parametrize("value", ["oise", "departement:", "departement:Oise", "region:32"])
def test_a_malformed_scope_is_refused_in_french(value):
    with pytest.raises(ImportFailed, match=r"Périmètre .* Syntaxe : departement:CODE"):
        ArchiveScope.parse([value])


def test_the_cli_scope_option(app, runner, tmp_path):
    a_rows, _ = by_sub_source()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(a_rows, ensure_ascii=False))
    source = a_rows[0]["source"]
    result = runner.invoke(args=["import", str(path), "--scope", f"source:{source}"])
    assert result.exit_code == 0, result.output
    assert f"Périmètre d'archivage : sous-source(s) {source} (--scope)" in result.output
    result = runner.invoke(args=["import", str(path), "--scope", "region:32"])
    assert result.exit_code != 0 and "Périmètre « region:32 » non compris" in result.output
    assert "Traceback" not in result.output
