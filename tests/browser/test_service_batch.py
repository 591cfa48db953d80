"""Batch actions of My services in a browser, as the French company and as an agent acting
for it, with and without JavaScript: select rows, preview by outcome, confirm."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_accessibility, open_account


@pytest.mark.parametrize("who", ["customer", "agent"])
@pytest.mark.parametrize("js", [True, False])
def test_batch_disable_automatic_payment_with_an_ineligible_service_reported(
    browser, live_server, who, js
):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, who)
    page.goto(live_server + "/services/?lang=en&type=alias_number")
    page.get_by_label("Select +33 9 72 10 01 00").check()
    page.goto(live_server + "/services/?lang=en&q=Accueil")  # another page: a new selection
    page.goto(live_server + "/services/?lang=en")
    page.get_by_label("Select +33 9 72 10 01 00").check()  # an alias number: will change
    page.get_by_label("Select +33 9 72 10 00 01 – Accueil").check()  # a line: not eligible
    page.get_by_label("With the selected services").select_option("disable_auto")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/services/batch**")
    assert page.get_by_role("heading", name="Will change (1)").is_visible()
    assert page.get_by_role("heading", name="Type not eligible (1)").is_visible()
    if js:
        check_accessibility(page)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/services/")
    assert "Automatic payment disabled for 1 service." in page.locator(".flash").first.inner_text()
    page.goto(live_server + "/services/?lang=en&q=09+72+10+01+00")
    assert "Manual renewal" in page.locator("table.services tbody tr").first.inner_text()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_align_the_renewal_dates_and_see_the_prorated_invoice(browser, live_server, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, "customer")
    page.goto(live_server + "/services/?lang=en")
    page.get_by_label("Select +33 9 72 10 01 00").check()
    page.get_by_label("Select +33 9 72 10 00 01 – Accueil").check()
    page.get_by_label("With the selected services").select_option("align")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Renewal day of the month").select_option("15")
    page.get_by_role("button", name="Show the amounts").click()
    page.wait_for_url("**day=15**")
    rows = page.locator("table.alignments tbody tr")
    assert rows.count() == 2 and "15" in rows.first.inner_text()
    total = page.locator("table.alignments tfoot td").inner_text()
    if js:
        check_accessibility(page)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/services/")
    assert "2 services aligned" in page.locator(".flash").first.inner_text()
    page.goto(live_server + "/services/?lang=en&q=Accueil")
    assert "15" in page.locator("table.services tbody tr").first.inner_text()
    assert total.strip()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_flask_renew_across_an_expiry_sends_the_reminder_suspension_and_deletion(
    browser, live_server, js
):
    """The fax line renews by hand and is not renewed: `flask renew` run 40 days before, on
    and 30 days after its expiry; the customer reads each e-mail on Service e-mails, and
    sees the service suspended, then terminated, on My services."""
    from datetime import timedelta

    from sqlalchemy import select

    from extensions import db
    from telephony.models import Service

    with live_server.app.app_context():
        fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
        expiry = fax.expires_on
        db.session.remove()
    runner = live_server.app.test_cli_runner()
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, "customer")
    for day, subject, state in [
        (expiry - timedelta(days=40), "renouvelez +33 9 72 10 00 20", "Active"),
        (expiry, "+33 9 72 10 00 20 – Fax commandes est suspendu", "Suspended"),
        (
            expiry + timedelta(days=30),
            "+33 9 72 10 00 20 – Fax commandes est supprimé",
            "Terminated",
        ),
    ]:
        result = runner.invoke(args=["renew", "--date", day.isoformat()])
        assert result.exit_code == 0, result.output
        page.goto(live_server + "/emails/?lang=en")
        # (Numbers are written with no-break spaces: never cut in two.)
        assert subject in page.locator("main").inner_text().replace("\u00a0", " ")
        page.goto(live_server + "/services/?lang=en&type=fax_line")
        assert state in page.locator("table.services tbody tr").first.inner_text()
    context.close()
