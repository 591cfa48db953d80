"""user_account.acting_for_id: the customer an agent acts for now, as the record says
(telephony.support keeps it with each start and end of acting on the record). A session
that says it acts for another customer, or for one the agent stopped acting for in
another browser, acts for no one.

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acting_for_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_user_account_acting_for_id_account'),
            'account',
            ['acting_for_id'],
            ['id'],
        )
    # Agents acting now, by their last start or end of acting on the record.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT e.actor_id, e.account_id, e.action FROM audit_event e "
            "WHERE e.id IN (SELECT max(id) FROM audit_event "
            "WHERE action IN ('agent.acting_started', 'agent.acting_stopped') "
            "AND actor_id IS NOT NULL GROUP BY actor_id)"
        )
    )
    for actor_id, account_id, action in rows:
        if action == 'agent.acting_started':
            connection.execute(
                sa.text("UPDATE user_account SET acting_for_id = :a WHERE id = :u"),
                {"a": account_id, "u": actor_id},
            )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_user_account_acting_for_id_account'), type_='foreignkey'
        )
        batch_op.drop_column('acting_for_id')
