"""invoice.buyer: the customer as the document names them, copied when it is made, so that
an issued invoice never changes when the details are corrected later
(telephony.invoicing.buyer). Documents made before are given the details of now.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer', sa.JSON(), nullable=True))
    # The details as telephony.invoicing.buyer read them at this revision.
    connection = op.get_bind()
    account = sa.table(
        'account', sa.column('id'), sa.column('name'), sa.column('billing_email')
    )
    procedure = sa.table(
        'validation_procedure',
        sa.column('id'),
        sa.column('account_id'),
        sa.column('status'),
        sa.column('holder_street'),
        sa.column('holder_postcode'),
        sa.column('holder_city'),
        sa.column('holder_country'),
        sa.column('organisation_id'),
    )
    invoice = sa.table('invoice', sa.column('account_id'), sa.column('buyer', sa.JSON()))
    details = {
        row.id: {
            'name': row.name,
            'email': row.billing_email,
            'street': '',
            'postcode': '',
            'city': '',
            'country': '',
            'organisation_id': '',
        }
        for row in connection.execute(sa.select(account.c.id, account.c.name, account.c.billing_email))
    }
    rows = connection.execute(
        sa.select(procedure)
        .where(procedure.c.status != 'cancelled', procedure.c.holder_street != '')
        .order_by(
            procedure.c.account_id,
            sa.case((procedure.c.status == 'validated', 0), else_=1),
            procedure.c.id.desc(),
        )
    )
    seen = set()
    for row in rows:
        if row.account_id in seen or row.account_id not in details:
            continue
        seen.add(row.account_id)
        details[row.account_id].update(
            street=row.holder_street or '',
            postcode=row.holder_postcode or '',
            city=row.holder_city or '',
            country=row.holder_country or '',
            organisation_id=row.organisation_id or '',
        )
    for account_id, buyer in details.items():
        connection.execute(
            invoice.update()
            .where(invoice.c.account_id == account_id, invoice.c.buyer.is_(None))
            .values(buyer=buyer)
        )


def downgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('buyer')
