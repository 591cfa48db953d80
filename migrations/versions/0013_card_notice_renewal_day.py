"""When the holder of a card was told it expires soon; the account's renewal day

`stored_payment_method.expiry_notice_on`: set by the renewal run when it sends the notice,
by a conditional UPDATE, so that the e-mail goes out once per card.
`account.renewal_day`: the day of the month (1 to 28) its services were aligned on.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stored_payment_method", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expiry_notice_on", sa.Date(), nullable=True))
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewal_day", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("renewal_day")
    with op.batch_alter_table("stored_payment_method", schema=None) as batch_op:
        batch_op.drop_column("expiry_notice_on")
