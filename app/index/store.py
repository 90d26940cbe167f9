"""Fitted indexes (recommender and search) saved on disk, one file per data version and
code version.

The first process to need a version fits them from the database and saves them;
every other worker (and every restart) loads that file in a second or two instead of
reading the whole partner table again. The file is written under a private name and
renamed into place, so a reader never sees half of it, and a code or taxonomy change
gives a new name, so a file is never read by code that did not write it.

The files are pickles written by this application into its own instance folder; the
shared taxonomy and gazetteer are left out by the estimators themselves
(:mod:`recommender.referentials`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import pickle
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import recommender
from recommender.engine import Recommender
from recommender.search import PartnerSearch

log = logging.getLogger(__name__)

PREFIX = "engine-"
LOCK = "fitting.lock"
KEEP = 3  # newest index files kept: the current version and a couple a worker may still load
STALE_PRIVATE_SECONDS = 3600  # a private file this old was left by a killed build


@functools.cache
def code_version() -> str:
    """Fingerprint of what shapes a fitted engine: the engine's code and its data files."""
    package = Path(recommender.__file__).parent
    data = package.parent / "data"
    digest = hashlib.sha1()
    paths = [
        *package.rglob("*.py"),
        *(data / "taxonomy").glob("*"),
        *(data / "referentiels").glob("*"),
    ]
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


Indexes = tuple[Recommender, PartnerSearch]


class IndexStore:
    """The folder of saved indexes (``INDEX_DIR``)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, version: str) -> Path:
        return self.folder / f"{PREFIX}{version}-{code_version()}.pickle"

    def load(self, version: str) -> Indexes | None:
        """The indexes saved for ``version``; ``None`` when there are none or they are
        unreadable."""
        path = self.path(version)
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # a damaged file is rebuilt, never served
            log.warning("Unreadable saved indexes %s: rebuilding it", path, exc_info=True)
            return None

    @contextlib.contextmanager
    def fitting(self) -> Iterator[None]:
        """Hold the folder's fitting lock: workers that start together on a new version
        fit it once (the others wait, then load the file). The kernel releases the lock
        of a process that dies."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, version: str, indexes: Indexes) -> Path:
        """Write ``indexes`` for ``version`` atomically, then drop old files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(version)
        private = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
        try:
            with private.open("wb") as handle:
                pickle.dump(indexes, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(private, path)
        finally:
            private.unlink(missing_ok=True)
        self.prune()
        return path

    def prune(self) -> None:
        """Remove all but the newest index files, private files left by killed builds, and
        index folders of older releases."""
        now = time.time()
        saved = sorted(self.folder.glob(f"{PREFIX}*.pickle"), key=_mtime, reverse=True)
        doomed = saved[KEEP:]
        for entry in self.folder.iterdir():
            stale = entry.name.startswith(".") and now - _mtime(entry) > STALE_PRIVATE_SECONDS
            if entry.is_dir() or stale:
                doomed.append(entry)
        for entry in doomed:
            with contextlib.suppress(OSError):  # another worker removed it first
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
