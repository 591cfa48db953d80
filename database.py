"""How a request talks to the database: a read without a transaction, and a connection
checked only when it may have gone stale.

On PostgreSQL every statement is a round trip to the server, and so are BEGIN, ROLLBACK
and a pool's "pre-ping". A kept page (caching.account_page) is one query; with those
around it, it was four round trips, and the wait, not the work, bounded what a worker
served. So:

* **GET and HEAD read in autocommit.** The request's database session starts on a copy of
  the engine (the same pool) whose connections are in AUTOCOMMIT on PostgreSQL: no BEGIN,
  no ROLLBACK. Each statement sees what was committed when it began, exactly as in the READ
  COMMITTED transaction (PostgreSQL's default, and this app's) it replaces.
* **What a GET writes says so first**, with `use_transaction()`: the record of what an agent
  viewed, a language chosen with ?lang=, the server session's record (and so does a
  streamed export, whose server-side cursor needs a transaction). The reading part
  ends (it wrote nothing, so nothing is lost, and the loaded objects stay loaded) and the
  writes go in a transaction, as in any POST. A write without it, or a SELECT ... FOR
  UPDATE (a lock that autocommit would drop at once), raises `WriteInReadOnlyRequest`: on
  SQLite too, where nothing else changes, so that the tests find it.
* **A pooled connection is pinged only when it may be dead**: when it sat in the pool
  longer than DATABASE_PING_IDLE_SECONDS (a firewall or the server may have dropped it),
  or when the server has sent it something while it sat there (a restart or a terminated
  backend says so, then closes). A dead one is replaced before the request uses it, as
  SQLAlchemy's pool_pre_ping would, without a round trip on every checkout.
"""

from __future__ import annotations

import re
import select
import time

import flask_sqlalchemy.session
from flask import has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: Methods whose requests only read (unless they call use_transaction()).
SAFE_METHODS = frozenset(("GET", "HEAD"))
#: The execution option that marks the read-only copy of an engine.
READ_ONLY = "read_only_request"
#: What a statement run for a read-only request may not begin with, or hold.
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE")
LOCKS = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE")
#: A write inside a WITH query.
_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
#: Where the request keeps whether it is still reading (its WSGI environment: `g` may
#: outlive a request, when an application context was pushed before it).
_KEY = "database.reading"


class WriteInReadOnlyRequest(RuntimeError):
    """A GET or HEAD request wrote without saying so (database.use_transaction)."""


def reading() -> bool:
    """Whether this request is still in its read-only part (GET and HEAD, until
    use_transaction())."""
    if not has_request_context():
        return False
    environ = request.environ
    state = environ.get(_KEY)
    if state is None:
        state = environ[_KEY] = request.method in SAFE_METHODS
    return state


def use_transaction() -> None:
    """Before a GET or HEAD request writes, or reads through a server-side cursor (a
    streamed export: PostgreSQL keeps one only inside a transaction): end its read-only
    part, so that what follows runs in a transaction and may write."""
    if not reading():
        return
    from extensions import db

    request.environ[_KEY] = False
    session = db.session()
    if session.in_transaction():
        # Nothing was written (a write would have raised): ending the reading part loses
        # nothing, and the objects it loaded (the user, the account) stay as they are.
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep


def read_only_engine(engine: Engine) -> Engine:
    """The copy of `engine` that a read-only request uses (sharing its pool): always the
    same one, kept on the engine, so that a session's statements share its connection."""
    copy = engine.__dict__.get(_COPY)
    if copy is None:
        options: dict = {READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        copy = engine.__dict__[_COPY] = engine.execution_options(**options)
    return copy


#: The attribute of an engine that holds its read-only copy.
_COPY = "_read_only_copy"


class RequestSession(flask_sqlalchemy.session.Session):
    """The request's session: a transaction it begins while reading() is on the read-only
    copy of the engine. One begun before (a test's, or one begun to write) goes on where
    it is: a session never holds two connections to one database."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and isinstance(chosen, Engine) and reading():
            transaction = self.get_transaction()
            if transaction is None or self.info.get(_READING) is transaction:
                return read_only_engine(chosen)
        return chosen


#: Where a session notes the transaction it began on a read-only engine.
_READING = "database.reading_transaction"


@event.listens_for(RequestSession, "after_begin")
def _note_reading(session, transaction, connection):
    if connection.get_execution_options().get(READ_ONLY):
        session.info[_READING] = session.get_transaction()
    else:
        session.info.pop(_READING, None)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes(conn, cursor, statement, parameters, context, executemany):
    if context is None or not context.execution_options.get(READ_ONLY):
        return
    head = statement.lstrip()[:8].upper()
    if (
        head.startswith(WRITES)
        or (head.startswith("WITH") and _CTE_WRITE.search(statement))
        or (head.startswith(("SELECT", "WITH")) and any(lock in statement for lock in LOCKS))
    ):
        raise WriteInReadOnlyRequest(
            f"{request.method} {request.path} writes without database.use_transaction(): "
            f"{statement[:80]}"
        )


def check_stale_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection taken from `engine`'s pool only when it may be dead (see the
    module's docstring); replace it when it is."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.get("checked_in")
        if since is not None and time.monotonic() - since < idle_seconds:
            try:
                ready, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
            except (OSError, ValueError):
                ready = [True]  # no socket to look at: ask the server
            if not ready:
                return  # nothing came while it sat in the pool: it is as it was
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - whatever broke it, it is replaced
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


def init_app(app) -> None:
    """Stale connections checked as above on PostgreSQL, unless the configuration asks
    for SQLAlchemy's pre-ping."""
    from extensions import db

    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                check_stale_connections(engine, app.config["DATABASE_PING_IDLE_SECONDS"])
