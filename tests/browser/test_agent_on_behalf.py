"""A support agent acts for the French demo company: finds it, states a reason, uses the
customer's own screens; the customer then sees the changes and the audit names the agent."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from telephony.models import AuditEvent, ScheduledTask, User
from tests.browser.conftest import check_accessibility, sign_in


def test_agent_changes_an_offer_and_terminates_a_line_for_the_customer(page, browser, live_server):
    sign_in(page, live_server, "agent@example.com")
    page.goto(f"{live_server}/agent/?lang=en")
    # The caller gives the number of the workshop line, in national format.
    page.get_by_label("Find an account by account id, name, e-mail or phone number").fill(
        "09 72 10 00 03"
    )
    page.wait_for_url(re.compile(r"q=09"))
    assert page.locator("#account-results tbody tr").count() == 1
    page.get_by_role("link", name="vt10001-f").click()
    page.wait_for_load_state()
    check_accessibility(page)
    page.get_by_role("button", name="Open the customer's pages").click()
    page.wait_for_load_state()
    assert "Say why you act for this customer." in page.locator("main").inner_text()
    page.get_by_label("Reason for acting on the customer's behalf").fill(
        "Caller asked to upgrade the workshop line"
    )
    page.get_by_role("button", name="Open the customer's pages").click()
    page.wait_for_load_state()
    banner = page.locator(".agent-banner")
    assert "Viewing Boulangerie Dupré & Fils SARL (vt10001-f) as agent." in banner.inner_text()
    check_accessibility(page)

    page.get_by_role("link", name="+33 9 72 10 00 03").click()
    page.get_by_role("link", name="Change offer").click()
    page.get_by_label(re.compile("Entreprise")).check()
    page.get_by_role("button", name="Confirm the offer change").click()
    page.wait_for_load_state()
    assert "Offer change" in page.locator("main").inner_text()

    page.get_by_role("link", name="Lines and numbers").first.click()
    page.get_by_role("link", name="+33 9 72 10 00 04").click()
    page.get_by_role("link", name="Terminate").click()
    page.get_by_label("Moving").check()
    page.get_by_role("button", name="Terminate").click()
    page.wait_for_load_state()
    assert "The termination is scheduled for" in page.locator("#flashes").inner_text()
    page.get_by_role("button", name="Stop acting for this customer").click()
    page.wait_for_load_state()
    assert page.url.endswith("/agent/")

    # The account's timeline names the agent; a note about the call goes with it.
    page.get_by_label("Find an account by account id, name, e-mail or phone number").fill(
        "0033972100003"
    )
    page.wait_for_url(re.compile(r"q=0033"))
    page.get_by_role("link", name="vt10001-f").click()
    page.get_by_label("Call note").first.fill("Upgraded the workshop line, moved out of Livraisons")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_load_state()
    timeline = page.locator("#timeline")
    assert "Upgraded the workshop line" in timeline.inner_text()
    assert "Request scheduled · Sam Agent · on the customer's behalf" in timeline.inner_text()
    check_accessibility(page)
    page.get_by_role("checkbox", name="Call notes").uncheck()
    page.wait_for_url(re.compile(r"kind=change"))
    expect(page.locator("#timeline")).not_to_contain_text("Upgraded the workshop")
    assert "Request scheduled" in page.locator("#timeline").inner_text()

    # The customer sees both pending changes.
    context = browser.new_context(locale="en-US")
    customer = context.new_page()
    sign_in(customer, live_server, "demo-fr@example.com")
    customer.goto(f"{live_server}/lines/requests?lang=en")
    rows = customer.locator("tbody tr")
    assert rows.count() == 2
    text = customer.locator("tbody").inner_text()
    assert "Offer change" in text and "Termination" in text
    context.close()

    with live_server.app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        tasks = db.session.scalars(select(ScheduledTask)).all()
        assert {(t.created_by_id, t.on_behalf) for t in tasks} == {(agent.id, True)}
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "task.scheduled")
        ).all()
        assert events and all(e.actor_id == agent.id and e.on_behalf for e in events)
        assert all(e.reason == "Caller asked to upgrade the workshop line" for e in events)
