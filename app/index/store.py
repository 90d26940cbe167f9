"""Fitted indexes (recommender and search) saved on disk, one file per data version and
code version.

The first process to need a version fits them from the database and saves them;
every other worker (and every restart) loads that file in a second or two instead of
reading the whole partner table again. The file is written under a private name and
renamed into place, so a reader never sees half of it, and a code or taxonomy change
gives a new name, so a file is never read by code that did not write it.

The files are pickles written by this application into its own instance folder; the
shared taxonomy and gazetteer are left out by the estimators themselves
(:mod:`recommender.referentials`). The numpy arrays are pickled out of band (protocol 5)
into the same file, page-aligned, and loaded as read-only views of one ``mmap`` of it:
every worker of a machine shares those pages through the page cache instead of holding
its own copy, and loading reads no array.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import mmap
import os
import pickle
import secrets
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import recommender
from recommender.engine import Recommender
from recommender.search import PartnerSearch

log = logging.getLogger(__name__)

PREFIX = "engine-"
LOCK = "fitting.lock"
MAGIC = b"RELAIS02"  # file layout: magic, header, pickle, out-of-band buffers
_HEADER = struct.Struct("<QQ")  # pickle length, number of buffers
_SPAN = struct.Struct("<QQ")  # offset and length of one buffer
PAGE = mmap.PAGESIZE  # a big array starts on a page: it maps whole pages of its own
SMALL = 64  # the thousands of small arrays (a few per frein) only need 64-byte alignment
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
        return self._load(self.path(version))

    def latest(self) -> tuple[str, Indexes] | None:
        """The newest indexes saved by this code version, whatever their data version
        (``(version, indexes)``): what a worker that starts during a rebuild serves until
        the current version is saved."""
        suffix = f"-{code_version()}.pickle"
        saved = sorted(self.folder.glob(f"{PREFIX}*{suffix}"), key=_mtime, reverse=True)
        for path in saved:
            indexes = self._load(path)
            if indexes is not None:
                return path.name[len(PREFIX) : -len(suffix)], indexes
        return None

    def _load(self, path: Path) -> Indexes | None:
        try:
            return _read(path)
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
            _write(private, indexes)
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


def _write(path: Path, indexes: Indexes) -> None:
    """The pickle, then each out-of-band buffer, aligned (big ones on a page boundary,
    so that each maps whole pages; small ones on 64 bytes, or padding would double the
    file)."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(indexes, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    spans, offset = [], len(MAGIC) + _HEADER.size + _SPAN.size * len(views) + len(data)
    for view in views:
        offset = _aligned(offset, PAGE if view.nbytes >= PAGE else SMALL)
        spans.append((offset, view.nbytes))
        offset += view.nbytes
    with path.open("wb") as handle:
        handle.write(MAGIC + _HEADER.pack(len(data), len(views)))
        handle.writelines(_SPAN.pack(*span) for span in spans)
        handle.write(data)
        for (start, _), view in zip(spans, views, strict=True):
            handle.seek(start)
            handle.write(view)
        handle.truncate(offset)


def _read(path: Path) -> Indexes:
    """The indexes of a file written by :func:`_write`, arrays as views of its mmap."""
    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    if bytes(view[: len(MAGIC)]) != MAGIC:
        raise ValueError("not a saved index file")
    at = len(MAGIC)
    size, count = _HEADER.unpack_from(view, at)
    at += _HEADER.size
    buffers = []
    for _ in range(count):
        start, length = _SPAN.unpack_from(view, at)
        at += _SPAN.size
        buffers.append(view[start : start + length])
    return pickle.loads(view[at : at + size], buffers=buffers)


def _aligned(offset: int, alignment: int) -> int:
    return -(-offset // alignment) * alignment


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
