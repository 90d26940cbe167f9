"""The engine's seams: what it asks of a gazetteer, and what it returns.

The answers are typed dictionaries (JSON-ready); the services of the web app add the
partner itself to each result (see ``app/api/types.py``). The gazetteer is a Protocol:
:class:`recommender.geo.Gazetteer` is the one the app uses, the tests use a small
stand-in over a few communes.
"""

from __future__ import annotations

from typing import NotRequired, Protocol, TypedDict


class CommuneLike(Protocol):
    """A commune as the engine reads it (:class:`recommender.geo.Commune`)."""

    @property
    def code_insee(self) -> str: ...
    @property
    def nom(self) -> str: ...
    @property
    def departement(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def epci(self) -> str | None: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...

    def to_dict(self) -> dict[str, object]: ...


class GazetteerLike(Protocol):
    """What the engine asks of the communes referential (:class:`recommender.geo.Gazetteer`)."""

    def get(self, code: str, /) -> CommuneLike | None: ...

    def epci_members(self, code: str, /) -> frozenset[str]: ...

    def departement_name(self, code: str, /) -> str | None: ...


class Recommendation(TypedDict):
    """One proposed partner for one frein (:meth:`Recommender.recommend`)."""

    partner_id: str
    score: float
    distance_km: float | None
    verdict: str
    reasons: list[str]
    warnings: list[str]


class LeftOut(TypedDict):
    """A partner the person would expect for a frein, removed by a rule, and why."""

    partner_id: str
    distance_km: float | None
    raison: str


class FreinRecommendations(TypedDict):
    """The proposed partners for one requested frein, best first, and the expected
    partners left out (``ecartes``)."""

    frein: str
    label: str
    results: list[Recommendation]
    ecartes: list[LeftOut]


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
    radius_km: NotRequired[float | None]
    radius_widened: NotRequired[bool]
