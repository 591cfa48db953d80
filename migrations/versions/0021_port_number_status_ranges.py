"""Porting: each number's own status (a carrier may reject one number of an order, a
customer take one out), the range a number was given in and whether all of the range
leaves, and the billing telephone number of the account at the losing carrier

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'submitted', 'processing', 'contacting_carrier', 'date_confirmed',
            'pending', 'completed', 'rejected', 'cancelled')


def upgrade():
    with op.batch_alter_table('port_number', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum(*STATUSES, name='portstatus', native_enum=False, create_constraint=True, length=24), server_default='draft', nullable=False))
        batch_op.add_column(sa.Column('range_first', sa.String(length=20), server_default='', nullable=False))

    with op.batch_alter_table('port_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_number', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('range_scope', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))

    # The numbers of the orders already made stand where their order stands.
    op.execute(
        "UPDATE port_number SET status = "
        "(SELECT port_order.status FROM port_order WHERE port_order.id = port_number.order_id)"
    )


def downgrade():
    with op.batch_alter_table('port_order', schema=None) as batch_op:
        batch_op.drop_column('range_scope')
        batch_op.drop_column('billing_number')

    with op.batch_alter_table('port_number', schema=None) as batch_op:
        batch_op.drop_column('range_first')
        batch_op.drop_column('status')
