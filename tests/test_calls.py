"""Simultaneous calls: fixed for Découverte, purchase order for more (added once paid),
a renewal task for fewer; the screens, the PDF and the bad input."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from extensions import db
from labels import ORDER_STATUSES
from telephony import DomainError, calls
from telephony.billing import cancel, run_renewal
from telephony.invoicing.credit_notes import unused_value
from telephony.models import (
    Account,
    AuditEvent,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Line,
    Offer,
    PaymentMethod,
    ScheduledTask,
    Service,
    ServiceEmail,
    StoredPaymentMethod,
)
from telephony.payments import SandboxProvider, pay_invoice
from tests.conftest import csrf_from
from tests.factories import open_order


def _orders():
    """How many purchase orders exist (the demo's renewal invoice is not one)."""
    return select(func.count()).select_from(Invoice).where(Invoice.kind == "purchase_order")


NOW = datetime(2026, 3, 14, 10, tzinfo=UTC)


def _line(code: str, description: str) -> tuple[Account, Line]:
    account = db.session.scalar(select(Account).where(Account.code == code))
    line = db.session.scalar(
        select(Line).where(Line.account_id == account.id, Line.description == description)
    )
    return account, line


def test_decouverte_and_fax_are_fixed_entreprise_is_not(app_ctx):
    _, atelier = _line("vt10001-f", "Atelier")
    _, fax = _line("vt10001-f", "Fax commandes")
    _, accueil = _line("vt10001-f", "Accueil")
    assert calls.refusal(atelier, set()) is not None
    assert calls.refusal(fax, set()) is not None
    assert calls.refusal(accueil, set()) is None


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        (0, r"Enter a number of simultaneous calls from 1 to 10\."),
        (-1, r"Enter a number of simultaneous calls from 1 to 10\."),
        (11, r"Enter a number of simultaneous calls from 1 to 10\."),
        (None, r"Enter a number of simultaneous calls from 1 to 10\."),
        (4, "The line already has 4 simultaneous calls"),
    ],
)
def test_quantity_outside_basic_to_maximum_or_unchanged_is_refused(app_ctx, wanted, message):
    account, accueil = _line("vt10001-f", "Accueil")  # 4 calls of at most 10
    with pytest.raises(DomainError, match=message) as refused:
        calls.order_calls(account, accueil, wanted, actor=None, terms_accepted=True)
    assert refused.value.field == "calls"
    assert db.session.scalar(_orders()) == 0


def test_increase_needs_the_terms_and_prices_each_extra_call(app_ctx):
    account, accueil = _line("vt10001-f", "Accueil")
    with pytest.raises(DomainError, match="Accept the terms of sale to order") as refused:
        calls.order_calls(account, accueil, 6, actor=None, terms_accepted=False)
    assert refused.value.field == "terms"
    order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    assert order.kind.value == "purchase_order"
    # 1.00 a month per call, from today to the end of the period the line has paid.
    today, paid_until = _paid_period(account, accueil)
    (line,) = order.lines
    assert (line.quantity, line.period_start, line.period_end) == (2, today, paid_until)
    assert line.unit_price_excl_vat == unused_value(Decimal("1.00"), today, paid_until)
    assert order.total_excl_vat == 2 * line.unit_price_excl_vat
    assert order.total_vat == (order.total_excl_vat * Decimal("0.20")).quantize(Decimal("0.01"))
    assert order.total_incl_vat == order.total_excl_vat + order.total_vat
    assert order.currency == "EUR"
    assert order.terms_reference
    assert accueil.calls_current == 4  # nothing added before payment


def test_swiss_orders_are_in_chf_with_swiss_vat(app_ctx):
    account, studio = _line("vt30003-s", "Studio")
    order = calls.order_calls(account, studio, 5, actor=None, terms_accepted=True)
    assert order.currency == "CHF"
    today, paid_until = _paid_period(account, studio)
    assert order.lines[0].unit_price_excl_vat == unused_value(Decimal("1.00"), today, paid_until)
    assert order.total_vat == (order.total_excl_vat * Decimal("0.081")).quantize(Decimal("0.01"))
    assert "Linea" in order.lines[0].description or "linea" in order.lines[0].description


def _paid_period(account, line) -> tuple[date, date]:
    """The account's today and the end of the period the line's service has paid."""
    from telephony.dates import local_today

    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    return local_today(account.timezone), service.expires_on


