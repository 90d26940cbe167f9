"""The engine's view of a partner: a plain, immutable record.

The web app converts its database rows into these; the engine never touches
the database, so it can be built, tested and benchmarked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

ZONE_KINDS = ("rayon", "communes", "epci", "departement", "region", "france")


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    """One active or archived partner, as the engine needs it.

    ``freins`` are declared by the source or the taxonomy; ``freins_inferred``
    were guessed by the text model and weigh less. ``coords_exact`` is False
    when the point is only the commune's centre.
    """

    id: str
    nom: str
    type_code: str
    lat: float | None = None
    lon: float | None = None
    coords_exact: bool = False
    code_insee: str | None = None
    departement: str | None = None
    region: str | None = None
    freins: tuple[str, ...] = ()
    freins_inferred: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    zone_kind: str = "rayon"
    zone_codes: tuple[str, ...] = ()
    zone_radius_km: float | None = None
    updated_at: date | None = None
    status: str = "active"
    description: str = ""
    # Weekdays with opening hours, as :func:`recommender.hours.day_bits` (0: none known).
    open_days: int = 0
    # Per frein, the reason a service described by the source gives (recommender.services).
    service_reasons: tuple[tuple[str, str], ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def all_freins(self) -> tuple[str, ...]:
        return self.freins + tuple(f for f in self.freins_inferred if f not in self.freins)
