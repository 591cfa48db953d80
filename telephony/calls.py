"""Simultaneous calls of a line: how many, what more costs, and how the number changes.

Rules:
* Découverte (and any offer whose basic calls equal its maximum) is fixed; Entreprise goes
  from its basic calls up to the line's maximum;
* an increase costs EXTRA_CALL_PRICE excl. VAT a month per extra call (in the account's
  currency, VAT of its country); it produces a purchase order that needs the terms accepted,
  and the calls are added once the order is paid. The order pays them from the day it is
  made to the end of the period the line has paid (its service's expiry; a month when
  nothing is paid ahead), by the rule of refunds (whole months at the monthly price, the
  days of a part month in proportion): the renewal then bills them with the line. (It
  paid a month, and a monthly line renewed on the 1st paid the days to the order's month
  end twice.);
* a decrease is a task carried out at the next renewal; while it is pending, no other
  change of calls (nor a second purchase order);
* while a termination or conversion is pending, the calls don't change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from extensions import db, rows_changed
from telephony import DomainError, NotFound, audit
from telephony.billing import (
    CALLS_ORDER,
    LINE_LIFECYCLE,
    excluded,
    pending_key,
    pending_line_changes,
    schedule,
)
from telephony.dates import add_months, local_today, next_billing_date
from telephony.directory import international
from telephony.invoicing.numbering import next_number
from telephony.mail import queue_email
from telephony.models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Line,
    LineStatus,
    ScheduledTask,
    Service,
    ServiceState,
    TaskAction,
    User,
    utcnow,
)
from telephony.money import Price, price_for, round_cents
from telephony.settings import settings
from telephony.wiring import Plug

REMOVE = TaskAction.REMOVE_CALLS
ADD_ON_PAYMENT = "add_calls"
#: Pending-key kind shared by every change of a line's calls.
KIND = "calls"


@dataclass(frozen=True)
class Quote:
    """What an increase to `new_total` calls costs each month."""

    line: Line
    new_total: int
    added: int
    unit: Price
    total: Price
    #: What this order pays: the added calls from `start` to `end` (excluded), each
    #: `first_unit` excl. VAT.
    start: date
    end: date
    first_unit: Decimal
    first: Price

    @property
    def last_day(self) -> date:
        """The last day this order pays for (`end` is the first one it does not)."""
        return self.end - timedelta(days=1)


def open_orders(account: Account) -> list[Invoice]:
    """Purchase orders of the account still awaiting payment (few: one per line at most)."""
    return list(
        db.session.scalars(
            select(Invoice).where(
                Invoice.account_id == account.id,
                Invoice.kind == InvoiceKind.PURCHASE_ORDER,
                Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
            )
        )
    )


def get_order(account: Account, order_id: int) -> Invoice:
    """A purchase order of the account, with its lines; NotFound otherwise."""
    order = db.session.scalar(
        select(Invoice)
        .where(
            Invoice.id == order_id,
            Invoice.account_id == account.id,
            Invoice.kind == InvoiceKind.PURCHASE_ORDER,
        )
        .options(selectinload(Invoice.lines))
    )
    if order is None:
        raise NotFound(_l("This purchase order does not exist."))
    return order


def order_key(line: Line) -> str:
    """The open key of a line's purchase order: unique, so one per line awaits payment."""
    return pending_key("line", line.id, CALLS_ORDER)


def open_order_for(account: Account, line: Line) -> Invoice | None:
    return db.session.scalar(
        select(Invoice).where(Invoice.account_id == account.id, Invoice.open_key == order_key(line))
    )


def pending_removal(account: Account, line: Line) -> ScheduledTask | None:
    return db.session.scalar(
        select(ScheduledTask).where(
            ScheduledTask.account_id == account.id,
            ScheduledTask.pending_key == pending_key("line", line.id, KIND),
        )
    )


def pending_line_actions(account: Account, line: Line) -> set[str]:
    return pending_line_changes(account, [line.id])[line.id]


def suspended(account: Account, line: Line):
    """The refusal of any change of calls while the line's service is suspended."""
    from telephony.lifecycle import SUSPENDED, suspended_targets

    return SUSPENDED if suspended_targets(account, "line", [line.id]) else None


def refusal(line: Line, pending: set[str]):
    """Why the calls of `line` can't change at all (a translatable message), or None."""
    if line.status != LineStatus.ACTIVE:
        return _l("This line is terminated.")
    if not line.calls_adjustable:
        return _l(
            "The simultaneous calls of the offer %(offer)s are fixed at %(num)d.",
            offer=line.offer.name,
            num=line.offer.basic_calls,
        )
    if REMOVE in pending:
        return _l(
            "A removal of simultaneous calls is pending: no other change until it is applied."
        )
    if excluded(REMOVE, pending) & LINE_LIFECYCLE:
        return _l("A termination or conversion is pending for this line.")
    return None


