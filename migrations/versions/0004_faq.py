"""FAQ feedback: one row per "Was this helpful?" answer

The FAQ's full-text index (SQLite FTS5 table, or PostgreSQL tsvector table) is not made
here: it is a cache of the content files, built and rebuilt by telephony.faq.index.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "faq_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_feedback")),
    )
    op.create_index("ix_faq_feedback_slug", "faq_feedback", ["slug", "helpful"], unique=False)


def downgrade():
    op.drop_index("ix_faq_feedback_slug", table_name="faq_feedback")
    op.drop_table("faq_feedback")
