"""The import's SQL: the existing state read once per run, the plan written with bulk
statements (so the cost per row stays flat), the run's history row."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

from ..db import refresh_statistics
from ..models import AuditLog, Base, Partner, PartnerSource
from .compose import OWNED_COLUMNS
from .dedup import Candidate, DedupIndex
from .plan import Existing

if TYPE_CHECKING:
    from recommender.geo import Gazetteer
    from recommender.taxonomy import Taxonomy

CHUNK = 500
# Rows per executemany of the inserts: SQLite binds them in process; a server gets them
# over the network, in smaller messages.
SQLITE_BATCH = 5000
SERVER_BATCH = 2000


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


_JSON_LISTS: dict[tuple[Any, ...], str] = {}


def _json(value: Any) -> str:
    """JSON text; lists of codes (the same few for thousands of partners) are memoised (not
    the lists of objects, such as a partner's services), records (``partner_source.raw``,
    1.5 kB each) encoded by orjson, five times faster than ``json`` (which still encodes what
    orjson refuses: integer keys, huge ints)."""
    if isinstance(value, list) and (not value or isinstance(value[0], str)):
        key = tuple(value)
        found = _JSON_LISTS.get(key)
        if found is None:
            found = json.dumps(value, ensure_ascii=False)
            if len(_JSON_LISTS) < 50000:
                _JSON_LISTS[key] = found
        return found
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """How SQLAlchemy would store a Python value of that type in SQLite (None: as is)."""
    if isinstance(column_type, sqltypes.JSON):
        return _json
    if isinstance(column_type, sqltypes.DateTime):
        return functools.lru_cache(maxsize=16)(lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if isinstance(column_type, sqltypes.Date):
        return lambda v: v.isoformat()
    if isinstance(column_type, sqltypes.Boolean):
        return int
    return None


def _sqlite_insert(table: Any, rows: list[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """The INSERT and the parameters of ``rows`` (which share their keys), converted here
    and sent straight to the driver: SQLAlchemy's per-value processing would cost more
    than the whole rest of an import."""
    keys = list(rows[0])
    converters = [
        (i, conv)
        for i, k in enumerate(keys)
        if (conv := _sqlite_converter(table.c[k].type)) is not None
    ]
    getter = operator.itemgetter(*keys)
    params = []
    for row in rows:
        values = list(getter(row))
        for i, conv in converters:
            if values[i] is not None:
                values[i] = conv(values[i])
        params.append(tuple(values))
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table.name, ", ".join(f'"{k}"' for k in keys), ", ".join("?" * len(keys))
    )
    return sql, params


@contextlib.contextmanager
def sqlite_cache(session: Session, mib: int = 64) -> Iterator[None]:
    """A bigger SQLite page cache during a run: with the default 2 MiB, the indexes of a
    big import spill to the WAL page after page (a quarter of the time spent in SQLite at
    200,000 rows). Restored afterwards: the connection goes back to its pool."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{mib * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


_PARTNER_TARGET = re.compile(r"(?:partner|partenaire)s?[:/]\s*([\w-]+)", re.I)


def locked_fields(session: Session, partner_ids: set[str]) -> dict[str, set[str]]:
    """Fields an admin edited (``AuditLog`` rows with a partner target and field changes):
    an import never overwrites them."""
    if not partner_ids:
        return {}
    locked: dict[str, set[str]] = defaultdict(set)
    owned = set(OWNED_COLUMNS)
    rows = session.execute(
        select(AuditLog.action, AuditLog.target, AuditLog.changes).where(
            AuditLog.action.notlike("import%")
        )
    )
    for action, target, changes in rows:
        target = target or ""
        m = _PARTNER_TARGET.search(target)
        pid = m[1] if m else target.strip()
        if pid not in partner_ids or not isinstance(changes, dict):
            continue
        keys = set(changes)
        if isinstance(changes.get("fields"), list):
            keys |= {str(k) for k in changes["fields"]}
        if "archive" in (action or "") or "status" in keys:
            keys.add("status")
        if "horaires" in keys:  # the week read from the admin's text stays with it
            keys.add("horaires_structures")
        locked[pid] |= keys & owned
    return locked


_SOURCE_COLUMNS = (
    PartnerSource.id,
    PartnerSource.partner_id,
    PartnerSource.source,
    PartnerSource.source_id,
    PartnerSource.content_hash,
    PartnerSource.archived,
)
_PARTNER_COLUMNS = (
    Partner.id,
    Partner.nom,
    Partner.type_code,
    Partner.lat,
    Partner.lon,
    Partner.coords_exact,
    Partner.code_insee,
    Partner.siret,
    Partner.adresse,
    Partner.status,
    Partner.departement,
)


@dataclass(frozen=True)
class Batch:
    """Rows of one table for one executemany: on SQLite, the statement and its parameters
    already converted; else the rows, for SQLAlchemy."""

    table: str
    rows: list[dict[str, Any]]
    sql: str = ""
    params: list[tuple[Any, ...]] | None = None


