"""The engine's estimators check their parameters at ``fit`` and refuse use before it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recommender.engine import Recommender
from recommender.geoindex import GeoIndex
from recommender.infer import FreinClassifier
from recommender.search import PartnerSearch
from recommender.taxonomy import default_taxonomy
from recommender.validation import NotFittedError
from tests.support.factories import FakeGazetteer, make_profile, make_record

TAX = default_taxonomy()
GAZ = FakeGazetteer()


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("candidate_k", -5, "candidate_k must be an integer >= 1, got -5."),
        ("candidate_k", 0, "candidate_k must be an integer >= 1"),
        ("candidate_k", 2.5, "candidate_k must be an integer >= 1"),
        ("candidate_k", True, "candidate_k must be an integer >= 1"),
        ("max_km_default", 0, "max_km_default must be a number > 0, got 0."),
        ("max_km_default", float("nan"), "max_km_default must be a number > 0"),
        ("stale_after_years", -1.0, "stale_after_years must be a number > 0"),
        ("inferred_weight", 1.5, "inferred_weight must be a number between 0 and 1, got 1.5."),
        ("side_weight", -0.1, "side_weight must be a number between 0 and 1"),
        ("default_radius_km", "30", "default_radius_km must be a number > 0, got '30'."),
        ("plan_min_relative_score", 2, "plan_min_relative_score must be a number between 0 and 1"),
        ("reference_date", "2026-01-01", "reference_date must be a datetime.date or None"),
    ],
)
def test_recommender_rejects_bad_parameters_at_fit(param, value, message):
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, **{param: value})
    assert getattr(engine, param) is value  # stored as given, checked by fit
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        engine.fit([make_record(id="a")])


def test_recommender_accepts_its_defaults_and_edge_values():
    engine = Recommender(
        taxonomy=TAX,
        gazetteer=GAZ,
        candidate_k=1,
        max_km_default=None,
        inferred_weight=0.0,
        side_weight=1,
        plan_min_relative_score=0.0,
        reference_date=date(2026, 1, 1),
    )
    assert engine.fit([make_record(id="a")]) is engine


def test_recommender_used_before_fit_says_so():
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ)
    with pytest.raises(NotFittedError, match="Recommender instance is not fitted yet"):
        engine.recommend(make_profile())
    with pytest.raises(NotFittedError, match="call 'fit' before using it"):
        engine.fit_check(make_profile(), "a")


def test_not_fitted_error_keeps_the_bases_callers_catch():
    # like scikit-learn's: a ValueError and an AttributeError (``hasattr`` still works)
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)


def test_search_checks_fuzzy_and_refuses_use_before_fit():
    with pytest.raises(ValueError, match="fuzzy must be True or False, got 'yes'"):
        PartnerSearch(taxonomy=TAX, gazetteer=False, fuzzy="yes").fit([make_record(id="a")])
    with pytest.raises(NotFittedError, match="PartnerSearch instance is not fitted yet"):
        PartnerSearch(taxonomy=TAX).search(q="permis")


def test_geo_index_checks_candidate_k_and_refuses_use_before_fit():
    lat, lon = np.array([49.43]), np.array([2.08])
    with pytest.raises(ValueError, match="candidate_k must be an integer >= 1, got 0"):
        GeoIndex(candidate_k=0).fit(lat, lon, np.array([[True]]), np.array([0]), [()])
    with pytest.raises(NotFittedError, match="GeoIndex instance is not fitted yet"):
        GeoIndex().nearest(0, 49.43, 2.08)
    with pytest.raises(NotFittedError):
        GeoIndex().covering(departement="60", region=None, communes=())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_proba": 1.2}, "min_proba must be a number between 0 and 1"),
        ({"C": 0}, "C must be a number > 0"),
        ({"max_features": 0}, "max_features must be an integer >= 1"),
    ],
)
def test_classifier_rejects_bad_parameters_at_fit(params, message):
    with pytest.raises(ValueError, match=message):
        FreinClassifier(**params).fit(["garage", "épicerie"], [("mobilite",), ("logement",)])


def test_classifier_used_before_fit_says_so():
    with pytest.raises(NotFittedError, match="FreinClassifier instance is not fitted yet"):
        FreinClassifier().predict(["garage solidaire"])
