"""Undo a merge: the record an import attached to an existing partner gets its own partner.

The rule, kept by the importer as it is: a source record is matched to a partner once, at
its first import; later imports find it by ``(source, source_id)`` and update it where it
is. Undoing a merge therefore moves the record's ``PartnerSource`` to a new partner composed
from the fields it stored, recomposes the partner it leaves from its remaining records
(fields an admin edited stay as they are), and marks the decision undone. A re-import then
updates the new partner and never merges the record again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.errors import RelaisError

from ..models import MergeDecision, Partner, PartnerSource, utcnow
from .compose import compose
from .plan import partner_id_for
from .store import locked_fields


class UnmergeImpossible(RelaisError):
    """The merge cannot be undone (French message for the admin)."""

    status = 409
    code = "fusion_non_annulable"


def _fields(source_row: PartnerSource) -> dict[str, Any] | None:
    raw = source_row.raw if isinstance(source_row.raw, dict) else {}
    fields = raw.get("fields")
    return fields if isinstance(fields, dict) and fields.get("nom") else None


def undo_merge(session: Session, decision: MergeDecision, taxonomy: Any = None) -> Partner:
    """Split the decision's record back into a partner of its own; returns that partner.

    Raises :class:`UnmergeImpossible` when the decision was already undone, when the record
    is no longer attached to that partner, or when it kept no fields to rebuild a partner.
    """
    if decision.undone_at is not None:
        raise UnmergeImpossible("Cette fusion a déjà été annulée.")
    row = session.scalar(
        select(PartnerSource).where(
            PartnerSource.source == decision.source,
            PartnerSource.source_id == decision.source_id,
            PartnerSource.partner_id == decision.partner_id,
        )
    )
    if row is None:
        raise UnmergeImpossible("Cet enregistrement n'est plus rattaché à ce partenaire.")
    fields = _fields(row)
    if fields is None:
        raise UnmergeImpossible(
            "Cet enregistrement n'a pas gardé ses informations d'origine : séparez-le à la main."
        )
    if taxonomy is None:
        from recommender.taxonomy import default_taxonomy

        taxonomy = default_taxonomy()
    now = utcnow()
    taken = set(session.scalars(select(Partner.id)))
    new = Partner(
        id=partner_id_for(decision.source, decision.source_id, taken),
        **compose([fields], taxonomy),
        freins_inferred=[],
        synthetic=False,
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    row.partner_id = new.id

    old = session.get(Partner, decision.partner_id)
    remaining = session.scalars(
        select(PartnerSource).where(
            PartnerSource.partner_id == decision.partner_id,
            PartnerSource.archived.is_(False),
        )
    ).all()
    records = [f for f in map(_fields, remaining) if f is not None]
    if old is not None and records and len(records) == len(remaining):
        # Only when every remaining record kept its fields: otherwise the partner's own
        # columns are the only trace of the others, and are left as they are.
        columns = compose(records, taxonomy)
        for key in locked_fields(session, {old.id}).get(old.id, ()):
            columns.pop(key, None)
        for key, value in columns.items():
            setattr(old, key, value)
        old.updated_at = now
    decision.undone_at = now
    decision.undone_partner_id = new.id
    decision.reviewed = True
    return new
