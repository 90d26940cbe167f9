"""``relais sync``: the national sources of a TOML file, downloaded when they changed and
imported, one transaction per source (for cron or a systemd timer: see ``docs/sync.md``)."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import click
from flask import current_app

from ..db import session_scope
from ..importers import ImportOptions
from ..importers.sources import SourceEntry, load_sources
from ..importers.sync import SyncOutcome, sync_source
from ..inference import store_inferred_freins
from ..settings import named_secret
from .context import ensure_schema, with_app
from .imports import counts_line, detail_lines, max_archive_share


@click.command("sync")
@click.argument("sources_file", metavar="FICHIER_SOURCES", type=click.Path(path_type=Path))
@with_app
def sync_command(sources_file: Path) -> None:
    """Met à jour les partenaires depuis les sources listées dans FICHIER_SOURCES (TOML).

    Chaque source n'est téléchargée que si elle a changé (ETag, Last-Modified) ; une source
    inchangée coûte une requête. Chaque import a sa propre transaction : une source en
    échec (réseau, erreur HTTP, téléchargement tronqué) n'écrit rien et les autres
    continuent. Code de sortie 1 si une source a échoué. Voir docs/sync.md.
    """
    entries = load_sources(sources_file)
    ensure_schema()
    started = time.perf_counter()
    tally: Counter[str] = Counter()
    for entry in entries:
        outcome = _sync(entry)
        tally[outcome.status] += 1
        for line in _lines(entry, outcome):
            click.echo(line)
    click.echo(
        f"Synchronisation : {len(entries)} source(s), {tally['importé']} importée(s), "
        f"{tally['inchangé']} inchangée(s), {tally['échec']} en échec "
        f"({time.perf_counter() - started:.1f} s)."
    )
    if tally["échec"]:
        raise click.exceptions.Exit(1)


def _sync(entry: SourceEntry) -> SyncOutcome:
    source = entry.source
    if source is None:
        return SyncOutcome("échec", f"source ignorée : {entry.error}")
    token = None
    if source.token_env:
        token = named_secret(source.token_env)
        if token is None:
            return SyncOutcome(
                "échec",
                f"la variable d'environnement {source.token_env} (jeton d'API) est absente ou vide",
            )
    options = ImportOptions(
        max_archive_share=max_archive_share(),
        workers=min(2, os.cpu_count() or 1),
        after_write=store_inferred_freins,
    )
    with session_scope(current_app) as session:
        return sync_source(session, source, options, token)


def _lines(entry: SourceEntry, outcome: SyncOutcome) -> list[str]:
    if outcome.report is not None:
        url = entry.source.url if entry.source else ""
        return [
            f"{entry.name} : importé : {counts_line(outcome.report)}",
            *detail_lines(outcome.report, url),
        ]
    return [f"{entry.name} : {outcome.status} : {outcome.detail}"]
