"""Sessions end when they should: a copy of the session cookie opens nothing after sign-out,
after an agent's idle timeout, after a new password, after "Sign out everywhere" or the
user's removal. Signed-in sessions live on the server (server_sessions.py)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select, update

from extensions import db
from telephony import accounts
from telephony.models import User, WebSession
from tests.conftest import USERS, csrf_from


def copy_of(app, client):
    """Another browser holding the same session cookie (a stolen or copied one)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.value.startswith("srv.")
    other.set_cookie("session", cookie.value)
    return other


def opens_account(client) -> bool:
    return client.get("/lines/").status_code == 200


def user(app, who):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == USERS[who]))


def test_a_copied_cookie_opens_nothing_after_sign_out(app, client, signed_in, auth):
    signed_in("fr")
    thief = copy_of(app, client)
    assert opens_account(thief)
    auth.logout()
    assert not opens_account(thief)
    assert thief.get("/lines/").headers["Location"].startswith("/login")


def test_the_store_keeps_no_token(app, client, auth):
    auth.login()
    after = client.get_cookie("session").value
    with app.app_context():
        ids = list(db.session.scalars(select(WebSession.id)))
    assert ids and after.removeprefix("srv.") not in ids  # only its SHA-256 is stored


def test_an_anonymous_visit_writes_nothing_on_the_server(app, client):
    client.get("/login")
    client.get("/faq?q=voicemail")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(WebSession.id))) == 0


def test_an_agents_copied_cookie_ends_with_the_idle_timeout(app, client, signed_in):
    signed_in("agent")
    thief = copy_of(app, client)
    limit = app.config["AGENT_IDLE_TIMEOUT"]
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - limit - 5
    reply = thief.get("/agent/")
    assert reply.status_code == 303 and reply.headers["Location"].startswith("/login")
    assert client.get("/agent/").status_code == 302  # the agent's own browser too


def test_the_sign_in_response_cookie_of_an_agent_is_timed_too(app, client, auth):
    auth.login(USERS["agent"])
    with client.session_transaction() as session:
        assert isinstance(session.get("seen_at"), int)  # set at sign-in, not at the next page


@pytest.mark.parametrize(
    "end",
    [
        pytest.param(lambda u: accounts.change_password(u, "a new secret"), id="new-password"),
        pytest.param(accounts.end_sessions, id="signed-out-everywhere"),
        pytest.param(accounts.disable, id="user-removed"),
    ],
)
def test_every_session_ends_at_once(app, client, signed_in, end):
    signed_in("fr")
    elsewhere = app.test_client()
    token = csrf_from(elsewhere.get("/login").text)
    elsewhere.post("/login", data={"email": USERS["fr"], "password": "demo", "csrf_token": token})
    thief = copy_of(app, client)
    assert opens_account(elsewhere) and opens_account(thief)
    with app.app_context():
        end(db.session.get(User, user(app, "fr").id))
        db.session.commit()
    assert not opens_account(client)
    assert not opens_account(elsewhere)
    assert not opens_account(thief)


def test_sign_out_everywhere_button(app, client, signed_in):
    signed_in("be")
    elsewhere = app.test_client()
    token = csrf_from(elsewhere.get("/login").text)
    elsewhere.post("/login", data={"email": USERS["be"], "password": "demo", "csrf_token": token})
    page = client.get("/lines/?lang=en").text
    assert "Sign out everywhere" in page
    reply = client.post("/logout/everywhere", data={"csrf_token": csrf_from(page)})
    assert reply.status_code == 303
    assert not opens_account(client) and not opens_account(elsewhere)
    # Signing in again works, with the new epoch.
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": USERS["be"], "password": "demo", "csrf_token": token})
    assert opens_account(client)


