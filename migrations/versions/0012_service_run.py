"""The renewal run for services: suspension, notices sent once, numbers in quarantine

`service.suspended_on`: when an unpaid service was suspended (a manual one is deleted some
days later). `service_notice`: each reminder, once per service, kind and expiry (unique).
`number_quarantine`: a deleted service's numbers, given to nobody before `until`.
`invoice.issued_on` and `invoice.due_on`: an automatic service whose renewal invoice is
unpaid after its due date is suspended.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('former_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_quarantine')),
    sa.UniqueConstraint('number', name=op.f('uq_number_quarantine_number'))
    )
    op.create_table('service_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_notice_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_notice')),
    sa.UniqueConstraint('service_id', 'kind', 'expires_on', name=op.f('uq_service_notice_service_id'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('suspended_on')

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('due_on')
        batch_op.drop_column('issued_on')

    op.drop_table('service_notice')
    op.drop_table('number_quarantine')
