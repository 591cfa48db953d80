"""What htmx changes is said to screen readers (the polite live region #announcer, filled out
of band) and focus stays with the user: when the control they used is replaced, focus moves
to the new content, never to the page's start (WCAG 4.1.3, 2.4.3)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from telephony.models import Account
from tests.browser.conftest import sign_in


def _focused(page) -> str:
    return page.evaluate(
        "() => document.activeElement.tagName + '#' + document.activeElement.id"
        " + '.' + document.activeElement.className"
    )


def test_agent_search_results_are_announced(page, live_server):
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/?lang=en")
    announcer = page.locator("#announcer")
    expect(announcer).to_have_attribute("role", "status")
    page.get_by_label("Find an account by account id, name, e-mail or phone number").fill(
        "09 72 10 00 03"
    )
    expect(announcer).to_have_text("1 account")
    page.get_by_label("Find an account by account id, name, e-mail or phone number").fill(
        "no such caller"
    )
    expect(announcer).to_have_text("No account matches this search.")
    expect(page.locator("#account-search")).to_be_focused()  # still typing


def test_the_timelines_next_page_takes_focus(page, live_server, monkeypatch):
    import blueprints.agent.routes

    monkeypatch.setattr(blueprints.agent.routes, "TIMELINE_SIZE", 2)
    from telephony import support
    from telephony.models import User

    with live_server.app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        for number in range(3):
            support.add_note(agent, account, f"Call {number}")
        db.session.commit()
        account_id = account.id
        db.session.remove()
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/accounts/{account_id}?lang=en")
    page.locator("#timeline").get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("#timeline ol")).to_be_focused()
    page.keyboard.press("Tab")  # on into the timeline's next control, not the footer
    inside = "() => document.getElementById('timeline').contains(document.activeElement)"
    assert page.evaluate(inside)


def test_faq_feedback_keeps_focus_on_the_answer(page, live_server):
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/faq/call-forwarding?lang=en")
    page.get_by_role("button", name="Yes").click()
    thanks = page.locator("#faq-feedback [role=status]")
    expect(thanks).to_be_focused()
    expect(thanks).to_contain_text("Thank you")


def test_an_inline_check_error_is_announced(page, live_server):
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/procedure/?lang=en")
    iban = page.get_by_label("IBAN", exact=True)
    iban.fill("FR7630006000011234567890180")
    iban.press("Tab")
    page.locator("#iban-error").wait_for()
    expect(page.locator("#announcer")).to_contain_text("IBAN: ")
    expect(page.locator("#announcer")).to_contain_text("check digits")