def test_calls_bought_mid_month_are_paid_to_the_renewal_then_with_the_line(app_ctx):
    """A monthly line renewed on the 1st: the order paid a month of the extra calls from
    the 15th, and the renewal on the 1st the month after at the new price: the days from
    the 1st to the 15th were paid twice (review). The order pays to the 1st, the renewal
    from it: each day once."""
    from telephony.payments import PROVIDERS
    from telephony.services import paying
    from tests.factories import stored_card

    account, accueil = _line("vt10001-f", "Accueil")
    today, paid_until = _paid_period(account, accueil)
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == accueil.id)
    )
    assert service.period_months == 1
    order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    db.session.commit()
    paying.charge_many(
        [order], stored_card(account), actor=None, provider=PROVIDERS["sandbox"], today=today
    )
    db.session.commit()
    assert accueil.calls_current == 6
    assert order.lines[0].period_end == paid_until == service.expires_on
    # Nothing else billed now (no difference for days the order did not pay).
    from telephony.invoicing.repricing import KEY_PREFIX

    assert not db.session.scalars(
        select(Invoice).where(Invoice.request_key.like(KEY_PREFIX + "%"))
    ).all()
    assert service.monthly_price_excl_vat == accueil.monthly_price_excl_vat


def test_calls_are_added_when_the_order_is_paid_and_not_before(app_ctx):
    account, accueil = _line("vt10001-f", "Accueil")
    order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    with pytest.raises(  # a second order for the same line
        DomainError, match="A purchase order for this line is awaiting payment"
    ) as refused:
        calls.order_calls(account, accueil, 7, actor=None, terms_accepted=True)
    assert refused.value.field == "calls"
    declined = pay_invoice(
        order,
        method=PaymentMethod.CARD,
        instrument="4000000000000002",
        actor=None,
        provider=SandboxProvider(),
    )
    assert declined.status.value == "failed"
    assert accueil.calls_current == 4
    pay_invoice(
        order,
        method=PaymentMethod.CARD,
        instrument="4242424242424242",
        actor=None,
        provider=SandboxProvider(),
    )
    db.session.commit()
    assert order.status == InvoiceStatus.PAID
    assert accueil.calls_current == 6
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == accueil.id)
    )
    assert service.monthly_price_excl_vat == Decimal("9.99") + 5  # five extra calls
    assert db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "calls_added"))
    with pytest.raises(  # paid once only
        DomainError, match="This document is not awaiting payment"
    ):
        pay_invoice(
            order,
            method=PaymentMethod.CARD,
            instrument="4242424242424242",
            actor=None,
            provider=SandboxProvider(),
        )


def test_decrease_is_a_task_at_the_next_renewal_blocking_other_changes(app_ctx):
    account, accueil = _line("vt10001-f", "Accueil")
    task = calls.request_removal(account, accueil, 2, actor=None, now=NOW)
    db.session.commit()
    assert task.execute_on == date(2026, 4, 1)
    assert accueil.calls_to_remove == 2
    assert calls.refusal(accueil, calls.pending_line_actions(account, accueil)) is not None
    pending = "A removal of simultaneous calls is pending: no other change"
    with pytest.raises(DomainError, match=pending) as refused:
        calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    assert refused.value.field == "calls"
    with pytest.raises(DomainError, match=pending) as refused:
        calls.request_removal(account, accueil, 3, actor=None)
    assert refused.value.field == "calls"
    with pytest.raises(  # a decrease below the offer's basic calls
        DomainError, match=r"Enter a number of simultaneous calls from 1 to 10\."
    ) as refused:
        calls.check_total(accueil, 0)
    assert refused.value.field == "calls"

    assert run_renewal(date(2026, 3, 31)).done == []
    assert run_renewal(date(2026, 4, 1)).done == [task.id]
    assert run_renewal(date(2026, 4, 1)).done == []
    db.session.refresh(accueil)
    assert (accueil.calls_current, accueil.calls_to_remove) == (2, 0)
    assert db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "calls_removed"))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calls.removed"))


def test_cancelling_a_decrease_clears_the_calls_to_remove(app_ctx):
    account, accueil = _line("vt10001-f", "Accueil")
    task = calls.request_removal(account, accueil, 1, actor=None)
    db.session.commit()
    cancel(task, account=account, actor=None)
    db.session.commit()
    assert accueil.calls_to_remove == 0
    assert calls.refusal(accueil, calls.pending_line_actions(account, accueil)) is None


