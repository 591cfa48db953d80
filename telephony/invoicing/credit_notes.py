"""Credit notes: what the operator owes back, as a document of its own.

A service terminated before the end of a period it has paid for (a yearly number ended in
its third month) is refunded the unused part, at the price it was paid: whole months at the
monthly price, and the days of a part month at the monthly price × days ÷ days of that
month, rounded to the cent (the rule of Align renewal dates). The credit note:

* is numbered in its company's credit-note sequence (FR-CN-2026-000001), gap-free like the
  invoices, and names the invoice it refunds;
* is made once per service and termination day (a unique key: a task run twice, or two
  runs at once, make one);
* is refunded at once through the provider to the payment that paid the invoice; when the
  invoice was not paid that way (a transfer), it waits as "refund due" for the operator;
* makes the invoice "refunded" when it gives back all of it.

An invoice not paid yet when its service ends (a renewal, a price difference, an alignment:
awaiting payment, or a direct debit to come) is not left to be paid for days that will not
be served (`cancel_unpaid`): a credit note of its whole amount cancels it, with nothing to
refund ("settled"), and what is still owed (the days served, the other services' lines) is
invoiced again, under a new number.

A direct debit the bank returns was never received (`debit_returned`): the credit notes
of its invoice refund nothing (each still waiting to be refunded is set against it), and
what the customer owes is the invoice less those notes — itself when it has none, nothing
when they cover it, and otherwise a new invoice of the rest, the first cancelled by a
settled note (as `cancel_unpaid` does).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from extensions import db, rows_changed
from telephony import audit
from telephony.dates import add_months
from telephony.invoicing.numbering import CREDIT_NOTE, next_number
from telephony.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Service,
    User,
)
from telephony.money import round_cents

PAID = (InvoiceStatus.PAID, InvoiceStatus.COLLECTION_SENT)


def unused_value(monthly_price: Decimal, day: date, paid_until: date) -> Decimal:
    """What the days from `day` to `paid_until` (excluded) are worth."""
    if paid_until <= day:
        return Decimal("0.00")
    # Whole months counted from `day` itself (31 January + 2 months is 31 March): stepping
    # from the month before stayed on the 28th after February, and from the 31st a year
    # cost as much as from the 28th.
    months = 0
    while add_months(day, months + 1) <= paid_until:
        months += 1
    start = add_months(day, months)
    days = (paid_until - start).days
    in_month = calendar.monthrange(start.year, start.month)[1]
    return round_cents(monthly_price * months + monthly_price * days / in_month)


def unused_paid(line: InvoiceLine, start: date) -> Decimal:
    """What the days of `line`'s period from `start` are worth at the price it was paid
    (not the service's price now: an offer changed since must not change the refund). A
    line of whole months (a renewal, a period paid ahead) is refunded at its monthly price
    by the rule above; another (the days an alignment added) in proportion to its days."""
    if line.period_start is None or line.period_end is None or start >= line.period_end:
        return Decimal("0.00")
    if line.quantity and add_months(line.period_start, line.quantity) == line.period_end:
        return unused_value(line.unit_price_excl_vat, start, line.period_end)
    days = (line.period_end - line.period_start).days
    return round_cents(line.total_excl_vat * (line.period_end - start).days / days)


def credit_lines(line: InvoiceLine) -> list[InvoiceLine]:
    """The lines of credit notes given already for this line's service on its invoice."""
    note = aliased(Invoice)
    return list(
        db.session.scalars(
            select(InvoiceLine)
            .join(note, note.id == InvoiceLine.invoice_id)
            .where(
                note.kind == InvoiceKind.CREDIT_NOTE,
                note.credited_invoice_id == line.invoice_id,
                InvoiceLine.service_id == line.service_id,
            )
        )
    )


def paid_lines(service: Service, day: date) -> list[InvoiceLine]:
    """The paid invoice lines of this service whose period runs beyond `day`."""
    return list(
        db.session.scalars(
            select(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                InvoiceLine.service_id == service.id,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status.in_(PAID),
                InvoiceLine.period_end > day,
            )
            .order_by(InvoiceLine.period_start, InvoiceLine.id)
        )
    )


def refund_terminated(
    service: Service, day: date, *, provider, actor: User | None = None
) -> list[Invoice]:
    """The credit notes of a service ended on `day` before the end of what it paid for:
    one per invoice that paid days after `day` (none when nothing is owed, or when they
    were made already)."""
    notes = []
    for line in paid_lines(service, day):
        if line.period_end is None:  # (paid_lines keeps lines that end after `day`)
            continue
        start = max(day, line.period_start or day)
        # Less what was given back on that line already (a price lowered meanwhile): the
        # part of it for the same days, and never more than the line.
        given = credit_lines(line)
        already = sum((unused_paid(note, start) for note in given), Decimal("0.00"))
        left = line.total_excl_vat - sum((note.total_excl_vat for note in given), Decimal("0"))
        amount = min(unused_paid(line, start) - already, left)
        if amount <= 0:
            continue
        note = issue(
            line.invoice,
            [
                InvoiceLine(
                    service_id=service.id,
                    description=service.name,
                    quantity=1,
                    unit_price_excl_vat=amount,
                    total_excl_vat=amount,
                    period_start=start,
                    period_end=line.period_end,
                )
            ],
            key=f"refund:{service.id}:{line.invoice_id}:{day.isoformat()}",
            day=day,
            provider=provider,
            actor=actor,
        )
        if note is not None:
            notes.append(note)
    return notes


def refund_key(note: Invoice, payment: Payment) -> str:
    """The provider's idempotency key of a credit note's refund: what it refunds (its own
    key: one note per service and day), how much, and the charge it gives back. Not its
    number: a rollback after the refund (a later task of the same batch refused) gives the
    number back to the sequence, and another customer's note taking it met this refund's
    kept answer: refunded by nobody, while the first was refunded twice."""
    return f"{note.request_key}/{note.total_incl_vat}{note.currency}/{payment.provider_reference}"


def issue(
    invoice: Invoice,
    lines: list[InvoiceLine],
    *,
    key: str,
    day: date,
    provider,
    actor: User | None,
    settled: bool = False,
) -> Invoice | None:
    """A credit note of `lines` against `invoice`, refunded when it can be; `settled`: the
    invoice was not paid, nothing is refunded (the note is set against it). Once per `key`."""
    account = invoice.account
    excl = sum((line.total_excl_vat for line in lines), Decimal("0.00"))
    # The notes of one invoice add up to it at most, VAT included: each rounded its own
    # VAT, and two notes of 1.03 refunded 2.48 of an invoice of 2.47. The VAT left is
    # the invoice's less the earlier notes'; the note that credits the rest takes it all.
    before_excl, before_vat, before_incl = db.session.execute(
        select(
            func.coalesce(func.sum(Invoice.total_excl_vat), 0),
            func.coalesce(func.sum(Invoice.total_vat), 0),
            func.coalesce(func.sum(Invoice.total_incl_vat), 0),
        ).where(Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == invoice.id)
    ).one()
    before_excl, before_vat, before_incl = (
        Decimal(str(value)) for value in (before_excl, before_vat, before_incl)
    )
    vat_left = max(invoice.total_vat - before_vat, Decimal("0.00"))
    if before_excl + excl >= invoice.total_excl_vat:
        vat = vat_left
    else:
        vat = min(round_cents(excl * invoice.vat_rate), vat_left)
    note = Invoice(
        account_id=account.id,
        account=account,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.AWAITING_PAYMENT,  # refund due, until it is made
        credited_invoice_id=invoice.id,
        request_key=key[:64],
        currency=invoice.currency,
        vat_rate=invoice.vat_rate,
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        issued_on=day,
        due_on=day,
        lines=lines,
    )
    try:
        with db.session.begin_nested():  # the key: the same refund twice stops here
            note.number = next_number(account.country.value, day.year, CREDIT_NOTE)
            db.session.add(note)
    except IntegrityError:
        return None
    if settled:
        note.status = InvoiceStatus.PAID  # set against the unpaid invoice: nothing to refund
    payment = (
        None
        if settled
        else db.session.scalar(
            select(Payment)
            .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED)
            .order_by(Payment.id.desc())
            .limit(1)
        )
    )
    if payment is not None:
        result = provider.refund(
            amount=note.total_incl_vat,
            currency=note.currency,
            reference=payment.provider_reference,
            idempotency_key=refund_key(note, payment),
        )
        if result.succeeded:
            db.session.add(
                Payment(
                    account_id=account.id,
                    invoice_id=note.id,
                    provider=provider.name,
                    method=payment.method,
                    amount=-note.total_incl_vat,
                    currency=note.currency,
                    status=PaymentStatus.SUCCEEDED,
                    provider_reference=result.reference,
                )
            )
            note.status = InvoiceStatus.REFUNDED
    if before_incl + note.total_incl_vat >= invoice.total_incl_vat:  # all of it now
        db.session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.status.in_(PAID))
            .values(status=InvoiceStatus.REFUNDED)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    audit.record(
        "invoice.credit_note",
        account=account,
        actor=actor,
        target_type="invoice",
        target_id=note.id,
        after={
            "number": note.number,
            "invoice": invoice.number,
            "amount": str(note.total_incl_vat),
            "refunded": note.status == InvoiceStatus.REFUNDED,
            "settled": settled,
        },
    )
    return note


