"""Opening hours and services on the web: the ``ouvert=aujourdhui`` filter (API and pages),
the Partner JSON's extra fields, the cards and the partner page, all at a fixed moment (the
app's clock is injected, never the system's)."""

from __future__ import annotations

from datetime import datetime

import pytest

from app import db
from app.clock import CLOCK
from app.importers.hours import from_text
from app.models import Partner
from recommender.hours import PARIS

from ..support.pages_support import PARTNERS

pytestmark = pytest.mark.seeded

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
WEDNESDAY_10 = datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)
EASTER_MONDAY_10 = datetime(2026, 4, 6, 10, 0, tzinfo=PARIS)
SERVICE = {
    "nom": "Location de scooters",
    "freins": ["mobilite"],
    "conditions": "Sur orientation d'un conseiller",
    "frais": "payant",
    "modes": ["sur-rendez-vous"],
    "lien_mobilisation": "https://mobilite-beauvaisis.example/orienter",
    "source": "test",
}


@pytest.fixture
def hours_app(app):
    """The seeded app, where the Beauvais mobility platform has its week (read from its own
    hours text, as an import would) and one service; the other partners have no week."""
    mobility = next(p for p in PARTNERS if p["id"] == "mobil60")
    with db.session_scope(app) as session:
        partner = session.get(Partner, "mobil60")
        partner.horaires_structures = from_text(mobility["horaires"])
        partner.services = [SERVICE]
    return app


def at(app, moment: datetime) -> None:
    app.extensions[CLOCK] = lambda: moment


def partner_ids(body: dict) -> set[str]:
    return {p["id"] for p in body["results"]}


def test_partner_json_has_the_week_and_the_services(hours_app):
    body = hours_app.test_client().get("/api/v1/partners/mobil60").get_json()
    assert body["horaires_structures"]["jours"]["lundi"] == [["09:00", "12:00"], ["13:30", "17:00"]]
    assert body["services"] == [SERVICE]
    assert body["horaires"].startswith("Lundi")  # the text stays as it was
    other = hours_app.test_client().get("/api/v1/partners/garage60").get_json()
    assert other["horaires_structures"] is None and other["services"] == []


def test_search_filter_open_today(hours_app):
    client = hours_app.test_client()
    url = "/api/v1/partners?commune=60057&frein=mobilite"
    at(hours_app, MONDAY_10)
    everyone = partner_ids(client.get(url).get_json())
    assert {"mobil60", "garage60"} <= everyone  # no filter: nobody hidden
    assert partner_ids(client.get(url + "&ouvert=aujourdhui").get_json()) == {"mobil60"}
    at(hours_app, WEDNESDAY_10)
    assert partner_ids(client.get(url + "&ouvert=AUJOURDHUI").get_json()) == set()
    at(hours_app, EASTER_MONDAY_10)  # a Monday, but a public holiday
    assert partner_ids(client.get(url + "&ouvert=aujourdhui").get_json()) == set()


def test_recommendation_filter_open_today_and_service_reason(hours_app):
    client = hours_app.test_client()
    body = {"commune": "60057", "freins": ["mobilite"], "ouvert": "aujourdhui"}
    at(hours_app, MONDAY_10)
    results = client.post("/api/v1/recommendations", json=body).get_json()["freins"][0]["results"]
    assert [r["partner"]["id"] for r in results] == ["mobil60"]
    assert "Service : Location de scooters (payant, sur rendez-vous)" in results[0]["reasons"]
    at(hours_app, WEDNESDAY_10)
    query = "/api/v1/recommendations?commune=60057&freins=mobilite&ouvert=aujourdhui"
    assert client.get(query).get_json()["freins"][0]["results"] == []


@pytest.mark.parametrize("value", ["demain", "oui", "1", "\x85AUJOURDHUI"])
def test_a_bad_open_value_is_a_french_400(hours_app, value):
    client = hours_app.test_client()
    for response in (
        client.get(f"/api/v1/partners?ouvert={value}"),
        client.post(
            "/api/v1/recommendations",
            json={"commune": "60057", "freins": ["mobilite"], "ouvert": value},
        ),
    ):
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["details"]["parameter"] == "ouvert"
        assert "« aujourdhui »" in error["message"]


def test_partner_page_shows_the_week_and_today(hours_app):
    client = hours_app.test_client()
    at(hours_app, MONDAY_10)
    html = client.get("/partenaires/mobil60").get_data(as_text=True)
    assert "Ouvert maintenant" in html
    assert '<span class="opening__days">Lundi</span> 9 h – 12 h, 13 h 30 – 17 h' in html
    assert '<span class="opening__days">Mercredi</span> Fermé' in html
    assert "Fermé les jours fériés" in html
    assert "Location de scooters" in html and "(payant, sur rendez-vous)" in html
    assert "Conditions d'accès : Sur orientation d&#39;un conseiller" in html
    assert 'href="https://mobilite-beauvaisis.example/orienter"' in html
    at(hours_app, EASTER_MONDAY_10)
    html = client.get("/partenaires/mobil60").get_data(as_text=True)
    assert "Fermé aujourd&#39;hui (jour férié : Lundi de Pâques)" in html


def test_search_page_filter_and_card(hours_app):
    client = hours_app.test_client()
    at(hours_app, WEDNESDAY_10)
    html = client.get("/?commune=60057&frein=mobilite").get_data(as_text=True)
    assert "Fermé aujourd&#39;hui" in html  # the card of mobil60
    assert '<span class="opening__days">Lundi</span> 9 h – 12 h, 13 h 30 – 17 h' in html
    assert "garage" in html.lower()
    html = client.get("/?commune=60057&frein=mobilite&ouvert=aujourdhui").get_data(as_text=True)
    assert "Plateforme mobilité du Beauvaisis" not in html
    assert '<option value="aujourdhui" selected>' in html


def test_orientation_form_keeps_the_filter(hours_app):
    client = hours_app.test_client(use_cookies=True)
    at(hours_app, MONDAY_10)
    form = client.get("/orientation").get_data(as_text=True)
    assert '<select id="ouvert" name="ouvert"' in form
