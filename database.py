"""How a request talks to the database: a read without a transaction, and a connection
checked only when it may have gone stale.

On PostgreSQL every statement is a round trip to the server, and so are BEGIN, ROLLBACK
and a pool's "pre-ping". A kept page (caching.account_page) is one query; with those
around it, it was four round trips, and the wait, not the work, bounded what a worker
served. So:

* **GET and HEAD read in autocommit.** The request's database session begins its
  transaction on a copy of the engine (the same pool) whose connections are in AUTOCOMMIT
  on PostgreSQL: no BEGIN, no ROLLBACK. Each statement sees what was committed when it
  began, exactly as in the READ COMMITTED transaction (PostgreSQL's default, and this
  app's) it replaces.
* **What a GET writes says so first**, with `use_transaction()`: the record of what an agent
  viewed, the end of an idle agent's acting, a language chosen with ?lang=, the server
  session's record; and so does a streamed export, whose server-side cursor lives only in
  a transaction. The reading part ends (having written nothing, it loses nothing, and the
  objects it loaded stay loaded) and what follows is one transaction, as in any POST.
* **Anything else refused while reading**, on SQLite too, so that the tests find it: a
  statement that is not a read (SELECT, WITH, VALUES, SHOW, PRAGMA, after any comment),
  a write inside a WITH, a row lock (FOR UPDATE / SHARE, which autocommit would drop at
  once), a savepoint, a server-side cursor, and a change to a loaded object flushed before
  use_transaction() — each raises `WriteInReadOnlyRequest`.
* **A pooled connection is pinged only when it may be dead**: when it sat in the pool
  longer than DATABASE_PING_IDLE_SECONDS (a firewall or the server may have dropped it),
  or when the server sent it something while it sat there (a restart or a terminated
  backend says so, then closes); a new one is not. A dead one is replaced before the
  request uses it. What pool_pre_ping would also catch and this does not: a connection
  used within the last seconds whose server vanished without a word (a host lost, no
  reset): its request fails once and SQLAlchemy then invalidates the pool.
"""

from __future__ import annotations

import re
import select
import threading
import time

import flask_sqlalchemy.session
from flask import has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: Methods whose requests only read (unless they call use_transaction()).
SAFE_METHODS = frozenset(("GET", "HEAD"))
#: The execution option that marks the read-only copy of an engine.
READ_ONLY = "read_only_request"
#: What a statement run for a read-only request may begin with (after any comments).
READS = frozenset(("SELECT", "WITH", "VALUES", "SHOW", "PRAGMA"))
#: Its first word, after any comments.
_FIRST_WORD = re.compile(r"(?:\s+|/\*.*?\*/|--[^\n]*)*(\w+)", re.DOTALL)
#: A write inside a WITH query.
_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
#: A row lock, which autocommit would drop as soon as it is taken (in the statement upper
#: cased: a literal start and no IGNORECASE make the search some 40 times faster).
_LOCK = re.compile(r"FOR\s+(?:UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b")
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

    session = db.session()
    if session.in_transaction():
        # A change made while reading is flushed while still reading: it is refused. So
        # nothing was written, ending the reading part loses nothing, and the objects it
        # loaded (the user, the account) stay as they are.
        session.flush()
        request.environ[_KEY] = False
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = keep
    else:
        request.environ[_KEY] = False


def read_only_engine(engine: Engine) -> Engine:
    """The copy of `engine` that a read-only request uses (sharing its pool): always the
    same one, kept on the engine, so that a session's statements share its connection."""
    copy = engine.__dict__.get(_COPY)
    if copy is None:
        with _making:  # two threads at once must not make two
            copy = engine.__dict__.get(_COPY)
            if copy is None:
                options: dict = {READ_ONLY: True}
                if engine.dialect.name == "postgresql":
                    options["isolation_level"] = "AUTOCOMMIT"
                copy = engine.__dict__[_COPY] = engine.execution_options(**options)
    return copy


_making = threading.Lock()
#: The attribute of an engine that holds its read-only copy.
_COPY = "_read_only_copy"


class RequestSession(flask_sqlalchemy.session.Session):
    """The request's session: a transaction it begins while reading() is on the read-only
    copy of the engine. One begun before on the engine itself (a test's, or one begun to
    write) goes on where it is: a session never holds two connections to one database."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and isinstance(chosen, Engine) and reading():
            transaction = self.get_transaction()
            begun = self.info.get(_BEGUN)
            # No transaction, or one with no connection yet, or the reading one.
            if transaction is None or begun is None or begun[0] is not transaction or begun[1]:
                return read_only_engine(chosen)
        return chosen


#: Where a session notes its transaction's connection: (transaction, on a read-only copy).
_BEGUN = "database.begun"


@event.listens_for(RequestSession, "after_begin")
def _note_begun(session, transaction, connection):
    reading_copy = bool(connection.get_execution_options().get(READ_ONLY))
    session.info[_BEGUN] = (session.get_transaction(), reading_copy)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes(conn, cursor, statement, parameters, context, executemany):
    if context is None or not context.execution_options.get(READ_ONLY):
        return
    first = _FIRST_WORD.match(statement)
    head = first.group(1).upper() if first else ""
    options = context.execution_options
    if (
        head not in READS
        or (head == "WITH" and _CTE_WRITE.search(statement))
        or _LOCK.search(statement.upper())
        # A server-side cursor: PostgreSQL keeps one only inside a transaction.
        or options.get("stream_results")
        or options.get("yield_per")
    ):
        raise WriteInReadOnlyRequest(
            f"{request.method} {request.path} writes, locks or streams without "
            f"database.use_transaction(): {statement[:80]}"
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
        if since is None:
            return  # just made (or made again): alive
        if time.monotonic() - since < idle_seconds:
            try:
                fileno = dbapi_connection.fileno()
            except Exception as error:  # noqa: BLE001 - no socket left: closed
                raise exc.DisconnectionError() from error
            if not _readable(fileno):
                return  # nothing came while it sat in the pool: it is as it was
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - whatever broke it, it is replaced
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


def _readable(fileno: int) -> bool:
    """Whether something arrived on this socket (or it is no longer one), without waiting.
    poll, not select: select refuses a descriptor numbered 1024 or more, which a process
    holding many files or sockets gives its connections."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))


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
