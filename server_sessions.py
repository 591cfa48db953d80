"""Sessions that end when they should: once someone signs in, the session lives on the server.

A visitor who has not signed in keeps Flask's signed cookie (a CSRF token, a chosen locale,
a message to show): nothing is written on the server for anonymous traffic. Signing in
moves the session to a server store under a new random token; the cookie then holds only
``srv.<token>``, and the store keys the data by the token's SHA-256. So:

* signing out deletes the record: a copy of the cookie taken before opens nothing;
* an agent's idle timeout (idle.end_idle_staff_session) signs the session out the same
  way, whoever holds the cookie;
* "Sign out everywhere", a new password and a removed or disabled user end every session
  at once through the user's `session_epoch` (checked when the user is loaded), whatever
  the store;
* a record unused for PERMANENT_SESSION_LIFETIME expires in the store.

Stores: the application's database (the default: no other service needed), or Redis when
SESSION_REDIS_URL is set (production sets it from REDIS_URL).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from flask import Flask, g
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import CallbackDict

import database
from extensions import column_keys, db

#: The cookie of a server-side session: this prefix, then the token.
PREFIX = "srv."
#: A record's expiry is pushed back at most this often (seconds) when nothing else changed.
REFRESH_EVERY = 300
#: The session key that marks a signed-in session (Flask-Login's).
USER_KEY = "_user_id"

serializer = TaggedJSONSerializer()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore(Protocol):
    def load(self, key: str) -> tuple[dict, float] | None:
        """The data and its expiry (a UNIX time), or None when missing or expired."""

    def save(self, key: str, data: dict, ttl: int, user_id: int | None, *, new: bool) -> bool:
        """Write a record: create it when `new`, else update it only if it still exists
        (a request that began before sign-out must not bring the session back). Returns
        whether it was written."""

    def delete(self, key: str) -> None: ...


@lru_cache(maxsize=2)
def _load_statement(dialect: str):
    """A record, with its user, their account and the account's data version, as plain
    columns (see `_hold`): a kept page (caching.account_page) then costs this one round
    trip. Built once: SQLAlchemy then keeps its compiled form by the statement itself,
    with no cache key to work out per request."""
    from telephony.models import User, WebSession

    return (
        select(WebSession.data, WebSession.expires_at, *_identity_columns(dialect))
        .select_from(WebSession)
        .outerjoin(User, User.id == WebSession.user_id)
        .outerjoin(*_account_join())
        .where(WebSession.id == bindparam("key"))
    )


@lru_cache(maxsize=2)
def _user_statement(dialect: str):
    """The same, from the user's id (the Redis store keeps the record elsewhere)."""
    from telephony.models import User

    return (
        select(*_identity_columns(dialect))
        .select_from(User)
        .outerjoin(*_account_join())
        .where(User.id == bindparam("key"))
    )


def _read_directly(connection, dialect, key, statement=None):
    """The record's row, read through the driver itself (psycopg) on the session's
    connection: a prepared statement whose tuple is made a row here, each value as
    SQLAlchemy's types would give it. SQLAlchemy's own execution (the result's metadata,
    psycopg's description of 26 columns) cost three times the round trip. A driver's error
    goes through SQLAlchemy's handling (a lost connection invalidates the pool).
    `statement`: the load statement's builder (_load_statement; _user_statement)."""
    sql, make = _direct_statement(dialect, statement or _load_statement)
    try:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, (key,), prepare=True)
            values = cursor.fetchone()
        finally:
            cursor.close()
    except dialect.loaded_dbapi.Error as error:
        connection._handle_dbapi_exception(error, sql, (key,), None, None)
        raise  # (it raises SQLAlchemy's own; this is never reached)
    return None if values is None else make(values)


@lru_cache(maxsize=4)
def _direct_statement(dialect, builder):
    """A load statement's SQL for the driver, and what makes a row of its tuple."""
    from collections import namedtuple

    statement = builder(dialect.name)
    compiled = statement.compile(dialect=dialect)
    assert compiled.positiontup is None or compiled.positiontup == ["key"]
    sql = str(compiled).replace("%(key)s", "%s")
    names = [column.name for column in statement.selected_columns]
    row_type = namedtuple("IdentityRow", names)  # noqa: PYI024 - made from the statement
    convert = [
        (index, processor)
        for index, column in enumerate(statement.selected_columns)
        if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
        is not None
    ]

    def make(values: tuple):
        if not convert:
            return row_type._make(values)
        converted = list(values)
        for index, processor in convert:
            converted[index] = processor(converted[index])
        return row_type._make(converted)

    return sql, make