@pytest.fixture
def fr_client(signed_in):
    """The French demo company, with the site in English (remembered by the session)."""
    client = signed_in("fr")
    client.get("/lines/?lang=en")
    return client


def _fr_line_id(app, description):
    with app.app_context():
        return db.session.scalar(select(Line.id).where(Line.description == description))


def test_calls_page_shows_the_cost_live_and_generates_a_purchase_order(app, fr_client):
    client = fr_client
    line_id = _fr_line_id(app, "Accueil")
    page = client.get(f"/lines/{line_id}/calls")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The form starts from the line's count, with one action: "Continue" until the number
    # says which (more: a purchase order; fewer: a removal at the next renewal).
    assert 'name="calls" type="number" value="4"' in html or 'value="4"' in html
    assert ">Continue</button>" in html and "Generate purchase order" not in html

    fragment = client.get(
        f"/lines/{line_id}/calls?calls=7",
        headers={"HX-Request": "true", "HX-Target": "calls-summary"},
    )
    body = fragment.get_data(as_text=True)
    assert body.strip().startswith('<div id="calls-summary"')
    assert "3 extra calls" in body and "€3.60" in body  # a month
    with app.app_context():
        from tests.factories import demo_account

        today, paid_until = _paid_period(demo_account(), db.session.get(Line, line_id))
    first = 3 * unused_value(Decimal("1.00"), today, paid_until)
    first_incl = first + (first * Decimal("0.20")).quantize(Decimal("0.01"))
    assert f"€{first_incl}" in body  # this order: to the end of the period paid
    assert "HX-Request" in fragment.headers["Vary"]
    # Only what the number means is said (the page's live region), not the whole form.
    assert "aria-live" not in body
    assert '<span hx-swap-oob="innerHTML:#announcer">3 extra calls:' in body

    refused = client.post(
        f"/lines/{line_id}/calls",
        data={"csrf_token": csrf_from(html), "calls": "7", "intent": "increase"},
    )
    assert refused.status_code == 422
    assert "Accept the terms of sale" in refused.get_data(as_text=True)

    done = client.post(
        f"/lines/{line_id}/calls",
        data={"csrf_token": csrf_from(html), "calls": "7", "terms": "y", "intent": "increase"},
    )
    assert done.status_code == 303
    order_url = done.headers["Location"]
    order_page = client.get(order_url).get_data(as_text=True)
    assert "Download PDF" in order_page and f"€{first_incl}" in order_page

    pdf = client.get(order_url + "/pdf")
    assert pdf.mimetype == "application/pdf"
    reader = PdfReader(__import__("io").BytesIO(pdf.data))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u202f", " ")
    assert "Boulangerie Dupré & Fils SARL" in text and "Velora Telecom" in text

    # Paid with a saved payment method (the default, checked): no number is typed here.
    assert 'name="instrument"' not in order_page
    method = re.search(r'name="method" value="(\d+)" checked', order_page).group(1)
    paid = client.post(
        order_url + "/pay", data={"csrf_token": csrf_from(order_page), "method": method}
    )
    assert paid.status_code == 303
    with app.app_context():
        assert db.session.get(Line, line_id).calls_current == 7
        # A sale: the paid order has its invoice, paid, in the invoices' sequence.
        order = db.session.scalar(
            select(Invoice)
            .where(Invoice.kind == InvoiceKind.PURCHASE_ORDER)
            .order_by(Invoice.id.desc())
        )
        (invoice,) = db.session.scalars(
            select(Invoice).where(Invoice.request_key == f"order:{order.number}")
        ).all()
        assert invoice.kind == InvoiceKind.INVOICE and invoice.status == InvoiceStatus.PAID
        assert invoice.number.startswith("FR-") and invoice.total_incl_vat == order.total_incl_vat
        assert [line.description for line in invoice.lines] == [
            line.description for line in order.lines
        ]
    assert invoice.number in client.get("/billing/invoices?lang=en").text


