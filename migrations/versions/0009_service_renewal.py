"""My services: when a service's period started, and which service an invoice line bills

`service.renewed_on`: the start of the current period (the "renewed within a month" filter).
`invoice_line.service_id`: the service a renewal line bills; an unpaid one makes the
service's renewal status "invoice to pay".

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_invoice_line_service_id", ["service_id"])
        batch_op.create_foreign_key(
            "fk_invoice_line_service_id_service", "service", ["service_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_constraint("fk_invoice_line_service_id_service", type_="foreignkey")
        batch_op.drop_index("ix_invoice_line_service_id")
        batch_op.drop_column("service_id")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("renewed_on")
