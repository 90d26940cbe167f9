"""Campaigns (partners confirm or correct their record) and the review queue's new kinds

`campaign`, `campaign_message` (one per partner and campaign: sent, reminded, refused,
answered) and `unsubscribe`; `correction_request` gains `kind`, `changes` (the proposed
values), `departement` (a proposal's, for the admin's scope) and `campaign_message_id`, and
its `partner_id` becomes optional (a proposed structure has no partner yet).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=True),
        sa.Column("older_than_months", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "campaign_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "partner_id"),
    )
    with op.batch_alter_table("campaign_message") as batch:
        batch.create_index("ix_campaign_message_campaign_id", ["campaign_id"], unique=False)
        batch.create_index("ix_campaign_message_partner_id", ["partner_id"], unique=False)
    op.create_table(
        "unsubscribe",
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    with op.batch_alter_table("correction_request") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), server_default="signalement", nullable=False)
        )
        batch.add_column(sa.Column("changes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("departement", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("campaign_message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_correction_request_campaign_message",
            "campaign_message",
            ["campaign_message_id"],
            ["id"],
        )
        batch.alter_column("partner_id", existing_type=sa.String(length=32), nullable=True)
    op.execute("UPDATE correction_request SET changes = '{}' WHERE changes IS NULL")
    with op.batch_alter_table("correction_request") as batch:
        batch.alter_column("changes", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM correction_request WHERE partner_id IS NULL")
    with op.batch_alter_table("correction_request") as batch:
        batch.alter_column("partner_id", existing_type=sa.String(length=32), nullable=False)
        batch.drop_constraint("fk_correction_request_campaign_message", type_="foreignkey")
        batch.drop_column("campaign_message_id")
        batch.drop_column("departement")
        batch.drop_column("changes")
        batch.drop_column("kind")
    op.drop_table("unsubscribe")
    with op.batch_alter_table("campaign_message") as batch:
        batch.drop_index("ix_campaign_message_partner_id")
        batch.drop_index("ix_campaign_message_campaign_id")
    op.drop_table("campaign_message")
    op.drop_table("campaign")
