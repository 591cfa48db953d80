"""A service whose price changes inside a period it has already paid for: a line moves to
another offer on the 1st while its year was paid ahead at the old price.

The days left of the paid period are settled at the difference, by the credit notes' rule
(whole months at the monthly difference, then the days of a part month, rounded to the
cent):

* dearer: an invoice of the difference, to pay as a renewal's is (due within the service
  payment days: collected by direct debit where there is a mandate, else shown to pay);
* cheaper: a credit note of the difference against the invoice that paid those days,
  refunded to the payment that paid it.

Once per service and day: the invoice's or credit notes' keys are unique (a task run
twice, or two runs at once, settle once).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from telephony.invoicing.credit_notes import issue, paid_lines, unused_value
from telephony.models import Account, Invoice, InvoiceLine, Service
from telephony.settings import settings


def settle_price_change(
    service: Service, old_price: Decimal, day: date, *, provider
) -> list[Invoice]:
    """Settle the days from `day` to the service's expiry at (new − old) monthly price: the
    invoice, or the credit notes (one per invoice that paid those days), made now; none when
    nothing is paid beyond `day`, the price is the same, or it was settled already."""
    new_price = service.monthly_price_excl_vat
    if service.expires_on <= day or new_price == old_price:
        return []
    difference = abs(new_price - old_price)
    if new_price > old_price:
        amount = unused_value(difference, day, service.expires_on)
        key = f"reprice:{service.id}:{day.isoformat()}"
        taken = select(Invoice.id).where(Invoice.request_key == key)
        if amount <= 0 or db.session.scalar(taken) is not None:
            return []
        return [_invoice_difference(service, amount, day, service.expires_on, key)]
    notes = []
    for paid in paid_lines(service, day):
        if paid.period_end is None:
            continue
        start = max(day, paid.period_start or day)
        amount = min(unused_value(difference, start, paid.period_end), paid.total_excl_vat)
        if amount <= 0:
            continue
        note = issue(
            paid.invoice,
            [_line(service, amount, start, paid.period_end)],
            key=f"reprice:{service.id}:{paid.invoice_id}:{day.isoformat()}",
            day=day,
            provider=provider,
            actor=None,
        )
        if note is not None:
            notes.append(note)
    return notes


def _line(service: Service, amount: Decimal, start: date, end: date) -> InvoiceLine:
    return InvoiceLine(
        service_id=service.id,
        description=service.name,
        quantity=1,  # the days left, priced as a whole (qty × unit = line total)
        unit_price_excl_vat=amount,
        total_excl_vat=amount,
        period_start=start,
        period_end=end,
    )


def _invoice_difference(
    service: Service, amount: Decimal, day: date, end: date, key: str
) -> Invoice:
    from telephony.services.paying import SERVICE_PAID, form_invoice

    account = db.session.get_one(Account, service.account_id)
    return form_invoice(
        account,
        [_line(service, amount, day, end)],
        token=key,
        actor=None,
        today=day,
        due_on=day + timedelta(days=settings().service_payment_days),
        on_paid={"action": SERVICE_PAID},  # no period added: the expiry stays
        already="",
    )
