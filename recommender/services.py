"""The services a partner offers, as the sources describe them, and what they add to a
recommendation: a reason naming the service that matches the frein, and a small bonus.

A service (stored as JSON on a partner, exposed as ``services``)::

    {"nom": "Médiation numérique", "freins": ["numerique"], "prestations": [...],
     "conditions": "…", "frais": "gratuit", "modes": ["sans-rendez-vous"],
     "lien_mobilisation": "https://…", "telephone": "03 20 …", "source": "dora"}

The bonus stays small on purpose: a service described by its source says the partner
really does this, but the ranking's own factors (mission, distance, publics) come first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

SERVICE_FEES = ("gratuit", "gratuit-sous-conditions", "payant", "adhesion")
SERVICE_MODES = ("sur-rendez-vous", "sans-rendez-vous", "a-distance")
FEE_LABELS = {
    "gratuit": "gratuit",
    "gratuit-sous-conditions": "gratuit sous conditions",
    "payant": "payant",
    "adhesion": "sur adhésion",
}
MODE_LABELS = {
    "sur-rendez-vous": "sur rendez-vous",
    "sans-rendez-vous": "sans rendez-vous",
    "a-distance": "à distance",
}
# Score factor of a partner whose source describes a service for the frein asked.
SERVICE_BONUS = 0.05

Service = Mapping[str, Any]


def service_terms(service: Service) -> list[str]:
    """Cost and modes in French (« gratuit », « sans rendez-vous »…)."""
    terms = [FEE_LABELS[service["frais"]]] if service.get("frais") in FEE_LABELS else []
    terms += [MODE_LABELS[m] for m in service.get("modes") or () if m in MODE_LABELS]
    return terms


def service_reason(service: Service) -> str:
    """« Service : Médiation numérique (gratuit, sans rendez-vous) »."""
    terms = service_terms(service)
    return f"Service : {service['nom']}" + (f" ({', '.join(terms)})" if terms else "")


def reasons_by_frein(services: Iterable[Service] | None) -> tuple[tuple[str, str], ...]:
    """Per frein, the reason of the first service that names it (engine records keep this,
    not the whole services)."""
    out: dict[str, str] = {}
    for service in services or ():
        for frein in service.get("freins") or ():
            out.setdefault(frein, service_reason(service))
    return tuple(out.items())


def with_service_bonus(scores: np.ndarray, matches: np.ndarray) -> np.ndarray:
    """``scores`` raised by :data:`SERVICE_BONUS` where a described service matches the
    frein (``matches``, one boolean per score): a separate step, so that the ranking's own
    score stays what :mod:`recommender.ranking` says."""
    return np.minimum(scores * np.where(matches, 1 + SERVICE_BONUS, 1.0), 1.0)
