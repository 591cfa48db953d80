"""The FAQ in a real browser: search with a typo in French and in Dutch, with JavaScript on
(live results) and off (the form), open the answer, follow it to the site's screen; axe on
every FAQ page; the agents' panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, sign_in

CASES = [
    # locale, query with a typo, expected answer, its "go to" link, the search button
    (
        "fr_FR",
        "renvoie d'apel",
        "call-forwarding",
        "Aller à\u00a0: Lignes et numéros",
        "Rechercher",
    ),
    ("nl_BE", "doorschakkelen", "call-forwarding", "Ga naar: Lijnen en nummers", "Zoeken"),
]


@pytest.mark.parametrize(("locale", "query", "slug", "go_to", "search"), CASES)
def test_live_search_with_a_typo_then_the_answer_then_the_screen(
    page, live_server, locale, query, slug, go_to, search
):
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/faq?lang={locale}")
    check_accessibility(page)
    page.locator("#faq-q").press_sequentially(query, delay=20)
    result = page.locator(f'#faq-results a[href^="/faq/{slug}"]').first
    result.wait_for()
    page.wait_for_url(re.compile(r"[?&]q="))  # the URL follows the search
    assert page.locator("#faq-status").inner_text() != ""
    assert page.locator("#faq-results mark").count() > 0
    # The tab says what was searched, as a page loaded with the query does (it kept the
    # list's title, review by hand).
    expect(page).to_have_title(re.compile(re.escape(query) + " · Velora Telecom$"))
    check_accessibility(page)
    result.click()
    page.wait_for_url(re.compile(f"/faq/{slug}"))
    check_accessibility(page)
    page.get_by_role("button", name=re.compile("^(Oui|Ja)$")).click()
    page.locator("#faq-feedback [role=status]").wait_for()
    page.get_by_role("link", name=go_to).click()
    page.wait_for_url(re.compile(r"/lines/$"))


@pytest.mark.parametrize(("locale", "query", "slug", "go_to", "search"), CASES)
def test_search_without_javascript(nojs_page, live_server, locale, query, slug, go_to, search):
    page = nojs_page
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/faq?lang={locale}")
    page.locator("#faq-q").fill(query)
    page.get_by_role("button", name=search, exact=True).first.click()
    page.wait_for_url(re.compile(r"[?&]q="))
    page.locator(f'#faq-results a[href^="/faq/{slug}"]').first.click()
    page.wait_for_url(re.compile(f"/faq/{slug}"))
    page.get_by_role("link", name=go_to).click()
    page.wait_for_url(re.compile(r"/lines/$"))


def test_agent_panel_in_the_console(page, live_server):
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/?lang=en")
    page.get_by_label("Search the FAQ").press_sequentially("voicemial", delay=20)
    page.locator("#faq-copy-en-voicemail").wait_for()
    assert "123" in page.locator("#faq-copy-en-voicemail").input_value()
    assert page.get_by_role("button", name="Copy the answer").first.is_visible()
    check_accessibility(page)


def test_agent_panel_on_an_account_without_javascript(nojs_page, live_server):
    """The panel's form comes back to the account, with the answers in the agent's
    language and in the customer's."""
    page = nojs_page
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/?q=vt10001-f&lang=en")
    page.get_by_role("link", name="vt10001-f").click()
    account_url = page.url.split("?")[0]
    page.get_by_label("Search the FAQ").fill("voicemail")
    page.locator(".faq-panel button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.startswith(account_url + "?")
    assert page.locator("#faq-copy-en-voicemail").count() == 1
    french = page.locator(".faq-panel-group[lang=fr-FR]")
    assert "In the customer's language: français (France)" in french.inner_text()
    assert page.locator("#timeline").count() == 1  # still the account's page


def test_an_anonymous_visitor_votes_from_a_cacheable_answer(page, nojs_page, live_server):
    """The answer page of a visitor without a session has no form (and sets no cookie): with
    JavaScript the vote's form comes in when that part shows; without, a link leads to it."""
    page.context.clear_cookies()
    response = page.goto(f"{live_server}/faq/voicemail")
    assert "set-cookie" not in response.headers and "public" in response.headers["cache-control"]
    # The part is replaced by its form when it shows (htmx, `revealed`): scroll the window,
    # not to an element that may be swapped meanwhile, then wait for the form's button.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.get_by_role("button", name="Yes").click()
    page.locator("#faq-feedback [role=status]").wait_for()
    check_accessibility(page)

    nojs_page.goto(f"{live_server}/faq/voicemail")
    nojs_page.get_by_role("link", name="Give your opinion on this answer").click()
    nojs_page.wait_for_url(re.compile(r"/faq/voicemail/feedback$"))
    nojs_page.get_by_role("button", name="No").click()
    nojs_page.wait_for_url(re.compile(r"/faq/voicemail#faq-feedback$"))  # back at the vote
    assert "Thank you" in nojs_page.locator("#faq-feedback").inner_text()
