"""Ordering a new line in the browser: the French demo company, whose validation procedure is
not validated, orders a line; the order waits; the customer fills the procedure, an agent
validates it, and the daily run creates the line the customer then finds. And the billing
contact screen: an inline error, then the change and the new procedure it requires."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from telephony.billing import run_renewal
from telephony.models import ScheduledTask, TaskStatus
from tests.browser.conftest import act_for, check_accessibility, sign_in
from tests.browser.support import CUSTOMERS, fill_procedure


def test_a_new_line_waits_for_the_procedure_then_appears(page, browser, live_server):
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/lines/?lang=en")
    page.locator("main").get_by_role("link", name="Order a line").click()
    page.wait_for_load_state()
    check_accessibility(page)
    assert "not validated yet" in page.locator("main").inner_text()
    page.get_by_label(re.compile("Entreprise")).check()
    # htmx brings the price of the chosen offer.
    # (A locator, not wait_for_function: its string is eval'd, which the CSP refuses.)
    expect(page.locator("#offer-summary")).to_contain_text("Entreprise:")
    assert "€11.99 incl. VAT a month" in page.locator("#offer-summary").inner_text()
    page.get_by_role("button", name="Order the line").click()
    page.wait_for_load_state()
    # The contracts were not accepted: the summary says so and nothing is ordered.
    assert "Accept the contracts to order the line." in page.locator("#error-summary").inner_text()
    page.get_by_label("Label (optional)").fill("Boutique")
    page.get_by_label("I accept the contracts of the chosen offer").check()
    page.get_by_role("button", name="Order the line").click()
    page.wait_for_load_state()
    main = page.locator("main")
    assert "The order is placed. It waits for the validation procedure" in main.inner_text()
    assert "Waiting for the validation procedure" in main.inner_text()
    assert "Boutique" in main.inner_text()
    check_accessibility(page)
    order_url = page.url

    # What to do: the procedure page, where the order is listed as waiting.
    page.get_by_role("link", name="Go to the validation procedure").click()
    page.wait_for_load_state()
    assert "1 order waits for this procedure" in page.locator("main").inner_text()
    _email, iban, currency, kind, organisation_id = CUSTOMERS["fr"]
    fill_procedure(page, iban, currency, kind, organisation_id)
    page.get_by_role("button", name="Create the document").click()
    page.wait_for_load_state()
    assert "Waiting for your documents" in page.locator(".procedure-status").inner_text()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_load_state()

    # The documents arrived: an agent validates the procedure for the customer.
    act_for(page, live_server, "vt10001-f", "Documents arrived by post")
    page.goto(f"{live_server}/procedure/manage?lang=en")
    page.get_by_label("Validated").check()
    page.get_by_role("button", name="Change the status").click()
    page.wait_for_load_state()
    assert "The procedure is now: Validated." in page.content()

    # The next daily run creates the line.
    with live_server.app.app_context():
        task = db.session.scalar(select(ScheduledTask).where(ScheduledTask.action == "order_line"))
        assert run_renewal(task.execute_on).done == [task.id]
        assert db.session.get(ScheduledTask, task.id).status == TaskStatus.DONE
        db.session.remove()

    context = browser.new_context(locale="en-US")
    customer = context.new_page()
    sign_in(customer, live_server, "demo-fr@example.com")
    customer.goto(f"{order_url}?lang=en")
    assert "Lines on order" not in customer.content()
    number = customer.get_by_role("link", name=re.compile(r"^\+33 9 72 30"))
    assert "The line is ready" in customer.locator("main").inner_text()
    check_accessibility(customer)
    number.click()
    customer.wait_for_load_state()
    assert "Boutique" in customer.locator("main").inner_text()
    assert "Entreprise" in customer.locator("main").inner_text()
    customer.goto(f"{live_server}/lines/?lang=en")
    assert "Boutique" in customer.locator("#line-list").inner_text()
    context.close()


def test_the_billing_contact_changes_and_a_new_procedure_is_required(page, live_server):
    sign_in(page, live_server, "demo-be@example.com")
    page.goto(f"{live_server}/procedure/billing-contact?lang=en")
    check_accessibility(page)
    email = page.get_by_label("E-mail address of the billing contact")
    email.fill("kas@groenefiets")
    email.blur()
    page.locator("#contact_email-error").wait_for()
    assert "name@example.com" in page.locator("#contact_email-error").inner_text()
    email.fill("kas@groenefiets.example")
    page.get_by_label("Name of the billing contact").fill("Jan Janssens")
    page.get_by_role("button", name="Change the billing contact").click()
    page.wait_for_load_state()
    main = page.locator("main")
    assert "The billing contact is changed" in main.inner_text()
    assert "A new validation procedure is required since the change" in main.inner_text()
    assert "kas@groenefiets.example" in main.inner_text()
    check_accessibility(page)
    page.get_by_role("link", name="Go to the validation procedure").click()
    page.wait_for_load_state()
    assert "A change of billing contact" in page.locator(".procedure-status").inner_text()
    page.goto(f"{live_server}/emails/?lang=en")
    # Written in the customer's language (Dutch): the procedure awaited, sent to the new
    # address, and the notice of the change, sent to the former one.
    emails = page.locator("main").inner_text()
    assert "facturatiecontact" in emails
    assert "Sent to kas@groenefiets.example" in emails
    assert "Sent to penning@groenefiets.example" in emails