class Store:
    """Reads and writes of one run, all in its caller's transaction (never committed here)."""

    def __init__(self, session: Session):
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.batch_size = SQLITE_BATCH if self.sqlite else SERVER_BATCH

    def load(self, gazetteer: Gazetteer, taxonomy: Taxonomy) -> Existing:
        """Every source record of the database, and the dedup candidates, in two queries."""
        existing = Existing()
        for row in self.session.execute(select(*_SOURCE_COLUMNS)):
            existing.by_key[(row.source, row.source_id)] = row
            existing.sources_of[row.partner_id].add(row.source)
            existing.source_rows_of[row.partner_id].append(row)
        communes: dict[str, str] = {}

        def commune_name(code: str) -> str:
            if code not in communes:
                commune = gazetteer.get(code)
                communes[code] = commune.nom if commune else ""
            return communes[code]

        from recommender.geo import haversine_km

        existing.index = DedupIndex(taxonomy, haversine_km, commune_name)
        for p in self.session.execute(select(*_PARTNER_COLUMNS)):
            existing.add_partner(p.id, p.nom, p.status, p.departement)
            if p.status == "active":
                existing.index.add(_candidate(p, existing.sources_of.get(p.id, set())))
        return existing

    def insert(self, model: Any, rows: Iterable[dict[str, Any]]) -> None:
        """Core executemany, in chunks (rows of one call share their keys)."""
        for chunk in chunks(rows, self.batch_size):
            self.execute(self.batch(model, chunk))

    def batch(self, model: Any, rows: list[dict[str, Any]]) -> Batch:
        """``rows`` ready for :meth:`execute`: computed without the database, so that a
        helper process may prepare a chunk while this one writes the previous one."""
        table = model.__table__
        if not self.sqlite:
            return Batch(table.name, rows)
        return Batch(table.name, [], *_sqlite_insert(table, rows))

    def execute(self, batch: Batch) -> None:
        if batch.sql:
            self.session.connection().exec_driver_sql(batch.sql, batch.params)
        else:
            self.session.execute(Base.metadata.tables[batch.table].insert(), batch.rows)

    def refresh_statistics(self) -> None:
        refresh_statistics(
            self.session.connection(), (Partner.__tablename__, PartnerSource.__tablename__)
        )

    def update(self, model: Any, rows: list[dict[str, Any]]) -> None:
        """Core executemany UPDATE by primary key, one statement per set of keys."""
        table = model.__table__
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_keys[tuple(sorted(k for k in row if k != "id"))].append(row)
        for keys, group in by_keys.items():
            stmt = (
                table.update()
                .where(table.c.id == bindparam("_pk"))
                .values({k: bindparam(k) for k in keys})
            )
            params = [{"_pk": r["id"], **{k: r[k] for k in keys}} for r in group]
            for chunk in chunks(params, 2000):
                self.session.execute(stmt, chunk)

    def stored_sources(
        self, ids: list[str]
    ) -> tuple[dict[str, list[Row[Any]]], dict[str, Partner]]:
        """The source rows (with their stored fields) and the partners of ``ids``, detached
        from the session so that a bulk UPDATE is the only writer."""
        stored: dict[str, list[Row[Any]]] = defaultdict(list)
        partners: dict[str, Partner] = {}
        for chunk in chunks(ids):
            q = select(
                PartnerSource.partner_id,
                PartnerSource.source,
                PartnerSource.source_id,
                PartnerSource.raw,
                PartnerSource.archived,
            ).where(PartnerSource.partner_id.in_(chunk))
            for row in self.session.execute(q):
                stored[row.partner_id].append(row)
            for p in self.session.execute(select(Partner).where(Partner.id.in_(chunk))).scalars():
                partners[p.id] = p
        return stored, partners

    def detach(self, partners: Iterable[Partner]) -> None:
        for p in partners:
            self.session.expunge(p)

    def locked_fields(self, partner_ids: set[str]) -> dict[str, set[str]]:
        return locked_fields(self.session, partner_ids)

    def service_flags(self, source_row_ids: list[int]) -> dict[int, bool]:
        """Whether each source row holds a service (data·inclusion) rather than a structure."""
        flags: dict[int, bool] = {}
        for chunk in chunks(source_row_ids):
            q = select(PartnerSource.id, PartnerSource.raw).where(PartnerSource.id.in_(chunk))
            for row in self.session.execute(q):
                flags[row.id] = bool(((row.raw or {}).get("fields") or {}).get("service"))
        return flags

    def archive_sources(self, source_row_ids: list[int]) -> None:
        for chunk in chunks(source_row_ids):
            self.session.execute(
                update(PartnerSource).where(PartnerSource.id.in_(chunk)).values(archived=True)
            )

    def archive_partners(self, partner_ids: list[str], now: datetime) -> None:
        for chunk in chunks(partner_ids):
            self.session.execute(
                update(Partner)
                .where(Partner.id.in_(chunk))
                .values(status="archived", updated_at=now)
            )


def _candidate(p: Row[Any], sources: set[str]) -> Candidate:
    return Candidate(
        partner_id=p.id,
        nom=p.nom,
        type_code=p.type_code,
        lat=p.lat,
        lon=p.lon,
        coords_exact=bool(p.coords_exact),
        code_insee=p.code_insee,
        siret=p.siret,
        adresse=p.adresse or "",
        sources=sources,
    )
