"""The data version: a short fingerprint that moves with every import, edit or archive."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditLog, ImportRun, Partner


def data_version(session: Session) -> str:
    """A short fingerprint of the data: changes with every import, edit or archive."""
    # four index-only reads (one statement scanning partner rows took 240 ms at 200k)
    last_run = session.scalar(select(func.max(ImportRun.id))) or 0
    last_edit = session.scalar(select(func.max(AuditLog.id))) or 0
    count = session.scalar(select(func.count()).select_from(Partner))
    last_update = session.scalar(select(func.max(Partner.updated_at)))
    raw = f"{last_run}:{last_edit}:{count}:{last_update}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]
