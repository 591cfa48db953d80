"""What an attacker or an impatient user may send: every agent view on the record, safe
redirect targets, ids out of range, NUL, HEAD, ?lang= on redirects, HSTS, sign-in limits
that count failures only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import support
from telephony.models import AuditEvent, ScheduledTask
from tests.conftest import USERS, csrf_from
from tests.factories import act_for_fr


def views(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == support.VIEWED)
        )


@pytest.mark.parametrize(
    "headers",
    [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Target": "line-list"}],
    ids=["page", "htmx", "htmx-block"],
)
def test_every_agent_view_is_audited_with_or_without_htmx(app, client, signed_in, headers):
    act_for_fr(client, signed_in)
    before = views(app)
    assert client.get("/lines/", headers=headers).status_code == 200
    assert views(app) == before + 1


def test_an_agents_download_is_audited(app, client, signed_in):
    act_for_fr(client, signed_in)
    page = client.get("/lines/2/calls").text
    reply = client.post(
        "/lines/2/calls", data={"csrf_token": csrf_from(page), "calls": "3", "terms": "y"}
    )
    order = reply.headers["Location"]
    before = views(app)
    assert client.get(order + "/pdf", headers={"HX-Request": "true"}).status_code == 200
    assert views(app) == before + 1


@pytest.mark.parametrize(
    "target",
    ["/lines/\r\nSet-Cookie: x=1", "/lines/%0d%0a", "//evil.example", "https://evil.example/"],
)
def test_a_bad_next_never_leaves_the_site_nor_breaks_the_answer(app, client, signed_in, target):
    signed_in("fr")
    page = client.get("/lines/5/alias").text
    client.post("/lines/5/alias", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        task_id = db.session.scalar(select(ScheduledTask.id))
    reply = client.post(
        f"/lines/requests/{task_id}/cancel", data={"csrf_token": csrf_from(page), "next": target}
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] in ("/lines/requests", "/lines/%0d%0a")


@pytest.mark.parametrize("target", ["/lines/\r\nX: y", "//evil.example/", "/\\evil.example"])
def test_sign_in_refuses_a_bad_next(client, target):
    token = csrf_from(client.get("/login").text)
    reply = client.post(
        "/login",
        query_string={"next": target},
        data={"email": USERS["fr"], "password": "demo", "csrf_token": token},
    )
    assert reply.status_code == 303 and reply.headers["Location"] == "/"


@pytest.mark.parametrize("value", [2**31, 2**63, 10**40])
@pytest.mark.parametrize(
    "path",
    [
        "/lines/{}",
        "/lines/{}/calls",
        "/lines/numbers/{}",
        "/orders/{}",
        "/orders/{}/pdf",
        "/procedure/{}/pdf",
        "/emails/{}/attachment",
        "/lines/orders/{}",
        "/agent/accounts/{}",
    ],
)
def test_ids_beyond_the_integer_range_answer_404(client, signed_in, path, value):
    signed_in("agent" if path.startswith("/agent") else "fr")
    assert client.get(path.format(value)).status_code == 404


def test_nul_in_a_form_field_is_refused_beside_the_field(client, signed_in):
    signed_in("fr")
    page = client.get("/procedure/billing-contact?lang=en").text
    reply = client.post(
        "/procedure/billing-contact",
        data={"csrf_token": csrf_from(page), "contact_name": "Jean\x00", "contact_email": "a@b.fr"},
    )
    assert reply.status_code == 422
    assert "Remove the invisible control characters" in reply.text


@pytest.mark.parametrize("path", ["/faq?q=a%00b", "/agent/?q=%00", "/faq/%00", "/lines/?page=%00"])
def test_nul_in_an_address_is_a_bad_request(client, signed_in, path):
    signed_in("agent")
    assert client.get(path).status_code == 400


def test_head_answers_like_get(client):
    assert client.head("/login").status_code == 200
    assert client.head("/faq").status_code == 200


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_head_answers_like_get_on_every_page(app, client, signed_in, who):
    """HEAD is GET without the body (RFC 9110 9.3.2). Pages that are also a form's address
    took it for a post: refused forms (422), and the agent's two addresses locked the
    account while reading (500)."""
    from tests.browser.support import pages, prepare_pages

    ids = prepare_pages(app)
    if who == "agent":
        act_for_fr(client, signed_in)
    else:
        signed_in("fr")
    # And the addresses whose GET only sends back to their page (a reload after a refusal).
    sent_back = [f"/orders/{ids['order']}/pay", "/agent/accounts/1/act", "/agent/accounts/1/notes"]
    for path in [path for _endpoint, path in pages(ids)[who]] + sent_back:
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.location) == (got.status_code, got.location), path
        assert head.data == b""


def test_lang_is_remembered_on_a_redirect(client, signed_in):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    reply = client.get("/?lang=nl_BE")
    assert reply.status_code == 302
    assert 'lang="nl-BE"' in client.get("/login").text
    signed_in("ch")
    assert client.get("/?lang=de_CH").status_code == 302
    assert 'lang="de-CH"' in client.get("/lines/").text


def test_hsts_in_production_only(app_factory, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    production = app_factory(APP_ENV="production")
    header = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert header.startswith("max-age=31536000")
    monkeypatch.setenv("HSTS_SECONDS", "0")
    assert (
        "Strict-Transport-Security"
        not in app_factory(APP_ENV="production").test_client().get("/healthz").headers
    )


def _attempts(client, email, password, times, address="203.0.113.9"):
    token = csrf_from(client.get("/login").text)
    return [
        client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": address},
        ).status_code
        for _ in range(times)
    ]


def test_successful_sign_ins_never_count(app_factory):
    from tests.conftest import demo_database

    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    demo_database(app)
    codes = []
    for _ in range(6):  # an office of agents behind one address
        client = app.test_client()
        codes += _attempts(client, USERS["agent"], "demo", 1)
    assert codes == [303] * 6


def test_failures_are_counted_per_account_whatever_the_address(app_factory):
    from tests.conftest import demo_database

    app = app_factory(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="3 per minute",
    )
    demo_database(app)
    client = app.test_client()
    codes = [
        _attempts(client, USERS["fr"], "wrong", 1, address=f"198.51.100.{n}")[0] for n in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    # Another account from the same addresses is not locked out.
    assert _attempts(client, USERS["be"], "demo", 1, address="198.51.100.1") == [303]


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(app_factory):
    from tests.conftest import demo_database

    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    demo_database(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    codes = [
        client.post(
            "/login",
            data={"email": f"nobody{n}@example.com", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        ).status_code
        for n in range(3)
    ]
    assert codes == [422, 422, 429]


def test_parallel_wrong_passwords_are_all_counted(tmp_path):
    """Attempts are counted before the password is checked: twenty sent at once against a
    limit of three get three answers and seventeen refusals."""
    import threading

    from werkzeug.serving import make_server

    from tests.conftest import demo_database, drop_database, make_app
    from tests.live import Client, at_once

    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    demo_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}")
        token = client.token("/login")
        data = {"email": USERS["fr"], "password": "wrong", "csrf_token": token}
        codes = at_once(20, lambda _i: client.post("/login", data).status)
    finally:
        server.shutdown()
        drop_database(app)
    assert sorted(codes) == [422] * 3 + [429] * 17


@pytest.mark.parametrize(
    ("seconds", "said"), [(60, "after 1 minute without"), (900, "after 15 minutes without")]
)
def test_the_idle_sign_out_says_how_long_in_good_english(app_factory, seconds, said):
    import time

    from tests.conftest import demo_database

    app = app_factory(AGENT_IDLE_TIMEOUT=seconds)
    demo_database(app)
    client = app.test_client()
    token = csrf_from(client.get("/login?lang=en").text)
    client.post("/login", data={"email": USERS["agent"], "password": "demo", "csrf_token": token})
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - seconds - 5
    page = client.get("/agent/", follow_redirects=True).text
    assert said in page


def test_an_error_page_says_error_in_its_title(client):
    page = client.get("/no-such-page?lang=en").text
    assert "<title>Error: Page not found · Velora Telecom</title>" in page


def test_reloading_a_refused_post_leads_back_to_its_page(app, client, auth):
    """A form refused with 422 leaves its POST address in the bar; reloading it (a GET)
    goes back to the page, never to a 405."""
    from tests.factories import open_order

    order_id, account_id = open_order(app)
    auth.login("demo-fr@example.com")
    reply = client.get(f"/orders/{order_id}/pay")
    assert reply.status_code == 303 and reply.headers["Location"] == f"/orders/{order_id}"
    feedback = client.get("/faq/call-forwarding/feedback")  # the answer with the vote's form
    assert feedback.status_code == 200 and 'name="yes"' in feedback.get_data(as_text=True)
    auth.logout()
    auth.login("agent@example.com")
    for tail in ("act", "notes"):
        reply = client.get(f"/agent/accounts/{account_id}/{tail}")
        assert reply.status_code == 303, tail
        assert reply.headers["Location"] == f"/agent/accounts/{account_id}"
    assert client.get("/agent/accounts/999999/act").status_code == 404


def _limited_app(**limits):
    from flask import Flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from app import _skip_empty_limit_check

    app = Flask(__name__)
    own = Limiter(key_func=get_remote_address, storage_uri="memory://", **limits)
    own.init_app(app)
    _skip_empty_limit_check(app, own)

    @app.get("/free")
    def free():
        return "free"

    @app.get("/limited")
    @own.limit("2 per minute")
    def limited():
        return "limited"

    return app, own


def test_without_site_wide_limits_the_per_request_check_is_skipped_and_view_limits_hold():
    app, own = _limited_app()
    assert own._check_request_limit not in app.before_request_funcs.get(None, [])
    client = app.test_client()
    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get("/free").status_code for _ in range(3)] == [200, 200, 200]


def test_site_wide_limits_keep_the_per_request_check():
    app, own = _limited_app(default_limits=["2 per minute"])
    assert own._check_request_limit in app.before_request_funcs[None]
    client = app.test_client()
    assert [client.get("/free").status_code for _ in range(3)] == [200, 200, 429]


def test_a_customers_downloads_are_kept_by_no_cache(app, signed_in):
    """Invoices, exports: the customer's own data, as their pages (the view sets nothing:
    the default is `no-store`)."""
    from telephony.models import Invoice
    from tests.factories import demo_account

    client = signed_in("fr")
    with app.app_context():
        invoice_id = db.session.scalar(
            select(Invoice.id).where(Invoice.account_id == demo_account().id).limit(1)
        )
    for url in (
        f"/billing/invoices/{invoice_id}.pdf",
        "/billing/invoices/export.csv",
        "/services/export.csv",
    ):
        reply = client.get(url)
        reply.get_data()  # (exports are streamed: read to the end, then closed)
        reply.close()
        assert reply.status_code == 200, url
        assert reply.headers["Cache-Control"] == "no-store", url


def test_the_faq_vote_limits_votes_not_views_of_its_form(app_factory):
    """Behind one address (an office), people open the vote's form often: only votes count."""
    from extensions import limiter
    from tests.conftest import demo_database

    app = app_factory(RATELIMIT_ENABLED=True)
    demo_database(app)
    # One Limiter serves every app of the process, and building the demo's template may
    # have made an app without limits: this one's settings again.
    limiter.init_app(app)
    client = app.test_client()
    views = [client.get("/faq/voicemail/feedback").status_code for _ in range(35)]
    assert set(views) == {200}
    token = csrf_from(client.get("/faq/voicemail/feedback").text)
    votes = [
        client.post("/faq/voicemail/feedback", data={"csrf_token": token, "yes": "1"}).status_code
        for _ in range(31)
    ]
    assert votes[-1] == 429 and 429 not in votes[:30]


