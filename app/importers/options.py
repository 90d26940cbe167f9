"""How one import runs: what the CLI flags and the admin form choose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from recommender.geo import Gazetteer
    from recommender.geocoding import AddressGeocoder
    from recommender.taxonomy import Taxonomy


class AfterWrite(Protocol):
    """Serving work done in the run's transaction once its rows are written (not in a dry
    run), e.g. guessing the freins of the partners it changed: the importer knows nothing
    of the serving side, its caller passes this."""

    def __call__(self, session: Session, *, changed_since: datetime | None) -> object: ...


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
    # 2: a big file is read on two cores (a forked helper: for a command, not a server).
    workers: int = 1
    # The IMPORT_MAX_ARCHIVE_SHARE setting (None: no limit): more refused as a mass archive.
    max_archive_share: float | None = None
    after_write: AfterWrite | None = None
