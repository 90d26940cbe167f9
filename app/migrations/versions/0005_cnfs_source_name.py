"""The conseillers numériques places keep their records under the `cnfs` format's source name

Until the `cnfs` format existed, the file imported as a generic CSV under a source named
after the file (`conseillers-numeriques-lieux-2022`), with the same `id` column as source id.
Renaming that source lets the next import update those records in place instead of creating
a second copy of every place beside them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:10:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD, NEW = "conseillers-numeriques-lieux-2022", "conseillers-numeriques"


def _rename(old: str, new: str) -> None:
    for table in ("partner_source", "merge_decision"):
        op.execute(
            f"UPDATE {table} SET source = '{new}' WHERE source = '{old}' "
            f"AND source_id NOT IN (SELECT source_id FROM {table} WHERE source = '{new}')"
        )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
