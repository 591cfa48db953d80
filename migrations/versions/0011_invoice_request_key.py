"""The form that asked for an invoice (anticipate a payment, renew by hand)

`invoice.request_key`: the token of the form, unique, so that a form sent twice (a double
click, two tabs) makes one invoice and one payment.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_invoice_request_key", ["request_key"])


def downgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoice_request_key", type_="unique")
        batch_op.drop_column("request_key")