def test_a_limit_on_a_whole_blueprint_keeps_the_per_request_check():
    from flask import Blueprint, Flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from app import _skip_empty_limit_check

    app = Flask(__name__)
    own = Limiter(key_func=get_remote_address, storage_uri="memory://")
    own.init_app(app)
    area = Blueprint("area", __name__)
    area.add_url_rule("/area", "page", lambda: "area")
    own.limit("2 per minute")(area)
    app.register_blueprint(area)
    _skip_empty_limit_check(app, own)
    client = app.test_client()
    assert [client.get("/area").status_code for _ in range(3)] == [200, 200, 429]


def _limited_client(app_factory, who: str, **limits):
    """A client signed in as a demo user of an app whose rate limits are on."""
    from tests.conftest import demo_database

    app = app_factory(RATELIMIT_ENABLED=True, **limits)
    demo_database(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": USERS[who], "password": "demo", "csrf_token": token})
    return client


def test_refused_cards_are_limited_and_accepted_ones_never_count(app_factory):
    """A stolen card tried again and again on the add-card form: refused beside the field
    with 429 past the limit, per account; cards accepted never use it."""
    client = _limited_client(app_factory, "be", CARD_ACCOUNT_RATE_LIMIT="3 per minute")
    path = "/billing/payment-methods/new-card?lang=en"
    token = csrf_from(client.get(path).text)
    card = {"csrf_token": token, "expiry": "09/30", "cvc": "123"}
    for number in ("4242424242424242", "5555555555554444", "4000056655665556", "378282246310005"):
        added = client.post(path, data={**card, "number": number})  # accepted: never counted
        assert added.status_code == 303, number
    codes = [
        client.post(path, data={**card, "number": "4000 0000 0000 0002"}).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 422]
    blocked = client.post(path, data={**card, "number": "2223003122003222"})
    assert blocked.status_code == 429 and "Too many cards were refused" in blocked.text


def test_the_billing_contact_changes_a_few_times_a_day_at_most(app_factory):
    """Each change e-mails the new address: the form cannot mail strangers on and on."""
    client = _limited_client(app_factory, "ch", CONTACT_CHANGE_RATE_LIMIT="2 per day")
    path = "/procedure/billing-contact?lang=en"
    token = csrf_from(client.get(path).text)
    codes = [
        client.post(
            path,
            data={
                "csrf_token": token,
                "contact_name": "Someone",
                "contact_email": f"someone{n}@example.com",
            },
        ).status_code
        for n in (0, 0, 0, 1, 2)  # the same one again (a double click) sends nothing: free
    ]
    assert codes == [303, 422, 422, 303, 429]
    assert (
        "changed too often today"
        in client.post(
            path, data={"csrf_token": token, "contact_name": "X", "contact_email": "x@example.com"}
        ).text
    )


@pytest.mark.parametrize("host", ["x" * 64 + ".example", "a..b"])
def test_a_host_no_name_can_be_answers_400_not_500(client, host):
    """Werkzeug matches no address for such a Host (a label over 63 characters, an empty
    one): its 400 page could not make its links, and the 500 page neither (review)."""
    reply = client.get("/login", headers={"Host": host})
    assert reply.status_code == 400 and reply.mimetype == "text/plain"


@pytest.mark.parametrize("key", ["endpoint", "_anchor", "_method", "_scheme", "account_id"])
def test_a_query_key_named_like_url_fors_own_keeps_the_pager(app, client, signed_in, key):
    """The pager's links passed every query key to url_for: one named like a path value
    or like url_for's own arguments made a 500 of any list with a second page (review)."""
    from blueprints.agent.routes import TIMELINE_SIZE

    signed_in("agent")
    page = client.get("/agent/accounts/1").text
    for number in range(TIMELINE_SIZE + 1):  # a second page of the timeline
        client.post(
            "/agent/accounts/1/notes",
            data={"csrf_token": csrf_from(page), "body": f"Note {number}"},
        )
    reply = client.get(f"/agent/accounts/1?{key}=x")
    assert reply.status_code == 200
    assert f"{key}=x" in reply.text and "page=2" in reply.text
