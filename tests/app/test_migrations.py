"""Data migrations, from a database as the previous revision left it."""

from __future__ import annotations

from sqlalchemy import insert, inspect, select, text
from sqlalchemy.orm import Session

from app import db
from app.models import CorrectionRequest, Partner, PartnerSource, utcnow

from ..support.factories import partner

OLD, NEW = "conseillers-numeriques-lieux-2022", "conseillers-numeriques"


def _insert_at_old_revision(session: Session, place: Partner) -> None:
    """The partner row with the columns the old revision has (later revisions add some: the
    ORM would insert them all)."""
    existing = {c["name"] for c in inspect(session.connection()).get_columns("partner")}
    values = {
        c.name: getattr(place, c.key)
        for c in Partner.__table__.columns
        if c.name in existing and getattr(place, c.key) is not None
    }
    session.execute(insert(Partner.__table__).values(values))


def test_cnfs_places_imported_as_a_generic_csv_keep_their_records(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0004")
    with Session(engine) as session:
        for source, source_id in ((OLD, "1"), (OLD, "2"), (NEW, "2")):  # "2": re-imported already
            place = partner()
            _insert_at_old_revision(session, place)
            session.add(
                PartnerSource(
                    partner_id=place.id, source=source, source_id=source_id, raw={}, content_hash=""
                )
            )
        session.commit()
    db.upgrade(engine)
    with Session(engine) as session:
        rows = session.execute(
            select(PartnerSource.source, PartnerSource.source_id).order_by(
                PartnerSource.source, PartnerSource.source_id
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(NEW, "1"), (NEW, "2"), (OLD, "2")]


def test_reports_made_before_campaigns_stay_reports(database_url):
    """0008: the review queue's existing rows become ``signalement`` items without changes."""
    engine = db.make_engine(database_url)
    db.upgrade(engine, "0007")
    with Session(engine) as session:
        place = partner()
        session.add(place)
        session.flush()
        session.execute(  # the columns 0007 has: the model's defaults would name new ones
            text(
                "INSERT INTO correction_request (partner_id, message, contact, created_at, status)"
                " VALUES (:partner, 'Fermé le lundi.', '', :now, 'ouverte')"
            ),
            {"partner": place.id, "now": utcnow()},
        )
        session.commit()
    db.upgrade(engine)
    with Session(engine) as session:
        item = session.scalars(select(CorrectionRequest)).one()
        assert (item.kind, item.changes, item.departement) == ("signalement", {}, None)
    engine.dispose()
