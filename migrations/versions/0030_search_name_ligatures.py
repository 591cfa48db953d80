"""account.search_name again, ligatures written out ("Sœurs" is found by "soeurs"),
folded as telephony.text.fold_name does at this revision.

Revision ID: 0030
Revises: 0029
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded.replace("œ", "oe").replace("æ", "ae")


def upgrade():
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
    pass  # (the names stay findable either way)