def unpaid_invoices(service: Service, day: date) -> list[Invoice]:
    """The invoices awaiting payment with a line of `service` for days after `day`."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
                Invoice.id.in_(
                    select(InvoiceLine.invoice_id).where(
                        InvoiceLine.service_id == service.id, InvoiceLine.period_end > day
                    )
                ),
            )
            .order_by(Invoice.id)
        )
    )


def cancel_unpaid(service: Service, day: date, *, actor: User | None = None) -> list[Invoice]:
    """`service` ends on `day`: each invoice still awaiting payment for days after it is
    cancelled by a credit note of its whole amount (nothing was paid: nothing refunded),
    and invoiced again without those days when something is still owed (the days up to
    `day`, at the rule of refunds; the invoice's other lines as they were). Returns the
    invoices made again.

    The cancellation is a conditional UPDATE: an invoice paid, or put in a direct-debit
    file, meanwhile stays as it is, and refund_terminated gives back its unused part."""
    made = []
    for invoice in unpaid_invoices(service, day):
        claimed = rows_changed(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.status == InvoiceStatus.AWAITING_PAYMENT)
            .values(status=InvoiceStatus.CANCELLED, open_key=None)
            .execution_options(synchronize_session=False)
        )
        open_key = invoice.open_key
        db.session.refresh(invoice)
        if claimed != 1:
            continue
        note = issue(
            invoice,
            [_copy(line, line.total_excl_vat, line.period_end) for line in invoice.lines],
            key=f"cancel:{invoice.id}",
            day=day,
            provider=None,
            actor=actor,
            settled=True,
        )
        owed = []
        for line in invoice.lines:
            if line.service_id != service.id or line.period_end is None or line.period_end <= day:
                owed.append(_copy(line, line.total_excl_vat, line.period_end))
                continue
            served = line.total_excl_vat - unused_paid(line, max(day, line.period_start or day))
            if served > 0:
                owed.append(_copy(line, served, day))
        again = _invoice_again(invoice, owed, service, day, open_key) if owed else None
        if again is not None:
            made.append(again)
        audit.record(
            "invoice.cancelled",
            account=invoice.account,
            actor=actor,
            target_type="invoice",
            target_id=invoice.id,
            before={"number": invoice.number, "amount": str(invoice.total_incl_vat)},
            after={
                "service": service.name,
                "ends_on": day.isoformat(),
                "credit_note": note.number if note is not None else None,
                "invoiced_again": again.number if again is not None else None,
            },
        )
    return made


def debit_returned(invoice: Invoice, day: date) -> Invoice | None:
    """The direct debit of `invoice` came back (it was "collection sent", or "refunded" by
    credit notes since): the invoice to pay now — `invoice` itself when no note credits
    it, a new invoice of what the notes leave when they credit part of it, None when they
    credit all of it (cancelled: nothing to pay, nothing to refund). The notes still
    waiting to be refunded are settled: they gave back money that never came (a fully
    credited invoice returned by the bank left the operator owing its whole amount).
    None too when the invoice was not waiting for its debit (returned already)."""
    claimed = rows_changed(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status.in_((InvoiceStatus.COLLECTION_SENT, InvoiceStatus.REFUNDED)),
        )
        .values(status=InvoiceStatus.AWAITING_PAYMENT)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    if not claimed:
        return None
    notes = db.session.scalars(
        select(Invoice)
        .options(selectinload(Invoice.lines))
        .where(Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == invoice.id)
        .order_by(Invoice.id)
    ).all()
    if not notes:
        return invoice
    db.session.execute(
        update(Invoice)
        .where(
            Invoice.id.in_([note.id for note in notes]),
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,  # refund due: none now
        )
        .values(status=InvoiceStatus.PAID)
        .execution_options(synchronize_session=False)
    )
    # What the notes credited, per service, taken from the invoice's lines in order; a
    # line they credited in part is owed up to the first day they gave back.
    credited: dict[int | None, Decimal] = defaultdict(Decimal)
    from_day: dict[int | None, date] = {}
    for note in notes:
        for line in note.lines:
            credited[line.service_id] += line.total_excl_vat
            if line.period_start is not None:
                earliest = from_day.get(line.service_id, line.period_start)
                from_day[line.service_id] = min(earliest, line.period_start)
    owed = []
    for line in invoice.lines:
        taken = min(credited[line.service_id], line.total_excl_vat)
        credited[line.service_id] -= taken
        if line.total_excl_vat - taken > 0:
            end = line.period_end if not taken else from_day.get(line.service_id, line.period_end)
            owed.append((line, line.total_excl_vat - taken, end))
    open_key = invoice.open_key
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id)
        .values(status=InvoiceStatus.CANCELLED, open_key=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    if not owed:
        return None
    issue(
        invoice,
        [_copy(line, amount, end) for line, amount, end in owed],
        key=f"returned:{invoice.id}",
        day=day,
        provider=None,
        actor=None,
        settled=True,
    )
    return _invoice_again(
        invoice, [_copy(line, amount, end) for line, amount, end in owed], None, day, open_key
    )


def _copy(line: InvoiceLine, amount: Decimal, end: date | None) -> InvoiceLine:
    """`line` again, for `amount` up to `end` (the whole line when they are its own)."""
    whole = amount == line.total_excl_vat and end == line.period_end
    return InvoiceLine(
        service_id=line.service_id,
        description=line.description,
        quantity=line.quantity if whole else 1,
        unit_price_excl_vat=line.unit_price_excl_vat if whole else amount,
        total_excl_vat=amount,
        period_start=line.period_start,
        period_end=end,
    )


def _invoice_again(
    invoice: Invoice,
    lines: list[InvoiceLine],
    service: Service | None,
    day: date,
    open_key: str | None,
) -> Invoice:
    """What is still owed of a cancelled `invoice`, under a new number, due as it was; paid,
    it does what the cancelled one would have (its on-paid action) but for the service
    that ended, if one did (no period added to it)."""
    excl = sum((line.total_excl_vat for line in lines), Decimal("0.00"))
    vat = round_cents(excl * invoice.vat_rate)
    on_paid = dict(invoice.on_paid or {})
    if "extend" in on_paid and service is not None:
        on_paid["extend"] = {
            key: value for key, value in on_paid["extend"].items() if int(key) != service.id
        }
    again = Invoice(
        account_id=invoice.account_id,
        account=invoice.account,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.AWAITING_PAYMENT,
        number=next_number(invoice.account.country.value, day.year),
        request_key=f"again:{invoice.id}"[:64],
        open_key=open_key,
        currency=invoice.currency,
        vat_rate=invoice.vat_rate,
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        terms_reference=invoice.terms_reference,
        issued_on=day,
        due_on=max(invoice.due_on or day, day),
        on_paid=on_paid,
        buyer=invoice.buyer,
        lines=lines,
    )
    db.session.add(again)
    db.session.flush()
    return again
