"""Freshness per département on the dashboard: shares checked or updated in 12 / 24 months,
campaign answers, the oldest records first, all within the admin's territory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import db
from app.admin.scope import Scope
from app.campaigns import freshness
from app.models import Campaign, CampaignMessage, utcnow

from ...support.factories import partner
from ...support.pages_support import login

pytestmark = pytest.mark.admins
TODAY = date(2026, 12, 4)


@pytest.fixture
def dated(app):
    """Real mairies with source dates of different ages (ids by age)."""
    with db.session_scope(app) as session:
        rows = {
            "recent": partner("60057", source_updated_at=TODAY - timedelta(days=100)),
            "checked": partner("60104", source_updated_at=date(2016, 2, 1)),
            "mid": partner("60286", source_updated_at=TODAY - timedelta(days=500)),
            "old": partner("60175", source_updated_at=date(2016, 2, 1)),
            "unknown": partner("60463"),
            "somme": partner("80021", source_updated_at=TODAY - timedelta(days=10)),
            "gone": partner("60057", status="archived"),
        }
        rows["checked"].verified_at = utcnow() - timedelta(days=3)
        session.add_all(rows.values())
        campaign = Campaign(departement="60")
        session.add(campaign)
        session.flush()
        for key, answer in (("checked", "confirme"), ("old", None), ("mid", "corrige")):
            session.add(
                CampaignMessage(
                    campaign_id=campaign.id,
                    partner_id=rows[key].id,
                    email=rows[key].email,
                    sent_at=utcnow(),
                    answered_at=utcnow() if answer else None,
                    answer=answer,
                )
            )
        return {key: row.id for key, row in rows.items()}


def test_shares_and_campaigns_per_departement(app, dated):
    with app.app_context(), db.session_scope(app) as session:
        lines = {
            line.departement: line for line in freshness.by_departement(session, Scope(None), TODAY)
        }
        oise = lines["60"]
        assert (oise.active, oise.recent[12], oise.recent[24]) == (5, 2, 3)
        assert (oise.sent, oise.answered, oise.corrected) == (3, 2, 1)
        assert oise.share(12) == pytest.approx(0.4)
        assert (lines["80"].active, lines["80"].recent[12]) == (1, 1)
        only_oise = freshness.by_departement(session, Scope(frozenset({"60"})), TODAY)
        assert [line.departement for line in only_oise] == ["60"]
        work = [p.id for p in freshness.oldest(session, Scope(frozenset({"60"})))]
    assert work == [dated["unknown"], dated["old"], dated["mid"], dated["recent"], dated["checked"]]


def test_dashboard_shows_the_scope_only(app, dated):
    client = app.test_client()
    login(client, "oise@relais.test")
    html = client.get("/admin/").get_data(as_text=True)
    assert "Fraîcheur des fiches par département" in html
    assert "Oise" in html and "Somme" not in html
    assert html.index(dated["unknown"]) < html.index(dated["old"]) < html.index(dated["recent"])
    national = app.test_client()
    login(national, "national@relais.test")
    assert "Somme" in national.get("/admin/").get_data(as_text=True)
