"""Inferred freins stored in the database: guessed for partners whose source and type give none.

Called after an import and by ``relais reindex``; never while serving.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, func, select, update
from sqlalchemy.orm import Session

from recommender.records import PartnerRecord
from recommender.taxonomy import default_taxonomy

from .index.records import json_as_text, json_codes
from .models import Partner, utcnow


def store_inferred_freins(session: Session, *, changed_since: datetime | None = None) -> int:
    """Guess the freins of partners whose source and type give none, and store them as inferred.

    With ``changed_since`` (after an import) only partners created or updated since are
    guessed; without (``relais reindex``), all. The database selects what is read: those
    partners, and the candidates of the bounded training sample
    (:func:`recommender.infer.training_examples`); the model is reused while that sample
    stays the same. Returns how many partners changed (one executemany UPDATE).
    """
    # here, not at the top: serving never guesses, and scikit-learn costs a worker 1 s to load
    from recommender.infer import PER_TYPE, infer_missing_freins, is_generic, is_generic_type

    session.flush()
    taxonomy = default_taxonomy()
    generic = [code for code in taxonomy.partner_types if is_generic_type(code, taxonomy)]
    columns = json_as_text(
        (
            Partner.id,
            Partner.nom,
            Partner.type_code,
            Partner.description,
            Partner.status,
            Partner.freins,
            Partner.freins_inferred,
        )
    )

    def records(query: Any) -> list[PartnerRecord]:
        return [
            PartnerRecord(
                id=row.id,
                nom=row.nom,
                type_code=row.type_code,
                description=row.description or "",
                status=row.status,
                freins=json_codes(row.freins),
                freins_inferred=json_codes(row.freins_inferred),
            )
            for row in session.execute(query)
        ]

    # Generic partners (to guess) and partners with guesses (to clear if no longer generic).
    scope = select(*columns).where(
        Partner.type_code.in_(generic)
        | Partner.type_code.not_in(list(taxonomy.partner_types))
        | (Partner.freins_inferred.cast(String) != "[]")
    )
    if changed_since is not None:
        scope = scope.where(Partner.updated_at >= changed_since)
    scoped = records(scope)
    targets = [r for r in scoped if not r.freins and is_generic(r, taxonomy)]
    guesses: dict[str, tuple[str, ...]] = {}
    if targets:
        rank = func.row_number().over(partition_by=Partner.type_code, order_by=Partner.id)
        candidates = (
            select(*columns, rank.label("rank"))
            .where(
                Partner.status == "active",
                Partner.type_code.in_(list(taxonomy.partner_types)),
                Partner.type_code.not_in(generic),
                Partner.freins.cast(String) != "[]",
            )
            .subquery()
        )
        examples = records(select(candidates).where(candidates.c.rank <= PER_TYPE))
        guesses = infer_missing_freins(examples, taxonomy, targets=targets)
    now = utcnow()  # updated_at moves the data version: workers reload
    changes = [
        {"id": r.id, "freins_inferred": list(guesses.get(r.id, ())), "updated_at": now}
        for r in scoped
        if guesses.get(r.id, ()) != r.freins_inferred
    ]
    if changes:
        session.execute(update(Partner), changes)  # bulk UPDATE by primary key
    return len(changes)
