"""Invoice archives: every PDF of a period as one ZIP, built by a worker from a queue

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoice_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_invoice_archive_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_invoice_archive_requested_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_archive")),
        sa.UniqueConstraint("request_key", name=op.f("uq_invoice_archive_request_key")),
    )
    with op.batch_alter_table("invoice_archive", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_archive_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_invoice_archive_status", ["status", "next_attempt_at"], unique=False
        )


def downgrade():
    op.drop_table("invoice_archive")
