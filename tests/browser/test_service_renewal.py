"""Configure renewal and payment methods in a browser, as the French company and as an
agent acting for it, with JavaScript (the next debits follow each choice in place) and
without (the choice is shown with its button, then confirmed)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_accessibility, open_account


@pytest.mark.parametrize("who", ["customer", "agent"])
@pytest.mark.parametrize("js", [True, False])
def test_configure_renewal_both_ways_and_see_the_next_debits(browser, live_server, who, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, who)
    page.goto(live_server + "/services/?lang=en&type=fax_line")
    page.get_by_role("link", name="Configure renewal").first.click()
    page.wait_for_url("**/renewal")
    assert "Manual renewal" in page.locator(".facts").inner_text()

    page.get_by_label("Automatic renewal").check()
    page.get_by_label("Period").select_option("3")
    if not js:
        page.get_by_role("button", name="Show what it means").click()
    debits = page.locator("table.debits tbody tr")
    debits.nth(2).wait_for()
    assert debits.count() == 3 and "Visa" in page.locator("#renewal-preview").inner_text()
    if js:
        assert "The next debits are updated." in page.locator("#announcer").inner_text()
        check_accessibility(page)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/services/")
    assert "is saved" in page.locator(".flash").first.inner_text()

    page.goto(live_server + "/services/?lang=en&type=fax_line")
    row = page.locator("table.services tbody tr").first
    assert "Automatic renewal" in row.inner_text() and "Every 3 months" in row.inner_text()

    row.get_by_role("link", name="Configure renewal").click()  # and back to manual
    page.get_by_label("Manual renewal").check()
    if not js:
        page.get_by_role("button", name="Show what it means").click()
    page.get_by_text("renew it before").wait_for()
    assert page.locator("table.debits").count() == 0
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/services/")
    page.goto(live_server + "/services/?lang=en&type=fax_line")
    assert "Manual renewal" in page.locator("table.services tbody tr").first.inner_text()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_automatic_renewal_without_a_method_leads_to_adding_a_card_and_back(
    browser, live_server, js
):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, "customer")
    page.goto(live_server + "/billing/payment-methods?lang=en")
    for _ in range(2):  # remove both demo cards: the default asks which one replaces it
        page.get_by_role("link", name="Remove").first.click()
        replacement = page.locator("input[name=new_default]")
        if replacement.count():
            replacement.first.check()
        page.get_by_role("button", name="Remove").click()
        page.wait_for_url("**/billing/payment-methods")
    assert "You have no payment method yet." in page.content()

    page.goto(live_server + "/services/?lang=en&type=fax_line")
    page.get_by_role("link", name="Configure renewal").first.click()
    page.get_by_label("Automatic renewal").check()
    if not js:
        page.get_by_role("button", name="Show what it means").click()
    page.get_by_role("link", name="Add a payment method").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date").fill("08/31")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Add the card").click()
    page.wait_for_url("**/renewal?mode=automatic**")  # back where it asked
    assert "Visa" in page.locator("#renewal-preview").inner_text()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/services/")
    context.close()


@pytest.mark.parametrize("who", ["customer", "agent"])
@pytest.mark.parametrize("js", [True, False])
def test_pay_the_invoice_due_then_anticipate_and_see_the_new_expiry(browser, live_server, who, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, who)
    page.goto(live_server + "/services/?lang=en&renewal=invoice_to_pay")
    page.get_by_role("link", name="Pay invoice").first.click()
    page.wait_for_url("**/pay")
    if js:
        check_accessibility(page)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/services/")
    assert "is paid" in page.locator(".flash").first.inner_text()
    page.goto(live_server + "/services/?lang=en&q=09+72+10+01+01")
    row = page.locator("table.services tbody tr").first
    assert "Automatic renewal" in row.inner_text()

    row.get_by_role("link", name="Anticipate payment").click()
    page.wait_for_url("**/extend")
    option = page.get_by_label("3 months", exact=False)
    new_expiry = option.locator("xpath=..").inner_text().split("new expiry ")[1].strip()
    option.check()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/services/")
    assert new_expiry in page.locator(".flash").first.inner_text()
    context.close()