def test_a_declined_card_says_so_beside_the_field(app, fr_client):
    client = fr_client
    line_id = _fr_line_id(app, "Accueil")
    html = client.get(f"/lines/{line_id}/calls").get_data(as_text=True)
    order_url = client.post(
        f"/lines/{line_id}/calls",
        data={"csrf_token": csrf_from(html), "calls": "5", "terms": "y", "intent": "increase"},
    ).headers["Location"]
    page = client.get(order_url).get_data(as_text=True)
    method = re.search(r'name="method" value="(\d+)" checked', page).group(1)
    with app.app_context():  # the provider now declines the saved card
        card = db.session.get(StoredPaymentMethod, int(method))
        card.token = card.token.rsplit("_", 1)[0] + "_0002"
        db.session.commit()
    declined = client.post(
        order_url + "/pay", data={"csrf_token": csrf_from(page), "method": method}
    )
    assert declined.status_code == 422
    assert "The card was declined." in declined.get_data(as_text=True)
    # Another account's method, or none: refused beside the field, nothing charged.
    for other in ("", "999999", "1" * 30):
        refused = client.post(
            order_url + "/pay", data={"csrf_token": csrf_from(page), "method": other}
        )
        assert refused.status_code == 422
        assert "Choose a payment method." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Line, line_id).calls_current == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"calls": "abc", "intent": "decrease"}, "valid integer"),
        ({"calls": "99", "intent": "decrease"}, "from 1 to 10"),
        ({"calls": "6", "intent": "decrease"}, "An increase needs a purchase order."),
        ({"calls": "2", "intent": "increase", "terms": "y"}, "does not need a purchase order"),
        ({"calls": "4", "intent": "decrease"}, "already has 4"),
    ],
)
def test_bad_calls_input_gets_a_message_and_saves_nothing(app, fr_client, data, message):
    client = fr_client
    line_id = _fr_line_id(app, "Accueil")
    html = client.get(f"/lines/{line_id}/calls").get_data(as_text=True)
    response = client.post(f"/lines/{line_id}/calls", data={"csrf_token": csrf_from(html), **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(_orders()) == 0
        assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0


def test_decrease_from_the_page_and_cancel(app, fr_client):
    client = fr_client
    line_id = _fr_line_id(app, "Accueil")
    html = client.get(f"/lines/{line_id}/calls").get_data(as_text=True)
    response = client.post(
        f"/lines/{line_id}/calls",
        data={"csrf_token": csrf_from(html), "calls": "2", "intent": "decrease"},
    )
    assert response.status_code == 303
    page = client.get(f"/lines/{line_id}").get_data(as_text=True)
    assert "Removal of simultaneous calls" in page and "Cancel removal of calls" in page
    with app.app_context():
        task_id = db.session.scalar(select(ScheduledTask.id))
    client.post(f"/lines/requests/{task_id}/cancel", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(Line, line_id).calls_to_remove == 0


def test_orders_of_another_account_answer_404(app, signed_in):
    with app.app_context():
        account, studio = _line("vt30003-s", "Studio")
        order = calls.order_calls(account, studio, 4, actor=None, terms_accepted=True)
        db.session.commit()
        order_id, studio_id = order.id, studio.id
    client = signed_in("fr")
    assert client.get(f"/orders/{order_id}").status_code == 404
    assert client.get(f"/orders/{order_id}/pdf").status_code == 404
    html = client.get("/lines/").get_data(as_text=True)
    for action in ("pay", "cancel"):
        response = client.post(
            f"/orders/{order_id}/{action}",
            data={
                "csrf_token": csrf_from(html),
                "method": "card",
                "instrument": "4242424242424242",
            },
        )
        assert response.status_code == 404
    other_line = client.get(f"/lines/{studio_id}/calls")
    assert other_line.status_code == 404


def test_the_calls_page_offers_the_one_action_the_number_asks_for(app, fr_client):
    line_id = _fr_line_id(app, "Accueil")
    more = fr_client.get(
        f"/lines/{line_id}/calls?calls=6",
        headers={"HX-Request": "true", "HX-Target": "calls-summary"},
    ).text
    assert "Generate purchase order" in more and "Remove calls" not in more
    assert "I accept the terms of sale" in more
    fewer = fr_client.get(
        f"/lines/{line_id}/calls?calls=2",
        headers={"HX-Request": "true", "HX-Target": "calls-summary"},
    ).text
    assert "Remove calls at the next renewal" in fewer and "Generate purchase order" not in fewer
    assert "terms of sale" not in fewer


def test_a_decouverte_line_is_pointed_to_the_offer_with_more_calls(app, fr_client):
    line_id = _fr_line_id(app, "Atelier")  # Découverte: one call, fixed
    page = fr_client.get(f"/lines/{line_id}/calls?lang=en").text
    assert "More simultaneous calls need the Entreprise offer." in page
    assert f'href="/lines/{line_id}/offer"' in page
    # Once an offer change is pending, no link that would only be refused.
    offer_page = fr_client.get(f"/lines/{line_id}/offer").text
    with app.app_context():
        entreprise = db.session.scalar(
            select(Offer.id).where(Offer.country == "FR", Offer.code == "entreprise")
        )
    changed = fr_client.post(
        f"/lines/{line_id}/offer",
        data={"csrf_token": csrf_from(offer_page), "offer": entreprise, "contracts": "y"},
    )
    assert changed.status_code == 303, changed.text[:300]
    page = fr_client.get(f"/lines/{line_id}/calls?lang=en").text
    assert f'href="/lines/{line_id}/offer"' not in page


def test_cancelling_a_purchase_order_asks_first(app, fr_client):
    line_id = _fr_line_id(app, "Accueil")
    html = fr_client.get(f"/lines/{line_id}/calls").text
    placed = fr_client.post(
        f"/lines/{line_id}/calls",
        data={"csrf_token": csrf_from(html), "calls": "6", "terms": "y", "intent": "increase"},
    )
    order_path = placed.headers["Location"]
    page = fr_client.get(order_path + "?lang=en").text
    # A secondary link to a page that asks, not a button that cancels at once.
    assert f'class="button-link secondary-link" href="{order_path}/cancel"' in page
    assert "+33972100001" not in page  # the number as people read it, in the order too
    asked = fr_client.get(order_path + "/cancel").text
    assert "Cancel the purchase order" in asked and "No, keep it" in asked
    with app.app_context():
        from telephony.models import Invoice, InvoiceStatus

        order_id = int(order_path.rsplit("/", 1)[1])
        assert db.session.get(Invoice, order_id).status == InvoiceStatus.AWAITING_PAYMENT
    done = fr_client.post(order_path + "/cancel", data={"csrf_token": csrf_from(asked)})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Invoice, order_id).status == InvoiceStatus.CANCELLED
    # Once cancelled, the question is no longer asked.
    assert fr_client.get(order_path + "/cancel").headers["Location"] == order_path


def test_another_accounts_order_cancel_page_is_not_found(app, client, auth):
    order_id, _account_id = open_order(app)
    auth.login("demo-be@example.com")
    assert client.get(f"/orders/{order_id}/cancel").status_code == 404
    assert client.get(f"/orders/{order_id}/pay").status_code == 404


def test_with_an_order_awaiting_payment_the_calls_page_offers_no_form(app, fr_client):
    """Any change of calls would be refused until the order is paid or cancelled: the page
    says so and links to the order, with no form that could only be refused."""
    order_id, _account_id = open_order(app)
    page = fr_client.get("/lines/2/calls?lang=en").text
    assert f'href="/orders/{order_id}"' in page and "is awaiting payment" in page
    assert 'name="calls"' not in page and ">Continue</button>" not in page


def test_an_order_page_names_its_status(app, signed_in):
    with app.app_context():
        account, accueil = _line("vt10001-f", "Accueil")
        order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
        db.session.commit()
        order_id = order.id
    client = signed_in("fr")
    page = client.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert "<p>Awaiting payment · " in page  # not "None": a label of its own status
    assert set(ORDER_STATUSES) == set(InvoiceStatus)  # every status an order can have


def _year_paid_ahead(description: str):
    """The French company pays one of its lines a year ahead (by card)."""
    from telephony.dates import local_today
    from tests.factories import demo_account, pay_ahead

    account = demo_account()
    line = db.session.scalar(select(Line).where(Line.description == description))
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    paid, _payment = pay_ahead(account, service, local_today(account.timezone))
    return account, line, service, paid


def test_calls_added_inside_a_paid_year_are_paid_by_the_order_to_the_years_end(app_ctx):
    """A year paid ahead at the old price: the order pays the added calls to its end (it
    paid a month, and the rest of the year went unbilled, review); nothing else is
    invoiced. Paid days later, a renewal meanwhile: the difference beyond the order's
    period is invoiced as after an offer change."""
    from telephony.dates import add_months, local_today
    from telephony.invoicing.credit_notes import unused_value
    from telephony.invoicing.repricing import KEY_PREFIX
    from telephony.payments import PROVIDERS
    from telephony.services import paying
    from telephony.settings import settings
    from tests.factories import stored_card

    account, line, service, _paid = _year_paid_ahead("Comptabilité")
    old_price, expires = service.monthly_price_excl_vat, service.expires_on
    order = calls.order_calls(
        account, line, line.calls_current + 2, actor=None, terms_accepted=True
    )
    db.session.commit()
    today = local_today(account.timezone)  # (the account's day, not the server's)
    paying.charge_many(
        [order], stored_card(account), actor=None, provider=PROVIDERS["sandbox"], today=today
    )
    db.session.commit()
    difference = service.monthly_price_excl_vat - old_price
    assert difference == 2 * settings().extra_call_price
    assert order.lines[0].period_end == expires > add_months(today, 11)
    assert order.total_excl_vat == 2 * unused_value(settings().extra_call_price, today, expires)
    assert not db.session.scalars(
        select(Invoice).where(Invoice.request_key.like(KEY_PREFIX + "%"))
    ).all()
    # An order paid after its period moved on (the year renewed since): the rest is billed.
    order.lines[0].period_end = add_months(expires, -6)
    service.monthly_price_excl_vat = old_price
    calls._update_service_price(line, order.lines[0].period_end)
    (invoice,) = db.session.scalars(
        select(Invoice).where(Invoice.request_key.like(KEY_PREFIX + "%"))
    )
    assert invoice.total_excl_vat == unused_value(difference, add_months(expires, -6), expires)


def test_calls_removed_inside_a_paid_year_are_refunded_the_difference(app_ctx):
    """Fewer calls from the next billing date, a year paid ahead at the higher price: the
    months left were kept (review). A credit note of the difference, refunded."""
    from telephony.invoicing.credit_notes import unused_value

    account, line, service, paid = _year_paid_ahead("Accueil")
    old_price = service.monthly_price_excl_vat
    task = calls.request_removal(account, line, line.calls_basic, actor=None)
    db.session.commit()
    # A run two days late settles from the day the change was due, as an offer change.
    run_renewal(task.execute_on + timedelta(days=2))
    difference = old_price - service.monthly_price_excl_vat
    assert difference > 0
    (note,) = db.session.scalars(
        select(Invoice).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == paid.id
        )
    )
    assert note.total_excl_vat == unused_value(difference, task.execute_on, service.expires_on)
    assert note.status == InvoiceStatus.REFUNDED


def _ordered_and_paid(account, line, added: int):
    from telephony.dates import local_today
    from telephony.payments import PROVIDERS
    from telephony.services import paying
    from tests.factories import stored_card

    order = calls.order_calls(
        account, line, line.calls_current + added, actor=None, terms_accepted=True
    )
    db.session.commit()
    paying.charge_many(
        [order],
        stored_card(account),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=local_today(account.timezone),
    )
    db.session.commit()
    return db.session.scalar(
        select(Invoice).where(Invoice.request_key == f"{calls.ORDER_INVOICE_KEY}{order.number}")
    )


def test_calls_paid_ahead_by_an_order_are_refunded_when_the_line_ends(app_ctx):
    """The order's invoice named no service: a yearly line terminated gave back its year
    at the old price and kept the calls' months (review)."""
    from telephony import lifecycle
    from telephony.invoicing.credit_notes import unused_paid
    from telephony.settings import settings

    account, line, service, paid = _year_paid_ahead("Comptabilité")
    ordered = _ordered_and_paid(account, line, 5)
    assert ordered.lines[0].service_id == service.id
    task = lifecycle.request_termination(account, line, "moving", "", actor=None)
    db.session.commit()
    run_renewal(task.execute_on)
    note = db.session.scalar(
        select(Invoice).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == ordered.id
        )
    )
    # The refunds' rule: the unused part of what the order paid, at its price.
    assert note.total_excl_vat == unused_paid(ordered.lines[0], task.execute_on) > 0
    assert note.total_excl_vat > 5 * settings().extra_call_price * 11  # eleven months left


