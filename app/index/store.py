"""Fitted indexes (recommender and search) saved on disk, one file per data version and
code version.

The first process to need a version fits them from the database and saves them;
every other worker (and every restart) loads that file in a second or two instead of
reading the whole partner table again. The file is written under a private name and
renamed into place, so a reader never sees half of it, and a code or taxonomy change
gives a new name, so a file is never read by code that did not write it.

The files are pickles written by this application into its own instance folder; the
shared taxonomy and gazetteer are saved as references, never copied.
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
from typing import Any

import recommender
from recommender.geo import default_gazetteer
from recommender.taxonomy import default_taxonomy

log = logging.getLogger(__name__)

PREFIX = "engine-"
LOCK = "fitting.lock"
KEEP = 3  # newest engine files kept: the current version and a couple a worker may still load
STALE_PRIVATE_SECONDS = 3600  # a private file this old was left by a killed build

_SHARED = {"taxonomy": default_taxonomy, "gazetteer": default_gazetteer}


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


class _Pickler(pickle.Pickler):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # asked for every object pickled (hundreds of thousands): look the shared ones up once
        self.shared = {id(load()): name for name, load in _SHARED.items()}

    def persistent_id(self, obj: Any) -> str | None:
        return self.shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: str) -> Any:
        return _SHARED[pid]()


class IndexStore:
    """The folder of saved engines (``INDEX_DIR``)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def path(self, version: str) -> Path:
        return self.folder / f"{PREFIX}{version}-{code_version()}.pickle"

    def load(self, version: str) -> Any | None:
        """The engine saved for ``version``; ``None`` when there is none or it is unreadable."""
        path = self.path(version)
        try:
            with path.open("rb") as handle:
                return _Unpickler(handle).load()
        except FileNotFoundError:
            return None
        except Exception:  # a damaged file is rebuilt, never served
            log.warning("Unreadable saved engine %s: rebuilding it", path, exc_info=True)
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

    def save(self, version: str, engine: Any) -> Path:
        """Write ``engine`` for ``version`` atomically, then drop old files."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(version)
        private = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}")
        try:
            with private.open("wb") as handle:
                _Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(engine)
            os.replace(private, path)
        finally:
            private.unlink(missing_ok=True)
        self.prune()
        return path

    def prune(self) -> None:
        """Remove all but the newest engine files, private files left by killed builds, and
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
