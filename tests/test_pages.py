"""Pages: layout, security headers, htmx blocks, paging in SQL with constant queries."""

import re

import pytest
from sqlalchemy import select, update

from extensions import db
from telephony.demo import create_scale_account
from telephony.models import Account, Line, User
from tests.conftest import Auth, csrf_from
from tests.factories import demo_account


def test_dashboard_lists_the_fr_company_lines_and_numbers(signed_in):
    html = signed_in("fr").get("/lines/?lang=en").get_data(as_text=True)
    assert "Lines and numbers" in html
    assert "+33 9 72 10 00 01" in html  # formatted number
    assert "Trunk" in html and "Fax line" in html
    assert "Plug &amp; Phone" in html or "Plug & Phone Cisco SPA504G" in html
    assert "+33 1 84 80 00 10" in html  # a pool number
    assert "vt10001-f-1" in html
    # French prices in EUR, formatted for English here: each line's own, its extra calls
    # included (the offer's price was shown, review: Accueil's 3 extra calls are billed).
    assert "€9.99" in html
    accueil = html.split("+33 9 72 10 00 01", 1)[1].split("</tr>", 1)[0]
    assert "€12.99" in accueil


def test_security_headers_and_no_inline_script_or_style(signed_in):
    response = signed_in("fr").get("/lines/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert "https://" not in re.sub(r"https://velora\.example", "", html)


def test_full_page_or_block_with_vary(signed_in):
    client = signed_in("fr")
    full = client.get("/lines/")
    assert "HX-Request" in full.headers["Vary"]
    assert full.get_data(as_text=True).startswith("<!doctype html>")
    block = client.get("/lines/", headers={"HX-Request": "true", "HX-Target": "line-list"})
    text = block.get_data(as_text=True).strip()
    assert text.startswith('<div id="line-list">')
    assert "<html" not in text
    # A target that is not an allowed block gets the full page.
    other = client.get("/lines/", headers={"HX-Request": "true", "HX-Target": "main"})
    assert other.get_data(as_text=True).startswith("<!doctype html>")


def test_error_pages_are_translated(signed_in):
    client = signed_in("fr")
    response = client.get("/nowhere?lang=fr_FR")
    assert response.status_code == 404
    assert 'lang="fr-FR"' in response.get_data(as_text=True)


def _scale_client(app, client, lines):
    with app.app_context():
        code = create_scale_account(lines)
        email = db.session.scalar(
            select(User.email)
            .join(Account, Account.id == User.account_id)
            .where(Account.code == code)
        )
    from tests.conftest import Auth

    assert Auth(client).login(email).status_code == 303
    return client


def test_paging_is_done_in_sql(app, client):
    _scale_client(app, client, 120)
    html = client.get("/lines/?page=3&lang=en").get_data(as_text=True)
    assert "Page 3 of 3" in html
    assert len(re.findall(r'<th scope="row"><a href="/lines/\d+"', html)) == 20
    # Odd page numbers fall back to the first or last page, never an error.
    assert client.get("/lines/?page=abc").status_code == 200
    assert "Page 3 of 3" in client.get("/lines/?page=999999&lang=en").get_data(as_text=True)


def test_dashboard_query_count_does_not_grow_with_lines(app, client, count_queries):
    _scale_client(app, client, 300)
    client.get("/lines/")  # warm-up
    with count_queries() as small:
        client.get("/lines/?page=1")
    with app.app_context():
        create_scale_account(10)  # more data elsewhere must not matter either
    with count_queries() as large:
        client.get("/lines/?page=6")
    assert small.count == large.count
    # (one of them: does the menu offer Service numbers?; each list reads its own pending
    # changes, so that an htmx request for one list reads only its own)
    assert small.count <= 14
    # Asked again, the lists are the ones this process kept: none of their queries.
    with count_queries() as again:
        client.get("/lines/?page=6")
    assert again.count <= large.count - 6


def test_lines_page_shows_a_change_made_by_any_writer(app, client, auth):
    """The lists are kept while the account's data version stays the same; the database
    raises it whatever writes the rows (here: plain SQL, as another machine would)."""
    auth.login()
    client.get("/lines/?lang=en")
    html = client.get("/lines/?lang=en").get_data(as_text=True)  # kept
    with app.app_context():
        line = db.session.scalar(
            select(Line).where(Line.account_id == demo_account().id).order_by(Line.id)
        )
        db.session.execute(
            update(Line).where(Line.id == line.id).values(description="Accueil renouvelé")
        )
        db.session.commit()
    assert "Accueil renouvelé" not in html
    assert "Accueil renouvelé" in client.get("/lines/?lang=en").get_data(as_text=True)


KEPT_PAGES = ("/lines/", "/lines/requests", "/services/")


@pytest.mark.parametrize("path", KEPT_PAGES)
def test_a_kept_page_costs_no_query_of_its_own_and_carries_each_sessions_own_token(
    app, client, auth, count_queries, path
):
    """A customer's page asked again is the one this process kept (caching.account_page):
    no query of its own (the session's read, which brings the data version, is counted
    apart: test_sessions). Another session of the same user gets it with its own CSRF
    token, which its forms then send."""
    auth.login()
    first = client.get(path).get_data(as_text=True)
    with count_queries() as again:
        assert client.get(path).get_data(as_text=True).count("csrf") == first.count("csrf")
    assert again.count == 0
    other = app.test_client()
    Auth(other).login()
    page = other.get(path).get_data(as_text=True)
    token = csrf_from(page)
    assert token != csrf_from(first) and csrf_from(first) not in page
    assert other.post("/logout", data={"csrf_token": token}).status_code == 303
    assert other.get(path).status_code == 302  # signed out: its own token was good
    assert client.get(path).status_code == 200  # the first session goes on


def test_one_customer_asking_for_many_addresses_keeps_another_customers_pages(
    app, client, auth, count_queries
):
    """A process keeps a few pages and lists of each account: made-up addresses (`?x=1`,
    `?x=2`...) push out that account's own, not everyone's."""
    from caching import FRAGMENTS_PER_PAGE, PAGES_PER_ACCOUNT

    auth.login()
    client.get("/lines/")
    other = app.test_client()
    Auth(other).login("demo-be@example.com")
    for number in range(PAGES_PER_ACCOUNT * FRAGMENTS_PER_PAGE + 12):
        other.get(f"/lines/?x={number}")
    with count_queries() as again:
        client.get("/lines/")
    assert again.count == 0  # still kept (the session's read apart)
    mine = demo_account_id(app)
    pages, lists = app.extensions["account_pages"], app.extensions["account_fragments"]
    assert len([key for key in pages if key[0] != mine]) == PAGES_PER_ACCOUNT
    assert len([key for key in lists if key[0] != mine]) == PAGES_PER_ACCOUNT * FRAGMENTS_PER_PAGE
    assert [key for key in lists if key[0] == mine]


def demo_account_id(app) -> int:
    with app.app_context():
        return demo_account().id


def test_a_kept_page_follows_the_users_and_the_accounts_rows(app, client, auth):
    """What the page shows of the user (the footer's address) and of the account (its name)
    is part of what the page is kept under: a change from anywhere is a new page."""
    auth.login()
    client.get("/lines/?lang=en")
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.email == "demo-fr@example.com")
            .values(email="renamed@example.com")
        )
        db.session.commit()
    assert "renamed@example.com" in client.get("/lines/?lang=en").get_data(as_text=True)
    with app.app_context():
        db.session.execute(
            update(Account).where(Account.id == demo_account().id).values(name="Renamed SARL")
        )
        db.session.commit()
    assert "Renamed SARL" in client.get("/lines/?lang=en").get_data(as_text=True)


