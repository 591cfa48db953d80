"""Paying for a service from My services: the invoice due (*Pay invoice*), a period paid
ahead (*Anticipate payment*, automatic services) and a renewal by hand (*Renew*, manual
services).

Each is paid once, whatever arrives at the same time: an invoice is claimed before the
provider is called (telephony.payments), and the invoice that anticipating or renewing
creates carries its form's token in a unique column, so the same form sent twice makes one
invoice. When the charge is refused nothing stays: no invoice, no new expiry.

Paying an invoice runs its on-paid action, SERVICE_PAID: the expiry moves on by the period
paid, and a service suspended for this debt is active again at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony import DomainError, NotFound, audit, payment_methods
from telephony.dates import add_months, local_today
from telephony.invoicing.numbering import next_number
from telephony.models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RenewalMode,
    Service,
    ServiceState,
    StoredPaymentMethod,
    User,
    utcnow,
)
from telephony.money import Price, price_for, round_cents
from telephony.payments import FAILURES, pay_invoices
from telephony.services.listing import invoice_overdue
from telephony.services.renewal import Blocked, RenewalBlocked, allowed_periods, blocked
from telephony.settings import settings
from telephony.wiring import Plug

#: invoice.on_paid["action"] of an invoice for services.
SERVICE_PAID = "service_paid"


def new_token() -> str:
    """The token of one payment form: sending that form twice pays once."""
    return secrets.token_urlsafe(16)


def due_invoice(account: Account, service: Service) -> Invoice | None:
    """The oldest invoice awaiting payment with a line for this service."""
    return db.session.scalar(
        select(Invoice)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(
            Invoice.account_id == account.id,
            InvoiceLine.service_id == service.id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
        )
        .order_by(Invoice.id)
        .limit(1)
    )


def usable_methods(account: Account, today: date) -> list[StoredPaymentMethod]:
    """The payment methods a payment may use now: every one but expired cards."""
    return [
        method
        for method in payment_methods.list_methods(account)
        if not payment_methods.expiry(method, today).expired
    ]


def _instrument(method: StoredPaymentMethod) -> str:
    """What the provider charges: the card's token, or the mandate's account."""
    if method.kind == PaymentMethod.CARD:
        return method.token
    if method.procedure is None:  # never: a mandate is made from its validated procedure
        raise NotFound(_l("This payment method does not exist."))
    return method.procedure.iban


def _charge(
    invoice: Invoice, method: StoredPaymentMethod, *, actor: User | None, provider, today: date
) -> Payment:
    return charge_many([invoice], method, actor=actor, provider=provider, today=today)[0]


def charge_many(
    invoices: list[Invoice],
    method: StoredPaymentMethod,
    *,
    actor: User | None,
    provider,
    today: date,
) -> list[Payment]:
    """Charge `invoices` as one payment with a saved method (not an expired card)."""
    if payment_methods.expiry(method, today).expired:
        raise DomainError(_l("This card has expired."), field="method")
    return pay_invoices(
        invoices,
        method=method.kind,
        instrument=_instrument(method),
        actor=actor,
        provider=provider,
    )


def pay_due(
    account: Account,
    service: Service,
    invoice: Invoice,
    method: StoredPaymentMethod,
    *,
    actor: User | None,
    provider,
    today: date,
) -> Payment:
    """Pay the invoice due of `service`. A refused charge is kept (as the purchase orders'
    are) and the invoice stays due; see Payment.status."""
    if invoice.account_id != account.id or method.account_id != account.id:
        raise NotFound(_l("This invoice does not exist."))
    if not any(line.service_id == service.id for line in invoice.lines):
        raise NotFound(_l("This invoice does not exist."))
    return _charge(invoice, method, actor=actor, provider=provider, today=today)


@dataclass(frozen=True)
class Option:
    """One period the customer may pay ahead: its price and the expiry it gives."""

    months: int
    price: Price
    new_expiry: date


def extension_refusal(service: Service, today: date) -> Blocked | None:
    """Why the service can't be paid ahead or renewed now: the states `blocked` names
    (a commitment forbids anticipating, not renewing by hand; renewing is what brings a
    lapsed service back)."""
    why = blocked(service, today)
    if why is not None and why.reason == "committed" and service.renewal_mode == RenewalMode.MANUAL:
        return None
    if why is not None and why.reason == "suspended":
        return None
    return why


def period_start(account: Account, service: Service, today: date | None = None) -> date:
    """Where a period paid now begins: the expiry, or the account's today for a service
    suspended since it lapsed (the days it was off are not sold). The page, the invoice
    and the new expiry all start there (they were three different dates, review)."""
    if service.state != ServiceState.SUSPENDED:
        return service.expires_on
    return max(service.expires_on, today or local_today(account.timezone))


def options(account: Account, service: Service, today: date | None = None) -> list[Option]:
    start = period_start(account, service, today)
    return [
        Option(
            months,
            price_for(service.monthly_price_excl_vat * months, account.country.value),
            add_months(start, months),
        )
        for months in allowed_periods(service)
    ]


class AlreadyDone(DomainError):
    """The same form was sent before (its token is taken): it was paid then."""


class ChangedSinceShown(DomainError):
    """A confirmation form no longer shows what is so: another window, an agent or the
    renewal run changed the service first. Nothing is done; the page shows what is now,
    to be confirmed again."""


def shown_digest(*parts) -> str:
    """What a confirmation page showed, in a hidden field of its form: confirming checks it
    against what it would show now (in the account's lock, so nothing changes between)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def extension_digest(service: Service) -> str:
    """What the Anticipate payment / Renew page shows of a service: from when each period
    counts and at what price."""
    return shown_digest(
        service.id,
        service.expires_on.isoformat(),
        service.renewal_mode.value,
        service.state.value,
        str(service.monthly_price_excl_vat),
    )


def token_used(token: str) -> bool:
    """Whether the form with this token made its invoice already (read in the account's
    lock: a copy sent at the same time waits for the first)."""
    return bool(token) and (
        db.session.scalar(select(Invoice.id).where(Invoice.request_key == token)) is not None
    )


def check_shown(shown: str | None, now: str, message) -> None:
    if shown != now:
        raise ChangedSinceShown(message)


def extend(
    account: Account,
    service: Service,
    months: int | str | None,
    method: StoredPaymentMethod,
    *,
    token: str,
    shown: str | None,
    actor: User | None,
    provider,
    today: date,
) -> tuple[Invoice, Payment]:
    """Anticipate (an automatic service) or renew (a manual one) by `months`: an invoice for
    the period, paid at once with `method`; paid, it moves the expiry on by the period (the
    remaining validity is kept). Refused, nothing stays. `shown` is the page's
    `extension_digest`: a page shown before the service changed (a payment made from
    another window) pays nothing."""
    if service.account_id != account.id or method.account_id != account.id:
        raise NotFound(_l("This service does not exist."))
    if token_used(token):
        raise AlreadyDone(_l("This payment was already made."))
    check_shown(
        shown,
        extension_digest(service),
        _l(
            "This service has changed since the page was shown: check the new expiry "
            "and confirm again."
        ),
    )
    why = extension_refusal(service, today)
    if why is not None:
        raise RenewalBlocked(why)
    if months is None or not any(str(o.months) == str(months) for o in options(account, service)):
        raise DomainError(_l("Choose one of the periods offered."), field="period")
    return extend_many(
        account,
        [(service, int(months))],
        method,
        token=token,
        actor=actor,
        provider=provider,
        today=today,
    )


def form_invoice(
    account: Account,
    lines: list[InvoiceLine],
    *,
    token: str,
    actor: User | None,
    today: date,
    due_on: date,
    on_paid: dict,
    already: str,
) -> Invoice:
    """A services invoice that one form asked for, added once: its token is unique, so a
    copy of the form stops here with AlreadyDone(`already`). VAT on the total."""
    if not token or len(token) > 64:
        raise DomainError(_l("This form has expired: open the page again."))
    excl = sum((line.total_excl_vat for line in lines), Decimal("0.00"))
    vat = round_cents(excl * account.vat_rate)
    invoice = Invoice(
        account_id=account.id,
        account=account,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.AWAITING_PAYMENT,
        request_key=token,
        currency=account.currency,
        vat_rate=account.vat_rate,
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        on_paid=on_paid,
        issued_on=today,
        due_on=due_on,
        created_by_id=actor.id if actor else None,
        lines=lines,
    )
    try:
        with db.session.begin_nested():  # the unique token: a copy of the form stops here
            # Its number is taken in the same savepoint: a copy gives it back (no gap).
            invoice.number = next_number(account.country.value, today.year)
            db.session.add(invoice)
    except IntegrityError:
        raise AlreadyDone(already) from None
    return invoice


def extend_many(
    account: Account,
    periods: list[tuple[Service, int]],
    method: StoredPaymentMethod,
    *,
    token: str,
    actor: User | None,
    provider,
    today: date,
) -> tuple[Invoice, Payment]:
    """One invoice for each (service, months), paid at once with `method`: the services'
    expiries move on when it is paid. The form's `token` makes a copy sent twice stop here;
    a refused charge leaves nothing (the caller's transaction is rolled back)."""
    if method.account_id != account.id:
        raise NotFound(_l("This payment method does not exist."))
    lines = [
        InvoiceLine(
            service_id=service.id,
            description=service.name,
            quantity=months,
            unit_price_excl_vat=service.monthly_price_excl_vat,
            total_excl_vat=round_cents(service.monthly_price_excl_vat * months),
            period_start=period_start(account, service, today),
            period_end=add_months(period_start(account, service, today), months),
        )
        for service, months in periods
    ]
    invoice = form_invoice(
        account,
        lines,
        token=token,
        actor=actor,
        today=today,
        due_on=today,
        on_paid={
            "action": SERVICE_PAID,
            "extend": {str(service.id): months for service, months in periods},
        },
        already=_l("This payment was already made."),
    )
    before = {service.id: service.expires_on for service, _m in periods}
    payment = _charge(invoice, method, actor=actor, provider=provider, today=today)
    if payment.status != PaymentStatus.SUCCEEDED:
        raise DomainError(
            FAILURES.get(payment.failure_reason, _l("The payment was refused.")), field="method"
        )
    for service, months in periods:
        audit.record(
            "service.renewed"
            if service.renewal_mode == RenewalMode.MANUAL
            else "service.anticipated",
            account=account,
            actor=actor,
            target_type="service",
            target_id=service.id,
            before={"expires": before[service.id].isoformat()},
            after={
                "expires": service.expires_on.isoformat(),
                "period": months,
                "invoice": invoice.number,
                "name": service.name,
            },
        )
    return invoice, payment


def align(
    account: Account,
    alignments: list[tuple[Service, date, int, Decimal]],
    day: int,
    method: StoredPaymentMethod | None,
    *,
    token: str,
    actor: User | None,
    provider,
    today: date,
) -> Invoice:
    """Move each service's expiry to its aligned date (service, new expiry, days added,
    prorated price excl. VAT) and invoice the days added: collected at once from `method`
    when there is one, else (or when it is refused) an invoice to pay, as the renewal
    run's are. The account remembers the day. Once per form token."""
    lines = [
        InvoiceLine(
            service_id=service.id,
            description=service.name,
            quantity=1,  # the days added, priced as a whole (qty × unit = line total)
            unit_price_excl_vat=amount,
            total_excl_vat=amount,
            period_start=service.expires_on,
            period_end=new_expiry,
        )
        for service, new_expiry, days, amount in alignments
    ]
    invoice = form_invoice(
        account,
        lines,
        token=token,
        actor=actor,
        today=today,
        due_on=today + timedelta(days=settings().service_payment_days),
        on_paid={"action": SERVICE_PAID},
        already=_l("This alignment was already made."),
    )
    account.renewal_day = day
    for service, new_expiry, days, _amount in alignments:
        audit.record(
            "service.aligned",
            account=account,
            actor=actor,
            target_type="service",
            target_id=service.id,
            before={"expires": service.expires_on.isoformat()},
            after={
                "expires": new_expiry.isoformat(),
                "days": days,
                "invoice": invoice.number,
                "name": service.name,
            },
        )
        service.expires_on = new_expiry
    db.session.flush()
    if method is not None and not payment_methods.expiry(method, today).expired:
        _charge(invoice, method, actor=actor, provider=provider, today=today)
    return invoice


def service_paid(invoice: Invoice, actor: User | None) -> None:
    """On-paid action of an invoice for services: the expiry of each service paid ahead
    moves on by its period, and a service suspended for this debt is active again."""
    extend_by = {int(k): int(v) for k, v in (invoice.on_paid or {}).get("extend", {}).items()}
    ids = {line.service_id for line in invoice.lines if line.service_id is not None}
    # Where each period paid begins, as invoiced (a lapsed service's: the day it was sold).
    starts = {line.service_id: line.period_start for line in invoice.lines if line.period_start}
    for service in db.session.scalars(select(Service).where(Service.id.in_(ids))):
        if service.id in extend_by:
            start = service.expires_on
            if service.state == ServiceState.SUSPENDED:  # lapsed: from the invoiced day
                start = max(start, starts.get(service.id) or local_today(invoice.account.timezone))
            service.expires_on = add_months(start, extend_by[service.id])
            if service.renewal_mode == RenewalMode.MANUAL:
                service.renewed_on = utcnow().date()
                service.suspended_on = None
        if service.state == ServiceState.SUSPENDED and not _overdue(
            service, local_today(invoice.account.timezone)
        ):
            service.state = ServiceState.ACTIVE
            service.suspended_on = None
            audit.record(
                "service.reactivated",
                account=invoice.account,
                actor=actor,
                target_type="service",
                target_id=service.id,
                after={"name": service.name, "invoice": invoice.number},
            )


def _overdue(service: Service, today: date) -> bool:
    """Another invoice of the service is still unpaid past its due date, as the renewal run
    suspends for: paying one of two did bring it back (and the next run suspended it
    again)."""
    return bool(db.session.scalar(select(invoice_overdue(today)).where(Service.id == service.id)))


def get_method(account: Account, method_id: str | None) -> StoredPaymentMethod | None:
    """The method a form names, if it is the account's."""
    if not method_id or not (method_id.isascii() and method_id.isdigit()) or len(method_id) > 12:
        return None
    try:
        return payment_methods.get(account, int(method_id))
    except NotFound:
        return None


PLUG = Plug(paid={SERVICE_PAID: service_paid})