def upgrade_for_calls(account: Account, line: Line):
    """The offer this line may move to that lets it have more calls (Découverte →
    Entreprise), or None."""
    from telephony import offers

    return next(
        (
            choice.offer
            for choice in offers.choices_for(line, account)
            if choice.offer.max_calls > choice.offer.basic_calls
        ),
        None,
    )


def _order_refusal(pending: set[str]):
    """An open purchase order excludes every other change of the line's calls."""
    if CALLS_ORDER in pending:
        return _l("A purchase order for this line is awaiting payment: pay or cancel it first.")
    return None


def check_total(line: Line, new_total: int | None) -> int:
    """`new_total` when it is a valid number of calls for `line`, else DomainError."""
    lowest, highest = line.calls_basic, line.calls_max
    if new_total is None or not lowest <= new_total <= highest:
        raise DomainError(
            _l(
                "Enter a number of simultaneous calls from %(min)d to %(max)d.",
                min=lowest,
                max=highest,
            ),
            field="calls",
        )
    if new_total == line.calls_current:
        raise DomainError(
            _ln(
                "The line already has %(num)d simultaneous call.",
                "The line already has %(num)d simultaneous calls.",
                new_total,
            ),
            field="calls",
        )
    return new_total


def _service_id(line: Line) -> int | None:
    return db.session.scalar(
        select(Service.id)
        .where(
            Service.target_type == "line",
            Service.target_id == line.id,
            Service.state != ServiceState.TERMINATED,
        )
        .order_by(Service.id.desc())
        .limit(1)
    )


def paid_until(line: Line, today: date) -> date:
    """The end of the period the line has paid (its service's expiry), or a month from
    `today` for a line without a service. A line whose renewal is due (today, before the
    run, or unpaid) takes no order: it paid a month that the renewal then billed again at
    the new price (review)."""
    expires = db.session.scalar(
        select(func.max(Service.expires_on)).where(
            Service.target_type == "line",
            Service.target_id == line.id,
            Service.state != ServiceState.TERMINATED,
        )
    )
    if expires is None:
        return add_months(today, 1)
    if expires <= today:
        raise DomainError(
            _l("This line's renewal is due: order extra calls once it is renewed."),
            field="calls",
        )
    return expires


def quote(account: Account, line: Line, new_total: int) -> Quote:
    from telephony.invoicing.credit_notes import unused_value

    added = max(0, new_total - line.calls_current)
    country = account.country.value
    unit = settings().extra_call_price
    start = local_today(account.timezone)
    # (Nothing added, nothing paid: the page's unit price, whatever the line's renewal.)
    end = paid_until(line, start) if added else start
    first_unit = unused_value(unit, start, end)
    return Quote(
        line=line,
        new_total=new_total,
        added=added,
        unit=price_for(unit, country),
        total=price_for(round_cents(unit * added), country),
        start=start,
        end=end,
        # Per call for the days, then times the calls: the order's line as printed.
        first_unit=first_unit,
        first=price_for(first_unit * added, country),
    )


def _order_number() -> str:
    return f"PO-{utcnow():%Y%m%d}-{secrets.token_hex(4).upper()}"


