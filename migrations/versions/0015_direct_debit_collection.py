"""SEPA direct-debit collection: the pain.008 files sent, and each invoice debited

`debit_collection`: one file per creditor company, currency and collection date, its XML
kept as sent. `debit`: one invoice in a file, with its mandate, sequence type and end-to-end
id; a returned debit keeps the bank's reason.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "debit_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("collection_on", sa.Date(), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debit_collection")),
        sa.UniqueConstraint("message_id", name=op.f("uq_debit_collection_message_id")),
    )
    op.create_table(
        "debit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("mandate_reference", sa.String(length=35), nullable=False),
        sa.Column("sequence_type", sa.String(length=4), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("return_reason", sa.String(length=8), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_debit_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["debit_collection.id"],
            name=op.f("fk_debit_collection_id_debit_collection"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_debit_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debit")),
        sa.UniqueConstraint("end_to_end_id", name=op.f("uq_debit_end_to_end_id")),
    )
    with op.batch_alter_table("debit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debit_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_debit_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_debit_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_debit_mandate_reference"), ["mandate_reference"], unique=False
        )


def downgrade():
    op.drop_table("debit")
    op.drop_table("debit_collection")
