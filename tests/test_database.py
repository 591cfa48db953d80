"""How requests use the database (database.py): GET and HEAD read without a transaction
and write only after saying so; a pooled connection that died is replaced unseen."""

import pytest
from sqlalchemy import insert, select, text

import database
from extensions import db
from telephony.models import AuditEvent, User


def _postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _open_transaction() -> bool:
    """Whether the session's connection is inside a transaction at the database."""
    connection = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "postgresql":
        from psycopg.pq import TransactionStatus

        return connection.info.transaction_status != TransactionStatus.IDLE
    return connection.in_transaction


def _audit_row() -> dict:
    return {"action": "test", "target_type": "user", "target_id": 1}


def test_a_get_reads_outside_a_transaction_and_a_post_inside_one(app):
    with app.test_request_context("/", method="GET"):
        db.session.execute(select(User.id)).all()
        assert not _open_transaction()  # PostgreSQL: no BEGIN, hence no ROLLBACK either
    if _postgresql(app):
        with app.test_request_context("/", method="POST"):
            db.session.execute(select(User.id)).all()
            assert _open_transaction()
            db.session.rollback()


WRITES = {
    "insert": lambda: insert(AuditEvent).values(**_audit_row()),
    "insert after a comment": lambda: text(
        "/* why */ INSERT INTO audit_event (at, action, target_type, on_behalf, reason)"
        " VALUES (CURRENT_TIMESTAMP, 'test', 'user', false, '')"
    ),
    "select for update": lambda: select(User.id).with_for_update(),
    "select for update, in lower case": lambda: text("select id from user_account\nfor update"),
    "write in a WITH query": lambda: text(
        "WITH gone AS (DELETE FROM audit_event RETURNING id) SELECT 1"
    ),
    "a setting of the connection": lambda: text("SET application_name = 'left over'"),
    "a server-side cursor": lambda: select(User.id).execution_options(yield_per=10),
}
#: What SQLite does not run at all.
NOT_ON_SQLITE = {
    "select for update",
    "select for update, in lower case",
    "a setting of the connection",
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_a_get_that_writes_without_saying_so_is_refused(app, kind):
    """In autocommit a write would escape the request's transaction and a lock would be
    dropped at once: such a GET is a bug the tests must find, on SQLite as well (which
    writes no FOR UPDATE)."""
    if kind in NOT_ON_SQLITE and not _postgresql(app):
        pytest.skip("SQLite has no such statement")
    with app.test_request_context("/", method="GET"):
        with pytest.raises(database.WriteInReadOnlyRequest):
            db.session.execute(WRITES[kind]())
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test")) is None


def test_use_transaction_ends_the_reading_and_keeps_what_it_loaded(app, count_queries):
    with app.test_request_context("/", method="GET"):
        user = db.session.scalars(select(User).order_by(User.id)).first()
        database.use_transaction()
        with count_queries() as counter:
            assert user.email  # still loaded: no query
        assert counter.count == 0
        db.session.execute(insert(AuditEvent).values(**_audit_row()))
        if _postgresql(app):
            assert _open_transaction()  # the writes are one transaction
        db.session.rollback()  # ... which a rollback undoes whole
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test")) is None


def test_a_change_made_while_reading_is_refused_not_committed(app):
    """use_transaction() ends a reading part that wrote nothing: a change made before it
    (an object modified while reading) is refused, not carried into the transaction."""
    with app.test_request_context("/", method="GET"):
        user = db.session.scalars(select(User).order_by(User.id)).first()
        user_id, user.name = user.id, "Changed while reading"
        with pytest.raises(database.WriteInReadOnlyRequest):
            database.use_transaction()
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.id == user_id)) != (
            "Changed while reading"
        )


def test_a_savepoint_first_is_still_the_reading_part(app):
    """A transaction whose first act is a savepoint is not begun outside the reading part
    (where its writes would go unrefused)."""
    with app.test_request_context("/", method="GET"):
        with pytest.raises(database.WriteInReadOnlyRequest):
            with db.session.begin_nested():
                db.session.execute(insert(AuditEvent).values(**_audit_row()))
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test")) is None


def test_a_session_begun_before_the_request_goes_on_on_its_connection(app):
    """A transaction that began outside the read-only part (a test's, a command's) is not
    split over a second connection."""
    with app.app_context():
        db.session.execute(insert(AuditEvent).values(**_audit_row()))
        with app.test_request_context("/", method="GET"):
            assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test"))
        db.session.rollback()


def test_an_agent_view_is_recorded_in_its_own_transaction(app, client, auth):
    """The record of an agent's view (a GET that writes) is kept."""
    from tests.conftest import USERS

    auth.login(USERS["agent"])
    before = _count_views(app)
    assert client.get("/agent/accounts/1").status_code == 200
    assert _count_views(app) == before + 1


def _count_views(app) -> int:
    from sqlalchemy import func

    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)))


@pytest.mark.parametrize("idle_seconds", [3600, 0], ids=["told", "idle"])
def test_a_connection_the_server_ended_is_replaced_before_use(app, idle_seconds):
    """A restart or a terminated backend: the next checkout gets a live connection, found
    by what the server said to the pooled one (it sat there a moment) or by its idle time
    (here: any)."""
    import time

    from sqlalchemy import create_engine

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not _postgresql(app):
        pytest.skip("SQLite has no server to lose")
    engine, admin = create_engine(url), create_engine(url, isolation_level="AUTOCOMMIT")
    database.check_stale_connections(engine, idle_seconds)
    try:
        with engine.connect() as connection:
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as other:
            assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)  # the server's word reaches the pooled connection's socket
        with engine.connect() as connection:  # the pool's only one, unless replaced
            assert connection.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        engine.dispose()
        admin.dispose()


def test_a_live_connection_numbered_past_1024_is_kept(app):
    """A process holding many files or sockets gives a new connection a descriptor of 1024
    or more, which select() refuses: every checkout then replaced a live connection (a new
    login each time)."""
    import os

    from sqlalchemy import create_engine

    if not _postgresql(app):
        pytest.skip("SQLite connections are not checked")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    database.check_stale_connections(engine, 3600)
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection.fileno() >= 1024
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT pg_backend_pid()")) == pid
    finally:
        for descriptor in held:
            os.close(descriptor)
        engine.dispose()


def test_a_transaction_whose_first_write_is_in_a_savepoint_rolls_back_whole(app_ctx):
    """SQLite's driver began no transaction before a SAVEPOINT: the savepoint's release
    committed its writes, which the transaction's rollback then left in place (a credit
    note and its number kept although the batch that made it rolled back)."""
    from telephony.invoicing.numbering import take
    from telephony.models import InvoiceSequence

    db.session.commit()
    with db.session.begin_nested():  # the transaction's first statement
        assert list(take("TEST", 2099)) == [1]
    db.session.rollback()
    assert (
        db.session.scalar(select(InvoiceSequence).where(InvoiceSequence.series == "TEST")) is None
    )
