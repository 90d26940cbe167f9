"""The campaign mail, in French plain text, with the partner's record as Relais shows it."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from recommender.taxonomy import default_taxonomy

from ..models import Partner

DESCRIPTION_MAX = 600


def record_lines(partner: Partner) -> list[tuple[str, str]]:
    """``(label, value)`` of the fields a partner can check, as the mail and the page list
    them (empty values say so: a missing phone is worth correcting too)."""
    commune = " ".join(x for x in (partner.code_postal, partner.commune_nom) if x)
    description = partner.description or ""
    if len(description) > DESCRIPTION_MAX:
        description = description[:DESCRIPTION_MAX].rsplit(" ", 1)[0] + "…"
    values = (
        ("Nom", partner.nom),
        ("Type de structure", default_taxonomy().partner_type(partner.type_code).label),
        ("Adresse", ", ".join(x for x in (partner.adresse, partner.complement_adresse) if x)),
        ("Commune", commune),
        ("Téléphone", partner.telephone),
        ("Courriel", partner.email),
        ("Site web", partner.site_web),
        ("Horaires", partner.horaires),
        ("Présentation", description),
    )
    return [(label, value or "non renseigné") for label, value in values]


def sender(mail_from: str, public_url: str) -> str:
    return mail_from or f"relais@{urlsplit(public_url).hostname or 'localhost'}"


def campaign_mail(
    partner: Partner,
    to: str,
    *,
    link: str,
    unsubscribe_link: str,
    mail_from: str,
    reminder: bool = False,
) -> EmailMessage:
    """The mail asking ``partner`` to confirm or correct its record through ``link``."""
    message = EmailMessage()
    subject = f"Votre fiche « {partner.nom} » sur Relais est-elle à jour ?"
    message["Subject"] = f"Rappel : {subject}" if reminder else subject
    message["From"] = mail_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or None)
    message["List-Unsubscribe"] = f"<{unsubscribe_link}>"
    message["Auto-Submitted"] = "auto-generated"
    record = "\n".join(f"  {label} : {value}" for label, value in record_lines(partner))
    intro = (
        "Nous vous avons écrit il y a quelques jours sans recevoir de réponse : "
        if reminder
        else ""
    )
    message.set_content(
        f"""Bonjour,

{intro}Relais est l'annuaire public des partenaires de l'insertion utilisé par les
conseillers et conseillères en insertion professionnelle pour orienter les personnes
qu'ils accompagnent. Votre structure y figure ainsi :

{record}

Ces informations sont-elles exactes ? Un clic suffit pour le confirmer, ou pour nous
indiquer les corrections (elles seront vérifiées avant publication) :

  {link}

Ce lien est personnel : ne le transférez pas. Aucun compte n'est nécessaire.

Pour ne plus recevoir ces messages :
  {unsubscribe_link}

L'équipe Relais
""",
        cte="quoted-printable",
    )
    return message
