"""Credit notes: an invoice kind of their own, linked to the invoice they refund

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD = ("invoice", "purchase_order")
NEW = (*OLD, "credit_note")


def _kinds(batch_op, values):
    batch_op.drop_constraint(op.f("ck_invoice_invoicekind"), type_="check")
    allowed = ", ".join(f"'{value}'" for value in values)
    batch_op.create_check_constraint(op.f("ck_invoice_invoicekind"), f"kind IN ({allowed})")


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        _kinds(batch_op, NEW)
        batch_op.add_column(sa.Column("credited_invoice_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_invoice_credited_invoice_id"), ["credited_invoice_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_credited_invoice_id_invoice"),
            "invoice",
            ["credited_invoice_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_credited_invoice_id_invoice"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_invoice_credited_invoice_id"))
        batch_op.drop_column("credited_invoice_id")
        _kinds(batch_op, OLD)
