"""An agent's session nears its idle limit: a dialog warns, "Stay signed in" extends it without
leaving the page; then it expires, and the note the agent typed comes back after signing in
(WCAG 2.2.1; idle.py)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from telephony.models import Account, CallNote
from tests.browser.conftest import check_accessibility, sign_in


def test_the_agent_is_warned_extends_then_gets_the_note_back(page, live_server):
    # Seconds, not minutes: the rule is the same, read at each request. Six seconds between
    # the warning and the end leave time for the accessibility check on a busy machine.
    live_server.app.config.update(AGENT_IDLE_TIMEOUT=10, AGENT_IDLE_WARNING=6)
    with live_server.app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/accounts/{account_id}?lang=en")
    note = page.get_by_label("Call note").first
    note.fill("Caller asks for a second trunk")

    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=8000)
    expect(dialog).to_contain_text("you will be signed out in 1 minute")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    check_accessibility(page)
    stay.click()
    expect(dialog).to_be_hidden()
    expect(note).to_be_focused()  # back where the agent was typing
    expect(note).to_have_value("Caller asks for a second trunk")

    # Escape means "I am here" too: it asks for more time (it closed the warning and let the
    # session end without another).
    expect(dialog).to_be_visible(timeout=10_000)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(note).to_be_focused()

    # No answer this time: the session ends; the dialog is named for it, its button has
    # focus (the one that had it is hidden), and the live region says what happens next.
    expect(dialog).to_be_visible(timeout=10_000)
    ended = page.get_by_role("dialog", name="You were signed out")
    expect(ended).to_contain_text("You were signed out.", timeout=12_000)
    close = ended.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("What you typed on this page")
    close.click()
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_load_state()
    assert page.url.startswith(f"{live_server}/login")
    assert "What you were sending is kept" in page.locator("#flashes").inner_text()

    live_server.app.config.update(AGENT_IDLE_TIMEOUT=900, AGENT_IDLE_WARNING=120)
    page.get_by_label("Email").fill("agent@example.com")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/agent/accounts/{account_id}(\?lang=en)?$"))
    expect(page.get_by_label("Call note").first).to_have_value("Caller asks for a second trunk")
    assert "is back in its form below" in page.locator("#flashes").inner_text()
    check_accessibility(page)
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_load_state()
    with live_server.app.app_context():
        bodies = db.session.scalars(
            select(CallNote.body).where(CallNote.account_id == account_id)
        ).all()
    assert bodies.count("Caller asks for a second trunk") == 1


def test_a_tab_left_alone_does_not_warn_while_another_keeps_the_session(page, live_server):
    """Tab A sits on a page; tab B is used. Before warning, A asks the server how long is
    left (asking is no activity): no warning, no "You were signed out" while B is busy."""
    # B comes back every second or so (a page load, then a second's wait). The server counts
    # whole seconds, up to one off: A warns no sooner than 4 seconds after B's last visit.
    # (Warning 4 seconds before a 6-second limit could come 1 second after it: flaky.)
    live_server.app.config.update(AGENT_IDLE_TIMEOUT=8, AGENT_IDLE_WARNING=3)
    try:
        sign_in(page, live_server, "agent@example.com")
        page.goto(f"{live_server}/agent/?lang=en")
        busy = page.context.new_page()
        for _ in range(11):  # eleven seconds: past the warning and the end, had A not asked
            busy.goto(f"{live_server}/agent/?lang=en")
            busy.wait_for_timeout(1000)
            assert not page.locator("#idle-dialog").is_visible()
        busy.close()
        # Then nothing keeps it: A warns, then says it ended.
        expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible(
            timeout=10_000
        )
        expect(page.get_by_role("dialog", name="You were signed out")).to_be_visible(timeout=12_000)
    finally:
        live_server.app.config.update(AGENT_IDLE_TIMEOUT=900, AGENT_IDLE_WARNING=120)
