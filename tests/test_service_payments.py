"""Pay invoice, Anticipate payment and Renew from My services: paid once, nothing left
behind when the charge is refused, a suspended service active again once paid."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError
from telephony.dates import add_months
from telephony.models import (
    Account,
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    RenewalMode,
    Service,
    ServiceState,
    StoredPaymentMethod,
)
from telephony.payments import PROVIDERS
from telephony.services import paying
from telephony.services.renewal import RenewalBlocked
from tests.conftest import csrf_from
from tests.factories import act_for_fr, demo_account, hidden_value, stored_card

TODAY = date(2026, 12, 2)


#: The demo's due invoice was tried once already (declined): count what succeeded.
SUCCEEDED = Payment.status == PaymentStatus.SUCCEEDED


def _service(name_start: str) -> Service:
    return db.session.scalar(select(Service).where(Service.name.startswith(name_start)))


def _declining_card(account) -> StoredPaymentMethod:
    card = StoredPaymentMethod(
        account_id=account.id,
        kind="card",
        token="tok_sbx_test_0002",
        fingerprint="declining",
        brand="visa",
        last4="0002",
        exp_month=1,
        exp_year=2031,
    )
    db.session.add(card)
    db.session.flush()
    return card


def _extend(account, service, months, method, token="form-1"):
    return paying.extend(
        account,
        service,
        months,
        method,
        token=token,
        shown=paying.extension_digest(service),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=TODAY,
    )


def test_anticipating_adds_the_period_to_the_remaining_validity(app_ctx):
    account = demo_account()
    line = _service("+33972100001")
    expiry = line.expires_on
    invoice, payment = _extend(account, line, 3, stored_card(account))
    db.session.commit()
    assert payment.status == PaymentStatus.SUCCEEDED and invoice.status == InvoiceStatus.PAID
    assert line.expires_on == add_months(expiry, 3)
    assert invoice.total_excl_vat == line.monthly_price_excl_vat * 3
    assert [(li.service_id, li.quantity) for li in invoice.lines] == [(line.id, 3)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "service.anticipated"))
    assert event.before["expires"] == expiry.isoformat() and event.after["period"] == 3


def test_the_same_form_twice_pays_once(app_ctx):
    account = demo_account()
    line = _service("+33972100001")
    _extend(account, line, 1, stored_card(account), token="same")
    db.session.commit()
    with pytest.raises(paying.AlreadyDone):
        _extend(account, line, 1, stored_card(account), token="same")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Payment.id)).where(SUCCEEDED)) == 1


def test_a_refused_charge_leaves_no_invoice_and_no_new_expiry(app_ctx):
    account = demo_account()
    line = _service("+33972100001")
    expiry = line.expires_on
    with pytest.raises(DomainError) as refused:
        _extend(account, line, 1, _declining_card(account))
    assert refused.value.field == "method" and "declined" in str(refused.value.message)
    db.session.rollback()
    assert line.expires_on == expiry
    assert (
        db.session.scalar(select(func.count(Invoice.id)).where(Invoice.request_key.is_not(None)))
        == 0
    )


def test_a_manual_service_is_renewed_and_says_so(app_ctx):
    account = demo_account()
    yearly = _service("+33972100102")
    assert yearly.renewal_mode == RenewalMode.MANUAL
    expiry = yearly.expires_on
    _extend(account, yearly, 12, stored_card(account))
    db.session.commit()
    assert yearly.expires_on == add_months(expiry, 12)
    assert db.session.scalar(
        select(AuditEvent.action).where(AuditEvent.target_id == yearly.id)
    ) == ("service.renewed")


@pytest.mark.parametrize("months", [2, "", None, "12\x00", "9" * 50])
def test_a_period_the_service_does_not_offer_is_refused(app_ctx, months):
    account = demo_account()
    with pytest.raises(DomainError) as refused:
        _extend(account, _service("+33972100001"), months, stored_card(account))
    assert refused.value.field == "period"


def test_no_anticipation_while_committed_or_while_an_invoice_is_due(app_ctx):
    account = demo_account()
    trunk = db.session.scalar(select(Service).where(Service.service_type == "trunk"))
    with pytest.raises(RenewalBlocked):
        _extend(account, trunk, 1, stored_card(account))
    with pytest.raises(RenewalBlocked):
        _extend(account, _service("+33972100101"), 1, stored_card(account))


def test_paying_the_invoice_due_reactivates_a_suspended_service(app_ctx):
    account = demo_account()
    due = _service("+33972100101")
    due.state = ServiceState.SUSPENDED
    invoice = paying.due_invoice(account, due)
    payment = paying.pay_due(
        account,
        due,
        invoice,
        stored_card(account),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=TODAY,
    )
    db.session.commit()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert due.state == ServiceState.ACTIVE and paying.due_invoice(account, due) is None
    assert db.session.scalar(
        select(AuditEvent.after).where(AuditEvent.action == "service.reactivated")
    ) == {"name": due.name, "invoice": invoice.number}


def test_paying_one_of_two_overdue_invoices_keeps_the_service_suspended(app_ctx):
    """Suspended for two unpaid invoices, one paid: it came back, though the other was
    still overdue (and the next run suspended it again, review)."""
    from datetime import timedelta

    from tests.factories import issue_invoice

    account = demo_account()
    due = _service("+33972100101")
    due.state = ServiceState.SUSPENDED
    first = paying.due_invoice(account, due)
    other = issue_invoice(account, "3.00", issued=TODAY - timedelta(days=40))
    other.lines[0].service_id = due.id
    other.on_paid = {"action": "service_paid"}  # (a services invoice)
    db.session.commit()
    assert other.due_on < TODAY and first.id < other.id
    paying.pay_due(
        account, due, first, stored_card(account), actor=None,
        provider=PROVIDERS["sandbox"], today=TODAY,
    )  # fmt: skip
    db.session.commit()
    assert due.state == ServiceState.SUSPENDED
    assert paying.due_invoice(account, due).id == other.id
    paying.pay_due(
        account, due, other, stored_card(account), actor=None,
        provider=PROVIDERS["sandbox"], today=TODAY,
    )  # fmt: skip
    db.session.commit()
    assert due.state == ServiceState.ACTIVE


def test_a_declined_invoice_payment_is_kept_and_the_invoice_stays_due(app_ctx):
    account = demo_account()
    due = _service("+33972100101")
    invoice = paying.due_invoice(account, due)
    payment = paying.pay_due(
        account,
        due,
        invoice,
        _declining_card(account),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=TODAY,
    )
    db.session.commit()
    assert payment.status == PaymentStatus.FAILED
    assert paying.due_invoice(account, due).id == invoice.id


def test_pay_invoice_through_the_page(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        due = _service("+33972100101")
        due_id, number = (
            due.id,
            paying.due_invoice(db.session.get(Account, due.account_id), due).number,
        )
    listing = client.get("/services/?lang=en&renewal=invoice_to_pay")
    assert f"/services/{due_id}/pay" in listing.text
    assert f"/services/{due_id}/renewal" not in listing.text  # the only action
    page = client.get(f"/services/{due_id}/pay")
    assert page.status_code == 200 and number in page.text
    fields = {
        "csrf_token": csrf_from(page.text),
        "invoice": page.text.split('name="invoice" type="hidden" value="')[1].split('"')[0],
    }
    refused = client.post(f"/services/{due_id}/pay", data=fields)
    assert refused.status_code == 422 and "Choose a payment method." in refused.text
    with client.application.app_context():
        card = stored_card(demo_account()).id
    paid = client.post(f"/services/{due_id}/pay", data={**fields, "method": str(card)})
    assert paid.status_code == 303
    again = client.post(f"/services/{due_id}/pay", data={**fields, "method": str(card)})
    assert again.status_code == 303  # paid meanwhile: said, not paid twice
    assert "This invoice is already paid." in client.get("/services/?lang=en").text
    with client.application.app_context():
        assert db.session.scalar(select(func.count(Payment.id)).where(SUCCEEDED)) == 1


def test_anticipate_through_the_page_as_an_agent(client, signed_in):
    act_for_fr(client, signed_in)
    with client.application.app_context():
        line = _service("+33972100001")
        line_id, expiry = line.id, line.expires_on
        card = stored_card(demo_account()).id
    page = client.get(f"/services/{line_id}/extend?lang=en")
    assert "Anticipate payment" in page.text and "new expiry" in page.text
    token = page.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    data = {
        "csrf_token": csrf_from(page.text),
        "token": token,
        "shown": hidden_value(page.text, "shown"),
        "period": "6",
        "method": str(card),
    }
    assert client.post(f"/services/{line_id}/extend", data=data).status_code == 303
    assert client.post(f"/services/{line_id}/extend", data=data).status_code == 303  # once
    # The page from another window, opened before that payment: it pays nothing.
    other = dict(data, token="another-window")
    stale = client.post(f"/services/{line_id}/extend?lang=en", data=other)
    assert stale.status_code == 422 and "has changed since the page was shown" in stale.text
    with client.application.app_context():
        assert db.session.get(Service, line_id).expires_on == add_months(expiry, 6)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "service.anticipated")
        )
        assert event.on_behalf


def test_another_accounts_method_or_service_is_refused(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        fr_line = _service("+33972100001").id
        fr_card = stored_card(demo_account()).id
        be_number = _service("+3223001100").id
    assert client.get(f"/services/{fr_line}/extend").status_code == 404
    assert client.get(f"/services/{fr_line}/pay").status_code == 404
    page = client.get(f"/services/{be_number}/extend?lang=en")
    token = page.text.split('name="token" type="hidden" value="')[1].split('"')[0]
    refused = client.post(
        f"/services/{be_number}/extend",
        data={
            "csrf_token": csrf_from(page.text),
            "token": token,
            "period": "1",
            "method": str(fr_card),
        },
    )
    assert refused.status_code == 422 and "Choose a payment method." in refused.text


def test_without_a_payment_method_there_is_no_pay_button_only_add_a_card(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        number_id = _service("+3223001100").id
    page = client.get(f"/services/{number_id}/extend?lang=en")
    assert page.status_code == 200 and "You have no payment method yet." in page.text
    assert "Pay</button>" not in page.text
    assert f"/billing/payment-methods/new-card?next=/services/{number_id}/extend" in page.text
