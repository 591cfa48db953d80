"""Payment methods: cards kept by the provider (a token, never the number), the SEPA mandate
of a validated procedure, one default held by the database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony import DomainError, NotFound, payment_methods
from telephony import procedure as procedures
from telephony.models import (
    AuditEvent,
    PaymentMethod,
    ProcedureStatus,
    StoredPaymentMethod,
)
from telephony.payments import PROVIDERS, SandboxProvider, card_brand
from tests.conftest import csrf_from
from tests.factories import DETAILS, demo_account

TODAY = date(2026, 12, 2)


def _methods(account) -> list[tuple[str, bool]]:
    return [(m.last4, m.is_default) for m in payment_methods.list_methods(account)]


def _add(account, number="4000 0566 5566 5556", month=8, year=2029, default=False):
    return payment_methods.add_card(
        account,
        number=number,
        exp_month=month,
        exp_year=year,
        make_default=default,
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=TODAY,
    )


def test_the_sandbox_keeps_a_card_as_a_token_and_charges_it_by_the_same_rules():
    provider = SandboxProvider()
    kept = provider.tokenize_card(number="4242 4242 4242 4242", exp_month=1, exp_year=2030)
    assert kept.token.startswith("tok_sbx_") and "4242424242424242" not in kept.token
    assert (kept.brand, kept.last4) == ("visa", "4242")
    assert provider.tokenize_card(number="4242 4242 4242 4241", exp_month=1, exp_year=2030) == (
        type(kept)(failure_reason="invalid_card")  # Luhn
    )
    refused = provider.tokenize_card(number="4000000000000002", exp_month=1, exp_year=2030)
    assert refused.failure_reason == "card_declined"
    charge = dict(amount=1, currency="EUR", method=PaymentMethod.CARD, description="x")
    assert provider.charge(**charge, instrument=kept.token, idempotency_key="a").succeeded
    declined = provider.charge(**charge, instrument="tok_sbx_ab_0002", idempotency_key="b")
    assert declined.failure_reason == "card_declined"
    assert card_brand("5555555555554444") == "mastercard" and card_brand("378282246310005") == (
        "amex"
    )


def test_a_charge_is_known_to_the_provider_by_its_invoice_amount_and_card():
    """A rollback gives an invoice's number back to the next invoice: that one must not
    meet the provider's answer for the first, unless it is the same charge sent again."""
    from decimal import Decimal

    from telephony.models import Invoice, PaymentMethod
    from telephony.payments import _idempotency_key

    def key(number, amount, card="tok_a", attempt=1):
        invoice = Invoice(number=number, total_incl_vat=Decimal(amount), currency="EUR")
        return _idempotency_key([invoice], attempt, PaymentMethod.CARD, card)

    assert key("FR-2027-000007", "12.00") == key("FR-2027-000007", "12.00")
    others = [
        key("FR-2027-000007", "120.00"),
        key("FR-2027-000008", "12.00"),
        key("FR-2027-000007", "12.00", card="tok_b"),
        key("FR-2027-000007", "12.00", attempt=2),
    ]
    assert len({key("FR-2027-000007", "12.00"), *others}) == 5


def test_a_card_added_keeps_no_number_and_the_first_one_becomes_the_default(app_ctx):
    account = demo_account("vt20002-b")  # no method yet
    first = _add(account)
    second = _add(account, "5555 5555 5555 4444")
    db.session.commit()
    assert _methods(account) == [("5556", True), ("4444", False)]
    stored = db.session.scalars(select(StoredPaymentMethod.token)).all()
    assert all("4000056655665556" not in token for token in stored)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "payment_method.added").limit(1)
    )
    assert event.after["card"] == "visa •••• 5556" and "4000" not in str(event.after)
    payment_methods.set_default(account, second, actor=None, today=TODAY)
    db.session.commit()
    assert _methods(account) == [("4444", True), ("5556", False)]
    assert first.is_default is False


@pytest.mark.parametrize(
    ("number", "month", "year", "field"),
    [
        ("4242 4242 4242 4241", 8, 2029, "number"),  # Luhn
        ("4000 0000 0000 0002", 8, 2029, "number"),  # declined
        ("4242 4242 4242 4242", 11, 2026, "expiry"),  # expired last month
    ],
)
def test_a_refused_card_says_why_beside_its_field(app_ctx, number, month, year, field):
    with pytest.raises(DomainError) as refused:
        _add(demo_account(), number, month, year)
    assert refused.value.field == field


def test_the_database_holds_one_default_per_account(app_ctx):
    account = demo_account()
    other = _add(account)
    db.session.commit()
    other.is_default = True  # behind the domain's back
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_card_expiring_this_month_is_flagged(app_ctx):
    methods = {m.last4: m for m in payment_methods.list_methods(demo_account())}
    soon = payment_methods.expiry(methods["4444"], date.today())
    assert soon.soon and not soon.expired
    assert not payment_methods.expiry(methods["4242"], date.today()).soon
    next_year = date(date.today().year + 1, 1, 1)
    assert payment_methods.expiry(methods["4444"], next_year).expired


def test_removing_the_default_asks_which_method_replaces_it(app_ctx):
    account = demo_account()
    methods = {m.last4: m for m in payment_methods.list_methods(account)}
    with pytest.raises(DomainError) as refused:
        payment_methods.remove(account, methods["4242"], new_default=None, actor=None)
    assert refused.value.field == "new_default"
    db.session.rollback()
    payment_methods.remove(account, methods["4242"], new_default=methods["4444"], actor=None)
    db.session.commit()
    assert _methods(account) == [("4444", True)]
    payment_methods.remove(account, methods["4444"], new_default=None, actor=None)  # the last
    db.session.commit()
    assert _methods(account) == []


