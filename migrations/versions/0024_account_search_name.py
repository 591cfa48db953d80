"""account.search_name: the account's name and its billing contact's, folded (lower case,
no accents), so that an agent who types "dupre" finds "Dupré" on SQLite and PostgreSQL
alike (telephony.text.fold; the ORM keeps it on every change)

Revision ID: 0024
Revises: 0023
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def _fold(text):
    # telephony.text.fold as it was at this revision.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_name', sa.String(length=310), server_default='', nullable=False)
        )
    account = sa.table(
        'account',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('billing_contact_name', sa.String),
        sa.column('search_name', sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(account.c.id, account.c.name, account.c.billing_contact_name)
    ).all()
    for row in rows:
        connection.execute(
            account.update()
            .where(account.c.id == row.id)
            .values(search_name=_fold(f"{row.name or ''}\n{row.billing_contact_name or ''}"))
        )


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('search_name')
