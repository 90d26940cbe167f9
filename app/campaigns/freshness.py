"""Freshness as a number per territory: the share of active partners checked or updated by
their source in the last 12 and 24 months, the campaigns' answers, the oldest records.

"Checked or updated" is the date the API shows (``updated_at``: the later of the source's
date and the last check), so the dashboard and the reliability a CIP reads agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from ..models import CampaignMessage, Partner
from .sending import months_ago, oldest_first

if TYPE_CHECKING:  # the admin package imports this one (its dashboard)
    from ..admin.scope import Scope

WINDOWS = (12, 24)


@dataclass(frozen=True)
class DepartementFreshness:
    departement: str | None
    active: int
    recent: dict[int, int]  # months → partners checked or updated within them
    sent: int = 0
    answered: int = 0
    corrected: int = 0

    def share(self, months: int) -> float:
        return self.recent[months] / self.active if self.active else 0.0


def _fresh_since(cutoff: date):
    return or_(
        Partner.source_updated_at >= cutoff,
        Partner.verified_at >= datetime.combine(cutoff, datetime.min.time()),
    )


def by_departement(session: Session, scope: Scope, today: date) -> list[DepartementFreshness]:
    """One line per département of the scope that has active partners, in code order."""
    recent = [
        func.sum(case((_fresh_since(months_ago(today, m)), 1), else_=0)).label(f"m{m}")
        for m in WINDOWS
    ]
    rows = session.execute(
        scope.filter(
            select(Partner.departement, func.count(Partner.id), *recent)
            .where(Partner.status == "active")
            .group_by(Partner.departement)
        )
    ).all()
    campaigns = {
        dep: (sent or 0, answered or 0, corrected or 0)
        for dep, sent, answered, corrected in session.execute(
            scope.filter(
                select(
                    Partner.departement,
                    func.count(CampaignMessage.sent_at),
                    func.count(CampaignMessage.answered_at),
                    func.sum(case((CampaignMessage.answer == "corrige", 1), else_=0)),
                )
                .join(Partner, Partner.id == CampaignMessage.partner_id)
                .group_by(Partner.departement)
            )
        )
    }
    out = [
        DepartementFreshness(
            departement=dep,
            active=active,
            recent={m: int(row_recent or 0) for m, row_recent in zip(WINDOWS, counts, strict=True)},
            **dict(
                zip(("sent", "answered", "corrected"), campaigns.get(dep, (0, 0, 0)), strict=True)
            ),
        )
        for dep, active, *counts in rows
    ]
    return sorted(out, key=lambda line: (line.departement is None, line.departement or ""))


def oldest(
    session: Session, scope: Scope, limit: int = 20, departement: str | None = None
) -> list[Partner]:
    """The work list: active partners of the scope, oldest records first."""
    query = scope.filter(select(Partner).where(Partner.status == "active"))
    if departement:
        query = query.where(Partner.departement == departement)
    return list(session.scalars(oldest_first(query).limit(limit)))
