"""The one "now" of the application (Europe/Paris), injectable for tests.

What depends on the moment (« ouvert maintenant », the ``ouvert=aujourdhui`` filter) asks
:func:`now`; a test fixes the moment with ``app.extensions[CLOCK] = lambda: datetime(...)``
instead of patching the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app, has_app_context

from recommender.hours import in_paris, paris_now

CLOCK = "relais_clock"


def now() -> datetime:
    clock: Callable[[], datetime] = paris_now
    if has_app_context():
        clock = current_app.extensions.get(CLOCK, paris_now)
    return in_paris(clock())
