"""The administration's home page: counts of partners, open reports, merges to review, and
freshness per département with the oldest records (the work list)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from .. import db
from ..campaigns import freshness
from ..models import CorrectionRequest, ImportRun, MergeDecision, Partner, utcnow
from .auth import current_scope, login_required
from .blueprint import bp


@bp.get("/")
@login_required
def dashboard():
    s = db.get_session()
    scope = current_scope()
    counts = dict(
        s.execute(
            scope.filter(select(Partner.status, func.count(Partner.id))).group_by(Partner.status)
        ).all()
    )
    open_reports = s.scalar(
        scope.filter(
            select(func.count(CorrectionRequest.id))
            .outerjoin(Partner, Partner.id == CorrectionRequest.partner_id)
            .where(CorrectionRequest.status == "ouverte"),
            func.coalesce(Partner.departement, CorrectionRequest.departement),
        )
    )
    merges_to_review = s.scalar(
        scope.filter(
            select(func.count(MergeDecision.id))
            .join(Partner, Partner.id == MergeDecision.partner_id)
            .where(MergeDecision.reviewed.is_(False))
        )
    )
    runs = s.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(5)).all()
    return render_template(
        "admin/dashboard.html",
        active=counts.get("active", 0),
        archived=sum(n for k, n in counts.items() if k != "active"),
        open_reports=open_reports or 0,
        merges_to_review=merges_to_review or 0,
        runs=runs,
        freshness=freshness.by_departement(s, scope, utcnow().date()),
        windows=freshness.WINDOWS,
        oldest=freshness.oldest(s, scope),
    )
