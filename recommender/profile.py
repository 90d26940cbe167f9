"""A person's situation as the engine needs it; :mod:`recommender.params` builds it from a
request."""

from __future__ import annotations

from dataclasses import dataclass

from .types import CommuneLike, LocationDict


@dataclass(frozen=True)
class Location:
    """Where the person lives: a commune of the referential, or a bare point.

    ``code_insee`` is None for a point outside every commune (at sea, abroad).
    ``alternatives`` lists the other communes an ambiguous name could mean.

    Examples
    --------
    >>> Location(None, None, None, None, None, 51.5, -0.12).to_dict()["code_insee"] is None
    True
    """

    code_insee: str | None
    nom: str | None
    departement: str | None
    region: str | None
    epci: str | None
    lat: float
    lon: float
    alternatives: tuple[CommuneLike, ...] = ()

    def to_dict(self) -> LocationDict:
        return {
            "code_insee": self.code_insee,
            "nom": self.nom,
            "departement": self.departement,
            "lat": self.lat,
            "lon": self.lon,
            "alternatives": [c.to_dict() for c in self.alternatives],
        }


@dataclass(frozen=True)
class Profile:
    """The person's situation as the engine needs it (no name, nothing identifying).

    Build it with :func:`recommender.params.parse_profile` from request parameters.

    Examples
    --------
    >>> here = Location("60057", "Beauvais", "60", "32", "200067999", 49.43, 2.08)
    >>> Profile(here, ("mobilite",), age=19, vehicule=False).freins
    ('mobilite',)
    """

    location: Location
    freins: tuple[str, ...]
    age: int | None = None
    publics: tuple[str, ...] = ()
    vehicule: bool | None = None
    max_km: float | None = None


def location_from_commune(
    commune: CommuneLike, alternatives: tuple[CommuneLike, ...] = ()
) -> Location:
    """A :class:`Location` at a commune's centre."""
    return Location(
        code_insee=commune.code_insee,
        nom=commune.nom,
        departement=commune.departement,
        region=commune.region,
        epci=commune.epci,
        lat=float(commune.lat),
        lon=float(commune.lon),
        alternatives=tuple(alternatives),
    )