def test_a_message_to_show_makes_the_page_for_that_request_only(client, auth):
    """A flashed message is the request's own: shown once, never kept in the page that
    the next visit gets."""
    auth.login()
    client.get("/lines/?lang=en")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message of one request")]
    assert "A message of one request" in client.get("/lines/?lang=en").get_data(as_text=True)
    assert "A message of one request" not in client.get("/lines/?lang=en").get_data(as_text=True)


def test_an_agent_acting_gets_pages_made_for_the_request(app, client, signed_in, count_queries):
    """An agent's page says whom they act for and why, and is audited: never a kept one."""
    from tests.factories import act_for_fr

    act_for_fr(client, signed_in)
    client.get("/lines/")
    with count_queries() as again:
        html = client.get("/lines/").get_data(as_text=True)
    assert again.count > 1
    assert 'class="agent-banner"' in html


def test_masked_numbers_are_said_by_their_last_digits_not_their_bullets(app):
    """A masked IBAN or card was read out as a row of bullets (review by hand)."""
    from templating import masked

    with app.test_request_context("/?lang=en"):
        shown = str(masked("Visa •••• 4242"))
    assert shown == (
        'Visa <span aria-hidden="true">•••• 4242</span>'
        '<span class="visually-hidden">ending in 4242</span>'
    )
    with app.test_request_context():
        assert str(masked("<b>")) == "&lt;b&gt;"
