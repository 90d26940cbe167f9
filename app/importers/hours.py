"""Every source's opening hours → the one structured week of :mod:`recommender.hours`.

Forms read: OpenStreetMap ``opening_hours`` (data·inclusion v0/v1, conseillers numériques;
parsed by the maintained ``opening-hours-py``), DILA ``plage_ouverture``, France Services'
one column a day (``09:00 - 12:00 / 13:30 - 17:00``), the annuaire additions' JSON
(``{"horaires": [{"du": "lundi", "au": "vendredi", "heures": [{"de": "8h30", "a": "12h"}]}]}``)
and regular French text (``Du lundi au vendredi : 09:00–12:00 / 14:00–17:00 ; Samedi : …``,
what the mairies file and most hand-kept lists hold). Each converter returns None when the
form is not regular enough to be sure: a wrong week is worse than none.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import opening_hours

from recommender.hours import DAY_KEYS, Interval, make_hours
from recommender.text import fold

from .normalize import clean

Week = dict[int, list[Interval]]
_APPOINTMENT = re.compile(r"\b(sur )?(rendez vous|rdv)\b")
_DAY_INDEX = {day: i for i, day in enumerate(DAY_KEYS)}


def _plain(text: str) -> str:
    """Lowercase without accents, punctuation kept (``fold`` drops it, and the times with it)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _day(text: str) -> int | None:
    return _DAY_INDEX.get(fold(text).rstrip("s"))


def _day_range(first: int, last: int) -> list[int]:
    return list(range(first, last + 1)) if first <= last else [*range(first, 7), *range(last + 1)]


# --------------------------------------------------------------------------- times

_TIME = re.compile(r"^(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?(?::\d{2})?$")
_SLOT = re.compile(r"^(.+?)\s*(?:-|–|—|à|a)\s*(.+)$")


def hhmm(text: str) -> str | None:
    """``"8h30"``, ``"08:30"``, ``"08:30:00"``, ``"9h"`` → ``"08:30"``/``"09:00"``."""
    m = _TIME.match(clean(text))
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def interval(start: str, end: str) -> Interval | None:
    a, b = hhmm(start), hhmm(end)
    return (a, b) if a and b and a < b else None


def slots(text: str) -> list[Interval] | None:
    """``"09:00 - 12:00 / 13:30 - 17:00"``, ``"9h-12h et 14h-17h"`` → intervals ([] for an
    empty cell, None when a part is not a time span)."""
    out = []
    for part in re.split(r"\s*(?:/|,|;|\bet\b)\s*", clean(text).rstrip(". ")):
        part = re.sub(r"^(de|d')\s*", "", part)
        if not part:
            continue
        m = _SLOT.match(part)
        if m and hhmm(m[1]) == hhmm(m[2]) == "00:00":
            continue  # France Services' placeholder of an empty span
        span = interval(m[1], m[2]) if m else None
        if span is None:
            return None
        out.append(span)
    return out


# --------------------------------------------------------------------------- OSM


_REFERENCE_MONDAY = datetime(2024, 1, 8)  # a week without public holidays
_PH_OFF = re.compile(r"\bPH\s+(off|closed)\b", re.I)
_PH_OPEN = re.compile(r"\bPH\b(?!\s+(off|closed))", re.I)


@functools.lru_cache(maxsize=16384)  # a national file repeats a few hundred expressions
def from_osm(text: str) -> dict[str, Any] | None:
    """An OSM ``opening_hours`` expression, evaluated over a plain week."""
    text = clean(text)
    if not text:
        return None
    try:
        parsed = opening_hours.OpeningHours(text)
        spans = parsed.intervals(_REFERENCE_MONDAY, _REFERENCE_MONDAY + timedelta(days=7))
    except (SyntaxError, ValueError, opening_hours.ParserError):
        return None
    week: Week = {}
    appointment = bool(_APPOINTMENT.search(fold(text)))
    for start, end, state, _comment in spans:
        if state != opening_hours.State.OPEN:
            continue
        while start < end:  # a span across midnight is cut at each day's end
            day_end = datetime.combine(start.date() + timedelta(days=1), datetime.min.time())
            stop = min(end, day_end)
            week.setdefault(start.weekday(), []).append(
                (start.strftime("%H:%M"), "24:00" if stop == day_end else stop.strftime("%H:%M"))
            )
            start = stop
    holidays_open = bool(_PH_OPEN.search(text)) and not _PH_OFF.search(text)
    return make_hours(week, holidays_open=holidays_open, appointment=appointment)


