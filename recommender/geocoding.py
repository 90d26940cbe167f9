"""Optional street-address geocoding through geopy, off by default.

Imports place a partner without coordinates at its commune's centre; with an
address geocoder (the Base Adresse Nationale through geopy's ``BANFrance``) they
can place it at its street address instead. It needs the network, so nothing
uses it unless asked (``relais import --geocoder ban``); tests pass a fake.
"""

from __future__ import annotations

from typing import Protocol

from geopy.exc import GeopyError


class Point(Protocol):
    """A geopy ``Location``, as far as this module reads it."""

    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...


class Geocoder(Protocol):
    """A geopy geocoder (``BANFrance``), or a stand-in with the same ``geocode``."""

    def geocode(self, query: str, exactly_one: bool = True) -> Point | None: ...


class AddressGeocoder:
    """Street address → (lat, lon) with any geopy geocoder.

    Parameters
    ----------
    geocoder : geopy geocoder, optional
        Anything with ``geocode(query, exactly_one=True)``; default ``BANFrance()``.

    Examples
    --------
    >>> class Fake:
    ...     def geocode(self, query, exactly_one=True):
    ...         return type("Loc", (), {"latitude": 49.43, "longitude": 2.08})()
    >>> AddressGeocoder(Fake()).locate("1 rue de Savoie", "60000", "Beauvais")
    (49.43, 2.08)
    """

    def __init__(self, geocoder: Geocoder | None = None, *, timeout: float = 5.0):
        self.geocoder = geocoder
        self.timeout = timeout

    def _backend(self) -> Geocoder:
        if self.geocoder is None:
            from geopy.geocoders import BANFrance

            self.geocoder = BANFrance(user_agent="relais", timeout=self.timeout)
        return self.geocoder

    def locate(self, adresse: str, code_postal: str, commune: str) -> tuple[float, float] | None:
        """The address's point, or None when unknown or the service fails."""
        if not adresse.strip():
            return None
        query = " ".join(x for x in (adresse, code_postal, commune) if x)
        try:
            found = self._backend().geocode(query, exactly_one=True)
        except GeopyError:
            return None
        if found is None:
            return None
        return (found.latitude, found.longitude)
