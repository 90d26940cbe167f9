"""Campaigns seen from the admin: each campaign's counts and the refused recipients (bounces),
within the admin's départements."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import case, func, select

from .. import db
from ..models import Campaign, CampaignMessage, Partner
from .auth import current_scope, login_required
from .blueprint import bp

BOUNCES_SHOWN = 200


@bp.get("/campagnes")
@login_required
def campaigns():
    s = db.get_session()
    scope = current_scope()
    counts = s.execute(
        scope.filter(
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
            .order_by(Campaign.id.desc())
        )
    ).all()
    bounces = s.execute(
        scope.filter(
            select(CampaignMessage, Partner)
            .join(Partner, Partner.id == CampaignMessage.partner_id)
            .where(CampaignMessage.error.is_not(None))
            .order_by(CampaignMessage.campaign_id.desc(), CampaignMessage.id)
            .limit(BOUNCES_SHOWN)
        )
    ).all()
    return render_template("admin/campaigns.html", counts=counts, bounces=bounces)
