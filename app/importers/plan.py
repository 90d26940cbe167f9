"""The pure steps of an import: the file's records and the existing state in, what to
create, update, merge and write out — no SQL here (see :mod:`.store`)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from recommender.errors import ImportFailed

from .compose import compose, from_partner_row
from .dedup import DedupIndex, Match, assign
from .report import ImportReport

if TYPE_CHECKING:
    from recommender.taxonomy import Taxonomy

    from ..models import Partner


@dataclass
class Item:
    """One kept record of the file, and what the plan decides for it."""

    line: int
    source_id: str
    raw: dict[str, Any]
    fields: dict[str, Any]
    hash: str
    warnings: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    parent_id: str | None = None
    status: str = ""
    partner_id: str | None = None
    ps_id: int | None = None
    match: Match | None = None
    # data·inclusion: the structure of this run a service joins.
    parent: Item | None = None


@dataclass
class Existing:
    """What the database holds before the run (as :meth:`.store.Store.load` reads it)."""

    # Source rows (id, partner_id, source, source_id, content_hash, archived) by key.
    by_key: dict[tuple[str, str], Any] = field(default_factory=dict)
    sources_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    source_rows_of: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    partner_ids: set[str] = field(default_factory=set)
    partner_names: dict[str, str] = field(default_factory=dict)
    partner_status: dict[str, str] = field(default_factory=dict)
    partner_departement: dict[str, str | None] = field(default_factory=dict)
    index: DedupIndex | None = None  # active partners, as merge candidates

    def add_partner(self, pid: str, nom: str, status: str, departement: str | None) -> None:
        self.partner_ids.add(pid)
        self.partner_names[pid] = nom
        self.partner_status[pid] = status
        self.partner_departement[pid] = departement


def partner_id_for(source: str, source_id: str, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{source}:{source_id}".encode()).hexdigest()
    for size in (12, 16, 20, 40):
        if digest[:size] not in taken:
            return digest[:size]
    raise ImportFailed("Collision d'identifiants de partenaires.")  # pragma: no cover


def classify(items: list[Item], existing: Existing, source: str) -> list[Item]:
    """Mark records already known as unchanged or updated; return the new ones."""
    new_items: list[Item] = []
    for item in items:
        known = existing.by_key.get((source, item.source_id))
        if known is None:
            new_items.append(item)
            continue
        item.partner_id, item.ps_id = known.partner_id, known.id
        if known.content_hash == item.hash and not known.archived:
            item.status = "unchanged"
        else:
            item.status = "updated"
    return new_items


def _join_structure(
    item: Item,
    by_source_id: dict[str, Item],
    siblings: dict[str, Item],
    existing: Existing,
    source: str,
) -> bool:
    """A service joins its structure (in the file, or known), else a sibling service."""
    assert item.parent_id
    parent = by_source_id.get(item.parent_id)
    if parent is not None and parent is not item:
        item.status, item.parent = "merged", parent
        return True
    known = existing.by_key.get((source, item.parent_id))
    if known is not None:
        item.status, item.partner_id = "merged", known.partner_id
        item.match = Match(known.partner_id, "structure", 1.0, None)
        return True
    sibling = siblings.get(item.parent_id)
    if sibling is not None:
        item.status, item.parent = "merged", sibling
        return True
    return False


def deduplicate(
    items: list[Item],
    new_items: list[Item],
    existing: Existing,
    source: str,
    report: ImportReport,
) -> None:
    """Services join their structure; other new records merge into an existing partner
    of another source, or create one."""
    assert existing.index is not None
    by_source_id = {item.source_id: item for item in items}
    # Services whose structure is neither in the file nor known join the first service
    # of the same structure (already imported, or new in this run).
    siblings: dict[str, Item] = {
        item.parent_id: item for item in items if item.parent_id and item.status
    }
    proposals: list[tuple[int, list[Match]]] = []
    candidates: list[Item] = []
    for item in new_items:
        if item.parent_id and _join_structure(item, by_source_id, siblings, existing, source):
            continue
        if not item.fields.get("code_insee") and item.fields.get("lat") is None:
            item.status = "rejected"
            report.reject(
                item.line,
                f"service sans adresse et structure « {item.parent_id} » inconnue",
                item.source_id,
            )
            continue
        if item.parent_id:
            siblings[item.parent_id] = item
        rec = dict(item.fields)
        rec["_links"] = [
            existing.by_key[link].partner_id for link in item.links if link in existing.by_key
        ]
        matches = existing.index.matches(rec, source)
        if matches:
            proposals.append((len(candidates), matches))
        candidates.append(item)
    chosen = assign(proposals, source)
    for idx, item in enumerate(candidates):
        match = chosen.get(idx)
        if match is None:
            item.status = "created"
        else:
            item.status, item.partner_id, item.match = "merged", match.partner_id, match
    _name_new_partners(new_items, existing, source)


def _name_new_partners(new_items: list[Item], existing: Existing, source: str) -> None:
    taken = set(existing.partner_ids)
    for item in new_items:
        if item.status == "created":
            item.partner_id = partner_id_for(source, item.source_id, taken)
            taken.add(item.partner_id)
    for item in new_items:
        parent = item.parent
        if parent is not None:
            item.partner_id = parent.partner_id
            item.match = Match(parent.partner_id, "structure", 1.0, None)


@dataclass
class Written:
    """The records a run writes, grouped by what happens to their partner."""

    items: list[Item]  # every record but the rejected ones
    new: dict[str, list[Item]]  # partners created by this run, with their records
    touched: dict[str, list[Item]]  # existing partners that gain or change a record


def written(items: list[Item], report: ImportReport) -> Written:
    """Drop the rejected records, count the others and group them by partner."""
    kept = [i for i in items if i.status != "rejected"]
    new: dict[str, list[Item]] = defaultdict(list)
    touched: dict[str, list[Item]] = defaultdict(list)
    for item in kept:
        report.counts[item.status] += 1
        joins_new = item.parent is not None and item.parent.status == "created"
        if item.status == "created" or joins_new:
            new[item.partner_id].append(item)
        elif item.status in ("updated", "merged"):
            touched[item.partner_id].append(item)
    return Written(kept, new, touched)


@dataclass
class Rows:
    """The rows a run writes, stamped with its source, run and time."""

    format_name: str
    source: str
    run_id: int
    now: datetime

    def stored_raw(self, item: Item) -> dict[str, Any]:
        """What a source row keeps: the raw record and its resolved fields (empty ones
        dropped), so that a later merge or update can recompose the partner."""
        fields = {k: v for k, v in item.fields.items() if v not in ("", None, [])}
        return {"format": self.format_name, "line": item.line, "record": item.raw, "fields": fields}

    def source_row(self, item: Item) -> dict[str, Any]:
        updated = item.fields.get("source_updated_at")
        return {
            "partner_id": item.partner_id,
            "source": self.source,
            "source_id": item.source_id,
            "raw": self.stored_raw(item),
            "content_hash": item.hash,
            "source_updated_at": date.fromisoformat(updated) if updated else None,
            "imported_at": self.now,
            "import_run_id": self.run_id,
            "archived": False,
        }

    def source_update(self, item: Item) -> dict[str, Any]:
        row = self.source_row(item)
        row["id"] = item.ps_id
        del row["partner_id"], row["source"], row["source_id"]
        return row

    def partner_row(self, partner_id: str, columns: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": partner_id,
            **columns,
            "freins_inferred": [],
            "synthetic": False,
            "verified_at": None,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def new_partner(
        self, partner_id: str, members: list[Item], taxonomy: Taxonomy
    ) -> dict[str, Any]:
        """A partner this run creates, composed from its records."""
        return self.partner_row(partner_id, compose([m.fields for m in members], taxonomy))

    def decision(self, item: Item, match: Match) -> dict[str, Any]:
        return {
            "import_run_id": self.run_id,
            "partner_id": item.partner_id,
            "source": self.source,
            "source_id": item.source_id,
            "rule": match.rule,
            "score": match.score,
            "distance_km": match.distance_km,
            "created_at": self.now,
            "reviewed": False,
        }


def merge_entry(item: Item, match: Match, names: dict[str, str]) -> dict[str, Any]:
    """One merge as the report lists it."""
    return {
        "line": item.line,
        "source_id": item.source_id,
        "nom": item.fields["nom"],
        "partner_id": item.partner_id,
        "partner_nom": names.get(item.partner_id or "", ""),
        "rule": match.rule,
        "score": round(match.score, 3),
        "distance_km": match.distance_km,
    }


def _records(
    partner: Partner, items: list[Item], stored: list[Any], source: str
) -> list[dict[str, Any]]:
    """The records a partner is composed from: its other live source rows' stored fields,
    this run's, and its own columns when a source row keeps no fields."""
    replaced = {i.source_id for i in items if i.status == "updated"}
    records, baseline = [], False
    for row in stored:
        if row.source == source and row.source_id in replaced:
            continue
        if row.archived:
            continue
        fields = (row.raw or {}).get("fields") if isinstance(row.raw, dict) else None
        if isinstance(fields, dict) and fields.get("nom"):
            records.append(fields)
        else:
            baseline = True
    records.extend(i.fields for i in items)
    if baseline or not stored:
        records.append(from_partner_row(partner))
    return records


def recomposed(
    touched: dict[str, list[Item]],
    stored: dict[str, list[Any]],
    partners: dict[str, Partner],
    locks: dict[str, set[str]],
    source: str,
    taxonomy: Taxonomy,
    now: datetime,
) -> list[dict[str, Any]]:
    """The new columns of existing partners, recomposed from all their records; the
    fields an admin edited are left out."""
    rows = []
    for partner_id, items in touched.items():
        partner = partners.get(partner_id)
        if partner is None:
            continue
        records = _records(partner, items, stored.get(partner_id, []), source)
        columns = compose(records, taxonomy)
        for key in locks.get(partner_id, ()):
            columns.pop(key, None)
        columns["id"] = partner_id
        columns["updated_at"] = now
        rows.append(columns)
    return rows
