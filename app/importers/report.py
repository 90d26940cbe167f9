"""What an import did, for the CLI, the admin page and the ``ImportRun`` row."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from recommender.taxonomy import GENERIC_TYPE

COUNT_KEYS = ("created", "updated", "unchanged", "merged", "archived", "rejected")
COUNT_LABELS = {
    "created": "créés",
    "updated": "mis à jour",
    "unchanged": "inchangés",
    "merged": "fusionnés",
    "archived": "archivés",
    "rejected": "rejetés",
}
RULE_LABELS = {
    "identifiant": "même identifiant",
    "siret": "même SIRET",
    "nom": "nom proche",
    "adresse": "même adresse",
    "proximite": "nom générique, à proximité",
    "structure": "service de la structure",
}
# What varies from one rejected line to the next inside a reason: quoted values, and
# parentheses that carry a number or a detail ("déjà vu ligne 3", "KeyError : 'x'").
_QUOTED = re.compile(r"«[^»]*»")
_VARYING_PARENTHESES = re.compile(r"\s*\([^)]*(?:\d| : )[^)]*\)")
# Stored lists are capped so that an ImportRun row stays small; counts stay exact.
MAX_STORED = 2000


@dataclass
class ImportReport:
    source: str
    format: str
    filename: str
    dry_run: bool = False
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    rejections: list[dict[str, Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warning_count: int = 0
    duration_s: float = 0.0
    import_run_id: int | None = None
    encoding: str = ""
    delimiter: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    # The partner type given to each kept row, and how many only from their name.
    types: dict[str, int] = field(default_factory=dict)
    types_inferred: int = 0
    archive_scope: str = ""  # what a full import could archive ("" when it did not)

    # ---------------------------------------------------------------- building
    def reject(self, line: int, reason: str, source_id: str | None = None) -> None:
        self.counts["rejected"] += 1
        item: dict[str, Any] = {"line": line, "reason": reason}
        if source_id:
            item["source_id"] = source_id
        self.rejections.append(item)

    def warn(self, line: int | None, message: str, source_id: str | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_STORED:
            item: dict[str, Any] = {"line": line, "message": message}
            if source_id:
                item["source_id"] = source_id
            self.warnings.append(item)

    def count_types(self, fields: Iterable[dict[str, Any]]) -> None:
        counts: Counter[str] = Counter()
        for f in fields:
            counts[f.get("type_code") or GENERIC_TYPE] += 1
            self.types_inferred += bool(f.get("type_inferred"))
        self.types = dict(counts.most_common())

    def types_line(self, top: int = 5) -> str:
        """``Types attribués : …`` — the most given types and the share left generic."""
        total = sum(self.types.values())
        if not total:
            return ""
        shown = ", ".join(f"{code} {n}" for code, n in list(self.types.items())[:top])
        rest = len(self.types) - top
        more = f", … ({rest} autre{'s' if rest > 1 else ''} type{'s' if rest > 1 else ''})"
        more = more if rest > 0 else ""
        generic = self.types.get(GENERIC_TYPE, 0)
        return (
            f"Types attribués : {shown}{more} ; « autre structure » : {generic} "
            f"({generic / total:.0%}) ; déduits du seul nom : {self.types_inferred}"
        ).replace("%", " %")

    def rejection_groups(self) -> list[tuple[str, list[int]]]:
        """Rejections grouped by kind of reason, most frequent first, with their lines.

        The kind is the reason without what varies per line (quoted values, line
        references, the value after « : »), so one bad column reads as one group.
        """
        groups: dict[str, list[int]] = {}
        for item in self.rejections:
            kind = _VARYING_PARENTHESES.sub("", _QUOTED.sub("« … »", item["reason"]))
            groups.setdefault(kind.split(" : ", 1)[0], []).append(item["line"])
        return sorted(groups.items(), key=lambda group: -len(group[1]))

    @property
    def balanced(self) -> bool:
        """created + merged + rejected + unchanged + updated = rows read."""
        c = self.counts
        total = c["created"] + c["merged"] + c["rejected"] + c["unchanged"] + c["updated"]
        return total == self.rows

    # ---------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "counts": dict(self.counts),
            "rejections": self.rejections[:MAX_STORED],
            "merges": self.merges[:MAX_STORED],
            "warnings": self.warnings[:MAX_STORED],
            "warning_count": self.warning_count,
            "notes": list(self.notes),
            "duration_s": round(self.duration_s, 3),
            "import_run_id": self.import_run_id,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "types": dict(self.types),
            "types_inferred": self.types_inferred,
            "archive_scope": self.archive_scope,
        }

    def format_text(self, limit: int = 20) -> str:
        """The report in French, as the CLI prints it."""
        head = "Simulation (--dry-run) : rien n'a été enregistré." if self.dry_run else ""
        lines = [
            f"Import de « {self.filename} » — format {self.format}, source « {self.source} »",
        ]
        if head:
            lines.append(head)
        lines.append(f"{self.rows} ligne(s) lue(s) en {self.duration_s:.1f} s")
        lines.append("")
        width = max(len(v) for v in COUNT_LABELS.values())
        for key in COUNT_KEYS:
            lines.append(f"  {COUNT_LABELS[key]:<{width}} {self.counts[key]:>7}")
        if types := self.types_line(top=10):
            lines.append(types)
        if self.archive_scope:
            lines.append(f"Périmètre d'archivage : {self.archive_scope}")
        for note in self.notes:
            lines.append(f"Note : {note}")
        if self.rejections:
            lines.append("")
            lines.append(f"Lignes rejetées ({len(self.rejections)}) :")
            for item in self.rejections[:limit]:
                lines.append(f"  ligne {item['line']} : {item['reason']}")
            if len(self.rejections) > limit:
                lines.append(f"  … et {len(self.rejections) - limit} autre(s)")
        if self.merges:
            lines.append("")
            lines.append(f"Fusions avec des partenaires existants ({len(self.merges)}) :")
            for item in self.merges[:limit]:
                rule = RULE_LABELS.get(item["rule"], item["rule"])
                dist = item.get("distance_km")
                where = f", {dist:.1f} km" if dist is not None else ""
                lines.append(
                    f"  ligne {item['line']} « {item['nom']} » → {item['partner_id']} "
                    f"« {item['partner_nom']} » ({rule}, score {item['score']:.2f}{where})"
                )
            if len(self.merges) > limit:
                lines.append(f"  … et {len(self.merges) - limit} autre(s)")
        if self.warning_count:
            lines.append("")
            lines.append(f"Avertissements ({self.warning_count}) :")
            for item in self.warnings[:limit]:
                where = f"ligne {item['line']} : " if item.get("line") else ""
                lines.append(f"  {where}{item['message']}")
            if self.warning_count > limit:
                lines.append(f"  … et {self.warning_count - limit} autre(s)")
        return "\n".join(lines)
