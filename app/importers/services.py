"""What a source says of a service, kept for the CIP who orients a person: what is offered
(its freins), access conditions, cost, modes (sur / sans rendez-vous, à distance) and how to
mobilise it (link, phone). Shape and vocabulary: :mod:`recommender.services`.

Structured fields win (data·inclusion ``frais``, ``modes_accueil``, ``conditions_acces``,
``lien_mobilisation``); a description only adds what it states in so many words (« gratuit »,
« sans rendez-vous »), never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from recommender.text import fold

from .normalize import clean, normalize_phone, normalize_url, truncate

_FREE = re.compile(r"\bgratuit(e|s|es|ement)?\b")
_PAID = re.compile(r"\bpayant(e|s|es)?\b")
_WITH_APPOINTMENT = re.compile(r"\b(sur|prendre|prise de) (rendez vous|rdv)\b")
_WITHOUT_APPOINTMENT = re.compile(r"\bsans (rendez vous|rdv)\b")
_REMOTE = re.compile(r"\ba distance\b|\ben ligne\b|\bpar telephone\b|\bvisio")
# data·inclusion v1 ``frais`` codes → our fee (the first that applies).
_FEES = {
    "gratuit": "gratuit",
    "gratuit-sous-conditions": "gratuit-sous-conditions",
    "payant": "payant",
    "adhesion": "adhesion",
    "pass-numerique": "gratuit-sous-conditions",
}


def fee_of(codes: Iterable[str], text: str = "") -> str | None:
    """The fee from data·inclusion ``frais`` codes, else from plain words of ``text``."""
    for code in codes:
        if fee := _FEES.get(clean(code)):
            return fee
    folded = fold(text)
    free, paid = bool(_FREE.search(folded)), bool(_PAID.search(folded))
    if free != paid:
        return "gratuit" if free else "payant"
    return None


def modes_of(
    modes_accueil: Iterable[str], text: str = "", *, appointment_link: bool = False
) -> list[str]:
    """Sur / sans rendez-vous, à distance: from data·inclusion ``modes_accueil`` codes, an
    appointment link, and plain words of ``text``."""
    folded = fold(text)
    found = set()
    if appointment_link or _WITH_APPOINTMENT.search(folded):
        found.add("sur-rendez-vous")
    if _WITHOUT_APPOINTMENT.search(folded):
        found.discard("sur-rendez-vous")
        found.add("sans-rendez-vous")
    if "a-distance" in modes_accueil or _REMOTE.search(folded):
        found.add("a-distance")
    return [m for m in ("sur-rendez-vous", "sans-rendez-vous", "a-distance") if m in found]


def service(
    nom: str,
    freins: Sequence[str],
    *,
    text: str = "",
    conditions: str = "",
    frais: Iterable[str] = (),
    modes_accueil: Iterable[str] = (),
    lien_mobilisation: str = "",
    rendez_vous: str = "",
    telephone: str = "",
    source: str = "",
    prestations: Sequence[str] = (),
) -> dict[str, Any]:
    """One service in the stored shape (keys without a value left out)."""
    conditions = clean(conditions)
    lien = normalize_url(lien_mobilisation) or normalize_url(rendez_vous)
    out: dict[str, Any] = {
        "nom": truncate(clean(nom), 200),
        "freins": list(freins),
        "prestations": list(prestations),
        "conditions": truncate(conditions, 300),
        "frais": fee_of(frais, f"{conditions} {text}"),
        "modes": modes_of(
            list(modes_accueil), f"{conditions} {text}", appointment_link=bool(rendez_vous)
        ),
        "lien_mobilisation": lien,
        "telephone": normalize_phone(telephone),
        "source": clean(source),
    }
    return {k: v for k, v in out.items() if v not in ("", None, []) or k in ("freins", "modes")}