def order_calls(
    account: Account,
    line: Line,
    new_total: int | None,
    *,
    actor: User | None,
    terms_accepted: bool,
    reason: str = "",
) -> Invoice:
    """An increase: a purchase order that adds the calls once paid (caller's transaction)."""
    pending = pending_line_actions(account, line)
    blocked = refusal(line, pending) or suspended(account, line)
    if blocked:
        raise DomainError(blocked, field="calls")
    new_total = check_total(line, new_total)
    if new_total < line.calls_current:
        raise DomainError(_l("A decrease does not need a purchase order."), field="calls")
    blocked = _order_refusal(pending)
    if blocked:
        raise DomainError(blocked, field="calls")
    if not terms_accepted:
        raise DomainError(_l("Accept the terms of sale to order."), field="terms")
    offer = quote(account, line, new_total)
    with force_locale(account.language):  # the order is written in the customer's language
        description = gettext(
            "Extra simultaneous calls on line %(number)s",
            number=international(line.number),  # as people read it, on screen and in the PDF
        )
    order = Invoice(
        account_id=account.id,
        account=account,
        number=_order_number(),
        kind=InvoiceKind.PURCHASE_ORDER,
        status=InvoiceStatus.AWAITING_PAYMENT,
        open_key=order_key(line),
        currency=offer.first.currency,
        vat_rate=offer.first.vat_rate,
        total_excl_vat=offer.first.excl_vat,
        total_vat=offer.first.vat,
        total_incl_vat=offer.first.incl_vat,
        terms_reference=current_app.config["OPERATOR"]["terms_reference"],
        on_paid={
            "action": ADD_ON_PAYMENT,
            "line_id": line.id,
            "add": offer.added,
            "from": line.calls_current,
        },
        created_by_id=actor.id if actor else None,
        lines=[
            InvoiceLine(
                # The line's service: what the order paid ahead is refunded with it when the
                # line ends before (it was kept: no refund looked at an order's invoice).
                service_id=_service_id(line),
                description=description,
                quantity=offer.added,
                unit_price_excl_vat=offer.first_unit,
                total_excl_vat=offer.first.excl_vat,
                period_start=offer.start,
                period_end=offer.end,
            )
        ],
    )
    try:
        with db.session.begin_nested():
            db.session.add(order)
    except IntegrityError:  # the unique open key: another order for this line won
        raise DomainError(
            _l("A purchase order for this line is awaiting payment: pay or cancel it first."),
            field="calls",
        ) from None
    audit.record(
        "calls.order_created",
        account=account,
        actor=actor,
        target_type="line",
        target_id=line.id,
        before={"calls_current": line.calls_current},
        after={"order": order.number, "calls_current": new_total, "terms_accepted": True},
        reason=reason,
    )
    return order


def cancel_order(account: Account, order: Invoice, *, actor: User | None, reason: str = "") -> None:
    """awaiting payment → cancelled, by a conditional UPDATE (a payment can't slip between)."""
    cancelled = rows_changed(
        update(Invoice)
        .where(
            Invoice.id == order.id,
            Invoice.account_id == account.id,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
        )
        .values(status=InvoiceStatus.CANCELLED, open_key=None)
        .execution_options(synchronize_session="fetch")
    )
    if cancelled != 1:
        raise DomainError(_l("This purchase order can no longer be cancelled."))
    audit.record(
        "calls.order_cancelled",
        account=account,
        actor=actor,
        target_type="invoice",
        target_id=order.id,
        after={"order": order.number},
        reason=reason,
    )


def _update_service_price(line: Line, settle_from: date) -> None:
    """The line's services at its price now. A period they paid ahead at the old price (a
    year, say) is settled at the difference from `settle_from` to its end, as after an
    offer change (telephony.invoicing.repricing): more calls, an invoice of the difference;
    fewer, a credit note."""
    from telephony.invoicing.repricing import settle_price_change
    from telephony.payments import configured_provider

    for service in db.session.scalars(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    ):
        old_price = service.monthly_price_excl_vat
        service.monthly_price_excl_vat = line.monthly_price_excl_vat
        settle_price_change(service, old_price, settle_from, provider=configured_provider())


def check_paid_calls(order: Invoice) -> Line:
    """What paying the purchase order would refuse, before anything is charged (the
    payment's `payable` check): its line ended, or its calls beyond the line's maximum."""
    line = db.session.get(Line, order.on_paid["line_id"])
    if line is None or line.account_id != order.account_id or line.status != LineStatus.ACTIVE:
        raise DomainError(_l("This line is terminated."))
    if line.calls_current + int(order.on_paid["add"]) > line.calls_max:
        raise DomainError(
            _l("This order would exceed the line's maximum of simultaneous calls."),
        )
    return line


def cancel_orders_of_lines(line_ids: list[int]) -> None:
    """The purchase orders still awaiting payment of lines that end: cancelled (nothing
    is left to pay for a line that is gone), by their open keys."""
    if not line_ids:
        return
    keys = [pending_key("line", line_id, CALLS_ORDER) for line_id in line_ids]
    db.session.execute(
        update(Invoice)
        .where(
            Invoice.open_key.in_(keys),
            Invoice.kind == InvoiceKind.PURCHASE_ORDER,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
        )
        .values(status=InvoiceStatus.CANCELLED, open_key=None)
        .execution_options(synchronize_session="fetch")
    )


