"""account.data_version: the database raises it whenever a row the kept pages show changes,
whoever writes it (telephony.versioning), on SQLite and PostgreSQL alike."""

import pytest
from sqlalchemy import delete, insert, select, update

from extensions import db
from telephony import versioning
from telephony.models import Account, Line, Offer
from tests.factories import demo_account


def _version(code: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Account.data_version).where(Account.code == code))


def test_every_change_to_a_line_raises_its_account_version_only(app_ctx):
    fr, other = demo_account(), demo_account("vt20002-b")
    before, other_before = _version(fr.code), _version(other.code)
    line = db.session.scalar(select(Line).where(Line.account_id == fr.id).order_by(Line.id))

    line.description = "Standard, étage 2"
    db.session.commit()
    after_orm = _version(fr.code)
    assert after_orm > before

    # A statement of the application's own (a conditional UPDATE), not the ORM's.
    db.session.execute(update(Line).where(Line.id == line.id).values(calls_current=3))
    db.session.commit()
    assert _version(fr.code) > after_orm

    copy = {
        column.name: getattr(line, column.key)
        for column in Line.__table__.columns
        if column.name not in ("id", "number")
    }
    db.session.execute(insert(Line).values(**copy, number="+33184809999"))
    db.session.commit()
    inserted = _version(fr.code)
    db.session.execute(delete(Line).where(Line.number == "+33184809999"))
    db.session.commit()
    assert _version(fr.code) > inserted
    assert _version(other.code) == other_before


def test_a_statement_touching_many_rows_raises_each_account(app_ctx):
    fr, be = demo_account(), demo_account("vt20002-b")
    before = {code: _version(code) for code in (fr.code, be.code)}
    db.session.execute(
        update(Line).where(Line.account_id.in_([fr.id, be.id])).values(description="x")
    )
    db.session.commit()
    assert all(_version(code) > before[code] for code in before)


def test_an_offer_change_raises_the_accounts_with_a_line_on_it(app_ctx):
    fr = demo_account()
    line = db.session.scalar(select(Line).where(Line.account_id == fr.id).order_by(Line.id))
    unused = db.session.scalar(
        select(Offer).where(Offer.id.not_in(select(Line.offer_id).distinct())).limit(1)
    )
    quiet = {
        account.code: account.data_version
        for account in db.session.scalars(
            select(Account).where(
                Account.id.not_in(select(Line.account_id).where(Line.offer_id == line.offer_id))
            )
        )
    }
    before = _version(fr.code)
    db.session.execute(update(Offer).where(Offer.id == line.offer_id).values(name="Renamed"))
    db.session.commit()
    assert _version(fr.code) > before
    assert all(_version(code) == version for code, version in quiet.items())
    if unused is not None:  # an offer nobody has: no account changes
        version = _version(fr.code)
        db.session.execute(update(Offer).where(Offer.id == unused.id).values(name="Nobody's"))
        db.session.commit()
        assert _version(fr.code) == version


def test_the_schema_has_every_trigger(app_ctx):
    with db.engine.connect() as connection:
        assert versioning.installed(connection) == versioning.expected()


def test_kept_lists_and_facts_read_only_tracked_tables(app, client, auth, monkeypatch):
    """What a process keeps under the account's data version (a list, the menu's licence
    test) may read only the tables whose writes raise it: otherwise a change there would
    leave it out of date."""
    import re

    from sqlalchemy import event

    import caching

    read: set[str] = set()

    def note(_conn, _cursor, statement, *_args):
        read.update(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', statement))

    with app.app_context():
        engine = db.engine
    depth = [0]  # a list renders its template, whose context asks the licence test: nested

    def observed(_store, _key, make, _limit):
        if not depth[0]:
            event.listen(engine, "before_cursor_execute", note)
        depth[0] += 1
        try:
            return make()
        finally:
            depth[0] -= 1
            if not depth[0]:
                event.remove(engine, "before_cursor_execute", note)

    with app.app_context():  # a line on order: the summary says whether it waits
        from tests.test_line_orders import _order

        _order(demo_account())
        db.session.commit()
    monkeypatch.setattr(caching, "_kept", observed)
    auth.login()
    for path in ("/lines/", "/services/", "/services/?renewal=invoice_to_pay&sort=renewal"):
        assert client.get(path).status_code == 200
    tracked = {tracked.table for tracked in versioning.TRACKED} | {"account"}
    assert {"licence", "line", "service", "invoice", "validation_procedure"} <= read
    assert read <= tracked, read - tracked


def test_postgresql_raises_an_account_once_per_transaction(app_ctx):
    """(PostgreSQL) The renewal run's transactions write an account's rows many times: the
    account row is updated once, not once per statement. A change to the account row
    itself earlier in the transaction does not stand for it."""
    fr = demo_account()
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite raises it row by row (no transaction-wide memory there)")
    before = _version(fr.code)
    db.session.execute(update(Account).where(Account.id == fr.id).values(name=fr.name + " "))
    for calls in (2, 3, 4):
        db.session.execute(update(Line).where(Line.account_id == fr.id).values(calls_current=calls))
    db.session.commit()
    assert _version(fr.code) == before + 1
    db.session.execute(update(Line).where(Line.account_id == fr.id).values(calls_current=1))
    db.session.commit()
    assert _version(fr.code) == before + 2
