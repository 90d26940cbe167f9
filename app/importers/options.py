"""How one import runs: what the CLI flags and the admin form choose."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from recommender.errors import ImportFailed

if TYPE_CHECKING:
    from recommender.geo import Gazetteer
    from recommender.geocoding import AddressGeocoder
    from recommender.taxonomy import Taxonomy


class AfterWrite(Protocol):
    """Serving work done in the run's transaction once its rows are written (not in a dry
    run), e.g. guessing the freins of the partners it changed: the importer knows nothing
    of the serving side, its caller passes this."""

    def __call__(self, session: Session, *, changed_since: datetime | None) -> object: ...


SCOPE_SYNTAX = "departement:CODE[,CODE…] ou source:NOM[,NOM…] (option répétable)"


@dataclass(frozen=True)
class ArchiveScope:
    """An explicit archiving scope (``--scope``): a full import then archives only the
    missing records of these départements and/or sub-sources (data·inclusion's ``source``
    field), instead of what the file itself covers."""

    departements: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, values: Iterable[str]) -> ArchiveScope | None:
        """``["departement:60,02", "source:dora"]`` → a scope; ImportFailed (French) on a
        malformed value. None when nothing is given."""
        departements: set[str] = set()
        sources: set[str] = set()
        for value in values:
            kind, _, codes = value.partition(":")
            items = [c.strip() for c in codes.split(",") if c.strip()]
            kind = kind.strip().lower()
            if kind in ("departement", "département", "dep") and items:
                bad = [c for c in items if not re.fullmatch(r"\d{1,3}|2[AB]", c.upper())]
                if bad:
                    raise ImportFailed(
                        f"Périmètre « {value} » : code de département invalide "
                        f"({', '.join(bad)}). Syntaxe : {SCOPE_SYNTAX}."
                    )
                departements.update(c.upper().zfill(2) for c in items)
            elif kind == "source" and items:
                sources.update(items)
            else:
                raise ImportFailed(f"Périmètre « {value} » non compris. Syntaxe : {SCOPE_SYNTAX}.")
        if not departements and not sources:
            return None
        return cls(frozenset(departements), frozenset(sources))

    def describe(self) -> str:
        parts = []
        if self.sources:
            parts.append("sous-source(s) " + ", ".join(sorted(self.sources)))
        if self.departements:
            parts.append("département(s) " + ", ".join(sorted(self.departements)))
        return " ; ".join(parts)


@dataclass(frozen=True)
class ImportOptions:
    format: str | None = None  # a format's name; None: detected from the file
    source: str | None = None  # None: the format's, else from the file name
    dry_run: bool = False  # the full report, nothing kept
    archive_missing: bool = True  # False: a partial file (nothing archived)
    progress: bool = False  # a progress bar on a terminal
    user_id: int | None = None  # who imports (history)
    gazetteer: Gazetteer | None = None  # None: the default referentials
    taxonomy: Taxonomy | None = None
    address_geocoder: AddressGeocoder | None = None  # places rows without coordinates
    # 2: a big file is read, and its rows composed, on two cores (a forked helper: for a
    # command, not a server).
    workers: int = 1
    # The IMPORT_MAX_ARCHIVE_SHARE setting (None: no limit): more refused as a mass archive.
    max_archive_share: float | None = None
    after_write: AfterWrite | None = None
    # --scope: what a full import may archive (None: what the file covers).
    scope: ArchiveScope | None = None
    # The file's name in the report and the history when the path is a temporary copy (a
    # download of ``relais sync``); None: the path's or the URL's own name.
    filename: str | None = None
