"""No input makes the server answer 500: every form of every page, and every route with an
id or a slug, sent what browsers, robots and attackers send (huge ids, NUL, CR/LF, 10,000
characters, emoji and right-to-left text, wrong types, missing and repeated fields), then
random text (Hypothesis). Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from extensions import db
from telephony.models import Account
from tests.conftest import USERS, csrf_from, demo_database, drop_database, make_app
from tests.fuzzing import (
    ONE_FIELD_PAYLOADS,
    PAYLOADS,
    crawl,
    filled_forms,
    forms_of,
    send,
    shape,
)

HUGE_IDS = [0, 2**31, 2**63, 10**40]
#: Pages whose forms are sent, per kind of visitor ({id} filled from the demo).
PAGES = {
    "anonymous": ["/login", "/faq", "/faq/call-forwarding"],
    "fr": [
        "/lines/",
        "/lines/1",
        "/lines/3/offer",
        "/lines/1/calls",
        "/lines/1/alias",
        "/lines/1/terminate",
        "/lines/offer?offer=1",
        "/lines/new",
        "/lines/numbers/1",
        "/lines/numbers/1/line",
        "/lines/numbers/4/terminate",
        "/lines/requests",
        "/orders/1",
        "/procedure/",
        "/procedure/billing-contact",
        "/emails/",
        "/service-numbers/new",
        "/service-numbers/destinations/new",
        "/service-numbers/more",
        "/service-numbers/credits",
        "/service-numbers/credits/auto-recharge",
        "/service-numbers/port",
    ],
    "agent": [
        "/agent/",
        "/agent/accounts/1",
        "/procedure/manage",
        "/faq/panel?q=x",
        "/orders/1",
        "/service-numbers/licences",
    ],
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("fuzz"))
    demo_database(app)
    _with_every_form(app)
    yield app
    drop_database(app)


def _with_every_form(app) -> None:
    """What the demo lacks for some forms to show: a purchase order (pay, cancel), a pending
    request (cancel), a submitted procedure (the agents' status form), a call note (edit)."""
    from telephony import calls, lifecycle, procedure, support
    from telephony.models import Line, User
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.get(Account, 1)
        customer = db.session.scalar(select(User).where(User.email == USERS["fr"]))
        agent = db.session.scalar(select(User).where(User.email == USERS["agent"]))
        calls.order_calls(account, db.session.get(Line, 2), 3, actor=customer, terms_accepted=True)
        lifecycle.request_to_alias(account, db.session.get(Line, 5), actor=customer)
        procedure.submit(account, DETAILS["vt10001-f"], actor=customer)
        support.add_note(agent, account, "A first call")
        db.session.commit()
        db.session.remove()


def client_for(app, who: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if who == "anonymous":
        return client
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": USERS[who], "password": "demo", "csrf_token": token})
    if who == "agent":  # acting for the French company, as agents do
        token = csrf_from(client.get("/agent/accounts/1").text)
        client.post("/agent/accounts/1/act", data={"csrf_token": token, "reason": "Fuzzing"})
    return client


def assert_no_server_error(reply, what):
    assert reply.status_code < 500, f"{what}: {reply.status_code}"


@pytest.mark.parametrize("who", list(PAGES))
def test_every_form_survives_bad_input(app, who):
    client = client_for(app, who)
    for page in PAGES[who]:
        html = client.get(page).text
        token = csrf_from(html) if "csrf_token" in html or "X-CSRFToken" in html else ""
        for method, action, names in forms_of(html):
            if not action or "logout" in action or "/agent/stop" in action:
                continue  # signing out or stopping would end the walk, not test anything
            cases = [{name: payload for name in names} for payload in PAYLOADS]
            cases.append({})  # every field missing
            cases.append({name: [payload, "1"] for name in names for payload in ("\x00",)})
            for data in cases:
                data = {**data, "csrf_token": token}
                assert_no_server_error(send(client, method, action, data), f"{page} → {action}")


#: Where each visitor's crawl starts: the menu's pages.
CRAWL_FROM = {
    "fr": ["/lines/", "/services/", "/service-numbers/", "/billing/invoices", "/emails/"],
    "be": ["/services/", "/billing/invoices", "/billing/payment-methods", "/procedure/"],
    "agent": ["/agent/accounts/1", "/lines/", "/services/", "/billing/invoices"],
    "translator": ["/translations/"],
}
#: Forms a crawl does not send: they end the visit, or (an agent's "act for") move it to
#: another account, whose pages the rest of the walk would not see.
NOT_SENT = re.compile(r"logout|/stop$|/act$|/keep-alive")


@pytest.mark.parametrize("who", list(CRAWL_FROM))
def test_one_bad_field_in_any_reachable_form_or_query(tmp_path, who):
    """Every form of every page a visitor can reach by links (one page of each kind), sent
    as the page filled it but with one field bad; and each page's query string with one
    value bad. An all-bad form stops at its first field; this reaches the code behind each
    (it found `ids=²` answering 500)."""
    app = make_app(tmp_path)
    demo_database(app)
    try:
        client = client_for(app, who)
        pages = crawl(client, CRAWL_FROM[who])
        assert len(pages) >= len(CRAWL_FROM[who]), sorted(pages)
        sent: set[tuple[str, str]] = set()
        for page, html in pages.items():
            token = csrf_from(html) if "csrf_token" in html or "X-CSRFToken" in html else ""
            for method, action, fields in filled_forms(html):
                action = action or page.split("?")[0]
                if method not in ("get", "post") or NOT_SENT.search(action):
                    continue
                kind = (method, shape(app, action))
                if kind in sent:
                    continue
                sent.add(kind)
                for name in fields:
                    for payload in ONE_FIELD_PAYLOADS:
                        data = {**fields, name: payload, "csrf_token": token}
                        assert_no_server_error(
                            send(client, method, action, data), f"{page} → {action} {name}"
                        )
            path, _, query = page.partition("?")
            for name in sorted({pair.split("=")[0] for pair in query.split("&") if pair}):
                for payload in ONE_FIELD_PAYLOADS:
                    reply = client.get(path, query_string={name: payload})
                    assert_no_server_error(reply, f"{path}?{name}=…")
    finally:
        drop_database(app)


@pytest.mark.parametrize("who", ["fr", "agent"])
def test_every_route_with_an_id_or_slug_survives(app, who):
    client = client_for(app, who)
    token = csrf_from(client.get("/lines/requests").text)
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            values = HUGE_IDS if "int" in str(rule._converters) else PAYLOADS[:8]
            for value in values:
                path = rule.rule
                for argument in rule.arguments:
                    path = re.sub(rf"<(?:\w+:)?{argument}>", str(value).replace("/", "%2F"), path)
                reply = client.open(path, method=method, data={"csrf_token": token})
                assert_no_server_error(reply, f"{method} {path[:80]}")
                if isinstance(value, int) and value >= 2**31:
                    assert reply.status_code in (400, 404), f"{method} {path}"


@pytest.mark.parametrize("who", ["anonymous", "fr"])
def test_query_strings_survive(app, who):
    client = client_for(app, who)
    for page in ["/faq", "/lines/", "/lines/requests", "/emails/", "/login", "/lines/offer"]:
        for payload in PAYLOADS:
            for name in ("q", "page", "npage", "lang", "offer", "next", "kind", "lines"):
                reply = client.get(page, query_string={name: payload})
                assert_no_server_error(reply, f"{page}?{name}=…")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(max_size=300),
    email=st.text(max_size=300),
    calls=st.text(max_size=40),
    details=st.text(max_size=2000),
)
def test_random_text_in_the_customers_forms(app, name, email, calls, details):
    client = client_for(app, "fr")
    html = client.get("/procedure/billing-contact").text
    token = csrf_from(html)
    for action, data in [
        ("/procedure/billing-contact", {"contact_name": name, "contact_email": email}),
        ("/procedure/check", {"holder_name": name, "iban": email, "holder_postcode": calls}),
        ("/lines/1/calls", {"calls": calls, "terms": "y"}),
        ("/lines/numbers/4/terminate", {"reason": name, "details": details}),
        ("/lines/new", {"description": name, "group": calls, "offer": calls, "token": email}),
    ]:
        reply = client.post(action, data={**data, "csrf_token": token})
        assert_no_server_error(reply, action)
    with app.app_context():
        assert db.session.scalar(select(Account.id).where(Account.code == "vt10001-f")) == 1
