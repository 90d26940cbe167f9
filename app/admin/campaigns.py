"""Campaigns seen from the admin: each campaign's counts and the refused recipients (bounces),
within the admin's départements."""

from __future__ import annotations

from flask import render_template

from .. import db
from ..campaigns import sending
from .auth import current_scope, login_required
from .blueprint import bp

BOUNCES_SHOWN = 200


@bp.get("/campagnes")
@login_required
def campaigns():
    s = db.get_session()
    scope = current_scope()
    return render_template(
        "admin/campaigns.html",
        summaries=sending.summaries(s, scope),
        bounces=sending.bounces(s, scope, BOUNCES_SHOWN),
    )