def test_calls_bought_then_removed_inside_a_paid_year_are_given_back_once(app_ctx):
    """A year paid ahead and an order paying calls on the same days: the removal credited
    the difference against each of them (review): once, from the newest."""
    from telephony.invoicing.credit_notes import unused_value
    from telephony.settings import settings

    account, line, service, paid = _year_paid_ahead("Accueil")
    basic = line.calls_basic
    ordered = _ordered_and_paid(account, line, 2)
    task = calls.request_removal(account, line, line.calls_current - 2, actor=None)
    db.session.commit()
    run_renewal(task.execute_on)
    notes = db.session.scalars(
        select(Invoice).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.credited_invoice_id.in_((paid.id, ordered.id)),
        )
    ).all()
    given = sum(note.total_excl_vat for note in notes)
    assert given == unused_value(
        2 * settings().extra_call_price, task.execute_on, service.expires_on
    )
    assert [note.credited_invoice_id for note in notes] == [ordered.id]
    assert basic <= line.calls_current


def test_an_order_awaiting_payment_is_on_the_pending_requests_page(signed_in, app):
    """It holds its line's other changes ("Other changes are pending... cancel them
    first"), yet the requests page did not list it (review)."""
    client = signed_in("fr")
    with app.app_context():
        account, accueil = _line("vt10001-f", "Accueil")
        order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
        db.session.commit()
        order_id, number = order.id, order.number
    page = client.get("/lines/requests?lang=en").text
    assert "Purchase orders awaiting payment" in page and number in page
    assert f'href="/orders/{order_id}"' in page and "No request is pending." not in page


