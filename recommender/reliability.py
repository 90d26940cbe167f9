"""How far a partner's record can be trusted: its age and the precision of its address.

This is the contract's ``fiabilite``, kept apart from the verdict on purpose: the verdict
judges the *fit* of an orientation, and an old record never turns a good fit into
``a_verifier`` by itself (most public records date from 2016: a verdict that followed their
age would say « à vérifier » everywhere and help nobody choose).
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

STALE_AFTER_YEARS = 3.0


class Fiabilite(TypedDict):
    """The contract's ``fiabilite`` object."""

    niveau: str  # a_jour | ancienne | inconnue
    mise_a_jour: str | None
    avertissements: list[str]


def fiabilite(
    updated_at: date | None,
    *,
    approximate: bool,
    today: date,
    stale_after_years: float = STALE_AFTER_YEARS,
) -> Fiabilite:
    """The record's reliability on ``today``; ``approximate``: its point is the commune's centre.

    >>> fiabilite(date(2016, 1, 12), approximate=False, today=date(2026, 12, 4))
    {'niveau': 'ancienne', 'mise_a_jour': '2016-01-12', 'avertissements': ['Données de 2016 : à vérifier par téléphone']}
    >>> fiabilite(date(2025, 6, 1), approximate=True, today=date(2026, 12, 4))["niveau"]
    'a_jour'
    >>> fiabilite(None, approximate=True, today=date(2026, 12, 4))["avertissements"]
    ['Date des données inconnue : à vérifier par téléphone', 'Adresse approximative (centre de la commune)']
    """  # noqa: E501
    warnings: list[str] = []
    if updated_at is None:
        niveau = "inconnue"
        warnings.append("Date des données inconnue : à vérifier par téléphone")
    elif (today - updated_at).days / 365.25 > stale_after_years:
        niveau = "ancienne"
        warnings.append(f"Données de {updated_at.year} : à vérifier par téléphone")
    else:
        niveau = "a_jour"
    if approximate:
        warnings.append("Adresse approximative (centre de la commune)")
    return {
        "niveau": niveau,
        "mise_a_jour": updated_at.isoformat() if updated_at else None,
        "avertissements": warnings,
    }
