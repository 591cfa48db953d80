"""Service numbers: licences and requests for more, the inventory's areas and numbers,
reservations, where the numbers ring (conference bridges, auto attendants, call queues),
communication credits

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.Enum('FR', 'BE', 'CH', name='country', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('region', sa.String(length=80), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_area')),
    sa.UniqueConstraint('country', 'region', 'city', name=op.f('uq_number_area_country'))
    )
    op.create_table('credit_wallet',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('auto_recharge', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('recharge_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('low_notified', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_credit_wallet_account_id_account')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_credit_wallet'))
    )
    op.create_table('licence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('phone_system', 'audio_conferencing', name='licencekind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_licence_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence')),
    sa.UniqueConstraint('account_id', 'kind', name=op.f('uq_licence_account_id'))
    )
    op.create_table('number_destination',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('conference_bridge', 'auto_attendant', 'call_queue', name='destinationkind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_number_destination_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_destination')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_number_destination_account_id'))
    )
    with op.batch_alter_table('number_destination', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_number_destination_account_id'), ['account_id'], unique=False)

    op.create_table('number_reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('number_type', sa.Enum('geographic', 'national', 'toll_free', name='numbertype', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('status', sa.Enum('open', 'acquired', 'released', name='reservationstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_number_reservation_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_number_reservation_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_reservation'))
    )
    with op.batch_alter_table('number_reservation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_number_reservation_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_number_reservation_open', ['account_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('quota_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_quota_request_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_quota_request_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_quota_request_handled_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_request'))
    )
    with op.batch_alter_table('quota_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_request_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_quota_request_open', ['account_id'], unique=True, sqlite_where=sa.text('handled_at IS NULL'), postgresql_where=sa.text('handled_at IS NULL'))

    op.create_table('credit_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_credit_movement_account_id_account')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_credit_movement_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_movement'))
    )
    with op.batch_alter_table('credit_movement', schema=None) as batch_op:
        batch_op.create_index('ix_credit_movement_account', ['account_id', 'id'], unique=False)

    op.create_table('queue_line',
    sa.Column('destination_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['destination_id'], ['number_destination.id'], name=op.f('fk_queue_line_destination_id_number_destination')),
    sa.ForeignKeyConstraint(['line_id'], ['line.id'], name=op.f('fk_queue_line_line_id_line')),
    sa.PrimaryKeyConstraint('destination_id', 'line_id', name=op.f('pk_queue_line'))
    )
    op.create_table('service_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('country', sa.Enum('FR', 'BE', 'CH', name='country', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('number_type', sa.Enum('geographic', 'national', 'toll_free', name='numbertype', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('available', 'reserved', 'taken', 'quarantined', name='inventorystate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('ported', sa.Boolean(), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('quarantine_until', sa.Date(), nullable=True),
    sa.Column('directory_entry', sa.JSON(), nullable=True),
    sa.Column('destination_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_service_number_account_id_account')),
    sa.ForeignKeyConstraint(['area_id'], ['number_area.id'], name=op.f('fk_service_number_area_id_number_area')),
    sa.ForeignKeyConstraint(['destination_id'], ['number_destination.id'], name=op.f('fk_service_number_destination_id_number_destination')),
    sa.ForeignKeyConstraint(['reservation_id'], ['number_reservation.id'], name=op.f('fk_service_number_reservation_id_number_reservation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_number')),
    sa.UniqueConstraint('number', name=op.f('uq_service_number_number'))
    )
    with op.batch_alter_table('service_number', schema=None) as batch_op:
        batch_op.create_index('ix_service_number_account', ['account_id', 'state'], unique=False, sqlite_where=sa.text('account_id IS NOT NULL'), postgresql_where=sa.text('account_id IS NOT NULL'))
        batch_op.create_index('ix_service_number_destination', ['destination_id'], unique=False, sqlite_where=sa.text('destination_id IS NOT NULL'), postgresql_where=sa.text('destination_id IS NOT NULL'))
        batch_op.create_index('ix_service_number_held', ['state', 'held_until'], unique=False)
        batch_op.create_index('ix_service_number_national', ['country', 'number_type', 'state', 'number'], unique=False, sqlite_where=sa.text('area_id IS NULL'), postgresql_where=sa.text('area_id IS NULL'))
        batch_op.create_index('ix_service_number_reservation', ['reservation_id'], unique=False, sqlite_where=sa.text('reservation_id IS NOT NULL'), postgresql_where=sa.text('reservation_id IS NOT NULL'))
        batch_op.create_index('ix_service_number_search', ['country', 'number_type', 'area_id', 'state', 'number'], unique=False)



def downgrade():
    with op.batch_alter_table('service_number', schema=None) as batch_op:
        batch_op.drop_index('ix_service_number_search')
        batch_op.drop_index('ix_service_number_reservation', sqlite_where=sa.text('reservation_id IS NOT NULL'), postgresql_where=sa.text('reservation_id IS NOT NULL'))
        batch_op.drop_index('ix_service_number_national', sqlite_where=sa.text('area_id IS NULL'), postgresql_where=sa.text('area_id IS NULL'))
        batch_op.drop_index('ix_service_number_held')
        batch_op.drop_index('ix_service_number_destination', sqlite_where=sa.text('destination_id IS NOT NULL'), postgresql_where=sa.text('destination_id IS NOT NULL'))
        batch_op.drop_index('ix_service_number_account', sqlite_where=sa.text('account_id IS NOT NULL'), postgresql_where=sa.text('account_id IS NOT NULL'))

    op.drop_table('service_number')
    op.drop_table('queue_line')
    with op.batch_alter_table('credit_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_movement_account')

    op.drop_table('credit_movement')
    with op.batch_alter_table('quota_request', schema=None) as batch_op:
        batch_op.drop_index('uq_quota_request_open', sqlite_where=sa.text('handled_at IS NULL'), postgresql_where=sa.text('handled_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_quota_request_account_id'))

    op.drop_table('quota_request')
    with op.batch_alter_table('number_reservation', schema=None) as batch_op:
        batch_op.drop_index('uq_number_reservation_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_number_reservation_account_id'))

    op.drop_table('number_reservation')
    with op.batch_alter_table('number_destination', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_number_destination_account_id'))

    op.drop_table('number_destination')
    op.drop_table('licence')
    op.drop_table('credit_wallet')
    op.drop_table('number_area')
