"""Jinja filters and helpers shared by the pages, the widget page and the admin.

Installed on the app by each of our blueprints (idempotent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask

from recommender.geo.names import departement_label, region_names
from recommender.hours import grouped_lines, notes, open_status, week_lines
from recommender.services import service_terms

from ..clock import now

VERDICTS = {
    "compatible": ("Compatible", "ok"),
    "a_verifier": ("À vérifier", "warn"),
    "incompatible": ("Incompatible", "ko"),
}


def fr_number(value: float | int | None, digits: int = 1) -> str:
    """French decimal comma.

    >>> fr_number(4.25)
    '4,2'
    >>> fr_number(12)
    '12'
    """
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}".replace(".", ",")


def distance(km: float | None) -> str:
    """A distance as a CIP reads it.

    >>> distance(4.23)
    'à 4,2 km'
    >>> distance(0.04)
    'sur place'
    >>> distance(123.4)
    'à 123 km'
    >>> distance(None)
    ''
    """
    if km is None:
        return ""
    if km < 0.1:
        return "sur place"
    if km >= 100:
        return f"à {round(km)} km"
    return f"à {fr_number(round(km, 1))} km"


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def fr_date(value: Any) -> str:
    """``12/01/2016`` from a date, a datetime or an ISO string.

    >>> fr_date("2016-01-12")
    '12/01/2016'
    """
    d = _as_date(value)
    return d.strftime("%d/%m/%Y") if d else ""


def fr_datetime(value: datetime | None) -> str:
    """Date and time, French style.

    >>> fr_datetime(datetime(2024, 8, 1, 9, 5))
    '01/08/2024 à 09:05'
    """
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y à %H:%M")


def today() -> date:
    return datetime.now(UTC).date()


def freshness(partner: dict[str, Any]) -> dict[str, Any]:
    """The record's age as the pages show it, read from the partner's ``fiabilite``
    (:mod:`recommender.reliability`, the one place that judges it).

    >>> old = {"niveau": "ancienne", "mise_a_jour": "2016-01-12",
    ...        "avertissements": ["Données de 2016 : à vérifier par téléphone"]}
    >>> freshness({"fiabilite": old})["label"]
    'Données de 2016 : à vérifier par téléphone'
    >>> freshness({"fiabilite": {**old, "niveau": "a_jour", "avertissements": []}})["label"]
    'Données du 12/01/2016'
    """
    found = partner["fiabilite"]
    known = _as_date(found["mise_a_jour"])
    if found["niveau"] == "a_jour" or not found["avertissements"]:
        label = f"Données du {fr_date(known)}" if known else "Date des données inconnue"
    else:
        label = found["avertissements"][0]
    return {"date": known, "stale": found["niveau"] == "ancienne", "label": label}


def approximate(partner: dict[str, Any]) -> bool:
    """True when the map point is only the commune's centre."""
    exact = partner.get("coordonnees_exactes", partner.get("coords_exact"))
    return exact is False and partner.get("lat") is not None


def tel_href(phone: str | None) -> str:
    """A ``tel:`` link for the first number of a phone field.

    >>> tel_href("03 44 12 34 56 / 06 11 22 33 44")
    'tel:0344123456'
    >>> tel_href("+33 (0)3 44 12 34 56")
    'tel:+33344123456'
    >>> tel_href("non communiqué")
    ''
    """
    if not phone:
        return ""
    first = re.split(r"[/,;]| ou ", phone)[0]
    first = first.replace("(0)", "")
    digits = re.sub(r"[^\d+]", "", first)
    if len(digits.lstrip("+")) < 3:
        return ""
    return f"tel:{digits}"


def zone_words(zone: dict[str, Any] | None, partner: dict[str, Any] | None = None) -> str:
    """The territory a partner serves, in words.

    >>> zone_words({"kind": "departement", "codes": ["60", "02"]})
    'Départements : Oise (60), Aisne (02)'
    >>> zone_words({"kind": "rayon", "codes": [], "radius_km": 15})
    'Dans un rayon de 15 km autour de la structure'
    >>> zone_words({"kind": "france", "codes": []})
    'Toute la France'
    """
    if not zone:
        return "Non précisée"
    kind = zone.get("kind")
    codes = list(zone.get("codes") or [])
    if kind == "departement" and not codes and partner and partner.get("departement"):
        codes = [partner["departement"]]
    words = _ZONE_WORDS.get(kind or "")
    if words is not None:
        return words(codes)
    radius = zone.get("radius_km")
    if radius:
        return f"Dans un rayon de {fr_number(radius)} km autour de la structure"
    return "Autour de la structure (rayon non précisé)"


def _territories(word: str, names: list[str]) -> str:
    """« Département : Oise (60) », « Régions : … », or the bare word without names."""
    if not names:
        return word
    return f"{word}{'s' if len(names) > 1 else ''} : {', '.join(names)}"


