"""One change at a time per account, enforced by the database.

Every request that changes an account's state first takes that account's row lock
(`lock_account`) in its own transaction, and keeps it until it commits or rolls back.
Two requests for the same account (a double click, two tabs, an agent and the customer
at once) then run one after the other: the second sees what the first committed, so the
domain's checks ("an offer change is already pending", "this order is no longer awaiting
payment") are made on current data and cannot both pass.

* PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the account row; other accounts are not
  held up, and rows that merely point at the account (an audit event, a new line) can still
  be written by others (they take FOR KEY SHARE, which this lock lets through).
* SQLite: a write to the account row. SQLite allows one writer per database, so this
  serialises writers altogether; a reader is never blocked (WAL), and the write lock is
  taken at the first statement of the transaction, so every read after it is current.

The database constraints stay the last word where a rule can be written as one (the unique
pending key of scheduled tasks, the one open purchase order per line, the conditional UPDATE
that claims an invoice for payment): the lock makes the checks right, the constraints make
a missed check harmless.
"""

from __future__ import annotations

from sqlalchemy import select, update

from extensions import db
from telephony.models import Account


def lock_account(account_id: int) -> None:
    """Hold the row of account `account_id` until the current transaction ends.

    Objects already loaded in the session are expired, so that what the caller reads next
    is what the database holds now, not what it held before the wait."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Account.id).where(Account.id == account_id).with_for_update(key_share=True)
        )
    else:
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(id=Account.id)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()


def lock_accounts(account_ids) -> None:
    """`lock_account` for several accounts at once (PostgreSQL: one statement), taken in
    the order of their ids: two holders of overlapping sets then never wait on each other
    in a circle (the renewal run's workers)."""
    ids = sorted(set(account_ids))
    if not ids:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        for account_id in ids:
            lock_account(account_id)
        return
    db.session.execute(
        select(Account.id)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
        .with_for_update(key_share=True)
    )
    db.session.expire_all()


def lock_free_accounts(account_ids) -> set[int]:
    """`lock_accounts` for those of `account_ids` no other transaction holds now, without
    waiting for the others (PostgreSQL: SKIP LOCKED): the ids locked. A holder of other
    rows (the renewal run's claimed tasks) must not wait for an account a request holds:
    the request, which takes the account first, may be waiting for those very rows.
    SQLite has one writer at a time: every id, as lock_accounts."""
    ids = sorted(set(account_ids))
    if not ids:
        return set()
    if db.session.get_bind().dialect.name != "postgresql":
        lock_accounts(ids)
        return set(ids)
    held = set(
        db.session.scalars(
            select(Account.id)
            .where(Account.id.in_(ids))
            .order_by(Account.id)
            .with_for_update(key_share=True, skip_locked=True)
        )
    )
    db.session.expire_all()
    return held