def _identity_columns(dialect: str) -> tuple:
    from telephony import versioning
    from telephony.models import Account, User

    return (
        *(getattr(User, key).label(f"user_{key}") for key in column_keys(User)),
        *(getattr(Account, key).label(f"account_{key}") for key in column_keys(Account)),
        *versioning.version_columns(dialect, User.account_id),
    )


def _account_join():
    from telephony.models import Account, User

    return Account, Account.id == User.account_id


def _persistent(model, row, prefix: str, session=None):
    """The `model` instance of these columns of `row`, in the request's session as if a
    query had loaded it. (The ORM's own loading of a user and their account cost more
    than the rest of a kept page: this is plain attribute setting.)"""
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import instance_state, manager_of_class
    from sqlalchemy.orm.util import identity_key

    keys, pick = _columns_of(model, prefix, row._fields)
    values = pick(row)
    session = session if session is not None else db.session()
    present = session.identity_map.get(identity_key(model, values[0]))
    if present is not None:
        return present  # loaded already in this session: that one
    instance = manager_of_class(model).new_instance()  # as a query makes it: no __init__
    # The values as a query sets them (no change events), then as loaded: an identity,
    # no change pending.
    instance.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(instance)
    # What Session.add() does with a detached instance, without its walk through the
    # model's relationships to cascade (none is loaded: there is nothing to find).
    session._update_impl(instance_state(instance))
    return instance


@lru_cache(maxsize=8)
def _columns_of(model, prefix: str, fields: tuple[str, ...]):
    """The model's column keys (its id first) and what picks their values out of a row
    whose columns are named `fields`, each key with `prefix`."""
    from operator import itemgetter

    keys = ("id", *(key for key in column_keys(model) if key != "id"))
    return keys, itemgetter(*(fields.index(prefix + key) for key in keys))


def _hold(row) -> None:
    """The user and the account of an identity row, held for the request (the identity
    map keeps only weak references): the user loader (app.load_user) takes the user, and
    user.account finds the account in the identity map, with no query. And the account's
    data version (caching.data_version), read with them: a change reads it again once
    made, for what it renders after."""
    from telephony.models import Account, User

    session = db.session()
    user = None if row.user_id is None else _persistent(User, row, "user_", session)
    g.session_user = user
    account = None if row.account_id is None else _persistent(Account, row, "account_", session)
    g.session_account = account
    if user is not None and account is not None and user.account_id == account.id:
        # user.account, loaded as a query with the account would load it (the lazy load
        # looked it up in the session again at each read).
        set_committed_value(user, "account", account)
    if user is not None and user.account_id is not None and is_safe_request():
        g.data_versions = {user.account_id: (row.version_id or 0, row.version_count)}


def load_user(user_id: int):
    """A signed-in user whose session record held no user row (the Redis store): the user,
    their account and its data version in one query, as with the database store."""
    dialect = db.session.get_bind().dialect
    connection = db.session.connection()
    if dialect.name == "postgresql":  # (as DatabaseStore._read: through the driver)
        row = _read_directly(connection, dialect, user_id, _user_statement)
    else:
        row = connection.execute(_user_statement(dialect.name), {"key": user_id}).first()
    if row is None:
        return None
    _hold(row)
    return g.session_user


def is_safe_request() -> bool:
    from flask import request

    return request.method in ("GET", "HEAD")


