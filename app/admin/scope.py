"""The territorial scope of an admin: the one rule for every read and write of the admin.

A global admin's scope is everything; a departemental admin's, the partners of their
départements (a partner without département belongs to no departemental admin).
Reports, edit history and merges are scoped through the partner they are about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from ..models import Partner, User

Query = TypeVar("Query", bound=Select)


@dataclass(frozen=True)
class Scope:
    """``departements`` None means every partner (global admin)."""

    departements: frozenset[str] | None

    @classmethod
    def for_user(cls, user: User | None) -> Scope:
        if user is None:
            return cls(frozenset())
        if user.role == "global":
            return cls(None)
        return cls(frozenset(user.departements or ()))

    @property
    def is_global(self) -> bool:
        return self.departements is None

    def label(self) -> str:
        """The user's départements for a French message, e.g. `` (60, 02)``."""
        return f" ({', '.join(sorted(self.departements))})" if self.departements else ""

    def allows_departement(self, departement: str | None) -> bool:
        if self.departements is None:
            return True
        return bool(departement) and departement in self.departements

    def allows(self, partner: Partner) -> bool:
        return self.allows_departement(partner.departement)

    def filter(self, query: Query, departement: ColumnElement[str | None] | None = None) -> Query:
        """``query`` (which selects or joins :class:`Partner`) restricted to the scope; or
        restricted on another ``departement`` column (a proposal without partner yet)."""
        if self.departements is None:
            return query
        if not self.departements:
            return query.where(false())
        column = Partner.departement if departement is None else departement
        return query.where(column.in_(sorted(self.departements)))

    def partner_ids(self, session: Session, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are partners in the scope (for reports that hold only ids)."""
        wanted = {i for i in ids if i}
        if not wanted:
            return set()
        return set(session.scalars(self.filter(select(Partner.id).where(Partner.id.in_(wanted)))))
