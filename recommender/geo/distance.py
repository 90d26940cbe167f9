"""Great-circle distances, for scalars and numpy columns alike."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in kilometres.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Degrees: floats, or numpy arrays that broadcast together.

    Returns
    -------
    float or numpy.ndarray
        A float for scalars, an array otherwise.

    Examples
    --------
    >>> round(haversine_km(48.8566, 2.3522, 45.7640, 4.8357), 1)  # Paris → Lyon
    391.5
    >>> haversine_km(49.0, 2.0, np.array([49.0, 50.0]), np.array([2.0, 2.0])).round(1)
    array([  0. , 111.2])
    """
    if all(isinstance(v, (int, float)) for v in (lat1, lon1, lat2, lon2)):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
    p1, l1, p2, l2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    d = haversine_radians(p1, l1, p2, l2)
    return float(d) if np.ndim(d) == 0 else d


def haversine_radians(
    lat1: Any, lon1: Any, lat2: np.ndarray, lon2: np.ndarray, cos_lat2: np.ndarray | None = None
) -> np.ndarray:
    """:func:`haversine_km` of points in radians (NaN stays NaN); ``cos_lat2`` may come
    precomputed with the points (columns fitted once, searched many times)."""
    if cos_lat2 is None:
        cos_lat2 = np.cos(lat2)
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * cos_lat2 * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
