"""Service numbers: licences, the inventory's areas and numbers, reservations

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
    op.create_table('licence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('phone_system', 'audio_conferencing', name='licencekind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_licence_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence')),
    sa.UniqueConstraint('account_id', 'kind', name=op.f('uq_licence_account_id'))
    )
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
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_service_number_account_id_account')),
    sa.ForeignKeyConstraint(['area_id'], ['number_area.id'], name=op.f('fk_service_number_area_id_number_area')),
    sa.ForeignKeyConstraint(['reservation_id'], ['number_reservation.id'], name=op.f('fk_service_number_reservation_id_number_reservation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_number')),
    sa.UniqueConstraint('number', name=op.f('uq_service_number_number'))
    )
    with op.batch_alter_table('service_number', schema=None) as batch_op:
        batch_op.create_index('ix_service_number_account', ['account_id', 'state'], unique=False)
        batch_op.create_index('ix_service_number_held', ['state', 'held_until'], unique=False)
        batch_op.create_index('ix_service_number_search', ['country', 'number_type', 'area_id', 'state', 'number'], unique=False)



def downgrade():
    with op.batch_alter_table('service_number', schema=None) as batch_op:
        batch_op.drop_index('ix_service_number_search')
        batch_op.drop_index('ix_service_number_held')
        batch_op.drop_index('ix_service_number_account')

    op.drop_table('service_number')
    with op.batch_alter_table('number_reservation', schema=None) as batch_op:
        batch_op.drop_index('uq_number_reservation_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_number_reservation_account_id'))

    op.drop_table('number_reservation')
    op.drop_table('licence')
    op.drop_table('number_area')
