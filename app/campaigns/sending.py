"""Who a campaign asks, sending at a bounded rate, reminders and the bounce report.

The partners asked are the active ones with a published e-mail, not unsubscribed, oldest
records first (the freshest known date: source or check, as the API shows it). Each mail is
committed as it goes: a run cut short sends nothing twice when resumed.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from flask import current_app, url_for
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..models import Campaign, CampaignMessage, Partner, Unsubscribe, utcnow
from .letter import campaign_mail, sender
from .mailer import Mailer, MailSetupError, SmtpSettings
from .tokens import link_token

if TYPE_CHECKING:  # the admin package imports this one (its dashboard)
    from ..admin.scope import Scope

Sleep = Callable[[float], None]
Query = TypeVar("Query", bound=Select)


def _within(query: Query, scope: Scope | None) -> Query:
    """``query`` restricted to an admin's scope; every partner for the CLI (``None``)."""
    return query if scope is None else scope.filter(query)


def months_ago(today: date, months: int) -> date:
    """The same day ``months`` months earlier (the last day of a shorter month)."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    for day in range(today.day, 0, -1):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def older_than(cutoff: date):
    """Partners whose freshest known date (source or check) is before ``cutoff`` or unknown."""
    return and_(
        or_(Partner.source_updated_at.is_(None), Partner.source_updated_at < cutoff),
        or_(
            Partner.verified_at.is_(None),
            Partner.verified_at < datetime.combine(cutoff, datetime.min.time()),
        ),
    )


def oldest_first(query):
    """Never-checked records first, by source date (unknown first), then the checked ones."""
    return query.order_by(
        Partner.verified_at.is_not(None),
        Partner.source_updated_at.asc().nulls_first(),
        Partner.verified_at.asc(),
        Partner.id,
    )


def recipients(
    session: Session,
    *,
    departement: str | None = None,
    older_than_months: int | None = None,
    limit: int | None = None,
    today: date | None = None,
) -> list[Partner]:
    """The partners a new campaign would write to, oldest records first; an unsubscribed
    address is compared as it is mailed (:func:`mail_address`), whatever the field holds."""
    query = select(Partner).where(Partner.status == "active", Partner.email.contains("@"))
    if departement:
        query = query.where(Partner.departement == departement)
    if older_than_months is not None:
        cutoff = months_ago(today or utcnow().date(), older_than_months)
        query = query.where(older_than(cutoff))
    unsubscribed = set(session.scalars(select(Unsubscribe.email)))
    found = (p for p in session.scalars(oldest_first(query)) if mail_address(p) not in unsubscribed)
    return list(itertools.islice(found, limit))


def mail_address(partner: Partner) -> str:
    """The partner's first published address (some sources list several)."""
    for piece in partner.email.replace(";", ",").replace(" ", ",").split(","):
        if "@" in piece:
            return piece.strip().lower()[:200]
    return partner.email.strip().lower()[:200]


def create(
    session: Session,
    partners: Iterable[Partner],
    *,
    departement: str | None,
    older_than_months: int | None,
) -> Campaign:
    campaign = Campaign(departement=departement, older_than_months=older_than_months)
    session.add(campaign)
    session.flush()
    for partner in partners:
        session.add(
            CampaignMessage(
                campaign_id=campaign.id, partner_id=partner.id, email=mail_address(partner)
            )
        )
    session.flush()
    return campaign


