"""Partners read from the database as engine records, in one query over plain columns."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, select, type_coerce
from sqlalchemy.orm import Session

from recommender.hours import day_bits
from recommender.records import PartnerRecord
from recommender.services import reasons_by_frein

from ..models import Partner

_RECORD_COLUMNS = (
    Partner.id,
    Partner.nom,
    Partner.type_code,
    Partner.lat,
    Partner.lon,
    Partner.coords_exact,
    Partner.code_insee,
    Partner.departement,
    Partner.region,
    Partner.freins,
    Partner.freins_inferred,
    Partner.publics,
    Partner.age_min,
    Partner.age_max,
    Partner.zone_kind,
    Partner.zone_codes,
    Partner.zone_radius_km,
    Partner.source_updated_at,
    Partner.verified_at,
    Partner.status,
    Partner.description,
    Partner.horaires_structures,
    Partner.services,
)


def freshness(source_updated_at: date | None, verified_at: datetime | None) -> date | None:
    """The date the partner's information was last known to be right."""
    verified = verified_at.date() if verified_at else None
    dates = [d for d in (source_updated_at, verified) if d]
    return max(dates) if dates else None


@functools.lru_cache(maxsize=4096)
def _decode_codes(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw))


def json_codes(raw: str | list[str] | None) -> tuple[str, ...]:
    """A JSON list column: text on SQLite (decoded once per distinct value), a list on
    PostgreSQL (psycopg decodes json itself)."""
    if not raw:
        return ()
    return _decode_codes(raw) if isinstance(raw, str) else tuple(raw)


def json_as_text(columns: Iterable[Any]) -> list[Any]:
    """``columns`` to select, the JSON lists read as text (decode them with ``json_codes``)."""
    return [type_coerce(c, String).label(c.key) if isinstance(c.type, JSON) else c for c in columns]


@functools.lru_cache(maxsize=4096)
def _open_days_of(raw: str) -> int:
    return day_bits(json.loads(raw))


def _open_days(raw: str | dict[str, Any] | None) -> int:
    """The weekdays of a partner's structured hours (text on SQLite, decoded once per
    distinct week; a dict on PostgreSQL)."""
    if not raw:
        return 0
    return _open_days_of(raw) if isinstance(raw, str) else day_bits(raw)


def _service_reasons(raw: str | list[Any] | None) -> tuple[tuple[str, str], ...]:
    if not raw or raw == "null":
        return ()
    return reasons_by_frein(json.loads(raw) if isinstance(raw, str) else raw)


def records_from_session(session: Session) -> list[PartnerRecord]:
    """Every partner as an engine record, in one query over plain columns.

    The JSON lists are read as text: most partners share a handful of distinct
    values, so decoding each once keeps loading national data to a couple of seconds.
    """
    records = []
    query = select(*json_as_text(_RECORD_COLUMNS)).order_by(Partner.id)
    for row in session.connection().execute(query):
        records.append(
            PartnerRecord(
                id=row.id,
                nom=row.nom,
                type_code=row.type_code,
                lat=row.lat,
                lon=row.lon,
                coords_exact=row.coords_exact,
                code_insee=row.code_insee,
                departement=row.departement,
                region=row.region,
                freins=json_codes(row.freins),
                freins_inferred=json_codes(row.freins_inferred),
                publics=json_codes(row.publics),
                age_min=row.age_min,
                age_max=row.age_max,
                zone_kind=row.zone_kind,
                zone_codes=json_codes(row.zone_codes),
                zone_radius_km=row.zone_radius_km,
                updated_at=freshness(row.source_updated_at, row.verified_at),
                status=row.status,
                description=row.description or "",
                open_days=_open_days(row.horaires_structures),
                service_reasons=_service_reasons(row.services),
            )
        )
    return records
