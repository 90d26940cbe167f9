"""index partner.updated_at (read by the data version on every check)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:45:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_partner_updated_at"), "partner", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_partner_updated_at"), table_name="partner")