def add_paid_calls(order: Invoice, actor: User | None) -> None:
    """The purchase order is paid: the line gets its calls now."""
    line = check_paid_calls(order)
    account = order.account
    added = int(order.on_paid["add"])
    before = line.calls_current
    line.calls_current += added
    # The order paid the added calls up to the end of its period (the line's expiry when
    # it was made); what the service paid beyond it, at the old price (a renewal since),
    # is settled at the difference.
    paid_to = order.lines[0].period_end if order.lines else None
    _update_service_price(line, paid_to or add_months(local_today(account.timezone), 1))
    audit.record(
        "calls.added",
        account=account,
        actor=actor,
        target_type="line",
        target_id=line.id,
        before={"calls_current": before},
        after={"calls_current": line.calls_current, "order": order.number},
    )
    queue_email(account, "calls_added", line=line, order=order, added=added)
    _invoice_paid_order(order)


#: The start of the request key of the invoice of a paid purchase order.
ORDER_INVOICE_KEY = "order:"


def _invoice_paid_order(order: Invoice) -> Invoice | None:
    """A paid purchase order is a sale: its invoice, paid, numbered in the invoices'
    sequence, with the order's lines and totals. Once per order (its unique key)."""
    account = order.account
    today = local_today(account.timezone)
    invoice = Invoice(
        account_id=account.id,
        account=account,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.PAID,
        request_key=f"{ORDER_INVOICE_KEY}{order.number}"[:64],
        currency=order.currency,
        vat_rate=order.vat_rate,
        total_excl_vat=order.total_excl_vat,
        total_vat=order.total_vat,
        total_incl_vat=order.total_incl_vat,
        terms_reference=order.terms_reference,
        on_paid={},
        issued_on=today,
        due_on=today,
        paid_at=utcnow(),
        buyer=order.buyer,  # the customer the order was made with
        created_by_id=order.created_by_id,
        lines=[
            InvoiceLine(
                description=line.description,
                quantity=line.quantity,
                unit_price_excl_vat=line.unit_price_excl_vat,
                total_excl_vat=line.total_excl_vat,
                period_start=line.period_start,
                period_end=line.period_end,
                service_id=line.service_id,
            )
            for line in order.lines
        ],
    )
    try:
        with db.session.begin_nested():  # the key: an order is invoiced once
            invoice.number = next_number(account.country.value, today.year)
            db.session.add(invoice)
    except IntegrityError:
        return None
    return invoice


def request_removal(
    account: Account,
    line: Line,
    new_total: int | None,
    *,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> ScheduledTask:
    """A decrease: the calls go at the next renewal; shown "to be removed" until then."""
    pending = pending_line_actions(account, line)
    blocked = refusal(line, pending) or suspended(account, line) or _order_refusal(pending)
    if blocked:
        raise DomainError(blocked, field="calls")
    new_total = check_total(line, new_total)
    if new_total > line.calls_current:
        raise DomainError(_l("An increase needs a purchase order."), field="calls")
    remove = line.calls_current - new_total
    task = schedule(
        account=account,
        action=REMOVE,
        kind=KIND,
        target_type="line",
        target_id=line.id,
        execute_on=next_billing_date(account.timezone, now),
        actor=actor,
        params={"remove": remove, "from": line.calls_current},
        reason=reason,
    )
    line.calls_to_remove = remove
    return task


def _removal_cancelled(task: ScheduledTask) -> None:
    line = db.session.get(Line, task.target_id)
    if line is not None:
        line.calls_to_remove = 0


def apply_removal(task: ScheduledTask, day: date) -> str:
    line = db.session.get(Line, task.target_id)
    if line is None or line.status != LineStatus.ACTIVE:
        raise DomainError("the line is no longer active")
    account = db.session.get_one(Account, task.account_id)
    before = line.calls_current
    remove = min(int(task.params["remove"]), line.calls_current - line.calls_basic)
    line.calls_current -= max(0, remove)
    line.calls_to_remove = 0
    # From the day it was due, as an offer change: a run late by two days settled the
    # difference from its own day, and kept two days of the calls removed.
    effective = min(task.execute_on or day, day)
    _update_service_price(line, effective)
    audit.record(
        "calls.removed",
        account=account,
        actor=None,
        target_type="line",
        target_id=line.id,
        before={"calls_current": before},
        after={"calls_current": line.calls_current},
    )
    queue_email(account, "calls_removed", line=line, day=effective, before=before)
    return f"calls {before} -> {line.calls_current}"


PLUG = Plug(
    tasks={REMOVE: apply_removal},
    cancel_hooks={REMOVE: _removal_cancelled},
    paid={ADD_ON_PAYMENT: add_paid_calls},
    payable={ADD_ON_PAYMENT: check_paid_calls},
)
