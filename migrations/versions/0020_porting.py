"""Porting numbers in: port orders, their numbers, documents and timeline; the text
message queue (a rejected port is told by SMS)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('to_number', sa.String(length=20), nullable=False),
    sa.Column('body', sa.String(length=480), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='emailstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('provider_reference', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_sms_message_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_message'))
    )
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_message_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_sms_message_status', ['status', 'next_attempt_at'], unique=False)

    op.create_table('port_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.Enum('FR', 'BE', 'CH', name='country', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('toll_free', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'processing', 'contacting_carrier', 'date_confirmed', 'pending', 'completed', 'rejected', 'cancelled', name='portstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('holder', sa.JSON(), nullable=False),
    sa.Column('losing_carrier', sa.String(length=100), nullable=False),
    sa.Column('carrier_account', sa.String(length=60), nullable=False),
    sa.Column('full_port', sa.Boolean(), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=True),
    sa.Column('confirmed_on', sa.Date(), nullable=True),
    sa.Column('details_saved', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_port_order_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_port_order_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_order'))
    )
    with op.batch_alter_table('port_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_port_order_account_id'), ['account_id'], unique=False)

    op.create_table('port_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['port_order.id'], name=op.f('fk_port_document_order_id_port_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_document')),
    sa.UniqueConstraint('order_id', 'kind', name=op.f('uq_port_document_order_id'))
    )
    op.create_table('port_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'processing', 'contacting_carrier', 'date_confirmed', 'pending', 'completed', 'rejected', 'cancelled', name='portstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['port_order.id'], name=op.f('fk_port_event_order_id_port_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_event'))
    )
    with op.batch_alter_table('port_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_port_event_order_id'), ['order_id'], unique=False)

    op.create_table('port_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('number_type', sa.Enum('geographic', 'national', 'toll_free', name='numbertype', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('rio', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('rejection', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['port_order.id'], name=op.f('fk_port_number_order_id_port_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_number'))
    )
    with op.batch_alter_table('port_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_port_number_order_id'), ['order_id'], unique=False)
        batch_op.create_index('uq_port_number_active', ['number'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))



def downgrade():
    with op.batch_alter_table('port_number', schema=None) as batch_op:
        batch_op.drop_index('uq_port_number_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
        batch_op.drop_index(batch_op.f('ix_port_number_order_id'))

    op.drop_table('port_number')
    with op.batch_alter_table('port_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_port_event_order_id'))

    op.drop_table('port_event')
    op.drop_table('port_document')
    with op.batch_alter_table('port_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_port_order_account_id'))

    op.drop_table('port_order')
    with op.batch_alter_table('sms_message', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_message_status')
        batch_op.drop_index(batch_op.f('ix_sms_message_account_id'))

    op.drop_table('sms_message')
