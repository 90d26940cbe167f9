"""The « mise en lien » helpers: what the person's fiche and the fiche de liaison say about a
partner (hours, appointments, what to bring, how to mobilise it, a small map), and the
languages the person's fiche is translated into.

Nothing here sees the person: only the partner's public record.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from recommender.geo import default_gazetteer


@dataclass(frozen=True)
class Language:
    """A language of the person's fiche: its gettext locale, HTML ``lang`` and direction."""

    code: str  # the value of ``?langue=`` and the catalogue's folder
    label: str  # its French name, for the CIP
    native: str  # its own name, for the person
    html_lang: str
    rtl: bool = False


# Chosen from evidence (docs/fiche-personne.md): first asylum requests (OFPRA 2023) and foreign
# residents (INSEE 2023). French is always printed beside them.
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "anglais", "English", "en"),
        Language("ar", "arabe", "العربية", "ar", rtl=True),
        Language("fa_AF", "dari", "دری", "fa-AF", rtl=True),
        Language("ps", "pachto", "پښتو", "ps", rtl=True),
        Language("uk", "ukrainien", "Українська", "uk"),
        Language("ru", "russe", "Русский", "ru"),
        Language("tr", "turc", "Türkçe", "tr"),
        Language("ro", "roumain", "Română", "ro"),
        Language("pt", "portugais", "Português", "pt"),
        Language("es", "espagnol", "Español", "es"),
    )
}
# The plain-language French variant (« facile à lire et à comprendre »): no second language.
FALC = "falc"

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_APPOINTMENT = (
    (re.compile(r"\bsans[\s-]+(rendez|rdv)", re.IGNORECASE), "sans rendez-vous"),
    (
        re.compile(r"\b(sur|uniquement\s+sur|avec)[\s-]+(rendez|rdv)", re.IGNORECASE),
        "sur rendez-vous",
    ),
)
_BRING = re.compile(
    r"[^.;\n]*\b(se munir|munissez|apporter|apportez|pi[eè]ces? (justificatives?|d'identit[eé]|"
    r"à fournir)|justificatifs?)\b[^.;\n]*",
    re.IGNORECASE,
)


def _interval(value: Any) -> str:
    """One opening interval in French: ``9 h – 12 h 30``."""
    if isinstance(value, dict):
        start = value.get("debut") or value.get("ouverture") or value.get("start")
        end = value.get("fin") or value.get("fermeture") or value.get("end")
    elif isinstance(value, list | tuple) and len(value) == 2:
        start, end = value
    else:
        parts = re.split(r"\s*[-–]\s*", str(value), maxsplit=1)
        start, end = [*parts, ""][:2]
    return " – ".join(_clock(x) for x in (start, end) if x)


def _clock(value: Any) -> str:
    """``09:30`` → ``9 h 30``; ``14:00`` → ``14 h``."""
    match = re.fullmatch(r"\s*(\d{1,2})[:h](\d{2})?\s*", str(value))
    if not match:
        return str(value).strip()
    hours, minutes = int(match.group(1)), match.group(2)
    return f"{hours} h {minutes}" if minutes and minutes != "00" else f"{hours} h"


def _week(structured: Any) -> dict[str, Any] | None:
    """The per-weekday part of structured hours, whatever its wrapping key."""
    if not isinstance(structured, dict):
        return None
    if any(day in structured for day in WEEKDAYS):
        return structured
    for key in ("semaine", "jours", "week", "days"):
        if isinstance(structured.get(key), dict):
            return structured[key]
    return None


def hours_week(partner: dict[str, Any]) -> list[tuple[str, str]]:
    """Opening hours as ``(weekday, intervals)`` pairs from the structured week
    (``horaires_structures``) when the record has one, else ``("", line)`` pairs of the
    source's text (kept as the source wrote it).

    >>> week = {"jours": {"lundi": [["09:00", "12:00"], ["14:00", "17:30"]]}}
    >>> hours_week({"horaires_structures": week, "horaires": "Mo 09:00-12:00,14:00-17:30"})
    [('lundi', '9 h – 12 h, 14 h – 17 h 30')]
    >>> hours_week({"horaires": "Mo-Fr 09:00-12:00"})
    [('', 'Mo-Fr 09:00-12:00')]
    """
    week = _week(partner.get("horaires_structures"))
    if week:
        days = []
        for day in WEEKDAYS:
            slots = week.get(day)
            if isinstance(slots, str | dict):
                slots = [slots]
            if slots:
                days.append((day, ", ".join(_interval(s) for s in slots)))
        if days:
            return days
    text = (partner.get("horaires") or "").strip()
    return [("", line.strip()) for line in text.splitlines() if line.strip()]


def hours_lines(partner: dict[str, Any]) -> list[str]:
    """:func:`hours_week` in French lines: ``Lundi : 9 h – 12 h``."""
    return [f"{day.capitalize()} : {slots}" if day else slots for day, slots in hours_week(partner)]


