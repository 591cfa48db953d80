"""Pages: layout, security headers, htmx blocks, paging in SQL with constant queries."""

import re

from sqlalchemy import select, update

from extensions import db
from telephony.demo import create_scale_account
from telephony.models import Account, Line, User
from tests.factories import demo_account


def test_dashboard_lists_the_fr_company_lines_and_numbers(signed_in):
    html = signed_in("fr").get("/lines/?lang=en").get_data(as_text=True)
    assert "Lines and numbers" in html
    assert "+33 9 72 10 00 01" in html  # formatted number
    assert "Trunk" in html and "Fax line" in html
    assert "Plug &amp; Phone" in html or "Plug & Phone Cisco SPA504G" in html
    assert "+33 1 84 80 00 10" in html  # a pool number
    assert "vt10001-f-1" in html
    # French prices in EUR, formatted for English here.
    assert "€9.99" in html


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
        email = db.session.scalar(select(User.email).join(Account).where(Account.code == code))
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
