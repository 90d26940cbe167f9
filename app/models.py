"""Database model (SQLAlchemy 2.0, typed). Same schema on SQLite and PostgreSQL.

Every partner keeps one :class:`PartnerSource` row per source record it was
built from, with the raw record, so that a merge can be explained and undone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[str]: JSON}


class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nom: Mapped[str] = mapped_column(String(300))
    type_code: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    siret: Mapped[str | None] = mapped_column(String(14), index=True)

    adresse: Mapped[str] = mapped_column(String(300), default="")
    complement_adresse: Mapped[str] = mapped_column(String(300), default="")
    code_postal: Mapped[str] = mapped_column(String(5), default="")
    code_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    commune_nom: Mapped[str] = mapped_column(String(100), default="")
    departement: Mapped[str | None] = mapped_column(String(3), index=True)
    region: Mapped[str | None] = mapped_column(String(3))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    coords_exact: Mapped[bool] = mapped_column(Boolean, default=False)

    telephone: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    site_web: Mapped[str] = mapped_column(String(500), default="")
    horaires: Mapped[str] = mapped_column(Text, default="")
    # The week read from the source's hours (recommender.hours), None when it gave none.
    # none_as_null: SQL NULL, not JSON ``null``, so that "has hours" is one IS NOT NULL.
    horaires_structures: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # What the sources describe of each service (app.importers.services), for the cards.
    services: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    freins: Mapped[list[str]] = mapped_column(default=list)
    freins_inferred: Mapped[list[str]] = mapped_column(default=list)
    thematiques: Mapped[list[str]] = mapped_column(default=list)
    publics: Mapped[list[str]] = mapped_column(default=list)
    modes_accueil: Mapped[list[str]] = mapped_column(default=list)
    frais: Mapped[list[str]] = mapped_column(default=list)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)

    zone_kind: Mapped[str] = mapped_column(String(16), default="rayon")
    zone_codes: Mapped[list[str]] = mapped_column(default=list)
    zone_radius_km: Mapped[float | None] = mapped_column(Float)

    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    source_updated_at: Mapped[date | None] = mapped_column(Date)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # indexed: the data version reads max(updated_at) on every check
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    sources: Mapped[list[PartnerSource]] = relationship(
        back_populates="partner", order_by="PartnerSource.id", cascade="all, delete-orphan"
    )

    def mark_verified(self) -> dict[str, list[str | None]]:
        """Known right as of now (an admin's « à jour », a partner's confirmation); the
        change, for the audit row. ``updated_at`` moves too: the data version follows it."""
        before = self.verified_at
        self.verified_at = self.updated_at = utcnow()
        return {
            "verified_at": [before.isoformat() if before else None, self.verified_at.isoformat()]
        }


class PartnerSource(Base):
    """One record of one source file, attached to the partner it built or merged into."""

    __tablename__ = "partner_source"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partner.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_updated_at: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[Partner] = relationship(back_populates="sources")


class ImportRun(Base):
    """One run of the importer, with its report (counts, rejections, merges)."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(32))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @property
    def error(self) -> str | None:
        """Why the import failed (French), ``None`` for a run that went through.

        A failed run keeps ``report = {"statut": "echec", "erreur": reason}`` (no column
        needed: the report is already the run's free-form record)."""
        report = self.report or {}
        return report.get("erreur") if report.get("statut") == IMPORT_FAILED else None

    @property
    def status(self) -> str:
        """« Échec », « Simulation », « Enregistré » or « En cours », as the history shows it."""
        if self.error is not None:
            return "Échec"
        if self.finished_at is None:
            return "En cours"
        return "Simulation" if self.dry_run else "Enregistré"


IMPORT_FAILED = "echec"


class MergeDecision(Base):
    """Why a source record was attached to an existing partner (reviewable by an admin)."""

    __tablename__ = "merge_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partner.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float, default=1.0)
    distance_km: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when an admin undid the merge: the record then has a partner of its own, and
    # keeps it on later imports (an imported record is matched once, at its first import).
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_partner_id: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16), default="admin")
    departements: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Copied into the signed session at sign-in; bumping it (logout, new password) revokes
    # every session of the account, wherever its cookie was copied.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


@event.listens_for(User.password_hash, "set", active_history=True)
def _revoke_sessions_on_new_password(
    user: User, value: str, old: object, _initiator: object
) -> None:
    """A new password, set by any route, signs the account out everywhere."""
    if isinstance(old, str) and old != value:
        user.session_epoch = (user.session_epoch or 0) + 1


class CorrectionRequest(Base):
    """An item of the admin's review queue: a "signaler une erreur" report on a partner
    (``kind="signalement"``), a partner's own correction from a campaign link
    (``"correction"``) or a proposed new structure (``"proposition"``, no partner yet).

    ``changes`` holds the proposed field values, applied only by an admin; a proposal keeps
    its département for the admin's territorial scope.
    """

    __tablename__ = "correction_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(16), default="signalement", server_default="signalement"
    )
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partner.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    departement: Mapped[str | None] = mapped_column(String(3))
    campaign_message_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_message.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="ouverte")


class Campaign(Base):
    """One run of ``relais campaign send``: which partners it asked to check their record."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    departement: Mapped[str | None] = mapped_column(String(3))
    older_than_months: Mapped[int | None] = mapped_column(Integer)

    messages: Mapped[list[CampaignMessage]] = relationship(
        back_populates="campaign", order_by="CampaignMessage.id"
    )


class CampaignMessage(Base):
    """One partner of a campaign: the mail, its reminders, the SMTP refusal, the answer.

    The link's signed token names this row, so it is one per partner and campaign."""

    __tablename__ = "campaign_message"
    __table_args__ = (UniqueConstraint("campaign_id", "partner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partner.id"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The SMTP server's refusal (code and text), kept for the bounce report.
    error: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(String(16))  # "confirme" or "corrige"

    campaign: Mapped[Campaign] = relationship(back_populates="messages")


class Unsubscribe(Base):
    """An address that asked never to receive a campaign mail again."""

    __tablename__ = "unsubscribe"

    email: Mapped[str] = mapped_column(String(200), primary_key=True)
    partner_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncState(Base):
    """What ``relais sync`` last saw of one source of its sources file: the validators its
    server sent (for a conditional request) and the hash of the last file imported."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)