def _flag(partner: dict[str, Any], *names: str) -> bool | None:
    structured = partner.get("horaires_structures")
    for source in (structured if isinstance(structured, dict) else {}, partner):
        for name in names:
            if isinstance(source.get(name), bool):
                return source[name]
    return None


def appointment(partner: dict[str, Any]) -> str | None:
    """« sur rendez-vous » / « sans rendez-vous » when the record says so, else ``None``.

    >>> appointment({"horaires": "Lundi 9h-12h sur rendez-vous"})
    'sur rendez-vous'
    >>> appointment({"horaires_structures": {"jours": {}, "sur_rendez_vous": True}})
    'sur rendez-vous'
    >>> appointment({"services": [{"nom": "Permanence", "modes": ["sans-rendez-vous"]}]})
    'sans rendez-vous'
    >>> appointment({"horaires": "Lundi 9h-12h"}) is None
    True
    """
    flag = _flag(partner, "sur_rendez_vous", "rendez_vous")
    if flag is not None:
        return "sur rendez-vous" if flag else "sans rendez-vous"
    texts = [partner.get("horaires") or "", partner.get("description") or ""]
    texts += [" ".join(map(str, s.get("modes") or ())) for s in _services(partner)]
    for pattern, label in _APPOINTMENT:
        if any(pattern.search(text) for text in texts):
            return label
    return None


def to_bring(partner: dict[str, Any]) -> str | None:
    """What the source says to bring (its sentence), else ``None``.

    >>> to_bring({"description": "Accueil social. Se munir d'une pièce d'identité. Gratuit."})
    "Se munir d'une pièce d'identité"
    """
    for text in (partner.get("description") or "", partner.get("horaires") or ""):
        match = _BRING.search(text)
        if match:
            return match.group(0).strip()
    return None


def _services(partner: dict[str, Any]) -> list[dict[str, Any]]:
    services = partner.get("services")
    return [s for s in services if isinstance(s, dict)] if isinstance(services, list) else []


def mobilisation_links(partner: dict[str, Any]) -> list[str]:
    """The web addresses where the partner takes orientations (``lien_mobilisation``)."""
    links = [partner.get("lien_mobilisation")] + [
        s.get("lien_mobilisation") for s in _services(partner)
    ]
    seen = dict.fromkeys(
        link for link in links if isinstance(link, str) and link.startswith(("https://", "http://"))
    )
    return list(seen)


def sheet_facts(partner: dict[str, Any]) -> dict[str, Any]:
    """What both fiches print about a partner, in one dict (also the liaison page's JSON)."""
    return {
        "id": partner["id"],
        "nom": partner["nom"],
        "type": partner["type"]["label"],
        "adresse": partner.get("adresse") or "",
        "code_postal": partner.get("code_postal") or "",
        "commune": (partner.get("commune") or {}).get("nom") or "",
        "telephone": partner.get("telephone") or "",
        "email": partner.get("email") or "",
        "site_web": partner.get("site_web") or "",
        "horaires": hours_lines(partner),
        "rendez_vous": appointment(partner),
        "a_apporter": to_bring(partner),
        "liens_mobilisation": mobilisation_links(partner),
    }


def map_svg(partner: dict[str, Any], size: int = 160) -> dict[str, Any] | None:
    """A small static map: the commune's outline and the partner's point, as SVG path data in
    a ``size`` × ``size`` box (no tiles: it prints and works offline)."""
    code = (partner.get("commune") or {}).get("code_insee")
    lat, lon = partner.get("lat"), partner.get("lon")
    if not code or lat is None or lon is None:
        return None
    try:
        shape = default_gazetteer().commune_polygon(code)
    except FileNotFoundError:
        return None
    if shape is None or shape.is_empty:
        return None
    min_x, min_y, max_x, max_y = shape.bounds
    min_x, max_x = min(min_x, lon), max(max_x, lon)
    min_y, max_y = min(min_y, lat), max(max_y, lat)
    aspect = math.cos(math.radians((min_y + max_y) / 2))
    span = max((max_x - min_x) * aspect, max_y - min_y) or 1e-3
    margin = 8
    scale = (size - 2 * margin) / span

    def xy(x: float, y: float) -> tuple[float, float]:
        return (
            round(margin + (x - min_x) * aspect * scale, 1),
            round(size - margin - (y - min_y) * scale, 1),
        )

    polygons = getattr(shape, "geoms", [shape])
    path = " ".join(
        "M"
        + " L".join(f"{px},{py}" for px, py in (xy(x, y) for x, y in poly.exterior.coords))
        + "Z"
        for poly in polygons
    )
    px, py = xy(lon, lat)
    return {"size": size, "path": path, "x": px, "y": py}
