"""Opening hours as data and the services a partner offers

Two JSON columns on `partner`: `horaires_structures` (the week the import reads from every
source's form of hours; NULL when the source gives none or an irregular text) and `services`
(what a source describes of each service: freins, conditions, cost, modes, how to mobilise it).
Both are filled by the next import of each source; existing rows start empty.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 18:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner") as batch:
        batch.add_column(sa.Column("horaires_structures", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("services", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner") as batch:
        batch.drop_column("services")
        batch.drop_column("horaires_structures")