def test_no_order_for_calls_while_the_lines_renewal_is_due(app_ctx):
    """On the renewal day, before the run: the order paid a month from today, then the run
    renewed the same month at the new price, calls included (review)."""
    account, accueil = _line("vt10001-f", "Accueil")
    today, _paid_until = _paid_period(account, accueil)
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == accueil.id)
    )
    service.expires_on = today
    db.session.commit()
    with pytest.raises(DomainError, match="renewal is due") as refused:
        calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    assert refused.value.field == "calls"
    assert db.session.scalar(_orders()) == 0


def test_the_calls_page_says_why_while_the_renewal_is_due(app, signed_in):
    """The page priced its unit through the order's period, which a due renewal refuses:
    it must still answer, and say why more calls wait."""
    client = signed_in("fr")
    with app.app_context():
        account, accueil = _line("vt10001-f", "Accueil")
        today, _paid = _paid_period(account, accueil)
        service = db.session.scalar(
            select(Service).where(Service.target_type == "line", Service.target_id == accueil.id)
        )
        service.expires_on = today
        db.session.commit()
        line_id = accueil.id
    page = client.get(f"/lines/{line_id}/calls?lang=en")
    assert page.status_code == 200
    asked = client.get(f"/lines/{line_id}/calls?calls=7&lang=en")
    assert asked.status_code == 200 and "renewal is due" in asked.text


