"""Invoices: gap-free numbers per series and year, two more statuses, line periods

`invoice_sequence`: the last number given per series (issuing company, invoices or credit
notes) and year, taken by an UPDATE in the transaction that issues the document.
`invoice.status` may also be `collection_sent` (in a direct-debit file sent to the bank) and
`refunded`. `invoice_line.period_start` / `period_end`: the period a service line pays for.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD = ("awaiting_payment", "paid", "cancelled")
NEW = (*OLD, "collection_sent", "refunded")


def _statuses(batch_op, values):
    batch_op.drop_constraint(op.f("ck_invoice_invoicestatus"), type_="check")
    allowed = ", ".join(f"'{value}'" for value in values)
    batch_op.create_check_constraint(op.f("ck_invoice_invoicestatus"), f"status IN ({allowed})")


def upgrade():
    op.create_table(
        "invoice_sequence",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_invoice_sequence")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        _statuses(batch_op, NEW)
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_column("period_end")
        batch_op.drop_column("period_start")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        _statuses(batch_op, OLD)
    op.drop_table("invoice_sequence")
