"""``relais campaign …``: ask partners to confirm or correct their record, by e-mail.

``send`` writes to the active partners that publish an e-mail (oldest records first),
``remind`` writes again to those who did not answer, ``report`` prints the answers and the
addresses the mail server refused. SMTP from ``RELAIS_SMTP_URL``, links on
``RELAIS_PUBLIC_URL``: without them the command says so and sends nothing.
"""

from __future__ import annotations

import click
from flask import current_app

from ..campaigns import sending
from ..campaigns.mailer import Mailer
from ..db import session_scope
from ..models import Partner
from .context import ensure_schema, with_app
from .users import DEPARTEMENT

campaign_cli = click.Group(
    "campaign",
    help="Campagnes de mise à jour : les partenaires confirment ou corrigent leur fiche.",
)
DRY_RUN_SHOWN = 20


def _refusals(report: sending.SendReport, session) -> None:
    if not report.refused:
        return
    click.echo(f"Adresses refusées par le serveur d'envoi ({len(report.refused)}) :")
    for message in report.refused:
        partner = session.get(Partner, message.partner_id)
        click.echo(f"  - {partner.nom} ({partner.id}) <{message.email}> : {message.error}")


def _departement(value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    if not DEPARTEMENT.match(code):
        raise click.BadParameter(f"code de département invalide : {value!r}.")
    return code


@campaign_cli.command("send")
@click.option("--departement", metavar="CODE", help="Seulement les partenaires de ce département.")
@click.option(
    "--older-than-months",
    type=click.IntRange(0, 600),
    metavar="N",
    help="Seulement les fiches ni vérifiées ni mises à jour depuis N mois.",
)
@click.option("--limit", type=click.IntRange(1), metavar="N", help="Au plus N partenaires.")
@click.option("--dry-run", is_flag=True, help="Affiche qui recevrait un courriel, sans envoyer.")
@with_app
def send_command(
    departement: str | None, older_than_months: int | None, limit: int | None, dry_run: bool
) -> None:
    """Écrit à chaque partenaire actif qui publie une adresse électronique."""
    departement = _departement(departement)
    ensure_schema()
    app = current_app._get_current_object()
    with session_scope(app) as session:
        partners = sending.recipients(
            session, departement=departement, older_than_months=older_than_months, limit=limit
        )
        if dry_run:
            click.echo(f"Simulation : {len(partners)} partenaire(s) recevraient un courriel.")
            for partner in partners[:DRY_RUN_SHOWN]:
                click.echo(f"  - {partner.nom} ({partner.departement or '?'}) <{partner.email}>")
            if len(partners) > DRY_RUN_SHOWN:
                click.echo(f"  … et {len(partners) - DRY_RUN_SHOWN} autre(s).")
            click.echo("Rien n'a été envoyé ni enregistré.")
            return
        if not partners:
            click.echo("Aucun partenaire à qui écrire : aucune campagne créée.")
            return
        sending.public_url()  # both settings checked before anything is recorded
        with Mailer(sending.smtp_settings()) as mailer:
            campaign = sending.create(
                session, partners, departement=departement, older_than_months=older_than_months
            )
            session.commit()
            click.echo(f"Campagne n° {campaign.id} : {len(partners)} partenaire(s) à écrire.")
            report = sending.deliver(session, mailer, list(campaign.messages))
        click.echo(f"{report.sent} courriel(s) envoyé(s), {len(report.refused)} refusé(s).")
        _refusals(report, session)


@campaign_cli.command("remind")
@click.option(
    "--after-days",
    type=click.IntRange(1, 365),
    required=True,
    metavar="N",
    help="Relance les partenaires sans réponse N jours après le dernier courriel.",
)
@click.option("--dry-run", is_flag=True, help="Affiche le nombre de relances, sans envoyer.")
@with_app
def remind_command(after_days: int, dry_run: bool) -> None:
    """Relance les partenaires qui n'ont ni confirmé ni corrigé leur fiche."""
    ensure_schema()
    with session_scope(current_app._get_current_object()) as session:
        due = sending.due_reminders(session, after_days)
        if dry_run or not due:
            click.echo(
                f"{len(due)} relance(s) à envoyer." + (" Rien n'a été envoyé." if due else "")
            )
            return
        sending.public_url()
        with Mailer(sending.smtp_settings()) as mailer:
            report = sending.deliver(session, mailer, due, reminder=True)
        click.echo(f"{report.sent} relance(s) envoyée(s), {len(report.refused)} refusée(s).")
        _refusals(report, session)


@campaign_cli.command("report")
@with_app
def report_command() -> None:
    """Affiche chaque campagne (envois, réponses, corrections) et les adresses refusées."""
    ensure_schema()
    with session_scope(current_app._get_current_object()) as session:
        lines = sending.summaries(session)
        if not lines:
            click.echo("Aucune campagne.")
            return
        for line in reversed(lines):
            click.echo(
                f"Campagne n° {line.campaign.id} du {line.campaign.created_at:%d/%m/%Y} "
                f"({line.campaign.departement or 'tous départements'}) : {line.sent} envoyé(s), "
                f"{line.refused} refusé(s), {line.answered} réponse(s) dont "
                f"{line.corrected} correction(s)."
            )
        bounces = sending.bounces(session)
        if bounces:
            click.echo(f"Adresses refusées par le serveur d'envoi ({len(bounces)}) :")
            for message, partner in bounces:
                click.echo(
                    f"  - campagne n° {message.campaign_id} : {partner.nom} ({partner.id}) "
                    f"<{message.email}> : {message.error}"
                )
