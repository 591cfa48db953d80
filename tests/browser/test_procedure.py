"""The validation procedure in the browser: each demo customer fills the form (with and
without JavaScript) and downloads the PDF; the agent validates it, and the alias-to-line
conversion that waited for it runs at the renewal."""

import pdfplumber
import pytest
from sqlalchemy import select

from extensions import db
from telephony import lifecycle
from telephony.billing import run_renewal
from telephony.models import Account, AliasNumber, ScheduledTask, TaskStatus
from tests.browser.conftest import act_for, check_accessibility, sign_in
from tests.browser.support import CUSTOMERS, fill_procedure


@pytest.mark.parametrize("who", list(CUSTOMERS))
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_customer_fills_the_form_and_downloads_the_pdf(request, live_server, who, javascript):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    email, iban, currency, kind, organisation_id = CUSTOMERS[who]
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/procedure/?lang=en")
    if javascript:
        check_accessibility(page)
        # Inline check: a wrong IBAN is reported beside the field as soon as it changes.
        page.get_by_label("IBAN", exact=True).fill(iban[:-1] + "0")
        page.get_by_label("IBAN", exact=True).blur()
        page.locator("#iban-error").wait_for()
        assert "check digits" in page.locator("#iban-error").inner_text()
    else:
        # Without JavaScript the same message comes with the submitted page.
        page.get_by_label("IBAN", exact=True).fill(iban[:-1] + "0")
        page.get_by_role("button", name="Create the document").click()
        page.wait_for_load_state()
        assert "check digits" in page.locator("#iban-error").inner_text()
        assert page.locator("#error-summary").is_visible()
    fill_procedure(page, iban, currency, kind, organisation_id)
    page.get_by_role("button", name="Create the document").click()
    page.wait_for_load_state()
    assert "Waiting for your documents" in page.locator(".procedure-status").inner_text()
    if javascript:
        check_accessibility(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    with pdfplumber.open(download.value.path()) as pdf:
        text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Jürg Müller-Schärer" in " ".join(text.split())
    page.goto(f"{live_server}/emails/?lang=en")
    assert page.get_by_role("link", name="Download the attachment").count() == 1
    if javascript:
        check_accessibility(page)


def test_agent_validates_and_the_waiting_conversion_runs(page, live_server):
    app = live_server.app
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
        alias = db.session.scalar(select(AliasNumber).where(AliasNumber.number == "+3223001100"))
        offer = lifecycle.line_offers(account)[0]
        task = lifecycle.request_to_line(
            account, alias, offer.id, contracts_accepted=True, actor=None
        )
        db.session.commit()
        task_id, day = task.id, task.execute_on
        assert run_renewal(day).waiting
        db.session.remove()

    sign_in(page, live_server, "demo-be@example.com")
    page.goto(f"{live_server}/procedure/?lang=en")
    assert "1 order waits for this procedure" in page.content()
    email, iban, currency, kind, organisation_id = CUSTOMERS["be"]
    fill_procedure(page, iban, currency, kind, organisation_id)
    page.get_by_role("button", name="Create the document").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_load_state()

    act_for(page, live_server, "vt20002-b", "Documents arrived by e-mail")
    page.goto(f"{live_server}/procedure/manage?lang=en")
    check_accessibility(page)
    assert "7034" in page.content() and "BE68 5390" not in page.content()
    page.get_by_label("Validated").check()
    page.get_by_role("button", name="Change the status").click()
    page.wait_for_load_state()
    assert "The procedure is now: Validated." in page.content()

    with app.app_context():
        assert run_renewal(day).done == [task_id]
        assert db.session.get(ScheduledTask, task_id).status == TaskStatus.DONE
        db.session.remove()