def _communes_words(codes: list[str]) -> str:
    n = len(codes)
    if n == 0:
        return "Communes desservies non précisées"
    shown = ", ".join(codes[:12]) + (" …" if n > 12 else "")
    return f"{n} commune{'s' if n > 1 else ''} (codes INSEE : {shown})"


#: Zone kind → its words from the zone's codes (a ``rayon`` zone is worded from its radius).
_ZONE_WORDS: dict[str, Callable[[list[str]], str]] = {
    "france": lambda codes: "Toute la France",
    "departement": lambda codes: _territories("Département", [departement_label(c) for c in codes]),
    "region": lambda codes: _territories("Région", [region_names().get(c, c) for c in codes]),
    "communes": _communes_words,
    "epci": lambda codes: (
        "Intercommunalité (EPCI) : " + ", ".join(codes) if codes else "Intercommunalité"
    ),
}


def score_pct(score: float | None) -> str:
    """A 0–1 score as a percentage.

    >>> score_pct(0.823)
    '82 %'
    """
    if score is None:
        return ""
    return f"{round(float(score) * 100)} %"


def verdict_label(code: str | None) -> str:
    return VERDICTS.get(code or "", (code or "", ""))[0]


def verdict_class(code: str | None) -> str:
    return VERDICTS.get(code or "", ("", "info"))[1]


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun, agreed.

    >>> plural(1, "résultat"), plural(3, "résultat")
    ('1 résultat', '3 résultats')
    """
    word = singular if n in (0, 1) else (plural_form or singular + "s")
    return f"{fr_thousands(n)} {word}"


def fr_thousands(n: int) -> str:
    """Thousands separated by a narrow no-break space.

    >>> fr_thousands(14477) == "14\u202f477"
    True
    """
    return f"{n:,}".replace(",", "\u202f")


def labels(codes: list[str] | None, mapping: dict[str, str]) -> list[str]:
    """Labels of codes (unknown codes kept as they are).

    >>> labels(["a", "z"], {"a": "A"})
    ['A', 'z']
    """
    return [mapping.get(c, c) for c in codes or []]


ELIDING = frozenset("aeiouyhàâäéèêëîïôöùûüœæ")
VOWELS = frozenset("aeiouàâäéèêëîïôöùûüœæ")


def de_commune(nom: str | None) -> str:
    """ "de" before a commune's name, as French writes it: elided before a vowel or an
    h ("d'Amiens", "d'Hirson"), contracted with the articles "Le" and "Les" ("du Havre",
    "des Mureaux"); "La" and "L'" stay ("de La Rochelle", "de L'Haÿ-les-Roses").

    An h is taken as mute (most commune names); a y before a vowel is a consonant
    ("de Yaucourt-Bussus", "d'Yvetot").

    >>> [de_commune(n) for n in ("Beauvais", "Amiens", "Hirson", "Le Havre", "Les Mureaux")]
    ['de Beauvais', "d'Amiens", "d'Hirson", 'du Havre', 'des Mureaux']
    >>> de_commune("Yvetot"), de_commune("Yaucourt-Bussus"), de_commune("Évreux")
    ("d'Yvetot", 'de Yaucourt-Bussus', "d'Évreux")
    >>> de_commune("La Rochelle"), de_commune("Lens"), de_commune("")
    ('de La Rochelle', 'de Lens', '')
    """
    nom = (nom or "").strip()
    if not nom:
        return ""
    for article, contracted in (("Le ", "du "), ("Les ", "des ")):
        if nom.startswith(article) and len(nom) > len(article):
            return contracted + nom[len(article) :]
    first, second = nom[0].lower(), nom[1:2].lower()
    elide = (second not in VOWELS) if first == "y" else (first in ELIDING)
    return f"d'{nom}" if elide else f"de {nom}"


def opening(partner: dict[str, Any], *, full: bool = False) -> dict[str, Any] | None:
    """A partner's structured hours as a page shows them: today's status (« Ouvert
    maintenant »…, by the app's clock), the week (every day when ``full``, else the open
    days grouped) and the notes; None without structured hours."""
    hours = partner.get("horaires_structures")
    if not hours:
        return None
    status = open_status(hours, now(), partner.get("departement"))
    return {
        "status": status,
        "css": {"ouvert-maintenant": "ok", "ouvert-aujourdhui": "info"}.get(
            status.code if status else "", "muted"
        ),
        "lines": week_lines(hours) if full else grouped_lines(hours),
        "notes": notes(hours),
    }


def install(app: Flask) -> None:
    filters = {
        "distance": distance,
        "fr_number": fr_number,
        "fr_date": fr_date,
        "fr_datetime": fr_datetime,
        "tel_href": tel_href,
        "departement_label": departement_label,
        "zone_words": zone_words,
        "score_pct": score_pct,
        "verdict_label": verdict_label,
        "verdict_class": verdict_class,
        "fr_thousands": fr_thousands,
        "labels": labels,
        "de_commune": de_commune,
    }
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals.update(
        freshness=freshness,
        approximate=approximate,
        plural=plural,
        opening=opening,
        service_terms=service_terms,
    )
