"""Opening hours as data: what a week says about a moment (Europe/Paris, public holidays),
its French text, and the ``ouvert=aujourdhui`` filter of the engine and the search."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from recommender.engine import Recommender
from recommender.hours import (
    PARIS,
    day_bits,
    departement_column,
    grouped_lines,
    holiday_name,
    make_hours,
    open_on,
    open_status,
    week_lines,
)
from recommender.search import PartnerSearch
from recommender.services import SERVICE_BONUS, reasons_by_frein, service_reason

from ..support.factories import FakeGazetteer, make_profile, make_record

WEEKDAYS = make_hours({d: [("09:00", "12:00"), ("14:00", "17:00")] for d in range(5)})
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def test_open_now_later_today_and_closed():
    assert open_status(WEEKDAYS, at(MONDAY, 10)).label == "Ouvert maintenant"
    later = open_status(WEEKDAYS, at(MONDAY, 12, 30))
    assert later.code == "ouvert-aujourdhui" and later.open_today
    assert later.label == "Ouvert aujourd'hui : 9 h – 12 h, 14 h – 17 h"
    assert open_status(WEEKDAYS, at(MONDAY, 17)).code == "ouvert-aujourdhui"  # end excluded
    sunday = open_status(WEEKDAYS, at(date(2026, 12, 6), 10))
    assert sunday.code == "ferme-aujourdhui" and not sunday.open_today
    assert open_status(None, at(MONDAY, 10)) is None


def test_the_moment_is_read_in_paris_time():
    # 08:30 UTC is 09:30 in Paris in December: open.
    assert open_status(WEEKDAYS, datetime(2026, 12, 7, 8, 30, tzinfo=UTC)).code == (
        "ouvert-maintenant"
    )
    # 07:30 UTC is 08:30 in Paris: not yet.
    assert open_status(WEEKDAYS, datetime(2026, 12, 7, 7, 30, tzinfo=UTC)).code == (
        "ouvert-aujourdhui"
    )


def test_public_holiday_closes_unless_the_source_says_otherwise():
    easter_monday = date(2026, 4, 6)
    closed = open_status(WEEKDAYS, at(easter_monday, 10))
    assert closed.code == "jour-ferie"
    assert closed.label == "Fermé aujourd'hui (jour férié : Lundi de Pâques)"
    opens = dict(WEEKDAYS, jours_feries="ouvert")
    assert open_status(opens, at(easter_monday, 10)).code == "ouvert-maintenant"


def test_holidays_of_the_departement():
    """26 December is a holiday in Alsace-Moselle only."""
    boxing_day = date(2025, 12, 26)  # a Friday
    assert holiday_name(boxing_day) is None
    assert holiday_name(boxing_day, "67") is not None
    assert open_status(WEEKDAYS, at(boxing_day, 10), "67").code == "jour-ferie"
    assert open_status(WEEKDAYS, at(boxing_day, 10), "60").code == "ouvert-maintenant"


def test_week_in_french():
    hours = make_hours({0: [("09:00", "12:00"), ("13:30", "17:00")], 1: [("09:00", "12:00")]})
    lines = week_lines(hours)
    assert lines[0] == ("Lundi", "9 h – 12 h, 13 h 30 – 17 h")
    assert lines[2] == ("Mercredi", "Fermé") and len(lines) == 7
    assert grouped_lines(WEEKDAYS) == [("Du lundi au vendredi", "9 h – 12 h, 14 h – 17 h")]
    assert make_hours({}) is None


def test_open_on_many_partners():
    bits = np.array([day_bits(WEEKDAYS), 0, day_bits(dict(WEEKDAYS, jours_feries="ouvert"))])
    assert open_on(bits, MONDAY).tolist() == [True, False, True]
    assert open_on(bits, date(2026, 12, 6)).tolist() == [False, False, False]
    assert open_on(bits, date(2026, 4, 6)).tolist() == [False, False, True]
    deps = departement_column(["67", "60", "67"])
    assert open_on(bits, date(2025, 12, 26), deps).tolist() == [False, False, True]


def _records():
    gazetteer = FakeGazetteer()
    open_one = make_record(id="ouvert", open_days=day_bits(WEEKDAYS))
    unknown = make_record(id="inconnu", lat=49.4304, lon=2.0953)
    return gazetteer, [open_one, unknown]


def test_recommend_keeps_only_partners_open_that_day():
    gazetteer, records = _records()
    engine = Recommender(gazetteer=gazetteer).fit(records)
    profile = make_profile()

    def ids(**kw):
        return {r["partner_id"] for r in engine.recommend(profile, **kw)["freins"][0]["results"]}

    assert ids() == {"ouvert", "inconnu"}  # without the filter, nobody is hidden
    assert ids(open_day=MONDAY) == {"ouvert"}
    assert ids(open_day=date(2026, 12, 6)) == set()


def test_search_keeps_only_partners_open_that_day():
    gazetteer, records = _records()
    search = PartnerSearch(gazetteer=gazetteer).fit(records)
    assert search.search()["total"] == 2
    found = search.search(open_day=MONDAY)
    assert [r["partner_id"] for r in found["results"]] == ["ouvert"]
    assert search.search(open_day=date(2026, 12, 6))["total"] == 0


def test_a_described_service_gives_a_reason_and_a_small_bonus():
    gazetteer = FakeGazetteer()
    service = {"nom": "Atelier CV", "freins": ["emploi"], "frais": "gratuit", "modes": []}
    service["modes"] = ["sans-rendez-vous"]
    assert service_reason(service) == "Service : Atelier CV (gratuit, sans rendez-vous)"
    plain = make_record(id="sans-service")
    described = make_record(id="avec-service", service_reasons=reasons_by_frein([service]))
    engine = Recommender(gazetteer=gazetteer).fit([plain, described])
    results = engine.recommend(make_profile())["freins"][0]["results"]
    by_id = {r["partner_id"]: r for r in results}
    assert results[0]["partner_id"] == "avec-service"
    assert "Service : Atelier CV (gratuit, sans rendez-vous)" in by_id["avec-service"]["reasons"]
    ratio = by_id["avec-service"]["score"] / by_id["sans-service"]["score"]
    assert abs(ratio - (1 + SERVICE_BONUS)) < 0.01