class SqliteChanges:
    """Whether anything was committed to a SQLite database file since a given moment, at
    the cost of one PRAGMA: `data_version` on a connection of this process that never
    writes. SQLite moves it on every commit of any other connection, in this process or
    another, so an unchanged value means an unchanged database (exactly: a commit either
    ended before the PRAGMA, and shows, or is not there). Its values compare only on one
    connection: the process's threads share it."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self.held: tuple[int, sqlite3.Connection] | None = None
        self.connections = 0

    def version(self) -> tuple[int, int]:
        """The connection's number in this process (a value of another compares with
        none of its) and its data_version."""
        with self.lock:
            held = self.held
            if held is None or held[0] != os.getpid():  # (a forked worker makes its own)
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                held = self.held = (os.getpid(), connection)
                self.connections += 1
            cursor = held[1].execute("PRAGMA data_version")
            try:
                return self.connections, cursor.fetchone()[0]
            finally:
                cursor.close()  # (no statement left open: it would hold a snapshot)


def _changes_of(app: Flask) -> SqliteChanges | None:
    """The change detector of the app's database if it is a SQLite file (None for another
    database, or one in memory, which another connection would not see)."""
    with app.app_context():
        parsed = db.engine.url  # (Flask-SQLAlchemy's: a relative path made absolute)
    path = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or path in ("", ":memory:"):
        return None
    if path.startswith("file:") or "memory" in str(parsed.query.get("mode", "")):
        return None  # a URI filename: left to the query
    return SqliteChanges(path)


class DirectConnections:
    """PostgreSQL: the session's record read on a connection of its own (one per thread,
    in autocommit, made by the engine as its pool's are, then detached from it), not the
    request's: taking a pooled connection for the request's session and giving it back
    (its isolation level set and reset, its transaction begun and ended) cost more than
    the read itself, and a kept page reads nothing else. A connection the server lost is
    made again once; the engine's dispose() closes them all."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine = engine
        self.local = threading.local()
        self.lock = threading.Lock()
        self.made: list = []
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def read(self, key: str):
        dialect = self.engine.dialect
        sql, make = _direct_statement(dialect, _load_statement)
        for attempt in (1, 2):
            connection = self._connection()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql, (key,), prepare=True)
                    values = cursor.fetchone()
            except dialect.loaded_dbapi.OperationalError:
                self._drop(connection)
                if attempt == 2:
                    raise
                continue
            return None if values is None else make(values)
        return None  # (never reached)

    def _connection(self):
        held = getattr(self.local, "held", None)
        if held is not None and held[0] == os.getpid() and not held[1].closed:
            return held[1]
        fairy = self.engine.raw_connection()  # (the engine's settings and connect events)
        fairy.detach()
        connection = fairy.dbapi_connection
        connection.autocommit = True
        self.local.held = (os.getpid(), connection)
        with self.lock:
            self.made.append(connection)
        return connection

    def _drop(self, connection) -> None:
        self.local.held = None
        with self.lock:
            if connection in self.made:
                self.made.remove(connection)
        with contextlib.suppress(Exception):
            connection.close()

    def close(self) -> None:
        with self.lock:
            made, self.made = self.made, []
        for connection in made:
            with contextlib.suppress(Exception):
                connection.close()
        self.local = threading.local()


class DatabaseStore:
    """Records in the `web_session` table, through the request's own database session.

    On a SQLite file, each process keeps the rows it read (the record with its user, the
    account and its data version: `_load_statement`) while the database is unchanged
    (`SqliteChanges`): a signed-in page that is kept (caching.account_page) then reads
    nothing. Any commit, by anyone, and the next request reads again: signing out
    elsewhere ends this copy of the session at once, as without it.

    A write first ends the request's transaction with a rollback: a view commits what it
    means to keep before its response is made, and the teardown would drop the rest anyway.
    (Writing in another connection would wait behind the request's own lock on SQLite.)"""

    #: Rows kept at most (then all go: the next requests read them again).
    KEEP = 2000

    def __init__(
        self, changes: SqliteChanges | None = None, direct: DirectConnections | None = None
    ):
        self.changes = changes
        self.direct = direct
        self.kept: dict[str, tuple[tuple[int, int], object]] = {}

    def _read(self, key: str):
        if self.direct is not None:
            return self.direct.read(key)
        dialect = db.session.get_bind().dialect
        connection = db.session.connection()
        if dialect.name == "postgresql":
            return _read_directly(connection, dialect, key)
        # Core, on the session's connection: the ORM's execution would cost more than the
        # rest of a kept page.
        return connection.execute(_load_statement(dialect.name), {"key": key}).first()

    def load(self, key):
        if self.changes is None:
            row = self._read(key)
        else:
            version = self.changes.version()  # before the read: a later commit reads again
            kept = self.kept.get(key)
            if kept is not None and kept[0] == version:
                row = kept[1]
            else:
                row = self._read(key)
                if len(self.kept) >= self.KEEP:
                    self.kept.clear()
                self.kept[key] = (version, row)
        if row is None:
            return None
        expires = row.expires_at
        if expires.tzinfo is None:  # SQLite gives naive UTC
            expires = expires.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            return None
        _hold(row)
        return serializer.loads(row.data), expires.timestamp()

    def save(self, key, data, ttl, user_id, *, new):
        from telephony.models import WebSession

        db.session.rollback()
        database.use_transaction()
        now = datetime.now(UTC)
        values = {"data": serializer.dumps(data), "expires_at": now + timedelta(seconds=ttl)}
        if new:
            db.session.execute(insert(WebSession).values(id=key, user_id=user_id, **values))
            written = True
        else:
            written = (
                db.session.execute(
                    update(WebSession)
                    .where(WebSession.id == key, WebSession.expires_at > now)
                    .values(**values)
                ).rowcount
                == 1
            )
        if secrets.randbelow(200) == 0:  # now and then, expired records go
            db.session.execute(delete(WebSession).where(WebSession.expires_at < now))
        db.session.commit()
        return written

    def delete(self, key):
        from telephony.models import WebSession

        db.session.rollback()
        database.use_transaction()
        db.session.execute(delete(WebSession).where(WebSession.id == key))
        db.session.commit()


