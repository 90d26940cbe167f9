"""What the engine returns, as typed dictionaries (JSON-ready: the API serves them as they are).

The services of the web app add the partner itself to each result (see
``app/services.py``); the shapes here are the engine's only.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class Recommendation(TypedDict):
    """One proposed partner for one frein (:meth:`Recommender.recommend`)."""

    partner_id: str
    score: float
    distance_km: float | None
    verdict: str
    reasons: list[str]
    warnings: list[str]


class FreinRecommendations(TypedDict):
    """The proposed partners for one requested frein, best first."""

    frein: str
    label: str
    results: list[Recommendation]


class Plan(TypedDict):
    """The fewest proposed partners covering the freins (:func:`recommender.plan.greedy_cover`)."""

    partners: list[str]
    covers: dict[str, list[str]]
    uncovered: list[str]


class LocationDict(TypedDict):
    """Where the person lives, as :meth:`recommender.profile.Location.to_dict` gives it."""

    code_insee: str | None
    nom: str | None
    departement: str | None
    lat: float
    lon: float
    alternatives: list[dict[str, object]]


class Recommendations(TypedDict):
    """The answer of :meth:`Recommender.recommend`."""

    location: LocationDict
    freins: list[FreinRecommendations]
    plan: Plan


class FitCheck(TypedDict):
    """The verdict of :meth:`Recommender.fit_check` on one orientation (the keys marked
    ``NotRequired`` come with ``details=True``)."""

    partner_id: str
    distance_km: float | None
    verdict: str
    score: float
    reasons: list[str]
    blockers: list[str]
    warnings: NotRequired[list[str]]
    frein: NotRequired[str | None]
    freins_traites: NotRequired[list[str]]
    freins_non_traites: NotRequired[list[str]]


class SearchHit(TypedDict):
    """One partner of a search page (:meth:`PartnerSearch.search`)."""

    partner_id: str
    distance_km: float | None
    score: float | None


class SearchFacets(TypedDict):
    """Partners of the whole result set per type code and per frein code."""

    type: dict[str, int]
    frein: dict[str, int]


class SearchPage(TypedDict):
    """The answer of :meth:`PartnerSearch.search`."""

    total: int
    results: list[SearchHit]
    facets: SearchFacets
