"""Field-level cleaning shared by every importer: phones, e-mails, URLs, postal codes,
dates, opening hours, coordinates and free-text publics.

Every function is pure and tolerant: it returns a cleaned value or ``None``/``""``
(never raises on bad input), so one bad cell never stops a row.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

from recommender.text import fold

# --- text --------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """A stripped one-line string ("" for None); inner whitespace collapsed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        if isinstance(value, float) and value != value:  # NaN
            return ""
        value = str(value)
    if "  " not in value and "\n" not in value and "\t" not in value and "\r" not in value:
        return value.strip()
    return _SPACES.sub(" ", value).strip()


def clean_multiline(value: object) -> str:
    """Like :func:`clean` but keeps line breaks (descriptions)."""
    if not value:
        return ""
    value = str(value)
    if "\n" not in value and "\r" not in value:
        return clean(value)
    lines = [_SPACES.sub(" ", line).strip() for line in value.replace("\r", "").split("\n")]
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def truncate(value: str, size: int) -> str:
    return value if len(value) <= size else value[: size - 1].rstrip() + "…"


_SMALL_WORDS = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "et",
    "en",
    "sur",
    "sous",
    "aux",
    "au",
    "d",
    "l",
}


def smart_title(value: str) -> str:
    """Title-case an ALL-CAPS label, keeping French small words lowercase.

    >>> smart_title("BOURG EN BRESSE PARME")
    'Bourg en Bresse Parme'
    >>> smart_title("ST QUENTIN CORDIER COUR")
    'Saint-Quentin Cordier Cour'
    """
    value = clean(value)
    value = re.sub(r"\bSTE\b", "SAINTE-", value)
    value = re.sub(r"\bST\b", "SAINT-", value)
    value = re.sub(r"- +", "-", value)
    words = re.split(r"(\s+|-|')", value.lower())
    out = []
    for i, word in enumerate(words):
        if i > 0 and word in _SMALL_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return "".join(out)


def is_upper_label(value: str) -> bool:
    letters = [c for c in value if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


# --- phones, e-mails, web ----------------------------------------------------------------------

_NOT_PHONE = re.compile(r"[^\d+]")
_PHONE_SEP = re.compile(r"\s*(?:/|;|,|\bou\b|\bet\b)\s*")
_EMAIL_SEP = re.compile(r"[\s;,]+")
_URL_SEP = re.compile(r"\s+\|\s+|\s+")
_HTTP = re.compile(r"^https?://", re.I)
_DOMAIN = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/.*)?$", re.I)
_DEPARTEMENT = re.compile(r"(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-8]|98[4-9])")
_CEDEX = re.compile(r"\bcedex\b.*$", re.I)
_FIVE_DIGITS = re.compile(r"\b\d{5}\b")
_DIGIT = re.compile(r"\d")
_GROUPED_PHONE = re.compile(r"0[1-9](?: [0-9]{2}){4}")

# Overseas country codes whose national numbers are written 0 + 9 digits in France.
_FR_COUNTRY_CODES = ("33", "262", "590", "594", "596", "269", "508", "687", "689", "681")


def _group_phone(digits: str) -> str:
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def normalize_phone_one(value: str) -> str:
    raw = clean(value)
    if not raw:
        return ""
    digits = _NOT_PHONE.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        body = digits[1:]
        for cc in _FR_COUNTRY_CODES:
            rest = body[len(cc) :]
            if body.startswith(cc):
                rest = rest[1:] if rest.startswith("0") and len(rest) == 10 else rest
                if len(rest) == 9:
                    return _group_phone("0" + rest)
        return raw
    if len(digits) == 10 and digits.startswith("0"):
        return _group_phone(digits)
    if len(digits) == 9 and digits[0] in "123456789" and not digits.startswith("3"):
        return _group_phone("0" + digits)
    if len(digits) == 4 and digits.startswith(("3", "1")):  # 3949, 3936, 1023: short numbers
        return digits
    return raw


def normalize_phone(value: object) -> str:
    """French phone numbers as ``01 23 45 67 89``; several numbers joined by `` / ``.

    >>> normalize_phone("+33 4 74 00 85 01")
    '04 74 00 85 01'
    >>> normalize_phone("0474008501 ou 06.12.34.56.78")
    '04 74 00 85 01 / 06 12 34 56 78'
    >>> normalize_phone("+262 262 12 34 56")
    '02 62 12 34 56'
    >>> normalize_phone("3949")
    '3949'
    """
    raw = clean(value)
    if not raw:
        return ""
    if len(raw) == 10 and raw.isdigit() and raw[0] == "0":
        return _group_phone(raw)
    if _GROUPED_PHONE.fullmatch(raw):  # already as we write it
        return raw
    parts = [p for p in _PHONE_SEP.split(raw) if p.strip()]
    out = []
    for part in parts:
        phone = normalize_phone_one(part)
        if phone and phone not in out:
            out.append(phone)
    return truncate(" / ".join(out), 100)