def test_an_order_of_a_line_that_ended_is_refused_before_the_card_is_charged(app_ctx):
    """Paying an order whose calls can no longer be added (its line ended) is refused
    before any money is taken: no charge without its payment record (it was charged, then
    rolled back with the refusal)."""
    from telephony.models import LineStatus, Payment

    account, accueil = _line("vt10001-f", "Accueil")
    order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    db.session.commit()
    accueil.status = LineStatus.TERMINATED
    db.session.commit()
    payments = db.session.scalar(select(func.count()).select_from(Payment))
    provider = SandboxProvider()
    with pytest.raises(DomainError, match="This line is terminated"):
        pay_invoice(
            order,
            method=PaymentMethod.CARD,
            instrument="4242424242424242",
            actor=None,
            provider=provider,
        )
    db.session.rollback()
    assert provider.charges == 0
    assert db.session.scalar(select(func.count()).select_from(Payment)) == payments


def test_a_line_that_ends_cancels_its_order_awaiting_payment(app_ctx):
    """Nothing is left to pay for a line that is gone: its purchase order is cancelled
    when the line ends (here a termination carried out by the run)."""
    from telephony.lifecycle import apply_line_termination
    from telephony.models import ScheduledTask

    account, accueil = _line("vt10001-f", "Accueil")
    order = calls.order_calls(account, accueil, 6, actor=None, terms_accepted=True)
    db.session.commit()
    task = ScheduledTask(
        account_id=account.id,
        action="terminate_line",
        target_type="line",
        target_id=accueil.id,
        params={},
        execute_on=date(2026, 4, 1),
    )
    db.session.add(task)
    db.session.flush()
    apply_line_termination(task, date(2026, 4, 1))
    db.session.commit()
    db.session.refresh(order)
    assert order.status == InvoiceStatus.CANCELLED and order.open_key is None
