"""The audit log of every admin change (global admins only)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from .. import db
from ..models import AuditLog
from .auth import global_required
from .blueprint import bp, user_emails


@bp.get("/journal")
@global_required
def journal():
    rows = db.get_session().scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(300)).all()
    return render_template(
        "admin/journal.html", rows=rows, users=user_emails(r.user_id for r in rows)
    )
