"""Partner answers cached per data version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

PARTNER_CACHE_SIZE = 5000


class PartnerCache:
    """Partner answers of one data version, least recently used dropped first.

    Results of nearby searches come back to the same partners; reading them from
    the database was a third of a recommendation's time. A partner cannot change
    without changing the data version, and the cache goes with its version.
    """

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(
        self, ids: Iterable[str], fetch: Callable[[list[str]], dict[str, dict[str, Any]]]
    ) -> dict[str, dict[str, Any]]:
        """The answers for ``ids``, calling ``fetch`` once for those not cached."""
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        with self.lock:
            for key in dict.fromkeys(ids):
                if key in self.items:
                    self.items.move_to_end(key)
                    found[key] = self.items[key]
                else:
                    missing.append(key)
        if missing:
            fetched = fetch(missing)
            found.update(fetched)
            with self.lock:
                self.items.update(fetched)
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return found
