"""Payment methods, and the commitment period of a service

`stored_payment_method`: the cards (provider tokens) and SEPA mandates an account pays
with; a partial unique index keeps one default per account.
`service.committed_until`: until then the renewal cannot be changed or anticipated.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_payment_method",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "card",
                "sepa_debit",
                name="paymentmethod",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("token", sa.String(length=80), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=True),
        sa.Column("exp_year", sa.Integer(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_stored_payment_method_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["validation_procedure.id"],
            name=op.f("fk_stored_payment_method_procedure_id_validation_procedure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_payment_method")),
        sa.UniqueConstraint("procedure_id", name=op.f("uq_stored_payment_method_procedure_id")),
        sa.UniqueConstraint(
            "account_id",
            "fingerprint",
            name=op.f("uq_stored_payment_method_account_id"),
        ),
    )
    with op.batch_alter_table("stored_payment_method", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stored_payment_method_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "uq_stored_payment_method_default",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committed_until", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("committed_until")

    with op.batch_alter_table("stored_payment_method", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stored_payment_method_default",
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )
        batch_op.drop_index(batch_op.f("ix_stored_payment_method_account_id"))

    op.drop_table("stored_payment_method")
