"""Offer changes in the browser, as the French demo company, then the renewal run."""

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from telephony.billing import run_renewal
from tests.browser.conftest import check_accessibility, open_account


def _line_url(page, live_server, number):
    page.goto(f"{live_server}/lines/?lang=en")
    page.get_by_role("link", name=number).click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("javascript", "who"),
    [(True, "customer"), (False, "customer"), (True, "agent")],
    ids=["js", "nojs", "agent"],
)
def test_change_offer_of_one_line_and_cancel(request, live_server, javascript, who):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    open_account(page, live_server, who)
    _line_url(page, live_server, "+33 9 72 10 00 03")
    page.get_by_role("link", name="Change offer").click()
    page.wait_for_load_state()
    if javascript:
        check_accessibility(page)
    page.get_by_label(re.compile("Entreprise")).check()
    if javascript:  # htmx fills the summary in place
        summary = page.locator("#offer-summary")
        summary.get_by_text(re.compile("incl. VAT a month")).wait_for()
        expect(page.locator("#announcer")).to_contain_text("incl. VAT a month")
    page.get_by_role("button", name="Confirm the offer change").click()
    page.wait_for_load_state()
    assert "The offer change is scheduled for" in page.locator("#flashes").inner_text()
    assert "Offer change" in page.locator("main").inner_text()
    if javascript:
        check_accessibility(page)
    page.get_by_role("button", name="Cancel offer change").click()
    page.wait_for_load_state()
    assert "The request is cancelled." in page.locator("#flashes").inner_text()
    assert "No change is pending on this line." in page.locator("main").inner_text()


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_apply_to_several_lines_then_renewal(page, live_server, who):
    open_account(page, live_server, who)
    page.goto(f"{live_server}/lines/?lang=en")
    page.get_by_role("link", name="Apply to several lines").click()
    # The page's scripts first: a choice made before htmx is ready loads nothing.
    page.wait_for_load_state()
    page.get_by_label("New offer").select_option(label="Entreprise")
    rows = page.locator("#bulk-lines tbody tr")
    rows.first.wait_for()  # htmx loads the lines when the offer is chosen
    assert rows.count() == 7
    assert page.get_by_text("A trunk has no offer change.").count() == 1
    check_accessibility(page)
    page.get_by_label("+33 9 72 10 00 03").check()
    page.locator("#bulk-count").get_by_text("1 line chosen").wait_for()
    expect(page.locator("#announcer")).to_have_text("1 line chosen")  # said, too
    page.get_by_label("+33 9 72 10 00 04").check()
    page.locator("#bulk-count").get_by_text("2 lines chosen").wait_for()
    page.get_by_role("button", name="Apply to the chosen lines").click()
    page.wait_for_load_state()
    assert page.url.endswith("/lines/requests")
    assert page.locator("tbody tr").count() == 2
    check_accessibility(page)
    with live_server.app.app_context():
        from telephony.models import ScheduledTask

        day = db.session.query(ScheduledTask).first().execute_on
        assert len(run_renewal(day).done) == 2
        assert run_renewal(day).done == []
    page.goto(f"{live_server}/lines/requests")
    assert page.get_by_text("No request is pending.").count() == 1
    page.goto(f"{live_server}/lines/")
    row = page.locator("#line-list tbody tr", has_text="+33 9 72 10 00 04")
    assert "Entreprise" in row.inner_text()
