"""account.data_version, raised by the database whenever a row the kept pages show changes
(triggers on the tables below): a process keeps the lines page's lists, My services' table
and whether the account holds a licence while the version stays the same
(caching.account_fragment, account_fact)

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from telephony import versioning

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TABLES = (
    "telephony_group",
    "line",
    "hardware",
    "alias_number",
    "number_pool",
    "scheduled_task",
    "offer",
    "licence",
    "service",
    "invoice",
    "invoice_line",
    "validation_procedure",
)


def upgrade():
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    versioning.create_triggers(op.get_bind(), TABLES)


def downgrade():
    bind = op.get_bind()
    for tracked in versioning.TRACKED:
        if tracked.table not in TABLES:
            continue
        for name in versioning.trigger_names(tracked):
            if bind.dialect.name == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {tracked.table}")
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("data_version")
