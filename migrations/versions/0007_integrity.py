"""integrity: one open purchase order per line, sessions kept on the server

* `invoice.open_key`: unique while a purchase order awaits payment ("line:<id>:calls_order"),
  so that two orders placed at once for one line can't both stay open;
* `user_account.session_epoch`: raised to end every session of a user at once;
* `web_session`: signed-in sessions, kept on the server so that signing out ends them;
* `faq_feedback.token`: the form's token, unique, so that one form's answer counts once.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_key", sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint("uq_invoice_open_key", ["open_key"])
    # Orders awaiting payment today get their key: the newest per line. Should a line have
    # several (the race this revision closes), the older ones are cancelled; the customer
    # sees them cancelled and can pay the one left, which carries the same calls.
    invoice = sa.table(
        "invoice",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("on_paid", sa.JSON),
        sa.column("open_key", sa.String),
    )
    bind = op.get_bind()
    seen = set()
    rows = bind.execute(
        sa.select(invoice.c.id, invoice.c.on_paid)
        .where(invoice.c.kind == "purchase_order", invoice.c.status == "awaiting_payment")
        .order_by(invoice.c.id.desc())
    ).all()
    for row in rows:
        line_id = (row.on_paid or {}).get("line_id")
        if line_id is None:
            continue
        if line_id in seen:
            bind.execute(
                sa.update(invoice).where(invoice.c.id == row.id).values(status="cancelled")
            )
            continue
        seen.add(line_id)
        bind.execute(
            sa.update(invoice)
            .where(invoice.c.id == row.id)
            .values(open_key=f"line:{line_id}:calls_order")
        )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )

    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False
        )

    with op.batch_alter_table("faq_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_faq_feedback_token", ["token"])


def downgrade():
    with op.batch_alter_table("faq_feedback", schema=None) as batch_op:
        batch_op.drop_constraint("uq_faq_feedback_token", type_="unique")
        batch_op.drop_column("token")
    op.drop_table("web_session")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint("uq_invoice_open_key", type_="unique")
        batch_op.drop_column("open_key")
