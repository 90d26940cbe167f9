"""``relais import`` and ``relais reindex``: partner files into the database, then the indexes."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path

import click
from flask import current_app

from recommender.errors import ImportFailed
from recommender.geocoding import AddressGeocoder

from ..db import session_scope
from ..importers import ImportOptions, run_import
from ..importers.formats import FORMATS
from ..importers.options import ArchiveScope
from ..importers.report import ImportReport
from ..inference import store_inferred_freins
from .context import ensure_schema, with_app


def max_archive_share() -> float:
    """The share of a source an import may archive without being told to (a setting)."""
    return current_app.config["IMPORT_MAX_ARCHIVE_SHARE"]


@click.command("import")
@click.argument("path", metavar="CHEMIN|URL")
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
    "--scope",
    "scopes",
    multiple=True,
    metavar="PERIMETRE",
    help="Limite l'archivage des fiches absentes : departement:60,02 ou source:dora,cd35 "
    "(répétable ; par défaut, les départements et sous-sources du fichier).",
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
@with_app
def import_command(
    path: str,
    fmt: str | None,
    source: str | None,
    dry_run: bool,
    no_archive: bool,
    allow_mass_archive: bool,
    scopes: tuple[str, ...],
    geocoder: str | None,
    as_json: bool,
    limit: int,
) -> None:
    """Importe un fichier (ou une URL http(s)) de partenaires : France Services, France
    Travail, SIAE, annuaire DILA (CSV 2016 ou JSON), data·inclusion, mairies ou CSV générique.

    Crée ou met à jour le schéma de la base au besoin. En cas d'erreur, rien n'est enregistré.
    """
    scope = ArchiveScope.parse(scopes)
    ensure_schema()
    with session_scope(current_app) as session:
        options = ImportOptions(
            scope=scope,
            format=fmt,
            source=source,
            dry_run=dry_run,
            archive_missing=not no_archive,
            max_archive_share=None if allow_mass_archive else max_archive_share(),
            progress=True,
            address_geocoder=AddressGeocoder() if geocoder == "ban" else None,
            workers=min(2, os.cpu_count() or 1),
            after_write=store_inferred_freins,
        )
        report = run_import(session, path, options)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.format_text(limit=limit))


@click.command("reindex")
@with_app
def reindex_command() -> None:
    """Déduit les freins manquants et reconstruit les index de recherche et de recommandation."""
    from ..index.holder import reindex

    ensure_schema()
    with session_scope() as session:
        state = reindex(session)
    click.echo(f"Index reconstruits en {state.built_in_s:.1f} s (version {state.version}).")


IMPORTABLE_SUFFIXES = (".csv", ".json", ".gz", ".tsv", ".txt")
REJECTION_EXAMPLES = 3


def import_paths(paths: Iterable[Path | str], *, echo: Callable[[str], object] = click.echo) -> int:
    """Import files (a folder: its importable files, sorted) one run each, in an app
    context; prints one French line per file, the reasons of its rejections under it, and
    returns how many files could not be imported."""
    files: list[Path] = []
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
                options = ImportOptions(
                    max_archive_share=max_archive_share(), after_write=store_inferred_freins
                )
                report = run_import(session, path, options)
        except ImportFailed as exc:
            failures += 1
            echo(f"Erreur : {path.name} : {exc.message}")
            continue
        echo(f"{path.name} : {counts_line(report)}")
        for line in detail_lines(report, path):
            echo(line)
    return failures


def counts_line(report: ImportReport) -> str:
    """One import's counts and duration, on one line."""
    c = report.counts
    return (
        f"{c['created']} créés, {c['merged']} fusionnés, {c['updated']} mis à jour, "
        f"{c['unchanged']} inchangés, {c['rejected']} rejetés, {c['archived']} archivés "
        f"({report.duration_s:.1f} s)"
    )


def detail_lines(report: ImportReport, path: Path | str) -> list[str]:
    """Under an import's counts: the types given, the archiving scope, the rejections."""
    lines = []
    if types := report.types_line():
        lines.append(f"  {types}")
    if report.counts["archived"]:
        lines.append(f"  archivage limité à : {report.archive_scope}")
    return lines + rejection_lines(report, path)


def rejection_lines(report: ImportReport, path: Path | str) -> list[str]:
    """Under a file's summary: each kind of rejection, its count and a few line numbers."""
    groups = report.rejection_groups()
    if not groups:
        return []
    lines = []
    for reason, numbers in groups:
        shown = ", ".join(str(n) for n in numbers[:REJECTION_EXAMPLES])
        more = ", …" if len(numbers) > REJECTION_EXAMPLES else ""
        noun = "ligne" if len(numbers) == 1 else "lignes"
        lines.append(f"  rejet : {reason} — {len(numbers)} {noun} ({shown}{more})")
    lines.append(f"  Détail de chaque rejet : relais import --dry-run {shlex.quote(str(path))}")
    return lines
