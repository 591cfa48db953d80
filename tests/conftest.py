"""Fixtures: an app on a fresh database (SQLite file, or PostgreSQL when TEST_DATABASE_URL
is set) holding the demo data, a client, a CLI runner, and sign-in helpers."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, inspect, make_url, text

from app import create_app
from extensions import db
from telephony.demo import create_demo


def _own_database(url: str | None) -> str | None:
    """Under pytest-xdist (`-n`), each worker gets a PostgreSQL database of its own
    (test_gw0, test_gw1...), created when missing, because the tests empty and fill the
    tables. SQLite needs nothing: each test has a file of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    given = make_url(url)
    own = given.set(database=f"{given.database}_{worker}")
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


PG_URL = _own_database(os.environ.get("TEST_DATABASE_URL"))


#: Whole modules that are slow by nature: live servers hit in parallel, every form fuzzed.
SLOW_MODULES = {"test_concurrency.py", "test_fuzz.py"}


def pytest_collection_modifyitems(config, items):
    """`slow` on the browser tests and the modules above (and on the tests marked by
    hand), so that `make test-fast` (-m "not slow") gives quick feedback while working."""
    for item in items:
        path = Path(str(item.fspath))
        if path.name in SLOW_MODULES or "browser" in path.parts:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fresh_sandbox_provider():
    """Each test's database numbers its invoices from the start: the sandbox provider's
    idempotency keys of an earlier test must not answer for them."""
    from telephony.payments import PROVIDERS

    PROVIDERS["sandbox"].forget()


def _database_url(tmp_path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'test.sqlite'}"


def make_app(tmp_path, **overrides):
    settings = {
        "APP_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
        # Files for the bank and the e-invoicing platform: the test's own folders.
        "COLLECTION_DIR": str(tmp_path / "collections"),
        "EINVOICE_DIR": str(tmp_path / "einvoices"),
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture
def app_factory(tmp_path):
    """Build extra apps on this test's database; their connections close at teardown."""
    built = []

    def build(**overrides):
        app = make_app(tmp_path, **overrides)
        built.append(app)
        return app

    yield build
    for app in built:
        drop_database(app)


#: The demo database, built once per test session (the schema and the demo data cost more
#: than most tests): a SQLite file to copy, or the rows of each table to load again.
_TEMPLATE: dict = {}


def demo_database(app) -> None:
    """Fresh tables holding the demo data, from the session's template."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        _copy_sqlite_template(app, Path(url.removeprefix("sqlite:///")))
    else:
        _reload_rows(app)


def _build(app) -> None:
    from telephony.faq import service_for

    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        db.session.commit()
    service_for(app).ensure_index()  # the FAQ's search index, in the template too (SQLite)


def _copy_sqlite_template(app, target: Path) -> None:
    template = _TEMPLATE.get("sqlite")
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="demo-template-")) / "demo.sqlite"
        builder = make_app(template.parent, SQLALCHEMY_DATABASE_URI=f"sqlite:///{template}")
        _build(builder)
        with builder.app_context():
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.remove()
            db.engine.dispose()
        _TEMPLATE["sqlite"] = template
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)


def _reload_rows(app) -> None:
    """PostgreSQL: the schema once, then per test every table emptied and its demo rows
    inserted again (sequences set past them)."""
    tables = db.metadata.sorted_tables
    with app.app_context():
        if "rows" not in _TEMPLATE:
            _build(app)
            _TEMPLATE["rows"] = {
                table.name: [dict(row._mapping) for row in db.session.execute(table.select())]
                for table in tables
            }
            db.session.remove()
            return
        present = set(inspect(db.engine).get_table_names())
        if not set(db.metadata.tables) <= present:  # a test dropped or changed the schema
            db.drop_all()
            db.create_all()
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table in tables:
            rows = _TEMPLATE["rows"][table.name]
            if rows:
                db.session.execute(table.insert(), rows)
                if "id" in table.c and isinstance(rows[0].get("id"), int):
                    sequence = f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    sequence += f'(SELECT max(id) FROM "{table.name}"))'  # noqa: S608 - our tables
                    db.session.execute(text(sequence))
        db.session.commit()
        db.session.remove()


def drop_database(app) -> None:
    """Close every connection (no ResourceWarning later). The tables stay: the next test
    empties and fills them again (PostgreSQL), or has a file of its own (SQLite)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    demo_database(app)
    yield app
    drop_database(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email="demo-fr@example.com", password="demo"):
        token = csrf_from(self.client.get("/login").get_data(as_text=True))
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_from(self.client.get("/lines/").get_data(as_text=True))
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


USERS = {
    "fr": "demo-fr@example.com",
    "be": "demo-be@example.com",
    "ch": "demo-ch@example.com",
    "agent": "agent@example.com",
    "translator": "translator@example.com",
}


@pytest.fixture
def signed_in(client, auth):
    """signed_in("be") signs the client in as that demo user and returns the client."""

    def sign_in(who: str):
        response = auth.login(USERS[who])
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return sign_in


class QueryCounter:
    """The statements run while it is entered. The read of the session's record is left
    out unless `sessions`: whether a request makes it depends on what was committed since
    the last (on SQLite each process keeps the record while nothing changes), not on the
    page."""

    def __init__(self, engine, sessions: bool = False):
        self.engine = engine
        self.sessions = sessions
        self.count = 0

    def _on_execute(self, conn, cursor, statement, *args, **kwargs):
        if self.sessions or "FROM web_session" not in statement:
            self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ... ; counter.count"""

    def make(sessions: bool = False):
        with app.app_context():
            engine = db.engine
        return QueryCounter(engine, sessions)

    return make