_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def normalize_email(value: object) -> str | None:
    """A lowercased e-mail address; "" when empty, None when present but invalid."""
    raw = clean(value).replace("mailto:", "").strip(" <>;,")
    if not raw:
        return ""
    first = _EMAIL_SEP.split(raw)[0]
    return first.lower() if _EMAIL.match(first) else None


def normalize_url(value: object) -> str:
    """An http(s) URL ("" when empty or not a URL); a bare domain gets ``https://``."""
    raw = clean(value)
    if not raw:
        return ""
    raw = _URL_SEP.split(raw)[0]
    if _HTTP.match(raw):
        return truncate(raw, 500)
    if _DOMAIN.match(raw):
        return truncate("https://" + raw, 500)
    return ""


# --- codes -------------------------------------------------------------------------------------


def normalize_postal_code(value: object) -> str | None:
    """Five digits ("" when empty, None when invalid); a 4-digit code lost its leading zero.

    >>> [normalize_postal_code(v) for v in ("1000", " 75 015 ", "75")]
    ['01000', '75015', None]
    """
    raw = clean(value)
    if not raw:
        return ""
    if len(raw) == 5 and raw.isascii() and raw.isdigit():
        return raw
    if raw.endswith(".0"):
        raw = raw[:-2]
    digits = re.sub(r"\s", "", raw)
    if re.fullmatch(r"[0-9]{4}", digits):  # ASCII digits: "\d" and isdigit() accept "²"
        digits = "0" + digits
    return digits if re.fullmatch(r"[0-9]{5}", digits) else None


def normalize_insee(value: object) -> str | None:
    raw = clean(value).upper()
    if not raw:
        return None
    if len(raw) == 5 and raw.isascii() and raw.isdigit():
        return raw
    if re.fullmatch(r"[0-9]{4}", raw):
        raw = "0" + raw
    return raw if re.fullmatch(r"([0-9]{5}|2[AB][0-9]{3})", raw) else None


def normalize_departement(value: object) -> str | None:
    """``"1"`` → ``"01"``, ``"2a"`` → ``"2A"``, ``"974"`` stays; None when not a code."""
    raw = clean(value).upper()
    if not raw:
        return None
    if re.fullmatch(r"\d", raw):
        raw = "0" + raw
    if _DEPARTEMENT.fullmatch(raw):
        return raw
    return None


def departement_of_postal_code(cp: str) -> str | None:
    if not cp or len(cp) != 5:
        return None
    if cp.startswith("97") or cp.startswith("98"):
        return cp[:3]
    if cp.startswith("20"):
        return "2A" if cp < "20200" else "2B"
    return cp[:2]


def normalize_siret(value: object) -> str | None:
    digits = re.sub(r"\D", "", clean(value))
    return digits if len(digits) == 14 else None


def clean_commune_name(value: str) -> str:
    """Drop CEDEX, arrondissement numbers and distribution noise from a commune label.

    >>> clean_commune_name("Bourg-en-Bresse  Cedex 9")
    'Bourg-en-Bresse'
    """
    text = clean(value)
    if "edex" in text or "EDEX" in text:
        text = _CEDEX.sub("", text)
    if _DIGIT.search(text):
        text = _FIVE_DIGITS.sub("", text)
    return text.strip(" ,-")


# --- dates -------------------------------------------------------------------------------------


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_date(value: object) -> date | None:
    """ISO dates, French ``dd/mm/yyyy [hh:mm:ss]`` and ``yyyy-mm``.

    >>> parse_date("03/12/2021 07:55:01"), parse_date("2015-04-30"), parse_date("2024-08")
    (datetime.date(2021, 12, 3), datetime.date(2015, 4, 30), datetime.date(2024, 8, 1))
    """
    raw = clean(value)
    return _parse_date(raw) if raw else None


@functools.lru_cache(maxsize=8192)  # a file holds few distinct dates
def _parse_date(raw: str) -> date | None:
    try:
        m = _ISO_DATE.match(raw)
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = _FRENCH_DATE.match(raw)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        m = _MONTH.fullmatch(raw)
        if m:
            return date(int(m[1]), int(m[2]), 1)
    except ValueError:
        return None
    return None


def date_from_filename(name: str) -> date | None:
    """``france_services_2024-08.csv`` → 2024-08-01 (the extract's date)."""
    m = re.search(r"(20\d{2}|19\d{2})[-_](\d{2})(?:[-_](\d{2}))?", name)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        return None


def today() -> date:
    return datetime.now().date()


# --- opening hours -----------------------------------------------------------------------------

