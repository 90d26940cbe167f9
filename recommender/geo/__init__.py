"""The communes referential: look-up, resolution of free text, point → commune.

Everything here reads the files that ``scripts/build_referentials.py`` writes into
``data/referentiels/`` (the 2026 official list of communes with their postal codes, EPCI,
population, a point inside each commune, simplified polygons). Nothing here touches the
network. The package's parts:

- :mod:`.communes` the referential and its plain indexes (codes, postal codes, names);
- :mod:`.resolve` free text → a commune (``Gazetteer.resolve``), with :mod:`.query`
  (qualifiers) and :mod:`.fuzzy` (typos, names starting so);
- :mod:`.match` a source row → a commune, never a guess (importers);
- :mod:`.autocomplete` suggestions for a search box;
- :mod:`.shapes` polygons and point → commune;
- :mod:`.distance` great-circle distances.

The entry point is :func:`default_gazetteer`:

>>> gaz = default_gazetteer()
>>> gaz.resolve("beauvai").commune.nom
'Beauvais'
>>> gaz.commune_at(49.4295, 2.0807).code_insee
'60057'
"""

from .communes import Commune
from .distance import EARTH_RADIUS_KM, haversine_km, haversine_radians
from .gazetteer import Gazetteer, default_gazetteer
from .keys import name_key
from .resolve import Resolution
from .shapes import decode_polygons, encode_polygons

__all__ = [
    "EARTH_RADIUS_KM",
    "Commune",
    "Gazetteer",
    "Resolution",
    "decode_polygons",
    "default_gazetteer",
    "encode_polygons",
    "haversine_km",
    "haversine_radians",
    "name_key",
]
