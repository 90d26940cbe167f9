"""The ``relais`` command: every subcommand works on the database named by ``DATABASE_URL``."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import cli_fr, db

# Click in French before the commands below are declared (their types name themselves then).
cli_fr.install()

SHIPPED_PARTNERS = Path(__file__).resolve().parents[1] / "data" / "partners"


def _engine():
    return current_app.extensions["relais.engine"]


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Crée ou met à jour le schéma de la base de données."""
    db.upgrade(_engine())
    click.echo("Base de données à jour.")


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Déduit les freins manquants et reconstruit les index de recherche et de recommandation."""
    from .engine import reindex

    with db.session_scope() as session:
        state = reindex(session)
    click.echo(f"Index reconstruits en {state.built_in_s:.1f} s (version {state.version}).")


def _serve(host: str, port: int, threads: int) -> None:
    from .server import create_server

    logging.basicConfig()  # as waitress.serve does: warnings and errors to stderr
    click.echo(f"Relais sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    create_server(current_app._get_current_object(), host, port, threads).run()


HOST = click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
PORT = click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
THREADS = click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))


@click.command("serve")
@HOST
@PORT
@THREADS
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """Sert l'application avec waitress (serveur WSGI de production)."""
    _serve(host, port, threads)


@click.command("demo")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--no-serve", is_flag=True, help="Charger les données sans lancer le serveur.")
@HOST
@PORT
@THREADS
@with_appcontext
def demo_command(paths: tuple[Path, ...], no_serve: bool, host: str, port: int, threads: int):
    """Prépare tout et sert l'application : schéma, données livrées, fichiers donnés, index.

    PATHS : fichiers ou dossiers de partenaires à importer en plus des mairies livrées.
    """
    from .engine import reindex
    from .importers import import_paths

    started = time.perf_counter()
    db.upgrade(_engine())
    files = [SHIPPED_PARTNERS / "mairies.csv.gz", *paths]
    failures = import_paths(files, echo=click.echo)
    with db.session_scope() as session:
        state = reindex(session)
    click.echo(
        f"Données prêtes en {time.perf_counter() - started:.0f} s "
        f"(index construits en {state.built_in_s:.1f} s)."
    )
    if failures:
        click.echo(f"Attention : {failures} fichier(s) n'ont pas pu être importés.", err=True)
    if not no_serve:
        _serve(host, port, threads)


def init_app(app: Flask) -> None:
    from .bench import bench_group
    from .importers.commands import import_command

    commands = (init_db_command, import_command, reindex_command, serve_command, demo_command)
    for command in (*commands, bench_group):
        app.cli.add_command(command)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="Relais : annuaire des partenaires de l'insertion.")()
