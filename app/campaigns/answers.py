"""What a partner's personal link does: confirm the record, propose corrections, unsubscribe.

No account: the signed link is the partner's credential (``tokens``). A confirmation marks the
record verified today; a correction only enters the admin's review queue; either answers the
campaign message. Audit rows have no user (the partner acted, through its link).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from recommender.errors import NotFound

from ..models import AuditLog, CampaignMessage, CorrectionRequest, Partner, Unsubscribe, utcnow
from .tokens import message_id_of

CONFIRMED, CORRECTED = "confirme", "corrige"


def message_of(session: Session, token: str) -> tuple[CampaignMessage, Partner]:
    """The message and partner a link names (the partner may have been archived since)."""
    message = session.get(CampaignMessage, message_id_of(token))
    partner = session.get(Partner, message.partner_id) if message else None
    if message is None or partner is None:
        raise NotFound("Cette fiche n'existe plus dans Relais.")
    return message, partner


def _answered(message: CampaignMessage, answer: str) -> None:
    message.answered_at = utcnow()
    # a correction is the stronger answer: a later confirmation does not hide it
    if message.answer != CORRECTED:
        message.answer = answer


def confirm(session: Session, message: CampaignMessage, partner: Partner) -> None:
    changes = partner.mark_verified()
    changes["campagne"] = [None, str(message.campaign_id)]
    session.add(AuditLog(action="partner.confirm", target=partner.id, changes=changes))
    _answered(message, CONFIRMED)
    session.commit()


def propose_correction(
    session: Session,
    message: CampaignMessage,
    partner: Partner,
    changes: dict[str, Any],
    note: str,
) -> CorrectionRequest:
    item = CorrectionRequest(
        kind="correction",
        partner_id=partner.id,
        message=note,
        contact=message.email,
        changes=changes,
        departement=partner.departement,
        campaign_message_id=message.id,
    )
    session.add(item)
    _answered(message, CORRECTED)
    session.commit()
    return item


def unsubscribe(session: Session, message: CampaignMessage) -> None:
    if session.get(Unsubscribe, message.email) is None:
        session.add(Unsubscribe(email=message.email, partner_id=message.partner_id))
        session.add(
            AuditLog(
                action="campaign.unsubscribe",
                target=message.partner_id,
                changes={"campagne": [None, str(message.campaign_id)]},
            )
        )
    session.commit()
