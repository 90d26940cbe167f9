"""Helpers for work done in bulk: loading referentials, building indexes, importing files."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    Bulk work allocates hundreds of thousands of small acyclic objects: without this, the
    collector rescans them (and the referentials) again and again — a third of a load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