class RedisStore:
    """Records in Redis (`session:<digest>`), expiring with the TTL."""

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def load(self, key):
        pipe = self.redis.pipeline()
        pipe.get("session:" + key)
        pipe.pttl("session:" + key)
        value, pttl = pipe.execute()
        if value is None:
            return None
        return serializer.loads(value.decode()), time.time() + max(pttl, 0) / 1000

    def save(self, key, data, ttl, user_id, *, new):
        # NX for a new record, XX for an existing one: never brings an ended session back.
        options = {"nx": True} if new else {"xx": True}
        return bool(self.redis.set("session:" + key, serializer.dumps(data), ex=ttl, **options))

    def delete(self, key):
        self.redis.delete("session:" + key)


class ServerSession(CallbackDict, SessionMixin):
    """The session of one request: its data, and the token of its server record (if any)."""

    def __init__(self, initial=None, token: str | None = None, expires: float = 0.0):
        def on_update(self):
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)
        self.token = token
        self.expires = expires
        self.modified = False
        self.accessed = False
        self.rotate_requested = False

    # Reading the session, too, makes the response depend on the cookie (Vary: Cookie).
    def __getitem__(self, key):
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key, default=None):
        self.accessed = True
        return super().setdefault(key, default)

    def rotate(self) -> None:
        """Give the session a new token when it is saved (on sign-in: no fixation)."""
        self.rotate_requested = True
        self.modified = True


def _vary_on_cookie(response) -> None:
    """`response.vary.add("Cookie")`, without parsing the header into a set and writing
    it back on every page."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Cookie"
    elif "cookie" not in {part.strip().lower() for part in vary.split(",")}:
        response.headers["Vary"] = f"{vary}, Cookie"


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore):
        self.store = store
        self.cookies = SecureCookieSessionInterface()

    def open_session(self, app: Flask, request) -> ServerSession:
        value = request.cookies.get(self.get_cookie_name(app), "")
        if value.startswith(PREFIX):
            token = value[len(PREFIX) :]
            found = self.store.load(_digest(token)) if 20 <= len(token) <= 100 else None
            if found is None:  # signed out, expired or forged: an empty anonymous session
                session = ServerSession()
                session.modified = True  # so that the stale cookie is removed
                return session
            data, expires = found
            return ServerSession(data, token=token, expires=expires)
        if not value:  # a first visit: nothing to read (and no signer to make)
            return ServerSession()
        signed = self.cookies.open_session(app, request)
        return ServerSession(dict(signed) if signed else None)

    def save_session(self, app: Flask, session: SessionMixin, response) -> None:
        if not isinstance(session, ServerSession):
            # open_session always makes one; Flask never saves its null session.
            raise TypeError(f"not a session of this interface: {type(session).__name__}")
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.accessed and not g.get("no_session_vary"):
            _vary_on_cookie(response)
        if USER_KEY not in session:
            # Anonymous, or just signed out: the server record (if any) goes.
            if session.token is not None:
                self.store.delete(_digest(session.token))
            if not session:
                if session.modified:
                    response.delete_cookie(name, domain=domain, path=path)
                return
            if session.modified or session.token is not None:
                signer = self.cookies.get_signing_serializer(app)
                if signer is None:  # as Flask's own sessions: nothing is kept without a key
                    raise RuntimeError("The session is unavailable: no secret key was set.")
                self._set_cookie(app, response, signer.dumps(dict(session)))
            return
        ttl = int(app.permanent_session_lifetime.total_seconds())
        if session.rotate_requested and session.token is not None:
            self.store.delete(_digest(session.token))
            session.token = None
        stale = session.expires - time.time() < ttl - REFRESH_EVERY
        if session.token is None or session.modified or stale:
            token = session.token
            new = token is None
            if token is None:
                token = session.token = secrets.token_urlsafe(32)
            user_id = str(session.get(USER_KEY))
            written = self.store.save(
                _digest(token),
                dict(session),
                ttl,
                int(user_id) if user_id.isascii() and user_id.isdigit() else None,
                new=new,
            )
            if new:
                self._set_cookie(app, response, PREFIX + token)
            elif not written:  # ended meanwhile (signed out elsewhere): so is this copy
                response.delete_cookie(name, domain=domain, path=path)

    def _set_cookie(self, app, response, value: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )


def _direct_of(app: Flask) -> DirectConnections | None:
    with app.app_context():
        engine = db.engine
    return DirectConnections(engine) if engine.dialect.name == "postgresql" else None


def init_app(app: Flask) -> None:
    url = app.config.get("SESSION_REDIS_URL")
    store: SessionStore = (
        RedisStore(url) if url else DatabaseStore(_changes_of(app), _direct_of(app))
    )
    app.session_interface = ServerSessionInterface(store)
