"""agent console: numbers indexed for the caller search, and call notes

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_line_number", "line", ["number"])
    op.create_index("ix_alias_number_number", "alias_number", ["number"])
    op.create_table(
        "call_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_call_note_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name="fk_call_note_author_id_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_call_note"),
    )
    op.create_index("ix_call_note_account_at", "call_note", ["account_id", "created_at"])


def downgrade():
    op.drop_index("ix_call_note_account_at", table_name="call_note")
    op.drop_table("call_note")
    op.drop_index("ix_alias_number_number", table_name="alias_number")
    op.drop_index("ix_line_number", table_name="line")
