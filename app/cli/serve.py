"""``relais serve`` and ``relais demo``: the app behind waitress, the demo data loaded first."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import click
from flask import current_app

from .. import db
from .context import ensure_schema, with_app
from .errors import listen_message
from .imports import import_paths

SHIPPED_PARTNERS = Path(__file__).resolve().parents[2] / "data" / "partners"


def check_address(host: str, port: int) -> None:
    """Fail now, in French, if ``host:port`` cannot be listened on (before minutes of loading)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        raise click.ClickException(listen_message(exc, host, port)) from None


def _serve(host: str, port: int, threads: int) -> None:
    from ..server import create_server

    logging.basicConfig()  # as waitress.serve does: warnings and errors to stderr
    click.echo(f"Relais sur http://{host}:{port}/ (Ctrl+C pour arrêter)")
    try:
        create_server(current_app._get_current_object(), host, port, threads).run()
    except OSError as exc:  # taken between the check and now
        raise click.ClickException(listen_message(exc, host, port)) from None


HOST = click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
PORT = click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port d'écoute."
)
THREADS = click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requêtes servies en parallèle.",
)


@click.command("serve")
@HOST
@PORT
@THREADS
@with_app
def serve_command(host: str, port: int, threads: int) -> None:
    """Sert l'application avec waitress (serveur WSGI de production).

    Crée ou met à jour le schéma de la base au besoin.
    """
    check_address(host, port)
    ensure_schema()
    _serve(host, port, threads)


@click.command("demo")
@click.argument(
    "paths", nargs=-1, metavar="[CHEMIN]...", type=click.Path(exists=True, path_type=Path)
)
@click.option("--no-serve", is_flag=True, help="Charger les données sans lancer le serveur.")
@HOST
@PORT
@THREADS
@with_app
def demo_command(paths: tuple[Path, ...], no_serve: bool, host: str, port: int, threads: int):
    """Prépare tout et sert l'application : schéma, données livrées, fichiers donnés, index.

    CHEMIN : fichiers ou dossiers de partenaires à importer en plus des mairies livrées.
    """
    from ..index.holder import reindex

    if not no_serve:
        check_address(host, port)
    started = time.perf_counter()
    ensure_schema()
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
