"""The version of an account's data: the database moves it on whenever a row the kept pages
show changes, whoever writes it (telephony.versioning), on SQLite and PostgreSQL alike."""

import pytest
from sqlalchemy import delete, insert, select, update

from extensions import db
from telephony import versioning
from telephony.models import Account, Line, Offer
from tests.factories import demo_account


def _version(code: str) -> tuple[int, int]:
    db.session.expire_all()
    return versioning.current(db.session.scalar(select(Account).where(Account.code == code)))


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
        account.code: _version(account.code)
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


def test_an_offer_change_raises_the_accounts_with_a_line_on_order_on_it(app_ctx):
    """The lines page says which offer a line on order will have: its account may have no
    line on that offer yet."""
    from tests.test_line_orders import _order

    fr = demo_account()
    model = db.session.scalar(
        select(Offer).where(Offer.country == fr.country, Offer.code == "entreprise")
    )
    copy = {
        column.key: getattr(model, column.key)
        for column in Offer.__table__.columns
        if column.key not in ("id", "code", "name")
    }
    db.session.add(Offer(**copy, code="solo", name="Solo"))
    db.session.commit()
    task = _order(fr, "solo")
    db.session.commit()
    before = _version(fr.code)
    db.session.execute(update(Offer).where(Offer.id == task.params["offer_id"]).values(name="Duo"))
    db.session.commit()
    assert _version(fr.code) > before


def test_a_writer_never_waits_on_the_accounts_lock(app_ctx):
    """Moving the version on takes no lock another writer could hold: the collection's
    claim of an account's invoice goes through while a request holds the account's lock
    (PostgreSQL: a counter on the account row made them wait on each other in a circle)."""
    from sqlalchemy import text

    from telephony.models import Invoice

    fr = demo_account()
    invoice_id = db.session.scalar(select(Invoice.id).where(Invoice.account_id == fr.id))
    postgresql = db.engine.dialect.name == "postgresql"
    if not postgresql:
        pytest.skip("SQLite has one writer at a time: nothing to wait on in a circle")
    with db.engine.connect() as holder, db.engine.connect() as writer:
        holder.execute(
            text("SELECT id FROM account WHERE id = :id FOR NO KEY UPDATE"), {"id": fr.id}
        )
        writer.execute(text("SET lock_timeout = '3s'"))
        writer.execute(
            update(Invoice).where(Invoice.id == invoice_id).values(due_on=Invoice.due_on)
        )
        writer.commit()
        holder.rollback()


def test_versions_only_move_on_after_a_prune(app_ctx):
    fr = demo_account()
    for calls in (2, 3):
        db.session.execute(update(Line).where(Line.account_id == fr.id).values(calls_current=calls))
        db.session.commit()
    before = _version(fr.code)
    with db.engine.begin() as connection:
        versioning.prune(connection)
    after = _version(fr.code)
    assert after >= before
    if db.engine.dialect.name == "postgresql":
        assert after != before  # folded into one new row
        assert db.session.scalar(text_count(fr.id)) == 1
    db.session.execute(update(Line).where(Line.account_id == fr.id).values(calls_current=1))
    db.session.commit()
    assert _version(fr.code) > after


def text_count(account_id: int):
    from sqlalchemy import func

    from telephony.models import AccountChange

    return select(func.count()).where(AccountChange.account_id == account_id)


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

    def observed(_store, _key, make, _limit, **_keep):
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
    paths = (
        "/lines/",
        "/lines/requests",
        "/services/",
        "/services/?renewal=invoice_to_pay&sort=renewal",
    )
    for path in paths:
        assert client.get(path).status_code == 200
    tracked = {tracked.table for tracked in versioning.TRACKED} | {"account"}
    assert {"licence", "line", "service", "invoice", "validation_procedure"} <= read
    assert read <= tracked, read - tracked


def test_a_boosted_request_does_not_leave_its_table_for_the_block_requests(signed_in):
    """The key is the block rendered, not the headers: a boosted request naming the table
    gets the full page, whose table has no out-of-band parts; the next request for the
    table alone must still get them."""
    client = signed_in("fr")
    headers = {"HX-Request": "true", "HX-Target": "services-table"}
    client.get("/services/?lang=en&sort=name", headers=dict(headers, **{"HX-Boosted": "true"}))
    block = client.get("/services/?lang=en&sort=name", headers=headers).text
    assert 'hx-swap-oob="innerHTML:#announcer"' in block


def test_a_sqlite_batch_migration_of_a_tracked_table_keeps_its_triggers(app_ctx):
    """SQLite rebuilds a table in a batch migration (and refuses while a trigger names the
    table it drops): `without_triggers` takes them away and makes them again."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL alters tables in place")
    from sqlalchemy import text

    db.session.remove()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # as a batch migration runs
        connection.commit()
        with connection.begin():
            operations = Operations(MigrationContext.configure(connection))
            with versioning.without_triggers(connection):
                for table in ("line", "account", "offer"):
                    with operations.batch_alter_table(table, recreate="always"):
                        pass
            assert versioning.installed(connection) == versioning.expected()
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.commit()
