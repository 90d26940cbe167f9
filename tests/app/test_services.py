"""``app/services.py``'s promises: one answer per question for the API and the pages, the
same partner object whether read as an ORM object or as a plain row, parameters read by the
one parser, a clear ``NotFound`` for an unknown or malformed id."""

from __future__ import annotations

import pytest

from app import db, services
from recommender.errors import InvalidParameter, NotFound

from ..support.factories import partner


@pytest.fixture
def mairie(app):
    """The shipped mairie of Beauvais, declaring the freins a test asks about."""
    row = partner(id="mairie60057", freins=["acces-aux-droits", "mobilite"])
    with db.session_scope(app) as session:
        session.add(row)
    return "mairie60057"


def test_a_partner_reads_the_same_from_its_object_and_from_its_row(app, mairie):
    with app.test_request_context():
        from_object = services.get_partner(mairie)
        from_row = services._fetch_partners([mairie])[mairie]
    assert from_object == from_row
    assert from_object["type"]["code"] == "mairie"
    assert from_object["commune"] == {"code_insee": "60057", "nom": "Beauvais"}


@pytest.mark.parametrize(("partner_id", "shown"), [("inconnu", "inconnu"), ("x" * 300, "x" * 64)])
def test_an_unknown_or_malformed_id_is_a_not_found(app, partner_id, shown):
    with app.test_request_context(), pytest.raises(NotFound) as error:
        services.get_partner(partner_id)
    assert error.value.details == {"id": shown}


def test_search_and_recommendation_answer_with_the_partner_object(app, mairie):
    with app.test_request_context():
        expected = services.get_partner(mairie)
        found = services.search_partners({"q": "Beauvais"})
        advice = services.recommend({"commune": "60057", "freins": "mobilite"})
    assert found["total"] == 1
    hit = found["results"][0]
    assert {k: v for k, v in hit.items() if k != "distance_km"} == expected
    results = [r for f in advice["freins"] for r in f["results"]]
    assert [r["partner"] for r in results] == [expected]


def test_parameters_are_read_by_the_parser(app):
    with app.test_request_context(), pytest.raises(InvalidParameter):
        services.search_partners({"per_page": "beaucoup"})
