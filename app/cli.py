"""The ``relais`` command: every subcommand works on the database named by ``DATABASE_URL``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import db


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Crée ou met à jour le schéma de la base de données."""
    db.upgrade(current_app.extensions["relais.engine"])
    click.echo("Base de données à jour.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve_command(host: str, port: int, threads: int) -> None:
    """Sert l'application avec waitress (serveur WSGI de production)."""
    from waitress import serve

    click.echo(f"Relais sur http://{host}:{port}/")
    serve(current_app._get_current_object(), host=host, port=port, threads=threads)


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(serve_command)


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="Relais : annuaire des partenaires de l'insertion.")()