def from_osm_or_text(text: str) -> dict[str, Any] | None:
    """data·inclusion's ``horaires`` should be OSM; some sources put French text there."""
    return from_osm(text) or from_text(text)


# --------------------------------------------------------------------------- per day


def from_day_columns(
    per_day: Mapping[int, str], *, appointment: bool = False
) -> dict[str, Any] | None:
    """One cell a weekday (France Services' ``h_lundi`` … ``h_samedi``)."""
    week: Week = {}
    for day, text in per_day.items():
        found = slots(text)
        if found is None:
            return None
        week[day] = found
    return make_hours(week, appointment=appointment)


def from_dila(plages: object, commentaire: object = "") -> dict[str, Any] | None:
    """DILA ``plage_ouverture``: day ranges with up to three spans each."""
    week: Week = {}
    said = [clean(commentaire)]
    for plage in plages if isinstance(plages, list) else []:
        if not isinstance(plage, dict):
            continue
        first = _day(clean(plage.get("nom_jour_debut")))
        last = _day(clean(plage.get("nom_jour_fin"))) if plage.get("nom_jour_fin") else first
        if first is None or last is None:
            return None
        spans = [
            interval(
                clean(plage.get(f"valeur_heure_debut_{k}")),
                clean(plage.get(f"valeur_heure_fin_{k}")),
            )
            for k in (1, 2, 3)
            if plage.get(f"valeur_heure_debut_{k}")
        ]
        if None in spans:
            return None
        for day in _day_range(first, last):
            week.setdefault(day, []).extend(s for s in spans if s)
        said.append(clean(plage.get("commentaire")))
    appointment = any(_APPOINTMENT.search(fold(text)) for text in said if text)
    return make_hours(week, appointment=appointment)


def from_annuaire_json(text: str) -> dict[str, Any] | None:
    """The annuaire additions' ``horaires_json`` (an object with ``horaires``, or the list)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    items = data.get("horaires") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return None
    week: Week = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        first, last = _day(clean(item.get("du"))), _day(clean(item.get("au") or item.get("du")))
        heures = item.get("heures")
        if first is None or last is None or not isinstance(heures, list):
            return None
        spans = [
            interval(clean(h.get("de")), clean(h.get("a"))) if isinstance(h, dict) else None
            for h in heures
        ]
        if None in spans:
            return None
        for day in _day_range(first, last):
            week.setdefault(day, []).extend(s for s in spans if s)
    return make_hours(week)


# --------------------------------------------------------------------------- French text

_DAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?"
_DAYS_SPEC = re.compile(
    rf"^(?:du ({_DAYS}) au ({_DAYS})|({_DAYS}) ?(?:-|au) ?({_DAYS})"
    rf"|((?:{_DAYS})(?:(?:, ?| et ){_DAYS})*))"
    r"\s*:?\s*(.+)$"
)
_HOLIDAYS_CLOSED = re.compile(r"^ferme (?:les )?jours feries$")


def from_text(text: str) -> dict[str, Any] | None:
    """Regular French hours: ``Jours : spans`` parts split by ``;`` or lines, plus « Fermé
    les jours fériés » and « sur rendez-vous »; None as soon as one part is not regular."""
    text = clean(text.replace("\n", " ; ")).strip(' ."')
    if not text or text.startswith(("{", "[")):
        return from_annuaire_json(text) if text else None
    week: Week = {}
    appointment = False
    for part in re.split(r"\s*;\s*", text):
        folded = fold(part)
        if not folded or _HOLIDAYS_CLOSED.match(folded):
            continue
        if _APPOINTMENT.fullmatch(folded) or folded == "accueil sur rendez vous":
            appointment = True
            continue
        m = _DAYS_SPEC.match(re.sub(r"^le ", "", _plain(part).strip(" .")))
        if not m:
            return None
        if m[1] or m[3]:
            first, last = _day(m[1] or m[3]), _day(m[2] or m[4])
            assert first is not None and last is not None
            days = _day_range(first, last)
        else:
            days = [d for d in map(_day, re.split(r", ?| et ", m[5])) if d is not None]
        rest = re.sub(r"\(([^)]*)\)$", "", m[6]).strip()
        if _APPOINTMENT.search(fold(m[6])):
            appointment = True
        found = slots(rest.replace("–", "-"))
        if not found:
            return None
        for day in days:
            week.setdefault(day, []).extend(found)
    return make_hours(week, appointment=appointment)
