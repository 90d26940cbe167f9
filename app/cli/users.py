"""``relais user …``: administrator accounts (the only way to create the first one)."""

from __future__ import annotations

import re
import sys

import click
from flask import current_app
from sqlalchemy import select

from .. import db
from ..admin.auth import MIN_PASSWORD, ROLES, change_password, hash_password, normalize_email
from ..models import User
from .context import ensure_schema, with_app

user_cli = click.Group("user", help="Gère les comptes d'administration.")
DEPARTEMENT = re.compile(r"^(\d{2}|2A|2B|97\d)$")


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(
            f"Mot de passe trop court : {MIN_PASSWORD} caractères au minimum."
        )
    if len(password) > 1000:
        raise click.ClickException("Mot de passe trop long (1000 caractères au maximum).")
    return password


def _read_password(from_stdin: bool, prompt: str) -> str:
    """The first line of standard input, or typed twice at a hidden prompt; then checked."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            prompt, hide_input=True, confirmation_prompt="Confirmez le mot de passe"
        )
    return _check_password(password)


@user_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="admin",
    show_default=True,
    help="global : tous les partenaires ; admin : ceux de ses départements.",
)
@click.option(
    "--departement",
    "departements",
    multiple=True,
    metavar="CODE",
    help="Département géré (répétable), ex. --departement 60 --departement 02.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Lit le mot de passe sur l'entrée standard (première ligne) au lieu de le demander.",
)
@with_app
def create_user(email: str, role: str, departements: tuple[str, ...], password_stdin: bool) -> None:
    """Crée un compte d'administration EMAIL."""
    email = normalize_email(email)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise click.ClickException(f"Adresse électronique invalide : {email!r}.")
    deps = [d.strip().upper() for d in departements if d.strip()]
    bad = [d for d in deps if not DEPARTEMENT.match(d)]
    if bad:
        raise click.ClickException(f"Code de département invalide : {', '.join(bad)}.")
    if role == "admin" and not deps:
        raise click.ClickException(
            "Un administrateur départemental a besoin d'au moins un --departement "
            "(ou utilisez --role global)."
        )
    password = _read_password(password_stdin, "Mot de passe")
    ensure_schema()
    with db.session_scope(current_app._get_current_object()) as session:
        if session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"Un compte existe déjà pour {email}.")
        session.add(
            User(
                email=email,
                password_hash=hash_password(password),
                role=role,
                departements=list(dict.fromkeys(deps)),
            )
        )
    scope = "tous les départements" if role == "global" else "départements " + ", ".join(deps)
    click.echo(f"Compte créé : {email} ({role}, {scope}).")


@user_cli.command("list")
@with_app
def list_users() -> None:
    """Liste les comptes d'administration."""
    ensure_schema()
    with db.session_scope(current_app._get_current_object()) as session:
        users = session.scalars(select(User).order_by(User.email)).all()
        if not users:
            click.echo("Aucun compte. Créez-en un avec : relais user create EMAIL --role global")
        for u in users:
            deps = ", ".join(u.departements or []) or "-"
            click.echo(f"{u.email}\t{u.role}\t{deps}")


@user_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Lit le mot de passe sur l'entrée standard.")
@with_app
def set_password(email: str, password_stdin: bool) -> None:
    """Change le mot de passe du compte EMAIL."""
    email = normalize_email(email)
    password = _read_password(password_stdin, "Nouveau mot de passe")
    ensure_schema()
    with db.session_scope(current_app._get_current_object()) as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            raise click.ClickException(f"Aucun compte pour {email}.")
        change_password(user, password)
    click.echo(f"Mot de passe modifié pour {email} ; ses sessions ouvertes sont fermées.")
