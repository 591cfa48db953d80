"""Fixtures: an app on a fresh database (SQLite file, or PostgreSQL when TEST_DATABASE_URL
is set) holding the demo data, a client, a CLI runner, and sign-in helpers."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import event

from app import create_app
from extensions import db
from telephony.demo import create_demo

PG_URL = os.environ.get("TEST_DATABASE_URL")


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


def demo_database(app) -> None:
    """Fresh tables holding the demo data."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        db.session.remove()


def drop_database(app) -> None:
    """Drop the tables and close every connection (no ResourceWarning later)."""
    with app.app_context():
        db.session.remove()
        db.drop_all()
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
    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _on_execute(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def count_queries(app):
    """with count_queries() as counter: ... ; counter.count"""

    def make():
        with app.app_context():
            engine = db.engine
        return QueryCounter(engine)

    return make
