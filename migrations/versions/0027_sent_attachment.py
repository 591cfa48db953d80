"""sent_attachment: the document a service e-mail carried, kept as it was sent (and its
copy for agents, bank details masked), so that the e-mails page shows what the customer
received rather than the document made again from today's data. Messages sent before
have none: theirs is made again, as before.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sent_attachment',
        sa.Column('email_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('mimetype', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('masked', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['email_id'], ['service_email.id'], name=op.f('fk_sent_attachment_email_id_service_email')),
        sa.PrimaryKeyConstraint('email_id', name=op.f('pk_sent_attachment')),
    )


def downgrade():
    op.drop_table('sent_attachment')
