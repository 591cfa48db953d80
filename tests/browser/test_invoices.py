"""The invoices page in a browser: paying the balance with and without JavaScript, and a
ZIP of a period that appears by itself when the worker has built it (htmx polling), or
after Refresh without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from documents.invoice import invoice_pdf
from extensions import db
from telephony.invoicing.archives import build_queued
from tests.browser.conftest import check_accessibility, open_account


@pytest.mark.parametrize("js", [True, False])
def test_pay_the_balance(browser, live_server, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, "customer")
    page.goto(live_server + "/billing/invoices?lang=en")
    assert "Balance due: €1.20" in page.locator(".balance").inner_text()
    page.get_by_role("button", name="Pay the balance").click()
    page.wait_for_url("**/billing/invoices/pay-balance**")
    # The default, offered (said "ending in 4242": the bullets are not read out).
    default = page.get_by_role("radio", name=re.compile(r"^Visa ending in 4242\s*Default"))
    assert default.is_checked()
    if js:
        check_accessibility(page)
    page.get_by_role("button", name="Pay €1.20").click()
    page.wait_for_url("**/billing/invoices")
    assert "your balance is paid" in page.locator(".flash").first.inner_text()
    assert "Nothing is due" in page.content()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_a_zip_of_a_period_is_offered_when_ready(browser, live_server, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, "customer")
    page.goto(live_server + "/billing/invoices?lang=en")
    page.get_by_role("button", name="Prepare a ZIP of these PDFs").click()
    page.wait_for_url("**/billing/invoices#invoice-archives")
    assert "Being prepared" in page.locator("#invoice-archives").inner_text()
    with live_server.app.app_context():  # the worker, elsewhere
        assert build_queued(invoice_pdf) == (1, 0)
        db.session.remove()
    if js:  # the block asks again by itself, and says so in the live region
        page.get_by_role("link", name="Download the ZIP").wait_for(timeout=15_000)
        assert "Your ZIP is ready." in page.locator("#announcer").inner_text()
        check_accessibility(page)
    else:
        page.get_by_role("button", name="Refresh").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the ZIP").click()
    assert download.value.suggested_filename.endswith(".zip")
    if js:  # another ZIP being prepared: the list is redrawn every 4 s around the ready one
        page.get_by_role("button", name="Prepare a ZIP of these PDFs").click()
        page.wait_for_url("**/billing/invoices#invoice-archives")
        ready = page.get_by_role("link", name="Download the ZIP")
        ready.focus()
        with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
            pass
        page.wait_for_timeout(300)  # swapped and settled
        expect(ready).to_be_focused()  # not thrown to the page's start
    context.close()
