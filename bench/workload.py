"""The benchmark's fixed, seeded workload: people, searches, widget calls, autocomplete.

Places are drawn from the real communes weighted by population (like the generator), as an
INSEE code or as a name (half each, so the name resolution is part of the service cost).
Every list is a pure function of the seed, so two runs ask the same questions.
"""

from __future__ import annotations

import random
from typing import Any

from bench.generate import _cumulative, _places, _populations

SEARCH_TERMS = (
    "insertion", "chantier d'insertion", "épicerie solidaire", "france services",
    "mission locale", "auto-école", "crèche", "aide alimentaire", "logement", "numérique",
    "ccas", "permis", "santé", "garde d'enfants", "formation", "violences conjugales",
    "tremplin", "centre social", "emploi", "justice",
)  # fmt: skip
RADII = ("10", "20", "30")
AUTOCOMPLETE_TYPOS = 0.2


class Workload:
    """Seeded request parameters, as the API receives them (strings, comma lists)."""

    def __init__(self, seed: int, *, gazetteer: Any, taxonomy: Any):
        self.seed = seed
        self.gazetteer = gazetteer
        self.freins = list(taxonomy.freins)
        self.publics = [c for c in taxonomy.publics if c != "tous-publics"]
        self.places = _places(gazetteer)
        self.weights = _cumulative([float(p) for p in _populations(gazetteer, self.places)])

    def _rng(self, salt: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + salt)

    def _commune(self, rng: random.Random) -> str:
        place = rng.choices(self.places, cum_weights=self.weights)[0]
        return place.code_insee if rng.random() < 0.5 else place.nom

    def profiles(self, n: int, n_freins: int) -> list[dict[str, str]]:
        """People to orient: a commune, ``n_freins`` freins, sometimes age, vehicle, public."""
        rng = self._rng(100 + n_freins)
        out = []
        for _ in range(n):
            params = {
                "commune": self._commune(rng),
                "freins": ",".join(rng.sample(self.freins, n_freins)),
            }
            if rng.random() < 0.6:
                params["age"] = str(rng.randint(16, 67))
            draw = rng.random()
            if draw < 0.35:
                params["vehicule"] = "true"
            elif draw < 0.7:
                params["vehicule"] = "false"
            if rng.random() < 0.2:
                params["publics"] = rng.choice(self.publics)
            out.append(params)
        return out

    def searches(self, n: int) -> list[dict[str, str]]:
        """Directory searches: text + commune + radius (the search page)."""
        rng = self._rng(200)
        return [
            {
                "q": rng.choice(SEARCH_TERMS),
                "commune": self._commune(rng),
                "radius_km": rng.choice(RADII),
            }
            for _ in range(n)
        ]

    def widget_calls(self, n: int) -> list[dict[str, str]]:
        """The widget's call: one frein near a commune, five results."""
        rng = self._rng(300)
        return [
            {"frein": rng.choice(self.freins), "commune": self._commune(rng), "per_page": "5"}
            for _ in range(n)
        ]

    def autocomplete(self, n: int, salt: int = 0) -> list[dict[str, str]]:
        """What a person types in the commune field: a name prefix, a postal code, a typo.

        The gazetteer caches its answers: give the engine and the service different
        ``salt`` (and enough inputs) so that neither measures the other's cache.
        """
        rng = self._rng(400 + salt)
        out = []
        for _ in range(n):
            place = rng.choices(self.places, cum_weights=self.weights)[0]
            draw = rng.random()
            if draw < 0.15 and place.code_postal:
                q = place.code_postal[: rng.randint(2, 5)]
            else:
                name = place.nom
                q = name[: rng.randint(3, max(3, min(len(name), 12)))]
                if draw > 1 - AUTOCOMPLETE_TYPOS and len(q) > 4:
                    k = rng.randrange(1, len(q) - 1)
                    q = q[:k] + q[k + 1] + q[k] + q[k + 2 :]  # swapped letters
            out.append({"q": q, "limit": "10"})
        return out