def public_url() -> str:
    url = (current_app.config.get("RELAIS_PUBLIC_URL") or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise MailSetupError(
            "RELAIS_PUBLIC_URL n'est pas défini : les liens des courriels ont besoin de "
            "l'adresse publique de Relais, par exemple RELAIS_PUBLIC_URL=https://relais.example.org."
        )
    return url


def smtp_settings() -> SmtpSettings:
    return SmtpSettings.from_url((current_app.config.get("RELAIS_SMTP_URL") or "").strip())


def links(message: CampaignMessage) -> tuple[str, str]:
    """The page link and the unsubscribe link of ``message`` (absolute, on the public URL,
    built from the routes outside any request: the CLI sends)."""
    token = link_token(message.id)
    with current_app.test_request_context(base_url=public_url()):
        return (
            url_for("pages.campaign_record", token=token, _external=True),
            url_for("pages.campaign_unsubscribe", token=token, _external=True),
        )


@dataclass
class SendReport:
    """What a run did: mails accepted, and the refusals per recipient (the bounces)."""

    sent: int = 0
    refused: list[CampaignMessage] = field(default_factory=list)


def deliver(
    session: Session,
    mailer: Mailer,
    messages: Iterable[CampaignMessage],
    *,
    reminder: bool = False,
    sleep: Sleep = time.sleep,
) -> SendReport:
    """Mail each message, at most ``CAMPAIGN_MAILS_PER_MINUTE``, committing after each."""
    mail_from = sender(current_app.config.get("RELAIS_MAIL_FROM") or "", public_url())
    pause = 60.0 / max(1, int(current_app.config["CAMPAIGN_MAILS_PER_MINUTE"]))
    report = SendReport()
    for index, message in enumerate(messages):
        if index:
            sleep(pause)
        partner = session.get(Partner, message.partner_id)
        link, unsubscribe = links(message)
        mail = campaign_mail(
            partner,
            message.email,
            link=link,
            unsubscribe_link=unsubscribe,
            mail_from=mail_from,
            reminder=reminder,
        )
        refusal = mailer.send(mail)
        now = utcnow()
        if refusal:
            message.error = refusal
            report.refused.append(message)
        elif reminder:
            message.reminded_at = now
            message.reminders += 1
            report.sent += 1
        else:
            message.sent_at = now
            report.sent += 1
        session.commit()
    return report


def due_reminders(
    session: Session, after_days: int, now: datetime | None = None
) -> list[CampaignMessage]:
    """Delivered, unanswered messages last mailed ``after_days`` ago or more, to partners
    still active and addresses not unsubscribed."""
    cutoff = (now or utcnow()) - timedelta(days=after_days)
    last_mailed = func.coalesce(CampaignMessage.reminded_at, CampaignMessage.sent_at)
    return list(
        session.scalars(
            select(CampaignMessage)
            .join(Partner, Partner.id == CampaignMessage.partner_id)
            .where(
                CampaignMessage.sent_at.is_not(None),
                CampaignMessage.error.is_(None),
                CampaignMessage.answered_at.is_(None),
                last_mailed <= cutoff,
                Partner.status == "active",
                CampaignMessage.email.not_in(select(Unsubscribe.email)),
            )
            .order_by(CampaignMessage.id)
        )
    )


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    partners: int
    sent: int
    refused: int
    answered: int
    corrected: int


def summaries(session: Session, scope: Scope | None = None) -> list[CampaignSummary]:
    """Each campaign's counts over the partners of ``scope``, newest first."""
    rows = session.execute(
        _within(
            select(
                Campaign,
                func.count(CampaignMessage.id),
                func.count(CampaignMessage.sent_at),
                func.count(CampaignMessage.error),
                func.count(CampaignMessage.answered_at),
                func.sum(case((CampaignMessage.answer == "corrige", 1), else_=0)),
            )
            .join(CampaignMessage, CampaignMessage.campaign_id == Campaign.id)
            .join(Partner, Partner.id == CampaignMessage.partner_id)
            .group_by(Campaign.id)
            .order_by(Campaign.id.desc()),
            scope,
        )
    )
    return [
        CampaignSummary(campaign, total, sent, refused, answered, corrected or 0)
        for campaign, total, sent, refused, answered, corrected in rows
    ]


def bounces(
    session: Session, scope: Scope | None = None, limit: int | None = None
) -> list[tuple[CampaignMessage, Partner]]:
    """Refused recipients of the partners of ``scope``, newest campaign first."""
    query = _within(
        select(CampaignMessage, Partner)
        .join(Partner, Partner.id == CampaignMessage.partner_id)
        .where(CampaignMessage.error.is_not(None))
        .order_by(CampaignMessage.campaign_id.desc(), CampaignMessage.id),
        scope,
    )
    if limit is not None:
        query = query.limit(limit)
    return [(message, partner) for message, partner in session.execute(query)]