def signed_in_with_redis(app_factory):
    """An app keeping its sessions in Redis, and a client signed in to it as the FR user."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL not set (CI sets it)")
    from tests.conftest import demo_database

    app = app_factory(SESSION_REDIS_URL=url)
    demo_database(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": USERS["fr"], "password": "demo", "csrf_token": token})
    return app, client


def test_sessions_in_redis(app_factory):
    app, client = signed_in_with_redis(app_factory)
    thief = copy_of(app, client)
    assert opens_account(thief)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(WebSession.id))) == 0
    from flask import request

    cookie = client.get_cookie("session").value
    with app.test_request_context("/lines/", headers={"Cookie": f"session={cookie}"}):
        in_flight = app.session_interface.open_session(app, request)
    page = client.get("/lines/").text
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert not opens_account(thief)
    in_flight["locale"] = "fr_FR"  # a request begun before the sign-out saves after it
    with app.test_request_context("/lines/"):
        app.session_interface.save_session(app, in_flight, app.response_class())
    assert not opens_account(thief)


def test_a_kept_page_is_one_query_with_sessions_in_redis(app_factory, monkeypatch):
    """Production keeps sessions in Redis: the user, their account and its data version
    are then one query too (server_sessions.load_user), and a kept page nothing more. (On
    PostgreSQL the version was a query of its own.) On PostgreSQL that query goes through
    the driver itself, where the engine's events do not see it: counted apart."""
    import server_sessions
    from tests.conftest import QueryCounter

    direct = []
    read = server_sessions._read_directly
    monkeypatch.setattr(
        server_sessions, "_read_directly", lambda *args: direct.append(args) or read(*args)
    )
    app, client = signed_in_with_redis(app_factory)
    assert client.get("/lines/").status_code == 200
    with app.app_context():
        engine = db.engine
    direct.clear()
    with QueryCounter(engine) as again:
        assert client.get("/lines/").status_code == 200
    assert again.count + len(direct) == 1


def test_a_request_begun_before_sign_out_does_not_bring_the_session_back(
    app, client, signed_in, auth
):
    from flask import request

    signed_in("fr")
    cookie = client.get_cookie("session").value
    interface = app.session_interface
    with app.test_request_context("/lines/", headers={"Cookie": f"session={cookie}"}):
        in_flight = interface.open_session(app, request)  # loaded before the sign-out...
    auth.logout()
    in_flight["locale"] = "fr_FR"  # ...and changed, so saved after it
    with app.test_request_context("/lines/"):
        response = app.response_class()
        interface.save_session(app, in_flight, response)
    assert "session=;" in response.headers.get("Set-Cookie", "")  # its cookie goes too
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert not opens_account(thief)


def test_signing_in_again_gives_another_token_and_ends_the_old_record(app, client, auth):
    auth.login()
    first = client.get_cookie("session").value
    auth.logout()
    auth.login()
    second = client.get_cookie("session").value
    assert first.startswith("srv.") and second.startswith("srv.") and first != second
    old = app.test_client()
    old.set_cookie("session", first)
    assert not opens_account(old)


def test_a_stale_server_cookie_is_removed_and_pages_vary_on_the_cookie(client, signed_in):
    client.set_cookie("session", "srv." + "x" * 43)
    reply = client.get("/login")
    assert reply.status_code == 200
    replaced = reply.headers["Set-Cookie"]  # by an anonymous cookie, or by none at all
    assert replaced.startswith("session=") and not replaced.startswith("session=srv.")
    signed_in("fr")
    assert "Cookie" in client.get("/lines/").headers["Vary"]