_SLOT = re.compile(r"^(\d{1,2}(?:[:hH]\d{0,2})?)\s*(?:-|–|à|a)\s*(\d{1,2}(?:[:hH]\d{0,2})?)$")
DAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
_OSM_DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}


def _hhmm(value: str) -> str:
    m = re.match(r"^\s*(\d{1,2})\s*[:hH]\s*(\d{2})?", value or "")
    if not m:
        return ""
    return f"{int(m[1]):02d}:{m[2] or '00'}"


def format_slots(text: str) -> str:
    """``"09:00 - 12:00 / 13:30 - 17:00"`` → ``"09:00–12:00 / 13:30–17:00"``."""
    slots = []
    for part in re.split(r"\s*[/,;]\s*", clean(text)):
        m = _SLOT.match(part)
        if m:
            slots.append(f"{_hhmm(m[1])}–{_hhmm(m[2])}")
        elif part:
            slots.append(part)
    return " / ".join(slots)


HOURS_SEPARATOR = " ; "


def _days_label(first: int, last: int) -> str:
    if first == last:
        return DAYS[first]
    if last == first + 1:
        return f"{DAYS[first]} et {DAYS[last].lower()}"
    return f"Du {DAYS[first].lower()} au {DAYS[last].lower()}"


def weekly_hours(per_day: dict[int, str]) -> str:
    """Open days with their slots, consecutive days with the same slots grouped (the format
    of the shipped mairies file).

    >>> weekly_hours({0: "09:00 - 12:00 / 13:30 - 17:00"})
    'Lundi : 09:00–12:00 / 13:30–17:00'
    >>> weekly_hours({1: "9h-12h", 2: "09:00-12:00", 3: "09:00 - 12:00", 5: "09:00 - 12:00"})
    'Du mardi au jeudi : 09:00–12:00 ; Samedi : 09:00–12:00'
    """
    slots = {i: format_slots(per_day.get(i, "")) for i in range(len(DAYS))}
    parts, i = [], 0
    while i < len(DAYS):
        if not slots[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(DAYS) and slots[j + 1] == slots[i]:
            j += 1
        parts.append(f"{_days_label(i, j)} : {slots[i]}")
        i = j + 1
    return HOURS_SEPARATOR.join(parts)


def _osm_days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        bounds = [b.strip().lower()[:2] for b in part.split("-")]
        if not all(b in _OSM_DAYS for b in bounds):
            return []
        if len(bounds) == 1:
            days.append(_OSM_DAYS[bounds[0]])
        else:
            a, b = _OSM_DAYS[bounds[0]], _OSM_DAYS[bounds[1]]
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return days


def osm_opening_hours(value: object) -> str:
    """OpenStreetMap ``opening_hours`` (data·inclusion) → French lines; unknown syntax kept.

    >>> print(osm_opening_hours("Mo-Fr 08:30-12:30,14:00-17:00; Sa 09:00-12:00; PH off"))
    Du lundi au vendredi : 08:30–12:30 / 14:00–17:00 ; Samedi : 09:00–12:00 ; Fermé les jours fériés

    """
    raw = clean(value)
    if not raw:
        return ""
    per_day: dict[int, str] = {}
    extra = []
    for rule in [r.strip() for r in raw.split(";") if r.strip()]:
        if rule.lower() == "ph off":
            extra.append("Fermé les jours fériés")
            continue
        m = re.fullmatch(r"([A-Za-z,\- ]+?)\s+([\d:,\- ]+)", rule)
        days = _osm_days(m[1]) if m else []
        if not days:
            return raw
        slots = " / ".join(s.replace("-", " - ") for s in m[2].replace(" ", "").split(","))
        for d in days:
            per_day[d] = slots
    return HOURS_SEPARATOR.join([line for line in [weekly_hours(per_day)] if line] + extra)


def dila_opening_hours(plages: object, commentaire: object = "") -> str:
    """DILA ``plage_ouverture`` list → French lines (``Du lundi au vendredi : …``)."""
    lines = []
    for plage in plages if isinstance(plages, list) else []:
        if not isinstance(plage, dict):
            continue
        start, end = clean(plage.get("nom_jour_debut")), clean(plage.get("nom_jour_fin"))
        slots = []
        for k in (1, 2, 3):
            a = _hhmm(clean(plage.get(f"valeur_heure_debut_{k}")))
            b = _hhmm(clean(plage.get(f"valeur_heure_fin_{k}")))
            if a and b:
                slots.append(f"{a}–{b}")
        if not start or not slots:
            continue
        label = start if not end or end == start else f"Du {start.lower()} au {end.lower()}"
        line = f"{label} : {' / '.join(slots)}"
        if comment := clean(plage.get("commentaire")):
            line += f" ({comment})"
        lines.append(line)
    if comment := clean(commentaire):
        lines.append(comment)
    return HOURS_SEPARATOR.join(lines)


# --- coordinates -------------------------------------------------------------------------------

# (lat_min, lat_max, lon_min, lon_max): metropolitan France with Corsica, then overseas.
FRANCE_BOXES = (
    (41.2, 51.3, -5.5, 9.8),
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (17.8, 18.2, -63.2, -62.7),  # Saint-Martin, Saint-Barthélemy
    (14.3, 14.95, -61.3, -60.75),  # Martinique
    (2.0, 6.0, -54.7, -51.5),  # Guyane
    (-21.5, -20.8, 55.1, 55.95),  # La Réunion
    (-13.1, -12.55, 44.9, 45.35),  # Mayotte
    (46.7, 47.2, -56.5, -56.1),  # Saint-Pierre-et-Miquelon
    (-22.9, -19.4, 163.4, 168.3),  # Nouvelle-Calédonie
    (-28.0, -7.5, -155.0, -134.0),  # Polynésie française
    (-14.5, -13.1, -178.3, -176.0),  # Wallis-et-Futuna
)


def in_france(lat: float, lon: float) -> bool:
    return any(a <= lat <= b and c <= lon <= d for a, b, c, d in FRANCE_BOXES)


def parse_coord(value: object) -> float | None:
    if value is None:
        return None
    if type(value) is float:
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, int | float):
        f = float(value)
    else:
        raw = clean(value).replace(",", ".")
        if not raw:
            return None
        try:
            f = float(raw)
        except ValueError:
            return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


