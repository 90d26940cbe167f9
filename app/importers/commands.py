"""The ``relais import`` command."""

from __future__ import annotations

import json
import logging
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from recommender.errors import ImportFailed
from recommender.geocoding import AddressGeocoder

from ..db import session_scope
from .formats import FORMATS
from .pipeline import run_import

log = logging.getLogger(__name__)


def max_archive_share() -> float:
    """The share of a source an import may archive without being told to (a setting)."""
    return current_app.config["IMPORT_MAX_ARCHIVE_SHARE"]


@click.command("import")
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.name for f in FORMATS]),
    default=None,
    help="Format du fichier (détecté automatiquement sinon).",
)
@click.option(
    "--source",
    default=None,
    help="Nom de la source (par défaut : selon le format ou le nom du fichier).",
)
@click.option("--dry-run", is_flag=True, help="Calcule le rapport sans rien enregistrer.")
@click.option(
    "--no-archive",
    is_flag=True,
    help="N'archive pas les fiches de la source absentes du fichier (import partiel).",
)
@click.option(
    "--allow-mass-archive",
    is_flag=True,
    help="Archive les fiches absentes même au-delà de IMPORT_MAX_ARCHIVE_SHARE de la source.",
)
@click.option(
    "--geocoder",
    type=click.Choice(["ban"]),
    default=None,
    help="Place les lignes sans coordonnées à leur adresse (Base Adresse Nationale, réseau).",
)
@click.option("--json", "as_json", is_flag=True, help="Affiche le rapport en JSON.")
@click.option(
    "--limit", default=20, show_default=True, help="Lignes détaillées par rubrique du rapport."
)
@with_appcontext
def import_command(
    path: str,
    fmt: str | None,
    source: str | None,
    dry_run: bool,
    no_archive: bool,
    allow_mass_archive: bool,
    geocoder: str | None,
    as_json: bool,
    limit: int,
) -> None:
    """Importe un fichier (ou une URL http(s)) de partenaires : France Services, France
    Travail, SIAE, annuaire DILA (CSV 2016 ou JSON), data·inclusion, mairies ou CSV générique."""
    try:
        with session_scope(current_app) as session:
            report = run_import(
                session,
                path,
                format=fmt,
                source=source,
                dry_run=dry_run,
                archive_missing=not no_archive,
                max_archive_share=None if allow_mass_archive else max_archive_share(),
                progress=True,
                address_geocoder=AddressGeocoder() if geocoder == "ban" else None,
                workers=min(2, os.cpu_count() or 1),
            )
    except ImportFailed as exc:
        click.echo(f"Erreur : {exc.message}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:  # never a traceback for the user; the log keeps it
        log.exception("import failed")
        click.echo(
            f"Erreur inattendue pendant l'import : {exc}. Rien n'a été enregistré.", err=True
        )
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.format_text(limit=limit))


IMPORTABLE_SUFFIXES = (".csv", ".json", ".gz", ".tsv", ".txt")


def import_paths(paths, *, echo=click.echo) -> int:
    """Import files (a folder: its importable files, sorted) one run each, in an app
    context; prints one French line per file and returns how many could not be imported."""
    from pathlib import Path

    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.suffix.lower() in IMPORTABLE_SUFFIXES)
            )
        else:
            files.append(path)
    failures = 0
    for path in files:
        try:
            with session_scope(current_app) as session:
                report = run_import(session, path, max_archive_share=max_archive_share())
        except ImportFailed as exc:
            failures += 1
            echo(f"Erreur : {path.name} : {exc.message}")
            continue
        c = report.counts
        echo(
            f"{path.name} : {c['created']} créés, {c['merged']} fusionnés, {c['updated']} mis à "
            f"jour, {c['unchanged']} inchangés, {c['rejected']} rejetés, {c['archived']} archivés "
            f"({report.duration_s:.1f} s)"
        )
    return failures
