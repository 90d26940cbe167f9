"""``relais import``: importers for every partner source, idempotent and deduplicated.

``run_import`` is the one entry point (``relais import`` in :mod:`app.cli.imports` and the admin
upload page); see ``docs/import.md``.
"""

from __future__ import annotations

from .archive import MassArchiveRefused
from .files import detect_format, source_from_stem
from .formats import FORMATS, by_name
from .options import ImportOptions
from .pipeline import run_import
from .report import ImportReport

__all__ = [
    "FORMATS",
    "ImportOptions",
    "ImportReport",
    "MassArchiveRefused",
    "by_name",
    "detect_format",
    "run_import",
    "source_from_stem",
]
