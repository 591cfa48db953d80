"""service e-mails link to the screen they are about

`service_email.screen_url`: the absolute address of the page in the customer area that the
message is about (SITE_URL + the page), put in both parts of the message when it is sent.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screen_url", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("service_email", schema=None) as batch_op:
        batch_op.drop_column("screen_url")
