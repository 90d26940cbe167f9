"""Opening hours as data: one structured week for every source's form, and what it says
about a given moment (open now, open today, closed, public holiday) in Europe/Paris.

The structured form (stored as JSON on a partner, exposed as ``horaires_structures``)::

    {"jours": {"lundi": [["09:00", "12:00"], ["14:00", "17:00"]], ...},
     "jours_feries": "ferme" | "ouvert",
     "sur_rendez_vous": true}            # only when the source says so

Only open days are listed; times are ``HH:MM`` (``24:00`` ends a day). The converters from
each source's form live in :mod:`app.importers.hours`; this module is pure (no Flask), so the
engine filters on it and the pages describe it with one copy of the rules. Every function
takes the moment as a parameter: the caller's clock decides what "now" is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np

PARIS = ZoneInfo("Europe/Paris")
DAY_KEYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DAY_LABELS = tuple(day.capitalize() for day in DAY_KEYS)
# The value of the ``ouvert`` filter (API, pages): partners open on the day of the request.
OPEN_TODAY = "aujourdhui"
# Bit 7 of :func:`day_bits`: the source says the place opens on public holidays.
HOLIDAY_OPEN_BIT = 1 << 7

Hours = Mapping[str, Any]
Interval = tuple[str, str]


def paris_now() -> datetime:
    """The default clock: the current time in Europe/Paris."""
    return datetime.now(PARIS)


def in_paris(moment: datetime) -> datetime:
    """``moment`` in Europe/Paris (a naive moment is taken as Paris time already)."""
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment.astimezone(PARIS)


def make_hours(
    days: Mapping[int, Sequence[Interval]],
    *,
    holidays_open: bool = False,
    appointment: bool = False,
) -> dict[str, Any] | None:
    """The structured form of ``days`` (weekday 0 = Monday → intervals), None when no day
    is open (an empty week says nothing a reader could use)."""
    jours = {
        DAY_KEYS[d]: [list(i) for i in sorted(set(map(tuple, days[d])))]
        for d in sorted(days)
        if days[d]
    }
    if not jours:
        return None
    out: dict[str, Any] = {"jours": jours, "jours_feries": "ouvert" if holidays_open else "ferme"}
    if appointment:
        out["sur_rendez_vous"] = True
    return out


def intervals_of(hours: Hours | None, weekday: int) -> list[Interval]:
    if not hours:
        return []
    return [(a, b) for a, b in (hours.get("jours") or {}).get(DAY_KEYS[weekday], [])]


# --------------------------------------------------------------------------- holidays

# Départements whose calendar adds holidays of their own (Alsace-Moselle, overseas).
_SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE"} | {
    code: code for code in ("971", "972", "973", "974", "976")
}


@functools.lru_cache(maxsize=64)
def _calendar(year: int, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.France(years=year, subdiv=subdivision, language="fr")


def holiday_name(day: date, departement: str | None = None) -> str | None:
    """The French name of the public holiday ``day`` is (in that département), or None."""
    return _calendar(day.year, _SUBDIVISIONS.get(departement or "")).get(day)


# --------------------------------------------------------------------------- a moment


@dataclass(frozen=True)
class OpenStatus:
    """What the hours say about a moment: ``code`` for filters and styles, ``label`` (French)
    for readers."""

    code: str  # ouvert-maintenant | ouvert-aujourdhui | ferme-aujourdhui | jour-ferie
    label: str

    @property
    def open_today(self) -> bool:
        return self.code in ("ouvert-maintenant", "ouvert-aujourdhui")


def open_status(
    hours: Hours | None, moment: datetime, departement: str | None = None
) -> OpenStatus | None:
    """Open now, open later today, closed today or closed for a public holiday (None: no
    structured hours, nothing can be said)."""
    if not hours or not hours.get("jours"):
        return None
    moment = in_paris(moment)
    today = moment.date()
    if (name := holiday_name(today, departement)) and hours.get("jours_feries") != "ouvert":
        return OpenStatus("jour-ferie", f"Fermé aujourd'hui (jour férié : {name})")
    intervals = intervals_of(hours, today.weekday())
    if not intervals:
        return OpenStatus("ferme-aujourdhui", "Fermé aujourd'hui")
    clock = moment.strftime("%H:%M")
    if any(a <= clock < b for a, b in intervals):
        return OpenStatus("ouvert-maintenant", "Ouvert maintenant")
    return OpenStatus("ouvert-aujourdhui", f"Ouvert aujourd'hui : {slots_text(intervals)}")


# --------------------------------------------------------------------------- French text


def french_time(value: str) -> str:
    """``"09:00"`` → ``"9 h"``, ``"13:30"`` → ``"13 h 30"``."""
    hour, _, minute = value.partition(":")
    return f"{int(hour)} h" if minute in ("", "00") else f"{int(hour)} h {minute}"


def slots_text(intervals: Sequence[Interval]) -> str:
    """``[("09:00", "12:00"), ("14:00", "17:00")]`` → ``"9 h – 12 h, 14 h – 17 h"``."""
    return ", ".join(f"{french_time(a)} – {french_time(b)}" for a, b in intervals)


def week_lines(hours: Hours | None) -> list[tuple[str, str]]:
    """Each day of the week with its hours (``"Fermé"`` on closed days), Monday first;
    empty without structured hours."""
    if not hours or not hours.get("jours"):
        return []
    return [(DAY_LABELS[d], slots_text(intervals_of(hours, d)) or "Fermé") for d in range(7)]


def grouped_lines(hours: Hours | None) -> list[tuple[str, str]]:
    """The open days, consecutive days with the same hours together (« Du lundi au
    vendredi », « 9 h – 12 h, 14 h – 17 h »): the compact week of a result card."""
    lines, d = [], 0
    while d < 7:
        text = slots_text(intervals_of(hours, d))
        last = d
        while last + 1 < 7 and text and slots_text(intervals_of(hours, last + 1)) == text:
            last += 1
        if text:
            if last == d:
                days = DAY_LABELS[d]
            elif last == d + 1:
                days = f"{DAY_LABELS[d]} et {DAY_KEYS[last]}"
            else:
                days = f"Du {DAY_KEYS[d]} au {DAY_KEYS[last]}"
            lines.append((days, text))
        d = last + 1
    return lines


def hours_text(hours: Hours | None) -> str:
    """The open days on one line (« Lundi 9 h – 12 h ; Mardi … »), for a text column."""
    return " ; ".join(f"{day} {text}" for day, text in week_lines(hours) if text != "Fermé")


def notes(hours: Hours | None) -> list[str]:
    """What the hours add beyond the week (French)."""
    if not hours:
        return []
    out = []
    if hours.get("sur_rendez_vous"):
        out.append("Sur rendez-vous")
    out.append(
        "Ouvert les jours fériés"
        if hours.get("jours_feries") == "ouvert"
        else "Fermé les jours fériés"
    )
    return out


# --------------------------------------------------------------------------- many partners


def day_bits(hours: Hours | None) -> int:
    """Bit ``d`` set when weekday ``d`` has hours, :data:`HOLIDAY_OPEN_BIT` when the place
    opens on public holidays; 0 without structured hours."""
    bits = 0
    for d in range(7):
        if intervals_of(hours, d):
            bits |= 1 << d
    if bits and hours and hours.get("jours_feries") == "ouvert":
        bits |= HOLIDAY_OPEN_BIT
    return bits


def departement_column(codes: Iterable[str | None]) -> np.ndarray:
    """Département codes as an ASCII column (``b"2A"``, ``b"971"``; ``b""`` unknown): 3 bytes
    a partner instead of 12 for a str column, in every worker's memory.

    >>> departement_column(["60", None, "2A"]).tolist()
    [b'60', b'', b'2A']
    """
    return np.array([(c or "").encode("ascii") for c in codes], dtype="S3")


def open_on(bits: np.ndarray, day: date, departements: np.ndarray | None = None) -> np.ndarray:
    """Which partners (their :func:`day_bits`) open on ``day``: a public holiday closes the
    places that do not say they open then (in their département's calendar when
    ``departements``, a :func:`departement_column`, is given); no structured hours, never
    open."""
    wanted = (bits & (1 << day.weekday())) != 0
    if departements is None:
        closed = np.full(bits.shape, holiday_name(day) is not None)
    else:
        codes, inverse = np.unique(departements, return_inverse=True)
        per_code = np.array(
            [holiday_name(day, c.decode("ascii")) is not None for c in codes], dtype=bool
        )
        closed = per_code[inverse]
    return wanted & (~closed | ((bits & HOLIDAY_OPEN_BIT) != 0))
