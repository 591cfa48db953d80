"""credit_movement.report_key: the call platform's report a usage comes from, unique per
account, so that a report sent twice is taken from the credits once

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_key', sa.String(length=64), nullable=True))
        batch_op.create_index(
            'uq_credit_movement_report', ['account_id', 'report_key'], unique=True
        )


def downgrade():
    with op.batch_alter_table('credit_movement', schema=None) as batch_op:
        batch_op.drop_index('uq_credit_movement_report')
        batch_op.drop_column('report_key')
