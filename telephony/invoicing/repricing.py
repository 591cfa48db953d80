"""A service whose price changes inside a period it has already paid for: a line moves to
another offer on the 1st while its year was paid ahead at the old price.

The days left of the paid period are settled at the difference, by the credit notes' rule
(whole months at the monthly difference, then the days of a part month, rounded to the
cent):

* dearer: an invoice of the difference, collected as a renewal's is by the services run
  (its key starts with KEY_PREFIX): charged to the default card, or by the next direct
  debit, else shown to pay and said by e-mail; due within the service payment days;
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
from telephony.dates import add_months
from telephony.invoicing.credit_notes import credit_lines, issue, paid_lines, unused_value
from telephony.models import Account, Invoice, InvoiceLine, Service
from telephony.settings import settings

#: The start of the keys of what this module makes (the services run collects its invoices).
KEY_PREFIX = "reprice:"


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
        key = f"{KEY_PREFIX}{service.id}:{day.isoformat()}"
        taken = select(Invoice.id).where(Invoice.request_key == key)
        if amount <= 0 or db.session.scalar(taken) is not None:
            return []
        line = _line(service, amount, day, service.expires_on, difference)
        return [_invoice_difference(service, line, day, key)]
    # The difference for the days paid beyond `day`, given back once: several invoices may
    # pay the same days (a year paid ahead, then a purchase order for calls on it), each
    # credited from the newest (what was added last is what a decrease takes away), none
    # beyond what it has left.
    left = unused_value(difference, day, service.expires_on)
    notes = []
    for paid in sorted(paid_lines(service, day), key=lambda line: line.id, reverse=True):
        if paid.period_end is None or left <= 0:
            continue
        start = max(day, paid.period_start or day)
        given = sum((note.total_excl_vat for note in credit_lines(paid)), Decimal("0.00"))
        amount = min(
            unused_value(difference, start, paid.period_end),
            paid.total_excl_vat - given,
            left,
        )
        if amount <= 0:
            continue
        left -= amount
        note = issue(
            paid.invoice,
            [_line(service, amount, start, paid.period_end, difference)],
            key=f"{KEY_PREFIX}{service.id}:{paid.invoice_id}:{day.isoformat()}",
            day=day,
            provider=provider,
            actor=None,
        )
        if note is not None:
            notes.append(note)
    return notes


def invoice_first_period(service: Service, day: date) -> list[Invoice]:
    """A service begun on `day` (a new line, a number converted) for the days up to its
    first expiry (the next 1st): its price, as a change from nothing, by the same rule and
    collected the same way. (It was given free: a line ordered and terminated at once, or
    an alias number made a line on the 1st, cost nothing.)"""
    db.session.flush()  # (its id makes the key)
    return settle_price_change(service, Decimal("0.00"), day, provider=None)


def _line(service: Service, amount: Decimal, start: date, end: date, monthly: Decimal):
    """The line of a difference: in whole months at the monthly difference when the days
    are whole months (so that a later refund prices them by the same rule), else the days
    as a whole."""
    months = 0
    while add_months(start, months + 1) <= end:
        months += 1
    whole = months and add_months(start, months) == end and amount == monthly * months
    return InvoiceLine(
        service_id=service.id,
        description=service.name,
        quantity=months if whole else 1,
        unit_price_excl_vat=monthly if whole else amount,
        total_excl_vat=amount,
        period_start=start,
        period_end=end,
    )


def _invoice_difference(service: Service, line: InvoiceLine, day: date, key: str) -> Invoice:
    from telephony.services.paying import SERVICE_PAID, form_invoice

    account = db.session.get_one(Account, service.account_id)
    return form_invoice(
        account,
        [line],
        token=key,
        actor=None,
        today=day,
        due_on=day + timedelta(days=settings().service_payment_days),
        on_paid={"action": SERVICE_PAID},  # no period added: the expiry stays
        already="",
    )
