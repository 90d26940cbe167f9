"""A read-only column of strings held in numpy arrays, not in Python objects.

Partner ids and the search vocabulary have one string per partner or term: as Python
lists (and an id → row dict) they were a million objects that every worker unpickled
into its own memory (≈ 230 MB per worker at 1M partners, ``bench/RESULTS.md``). Here
they are one UTF-8 buffer and offsets: saved out of band by :mod:`app.index.store`,
they stay views of the mapped file that the workers of a server share.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np

_SEP = b"\0"  # ids and terms never hold NUL


class StringColumn(Sequence[str]):
    """Strings ``values`` in order; ``lookup=True`` also finds a string's position.

    >>> ids = StringColumn(["b-2", "a-1", "é-3"], lookup=True)
    >>> ids[1], ids[-1], ids[0:2], len(ids), ids.find("é-3"), ids.find("zz")
    ('a-1', 'é-3', ['b-2', 'a-1'], 3, 2, None)
    """

    def __init__(self, values: Iterable[str], *, lookup: bool = False):
        encoded = [value.encode() for value in values]
        sizes = np.fromiter((len(e) + 1 for e in encoded), dtype=np.int64, count=len(encoded))
        self.offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.offsets[1:])
        self.blob = np.frombuffer(_SEP.join(encoded) + _SEP, dtype=np.uint8).copy()
        self.order = (
            np.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=np.int64)
            if lookup
            else None
        )

    def __len__(self) -> int:
        return self.offsets.size - 1

    def _bytes(self, i: int) -> bytes:
        return self.blob[self.offsets[i] : self.offsets[i + 1] - 1].tobytes()

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        n = len(self)
        if isinstance(i, slice):
            span = range(n)[i]
            if span.step != 1:
                return [self[k] for k in span]
            if not span:
                return []
            start, stop = self.offsets[span.start], self.offsets[span.stop]
            return self.blob[start : stop - 1].tobytes().decode().split("\0")
        i = operator.index(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("StringColumn index out of range")
        return self._bytes(i).decode()

    def __iter__(self) -> Iterator[str]:
        return iter(self[:])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StringColumn | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StringColumn({len(self)} chaînes)"

    def find(self, value: str) -> int | None:
        """The position of ``value`` (binary search on the sorted order), ``None`` when
        absent."""
        if self.order is None:
            raise TypeError("StringColumn built without lookup=True")
        key, lo, hi = value.encode(), 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._bytes(int(self.order[mid])) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self) and self._bytes(int(self.order[lo])) == key:
            return int(self.order[lo])
        return None