def test_an_unused_session_expires_on_the_server(app_factory):
    from tests.conftest import demo_database

    app = app_factory(PERMANENT_SESSION_LIFETIME=1)
    demo_database(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": USERS["fr"], "password": "demo", "csrf_token": token})
    time.sleep(1.2)
    assert not opens_account(client)


def test_the_user_and_account_read_with_the_record_are_as_a_query_loads_them(
    app, client, signed_in, count_queries
):
    """server_sessions makes the user and their account from the record's one query
    (plain columns, not the ORM's loading): every column as the database has it, nothing
    pending to write, and the account reached from the user without a query."""
    from sqlalchemy import inspect

    import server_sessions
    from telephony.models import Account

    signed_in("fr")
    digest = server_sessions._digest(client.get_cookie("session").value.removeprefix("srv."))
    with app.test_request_context("/lines/"):
        server_sessions.DatabaseStore().load(digest)
        made = server_sessions.g.session_user
        assert inspect(made).persistent and not db.session.dirty and not db.session.new
        with db.engine.connect() as connection:  # what a query of its own reads
            columns = [*User.__table__.c, *Account.__table__.c]
            stored = connection.execute(
                select(*columns)
                .join(Account, Account.id == User.account_id)
                .where(User.id == made.id)
            ).one()
        with count_queries() as counter:  # every column there, the account in the session
            account = made.account
            for column, value in zip(columns, stored, strict=True):
                owner = made if column.table is User.__table__ else account
                key = inspect(type(owner)).get_property_by_column(column).key
                assert getattr(owner, key) == value, key
        assert counter.count == 0 and account is server_sessions.g.session_account
        assert not inspect(made).modified and not inspect(account).modified
        db.session.commit()  # and nothing to write


def test_on_sqlite_a_kept_page_reads_nothing_while_the_database_is_unchanged(
    app, client, signed_in, count_queries
):
    """The session's rows are kept while SQLite's data_version stands still; any commit,
    from any connection, and they are read again (PostgreSQL reads them each time)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL reads the record each time (test below)")
    signed_in("fr")
    assert opens_account(client) and opens_account(client)  # the page is kept now
    with count_queries(sessions=True) as unchanged:
        assert opens_account(client)
    assert unchanged.count == 0
    with app.app_context():
        db.session.execute(update(User).where(User.email == USERS["fr"]).values(name="New"))
        db.session.commit()
    with count_queries(sessions=True) as changed:
        assert opens_account(client)
    assert changed.count >= 1


def test_on_postgresql_the_record_read_through_the_driver_is_sqlalchemys_row(
    app, client, signed_in
):
    """The session's record is read through psycopg directly (server_sessions
    ._read_directly): the same columns, values and types as SQLAlchemy's own reading."""
    import server_sessions

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    signed_in("fr")
    with app.test_request_context("/lines/"):
        key = db.session.scalars(select(WebSession.id)).one()
        connection = db.session.connection()
        statement = server_sessions._load_statement("postgresql")
        expected = connection.execute(statement, {"key": key}).one()
        row = server_sessions._read_directly(connection, connection.dialect, key)
        assert row._fields == expected._fields
        assert [(v, type(v)) for v in row] == [(v, type(v)) for v in expected]
        assert server_sessions._read_directly(connection, connection.dialect, "x" * 64) is None
        # The same with the user's id (the Redis store keeps the record elsewhere).
        user_id = user(app, "fr").id
        by_id = server_sessions._user_statement
        expected = connection.execute(by_id("postgresql"), {"key": user_id}).one()
        row = server_sessions._read_directly(connection, connection.dialect, user_id, by_id)
        assert [(v, type(v)) for v in row] == [(v, type(v)) for v in expected]


def test_a_commit_from_another_process_ends_a_kept_session_at_once(app, client, signed_in):
    """Signed out by another worker (here: another connection deleting the record), the
    next request of this copy opens nothing, kept rows or not."""
    signed_in("fr")
    thief = copy_of(app, client)
    assert opens_account(thief) and opens_account(thief)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        import sqlite3

        with app.app_context():
            path = db.engine.url.database
        other = sqlite3.connect(path)
        other.execute("DELETE FROM web_session")
        other.commit()
        other.close()
    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM web_session"))
        engine.dispose()
    assert not opens_account(thief)
    assert not opens_account(client)


def test_a_session_read_on_a_connection_the_server_lost_is_read_again(app, signed_in):
    """PostgreSQL reads the session's record on a connection of its own per thread (the
    request's pooled one cost more than the read): when the server ends it (a restart, an
    idle timeout), the next page reads it again on a new one, and the engine's dispose()
    closes them all."""
    from sqlalchemy import create_engine, text

    from extensions import db

    client = signed_in("fr")
    store = app.session_interface.store
    if getattr(store, "direct", None) is None:
        pytest.skip("SQLite reads the record on the request's connection")
    assert client.get("/lines/").status_code == 200
    pid = store.direct.local.held[1].info.backend_pid
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as other:
            assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    assert client.get("/lines/").status_code == 200
    assert store.direct.local.held[1].info.backend_pid != pid
    with app.app_context():
        db.engine.dispose()
    assert store.direct.made == []
