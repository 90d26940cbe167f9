"""merge_decision.undone_at / undone_partner_id: a merge an admin undid

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merge_decision") as batch:
        batch.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("undone_partner_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merge_decision") as batch:
        batch.drop_column("undone_partner_id")
        batch.drop_column("undone_at")
