"""Archiving what a full file no longer holds, within the file's scope: its kind of record
(data·inclusion structures or services), its départements, and a ceiling on the share of
its source (a partial file imported as a full one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recommender.errors import ImportFailed

from .formats import Format
from .options import ArchiveScope
from .plan import Existing, Item
from .report import ImportReport
from .store import Store

# Below this many records to archive, an import is never refused as a mass archive.
MASS_ARCHIVE_MIN = 10


class MassArchiveRefused(ImportFailed):
    """The import would archive more than the allowed share of its source (nothing written)."""

    code = "archivage_massif"

    def __init__(self, source: str, missing: int, total: int, share: float):
        self.source, self.missing, self.total, self.share = source, missing, total, share
        super().__init__(self.explain("--no-archive", "--allow-mass-archive"))

    def explain(self, partial: str, force: str) -> str:
        """The French message, naming how to import partially and how to force (CLI or form)."""
        return (
            f"L'import archiverait {self.missing} des {self.total} fiches de la source "
            f"« {self.source} » ({self.missing / self.total:.0%}), plus que la part admise "
            f"({self.share:.0%}, réglage IMPORT_MAX_ARCHIVE_SHARE) : rien n'a été enregistré. "
            f"Si le fichier ne contient qu'une partie de la source, importez-le sans archivage "
            f"({partial}) ; si ces fiches ont vraiment disparu de la source, confirmez "
            f"l'archivage ({force})."
        ).replace("%", " %")


@dataclass
class Scope:
    """What one run may archive: records of its source missing from its file."""

    fmt: Format
    source: str
    items: list[Item]  # the file's kept records
    seen_ids: set[str]  # every identifier the file holds, even on a rejected line
    existing: Existing
    report: ImportReport
    explicit: ArchiveScope | None = None  # --scope: replaces what the file covers

    def missing(self) -> list[Any]:
        """Records of the source missing from the file, within its sub-sources (or the
        explicit ones): a data·inclusion export of ``dora`` never archives ``siao``."""
        wanted = self.explicit.sources if self.explicit else self.sub_sources()
        sub_source = self.fmt.sub_source
        return [
            row
            for (source, source_id), row in self.existing.by_key.items()
            if source == self.source
            and source_id not in self.seen_ids
            and not row.archived
            and (not wanted or sub_source(source_id) in wanted)
        ]

    def sub_sources(self) -> frozenset[str]:
        subs = {self.fmt.sub_source(i.source_id) for i in self.items}
        return frozenset(s for s in subs if s)

    def describe(self) -> str:
        """What this run may archive, in French, for the report."""
        if self.explicit:
            return f"{self.explicit.describe()} (--scope)"
        parts = []
        if subs := self.sub_sources():
            parts.append("sous-source(s) du fichier " + ", ".join(sorted(subs)))
        covered = sorted(d for d in {i.fields.get("departement") for i in self.items} if d)
        shown = ", ".join(covered[:10]) + ("…" if len(covered) > 10 else "")
        parts.append(f"{len(covered)} département(s) du fichier ({shown})")
        return " ; ".join(parts)

    def same_kind(self, rows: list[Any], service_flags: dict[int, bool]) -> list[Any]:
        """data·inclusion publishes structures and services in separate files: a file of
        one kind only archives missing records of that kind."""
        kind = self.kind()
        if kind is None or not rows:
            return rows
        return [r for r in rows if service_flags.get(r.id) == kind]

    def kind(self) -> bool | None:
        """Whether the file holds services only (True) or structures only (False); None:
        both, or a format that does not archive by kind."""
        kinds = {bool(i.fields.get("service")) for i in self.items}
        if not self.fmt.archives_by_kind or len(kinds) != 1:
            return None
        return kinds.pop()

    def in_area(self, rows: list[Any]) -> list[Any]:
        """A file only speaks for the départements it covers: an extract of one département
        (or one record) does not archive the rest of France."""
        if self.explicit is not None:
            if not self.explicit.departements:
                return rows
            covered = set(self.explicit.departements)
        else:
            covered = {i.fields.get("departement") for i in self.items}
        departement = self.existing.partner_departement
        kept = [r for r in rows if departement.get(r.partner_id) in covered]
        if len(kept) < len(rows):
            shown = ", ".join(sorted(d for d in covered if d)[:10])
            more = "…" if len(covered) > 10 else ""
            self.report.notes.append(
                f"archivage limité aux {len(covered)} département(s) du fichier "
                f"({shown}{more}) : {len(rows) - len(kept)} fiche(s) absente(s) d'autres "
                "départements conservée(s)"
            )
        return kept

    def refuse_mass_archive(self, missing: int, share: float | None) -> None:
        if share is None or missing < MASS_ARCHIVE_MIN:
            return
        total = sum(
            1
            for (source, _), row in self.existing.by_key.items()
            if source == self.source and not row.archived
        )
        if missing > share * total:
            raise MassArchiveRefused(self.source, missing, total, share)

    def partners_left(
        self, missing: list[Any], new_items: Iterable[Item], locks: dict[str, set[str]]
    ) -> list[str]:
        """Partners whose every source record is now archived (and whose status an admin
        did not set)."""
        now_archived = {r.id for r in missing}
        revived = {i.ps_id for i in self.items if i.status == "updated"}
        merged_new = {i.partner_id for i in new_items if i.status == "merged"}
        to_archive = []
        for partner_id in {r.partner_id for r in missing}:
            rows = self.existing.source_rows_of.get(partner_id, [])
            alive = [
                r for r in rows if r.id not in now_archived and (not r.archived or r.id in revived)
            ]
            if alive or partner_id in merged_new or "status" in locks.get(partner_id, ()):
                continue
            if self.existing.partner_status.get(partner_id) != "archived":
                to_archive.append(partner_id)
        return to_archive


def archive_missing(
    scope: Scope,
    store: Store,
    new_items: list[Item],
    max_share: float | None,
    now: datetime,
) -> None:
    """Archive the source records of this source missing from the file, then the partners
    left with archived records only."""
    report = scope.report
    if not scope.items:
        report.notes.append(
            "aucune ligne valide : les fiches existantes de la source n'ont pas été archivées"
        )
        return
    report.archive_scope = scope.describe()
    missing = scope.missing()
    if scope.kind() is not None and missing:
        missing = scope.same_kind(missing, store.service_flags([r.id for r in missing]))
    missing = scope.in_area(missing)
    if not missing:
        return
    scope.refuse_mass_archive(len(missing), max_share)
    store.archive_sources([r.id for r in missing])
    locks = store.locked_fields({r.partner_id for r in missing})
    to_archive = scope.partners_left(missing, new_items, locks)
    store.archive_partners(to_archive, now)
    report.counts["archived"] = len(to_archive)
    if to_archive:
        report.notes.append(
            f"{len(missing)} fiche(s) de la source absente(s) du fichier : "
            f"{len(to_archive)} partenaire(s) archivé(s) (jamais supprimés)"
        )
