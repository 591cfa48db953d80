"""a number is unique among active lines (and among active alias numbers)

A line converted to an alias number (or back), or terminated, keeps its row and its number
for the history; only one active row may carry a number.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade():
    for table in ("line", "alias_number"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_number", type_="unique")
        op.create_index(
            f"uq_{table}_active_number",
            table,
            ["number"],
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        )


def downgrade():
    for table in ("line", "alias_number"):
        op.drop_index(f"uq_{table}_active_number", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_unique_constraint(f"uq_{table}_number", ["number"])
