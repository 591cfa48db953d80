"""Porting two French numbers in a browser, as the French company (without JavaScript) and
as an agent acting for it (with): a wrong RIO refused, the right one kept, the letter
downloaded and uploaded signed, the order submitted; the losing carrier's rejection (by
the operator's command) told by SMS and e-mail, corrected and resubmitted, then
completed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from telephony import rio
from telephony.models import PortOrder, ServiceNumber, SmsMessage
from tests.browser.conftest import check_accessibility, open_account

NUMBERS = ("+33478123456", "+33977000001")


def _rio(number: str) -> str:
    return rio.rio("AB", "F", "123456", number)


def _fill_details(page, order: PortOrder, rios: dict[str, str]) -> None:
    page.get_by_label("Holder (name or company name)").fill("Boulangerie Dupré & Fils SARL")
    page.get_by_label("Contact person").fill("Camille Dupré")
    page.get_by_label("Contact's mobile number").fill("06 12 34 56 78")
    page.get_by_label("Contact's e-mail address").fill("camille@dupre.example")
    page.get_by_label("Street and number").fill("4 rue de la Paix")
    page.get_by_label("Postcode").fill("69003")
    page.get_by_label("City", exact=True).fill("Lyon")
    page.get_by_label("Carrier the numbers leave").fill("Ancien Opérateur SA")
    page.get_by_label("Account number at that carrier").fill("C-99812")
    page.get_by_label("Billing telephone number at that carrier").fill("04 78 12 34 56")
    page.get_by_label("Full: every number of that account leaves the carrier").check()
    page.get_by_label("As soon as possible").check()
    for number in order.numbers:
        page.locator(f"#rio-{number.id}").fill(rios[number.number])
    page.get_by_role("button", name="Save the details").click()


@pytest.mark.parametrize(("who", "js"), [("customer", False), ("agent", True)])
def test_port_two_french_numbers_through_a_rejection_to_completed(browser, live_server, who, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js, accept_downloads=True)
    page = context.new_page()
    open_account(page, live_server, who)
    page.goto(live_server + "/service-numbers/?lang=en")
    page.get_by_role("link", name="Port numbers in").click()
    page.get_by_label("Numbers, one per line").fill("04 78 12 34 56\n09 77 00 00 01\n0800 12")
    page.get_by_role("button", name="Check the numbers").click()
    assert "2 numbers can be ported." in page.locator(".port-check").inner_text()
    assert "Not a valid number" in page.locator(".port-check").inner_text()
    if js:
        check_accessibility(page)
    page.get_by_role("button", name="Create the order").click()
    page.wait_for_url("**/service-numbers/port/*")
    order_id = int(page.url.rsplit("/", 1)[1])
    with live_server.app.app_context():
        order = db.session.get(PortOrder, order_id)
        assert [n.number for n in order.numbers] == list(NUMBERS)
        wrong = {NUMBERS[0]: _rio(NUMBERS[1]), NUMBERS[1]: _rio(NUMBERS[1])}
        right = {number: _rio(number) for number in NUMBERS}
        _fill_details(page, order, wrong)
        summary = page.locator(".error-summary").first.inner_text()
        assert "This RIO does not match this number" in summary and "+33 4 78" in summary
        if js:
            check_accessibility(page)
        _fill_details(page, order, right)
    page.wait_for_url(f"**/service-numbers/port/{order_id}")
    assert "The details are saved." in page.locator(".flash").first.inner_text()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter of authorization (PDF)").click()
    letter = download.value.path().read_bytes()
    assert letter.startswith(b"%PDF")
    page.set_input_files(
        "#document",
        files=[{"name": "letter-signed.pdf", "mimeType": "application/pdf", "buffer": letter}],
    )
    page.get_by_label("Date on the document").fill(date.today().isoformat())
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"**/service-numbers/port/{order_id}")
    page.get_by_role("button", name="Submit the order").click()
    page.wait_for_url(f"**/service-numbers/port/{order_id}")
    assert "The order is submitted" in page.locator(".flash").first.inner_text()

    runner = live_server.app.test_cli_runner()
    for args in (
        ["processing"],
        ["rejected", "--reason", f"{NUMBERS[0]}=The RIO belongs to another holder."],
    ):
        result = runner.invoke(args=["service-numbers", "port", str(order_id), *args])
        assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        (sms,) = db.session.scalars(select(SmsMessage)).all()
        assert sms.to_number == "+33612345678" and str(order_id) in sms.body
    page.goto(live_server + f"/service-numbers/port/{order_id}")
    rows = page.locator("table.port-numbers tbody tr")
    assert "Rejected" in rows.nth(0).inner_text()  # each number where it stands
    assert "The RIO belongs to another holder." in rows.nth(0).inner_text()
    assert "Processing" in rows.nth(1).inner_text()
    if js:
        check_accessibility(page)
    page.goto(live_server + "/emails/")
    assert f"demande de portabilité {order_id} a été rejetée" in page.content()  # (in French)

    page.goto(live_server + f"/service-numbers/port/{order_id}")
    page.get_by_role("button", name="Save the details").click()  # (corrected at the carrier)
    page.get_by_role("button", name="Submit the order").click()
    page.wait_for_url(f"**/service-numbers/port/{order_id}")
    for args in (
        ["processing"],
        ["contacting_carrier"],
        ["date_confirmed", "--date", "2027-03-10"],
        ["pending"],
        ["completed"],
    ):
        result = runner.invoke(args=["service-numbers", "port", str(order_id), *args])
        assert result.exit_code == 0, result.output
    page.goto(live_server + f"/service-numbers/port/{order_id}")
    assert page.locator("table.port-numbers tbody tr").all_inner_texts()[0].count("Ported") == 1
    page.goto(live_server + "/service-numbers/")
    listing = page.locator("table.stack").inner_text()
    assert "+33 4 78 12 34 56" in listing and "+33 9 77 00 00 01" in listing
    with live_server.app.app_context():
        ported = db.session.scalars(select(ServiceNumber).where(ServiceNumber.ported)).all()
        assert sorted(n.number for n in ported) == list(NUMBERS)
    context.close()
