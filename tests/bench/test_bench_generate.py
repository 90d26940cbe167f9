"""``python -m bench.generate``: synthetic partners for benchmarks, never mixed with real data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Partner, PartnerSource
from bench.generate import (
    NAME_PREFIX,
    SOURCE,
    csv_row,
    generate_command,
    generate_partners,
    write_csv,
)
from recommender.geo import default_gazetteer, haversine_km
from recommender.taxonomy import default_taxonomy


def _partners(app) -> list[Partner]:
    with session_scope(app) as session:
        return list(session.scalars(select(Partner).order_by(Partner.id)))


def test_same_seed_same_partners_and_prefix_stable():
    first = list(generate_partners(300, seed=5))
    assert first == list(generate_partners(300, seed=5))
    assert first[:120] == list(generate_partners(120, seed=5))
    other = list(generate_partners(300, seed=6))
    assert [r["nom"] for r in other] != [r["nom"] for r in first]


def test_rows_follow_the_taxonomy_and_a_realistic_mix():
    taxonomy = default_taxonomy()
    rows = list(generate_partners(4000, seed=11))
    types = Counter(r["type_code"] for r in rows)
    assert all(taxonomy.partner_types[t].recommendable for t in types)
    siae = sum(types[t] for t in ("aci", "ei", "ai", "etti"))
    assert siae > 300 and types["france-service"] > 150 and types["mairie"] > 300
    assert types["spip"] < types["france-service"] / 10
    for row in rows:
        ptype = taxonomy.partner_types[row["type_code"]]
        assert set(ptype.freins) <= set(row["freins"]) or row["type_code"] == "autre"
        if row["zone_kind"] == "departement":
            assert row["departement"] in row["zone_codes"]
        elif row["zone_kind"] == "communes":
            assert row["zone_codes"] == [row["code_insee"]]
        elif row["zone_kind"] == "rayon":
            assert row["zone_radius_km"] > 0
    # missing fields and approximate points, dates over the years
    assert 0.1 < sum(not r["telephone"] for r in rows) / len(rows) < 0.4
    assert 0.2 < sum(not r["email"] for r in rows) / len(rows) < 0.6
    assert 0.2 < sum(not r["coords_exact"] for r in rows) / len(rows) < 0.4
    years = {r["source_updated_at"].year for r in rows}
    assert min(years) == 2014 and max(years) == 2026


def test_partners_spread_over_real_communes_by_population():
    gazetteer = default_gazetteer()
    rows = list(generate_partners(3000, seed=2))
    for row in rows:
        commune = gazetteer.get(row["code_insee"])
        assert commune is not None
        assert (row["commune_nom"], row["departement"]) == (commune.nom, commune.departement)
        assert row["code_postal"] in commune.codes_postaux
        assert haversine_km(row["lat"], row["lon"], commune.lat, commune.lon) < 15
    assert len({r["departement"] for r in rows}) > 90
    # people live in cities: Paris (its arrondissements) gets far more than a village
    paris = sum(r["departement"] == "75" for r in rows)
    lozere = sum(r["departement"] == "48" for r in rows)
    assert paris > 3 * max(lozere, 1)


def test_generate_writes_labelled_synthetic_partners(app, runner):
    result = runner.invoke(generate_command, ["--partners", "250", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "250 partenaires synthétiques" in result.output
    partners = _partners(app)
    assert len(partners) == 250
    assert all(p.synthetic and p.nom.startswith(NAME_PREFIX) for p in partners)
    with session_scope(app) as session:
        sources = session.execute(
            select(PartnerSource.source, func.count()).group_by(PartnerSource.source)
        ).all()
        per_partner = session.execute(
            select(PartnerSource.partner_id, func.count()).group_by(PartnerSource.partner_id)
        ).all()
    assert sources == [(SOURCE, 250)]
    assert {count for _, count in per_partner} == {1}
    expected = list(generate_partners(250, seed=3))
    assert [p.nom for p in partners] == [r["nom"] for r in expected]
    assert [p.freins for p in partners] == [r["freins"] for r in expected]


def test_same_seed_twice_needs_replace(app, runner):
    assert runner.invoke(generate_command, ["--partners", "20"]).exit_code == 0
    again = runner.invoke(generate_command, ["--partners", "20"])
    assert again.exit_code == 1
    assert "--replace" in again.output
    replaced = runner.invoke(generate_command, ["--partners", "30", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert len(_partners(app)) == 30


def test_refuses_a_database_with_real_partners(app, runner):
    with session_scope(app) as session:
        session.add(Partner(id="vrai-1", nom="Mission locale de Beauvais", type_code="mairie"))
    result = runner.invoke(generate_command, ["--partners", "50"])
    assert result.exit_code == 1
    assert "Refus" in result.output and "réel" in result.output
    partners = _partners(app)
    assert [p.id for p in partners] == ["vrai-1"]


@pytest.mark.parametrize("fmt", ["generic-csv", None])
def test_csv_mode_round_trips_through_the_importer(app, runner, tmp_path, fmt):
    from app.importers import ImportOptions, run_import

    path = tmp_path / "synthetique.csv"
    result = runner.invoke(
        generate_command, ["--partners", "120", "--seed", "4", "--csv", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert _partners(app) == []  # CSV mode leaves the database alone
    with session_scope(app) as session:
        report = run_import(session, path, ImportOptions(format=fmt, source="synthetique-csv"))
    assert report.format == "generic-csv"
    assert report.counts["created"] == 120 and report.counts["rejected"] == 0
    expected = {r["id"]: r for r in generate_partners(120, seed=4)}
    with session_scope(app) as session:
        rows = session.execute(
            select(PartnerSource.source_id, Partner).join(Partner, PartnerSource.partner)
        ).all()
    assert len(rows) == 120
    for source_id, partner in rows:
        want = expected[source_id]
        assert partner.nom == want["nom"]
        assert partner.type_code == want["type_code"]
        assert partner.code_insee == want["code_insee"]
        assert partner.freins == want["freins"]
        assert partner.status == want["status"]
        assert partner.source_updated_at == want["source_updated_at"]
        if want["coords_exact"]:
            assert (partner.lat, partner.lon) == pytest.approx((want["lat"], want["lon"]))


def test_write_csv_has_one_line_per_partner(tmp_path):
    path = tmp_path / "out" / "p.csv"
    assert write_csv(path, 40, seed=9) == 40
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 41
    assert lines[0].split(",")[:3] == ["id", "nom", "type"]
    row = csv_row(next(generate_partners(1, seed=9)))
    assert row["nom"].startswith(NAME_PREFIX)


def test_module_entry_point_speaks_french_and_fails_in_one_line(tmp_path):
    """``python -m bench.generate`` (the documented command): French help, and an error is an
    ``Erreur : …`` line with a non-zero exit, never a traceback."""
    root = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RELAIS_", "FLASK_")) and key != "DATABASE_URL"
    }
    env["RELAIS_INSTANCE_PATH"] = str(tmp_path / "instance")

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bench.generate", *args],
            capture_output=True,
            text=True,
            cwd=root,
            env=env | extra,
            timeout=120,
        )

    helped = run("--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Utilisation : python -m bench.generate [OPTIONS]")
    assert "SYNTHÉTIQUES" in helped.stdout and "Afficher cette aide et quitter." in helped.stdout
    failed = run("--partners", "5", DATABASE_URL="garbage://x")
    assert failed.returncode == 1
    assert failed.stderr.startswith("Erreur : DATABASE_URL invalide")
    assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
