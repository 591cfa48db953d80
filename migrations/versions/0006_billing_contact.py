"""billing contact: the name beside the billing e-mail address of an account

Changing the billing contact (name or e-mail) requires a new validation procedure; existing
accounts start with no name (the e-mail address they have is kept).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "billing_contact_name", sa.String(length=100), server_default="", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("billing_contact_name")