# --- publics and ages from free text -----------------------------------------------------------

_PUBLIC_PATTERNS = (
    ("jeunes", r"\bjeunes?\b|moins de 2[56] ans|\b1[6-8] ?(?:a|-) ?2[56] ans"),
    ("femmes", r"\bfemmes?\b"),
    ("demandeurs-emploi", r"demandeurs? d ?emploi|recherche d ?emploi|sans emploi"),
    ("beneficiaires-des-minimas-sociaux", r"\brsa\b|minima|allocataires"),
    ("personnes-en-situation-de-handicap", r"handicap|\brqth\b"),
    (
        "personnes-en-situation-juridique-specifique",
        r"justice|carceral|detenu|\bpjj\b|sortants? de prison|\bspip\b",
    ),
    ("personnes-exilees", r"refugie|exile|migrant|demandeurs? d ?asile|primo arrivant"),
    ("seniors", r"seniors?|personnes agees|retraite"),
    ("etudiants", r"etudiants?"),
    ("familles", r"familles?|parents?"),
    ("residents-qpv-frr", r"\bqpv\b|quartiers? prioritaires?"),
    ("actifs", r"\bsalaries?\b|\bactifs\b"),
)
_PUBLIC_RES = [(code, re.compile(pattern)) for code, pattern in _PUBLIC_PATTERNS]


def publics_from_text(text: str, known: dict[str, str] | None = None) -> list[str]:
    """data·inclusion public codes read from a free-text "public" cell.

    Codes or labels of ``known`` (code → label) are taken as they are.

    >>> publics_from_text("Bénéficiaires du RSA et moins de 25 ans")
    ['jeunes', 'beneficiaires-des-minimas-sociaux']
    """
    folded = fold(text)
    if not folded:
        return []
    out: list[str] = []
    if known:
        by_label = {fold(label): code for code, label in known.items()}
        for part in re.split(r"[,;|/]", text):
            key = fold(part)
            code = key.replace(" ", "-")
            if code in known:
                out.append(code)
            elif key in by_label:
                out.append(by_label[key])
    for code, rx in _PUBLIC_RES:
        if code not in out and rx.search(folded):
            out.append(code)
    if known:
        out = [c for c in out if c in known]
    return out


def ages_from_text(text: str) -> tuple[int | None, int | None]:
    """Age bounds written in French: "de 16 à 21 ans", "moins de 26 ans", "16-25 ans".

    >>> ages_from_text("Jeunes de 16 à 21 ans"), ages_from_text("moins de 26 ans")
    ((16, 21), (None, 25))
    >>> ages_from_text("sans limite d'âge")
    (None, None)
    """
    folded = fold(text)
    m = re.search(r"\b(\d{1,2}) (?:a|-|et) (\d{2}) ans\b", folded)
    if m and int(m[1]) < int(m[2]) <= 99:
        return int(m[1]), int(m[2])
    m = re.search(r"\bmoins de (\d{2}) ans\b", folded)
    if m:
        return None, int(m[1]) - 1
    m = re.search(r"\b(?:plus de|au moins|a partir de|des) (\d{2}) ans\b", folded)
    if m:
        return int(m[1]), None
    return None, None