def test_another_accounts_method_is_not_found(app_ctx):
    method = payment_methods.list_methods(demo_account())[0]
    with pytest.raises(NotFound):
        payment_methods.get(demo_account("vt20002-b"), method.id)


def test_a_validated_procedure_brings_its_mandate_in_place_of_the_earlier_one(app_ctx):
    account = demo_account("vt20002-b")
    for iban in ("BE68539007547034", "BE71096123456769"):
        if iban != "BE68539007547034":
            procedures.billing_contact_changed(account, actor=None)  # a new procedure
        procedure = procedures.submit(account, {**DETAILS[account.code], "iban": iban}, actor=None)
        procedures.change_status(account, procedure, ProcedureStatus.VALIDATED, actor=None)
        db.session.commit()
        methods = payment_methods.list_methods(account)
        assert [(m.kind, m.last4, m.is_default) for m in methods] == [
            (PaymentMethod.SEPA_DEBIT, iban[-4:], True)
        ]
        assert methods[0].procedure.mandate_reference == procedure.mandate_reference


def test_the_pages_add_a_card_without_javascript(signed_in):
    client = signed_in("be")
    page = client.get("/billing/payment-methods?lang=en")
    assert page.status_code == 200 and "You have no payment method yet." in page.text
    form = client.get("/billing/payment-methods/new-card?next=/services/")
    assert 'name="next" value="/services/"' in form.text
    data = {"csrf_token": csrf_from(form.text), "number": "4242424242424241", "expiry": "8/29"}
    refused = client.post("/billing/payment-methods/new-card", data={**data, "cvc": "12"})
    assert refused.status_code == 422
    assert "The security code has 3 or 4 digits." in refused.text
    # Every problem at once: the number's check digit too, not only once the rest is right.
    assert "This card number is not valid." in refused.text
    assert "4242424242424241" not in refused.text  # never sent back
    refused = client.post("/billing/payment-methods/new-card", data={**data, "cvc": "123"})
    assert refused.status_code == 422 and "This card number is not valid." in refused.text
    data["number"] = "4242 4242 4242 4242"
    added = client.post(
        "/billing/payment-methods/new-card", data={**data, "cvc": "123", "next": "/services/"}
    )
    assert added.status_code == 303 and added.headers["Location"] == "/services/"
    page = client.get("/billing/payment-methods")
    assert "Visa" in page.text and "4242" in page.text and "Default" in page.text


def test_the_expiry_field_refuses_what_is_not_a_month(signed_in):
    client = signed_in("be")
    token = csrf_from(client.get("/billing/payment-methods/new-card?lang=en").text)
    for expiry in ("13/29", "0829", "08/1999", "\x00", "x" * 10_000):
        answer = client.post(
            "/billing/payment-methods/new-card",
            data={
                "csrf_token": token,
                "number": "4242424242424242",
                "expiry": expiry,
                "cvc": "123",
            },
        )
        assert answer.status_code == 422, expiry


def test_remove_and_default_through_the_pages(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        ids = {m.last4: m.id for m in payment_methods.list_methods(demo_account())}
    page = client.get(f"/billing/payment-methods/{ids['4242']}/remove?lang=en")
    assert "which one replaces it?" in page.text
    token = csrf_from(page.text)
    refused = client.post(
        f"/billing/payment-methods/{ids['4242']}/remove", data={"csrf_token": token}
    )
    assert refused.status_code == 422
    assert "Choose the payment method that becomes the default." in refused.text
    done = client.post(
        f"/billing/payment-methods/{ids['4242']}/remove",
        data={"csrf_token": token, "new_default": str(ids["4444"])},
    )
    assert done.status_code == 303
    with client.application.app_context():
        assert _methods(demo_account()) == [("4444", True)]


def test_another_accounts_method_answers_404_on_every_page(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        method_id = payment_methods.list_methods(demo_account())[0].id
    token = csrf_from(client.get("/billing/payment-methods").text)
    assert client.get(f"/billing/payment-methods/{method_id}/remove").status_code == 404
    for url in (
        f"/billing/payment-methods/{method_id}/default",
        f"/billing/payment-methods/{method_id}/remove",
        "/billing/payment-methods/99999999999999999999/default",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_an_expired_card_never_becomes_the_default_and_expiry_years_have_an_end(app_ctx):
    """Removing the default asks for another: not an expired card (set_default refuses
    one, so must this). And a card expiring in 2099 is a typing mistake."""
    from telephony.models import User
    from tests.factories import stored_card

    fr = demo_account("vt10001-f")
    today = date.today()
    visa = stored_card(fr)
    old = stored_card(fr, "4444")
    old.exp_year = today.year - 1
    payment_methods.set_default(fr, visa, actor=None, today=today)
    db.session.flush()
    with pytest.raises(DomainError) as refused:
        payment_methods.remove(fr, visa, new_default=old, actor=None, today=today)
    assert refused.value.field == "new_default"
    user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
    with pytest.raises(DomainError) as far:
        payment_methods.add_card(
            fr, number="4242424242424242", exp_month=12, exp_year=2099, make_default=False,
            actor=user, provider=PROVIDERS["sandbox"], today=today,
        )  # fmt: skip
    assert far.value.field == "expiry"
