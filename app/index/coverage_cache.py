"""Coverage tables of one data version, kept beside its indexes (``IndexState.coverage``):
a new data version starts with an empty cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from recommender.coverage import Nearest

COVERAGE_CACHE_SIZE = 512  # (frein, territory, profile) tables: 13 freins × ~40 areas


class CoverageCache:
    """A small thread-safe LRU of :class:`~recommender.coverage.Nearest` tables."""

    def __init__(self, size: int = COVERAGE_CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[Hashable, Nearest] = OrderedDict()
        self._lock = threading.Lock()
        # commune → zone-wide rows covering it: the same for every frein and profile
        self.coverings: dict[str, np.ndarray] = {}

    def get(self, key: Hashable, compute: Callable[[], Nearest]) -> Nearest:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = compute()  # outside the lock: two first requests may both compute
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value
