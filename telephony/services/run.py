"""The renewal run's part for services (`flask renew`, after the scheduled tasks).

In order, as of the run's day:

1. *Renew*: each automatic service whose expiry has come renews for its period (every
   period that has come, if runs were missed) and is invoiced, one invoice per account;
2. *Collect*: each such invoice is paid from the account's default payment method (a card
   through the provider, or its SEPA mandate); without one, or when the charge is refused,
   it waits as "invoice to pay" and the account is told;
3. *Suspend*: a manual service not renewed by its expiry, and an automatic one whose
   renewal invoice is unpaid after its due date (SERVICE_PAYMENT_DAYS);
4. *Delete*: a manual service suspended for SERVICE_DELETE_AFTER_DAYS; its numbers go into
   quarantine (NUMBER_QUARANTINE_DAYS) before anybody else may be given them;
5. *Remind*: manual services SERVICE_REMINDER_DAYS before their expiry, and automatic ones
   with a period over one month the month before (one message listing what will renew).

Every step works a batch of accounts at a time, in one transaction, holding those
accounts' locks (telephony.locking, in account order, as requests take them) and reading
its candidates again under them. A second run at the same time waits for the batch and
then finds nothing left to do; a run killed halfway loses its batch's transaction, which
the next run does again. So each service renews once per period and each notice goes out
once (the notices are also unique in the database). The work is done in bulk statements,
so that 100,000 services take seconds, not hours."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import OperationalError

from extensions import db, rows_changed
from telephony import audit, payment_methods
from telephony.dates import add_months
from telephony.invoicing.buyer import copies
from telephony.invoicing.collection import waiting_for_debit
from telephony.invoicing.numbering import next_numbers
from telephony.invoicing.repricing import KEY_PREFIX as REPRICING_KEY
from telephony.locking import lock_account
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AliasNumber,
    AuditEvent,
    InventoryState,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Line,
    LineStatus,
    NumberQuarantine,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RenewalMode,
    Service,
    ServiceNotice,
    ServiceNumber,
    ServiceState,
    StoredPaymentMethod,
    utcnow,
)
from telephony.money import CENT, Price, price_for, round_cents
from telephony.payments import PROVIDERS, pay_invoice
from telephony.services.listing import invoice_overdue
from telephony.services.paying import SERVICE_PAID, _instrument
from telephony.settings import settings

log = logging.getLogger(__name__)

#: About this many services are worked in one transaction.
BATCH = 1000


@dataclass
class ServiceRunReport:
    day: date
    renewed: int = 0
    invoices: int = 0
    collected: int = 0
    to_pay: int = 0
    #: Left to the direct-debit collection (the account pays by SEPA mandate).
    by_debit: int = 0
    suspended: int = 0
    deleted: int = 0
    reminded: int = 0
    #: Cards whose holders were told they expire within a month.
    cards: int = 0
    #: Batches left for the next run (database busy).
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"services {self.day.isoformat()}: {self.renewed} renewed on {self.invoices} "
            f"invoice(s), {self.collected} collected, {self.to_pay} to pay, "
            f"{self.suspended} suspended, {self.deleted} deleted, {self.reminded} reminder(s), "
            f"{self.cards} card(s) expiring"
            + (f", {self.by_debit} left to direct debit" if self.by_debit else "")
            + (f", {self.skipped} batch(es) left for the next run" if self.skipped else "")
        )


def run_services(day: date, *, provider=None, batch: int = BATCH) -> ServiceRunReport:
    report = ServiceRunReport(day)
    _renew(day, report, batch)
    _collect(day, report, provider or PROVIDERS["sandbox"])
    _suspend(day, report, batch)
    _delete(day, report, batch)
    _remind(day, report, batch)
    _card_notices(day, report)
    return report


# --- Batches of accounts ------------------------------------------------------------------


def _batches(candidates, batch: int) -> list[list[int]]:
    """Accounts grouped so that each group holds about `batch` candidate services:
    `candidates` selects (account_id, count) rows."""
    groups: list[list[int]] = [[]]
    size = 0
    for account_id, count in db.session.execute(candidates):
        if size and size + count > batch:
            groups.append([])
            size = 0
        groups[-1].append(account_id)
        size += count
    db.session.commit()  # end the read transaction before the batches' own
    return [group for group in groups if group]


def _per_account(condition, batch: int):
    return _batches(
        select(Service.account_id, func.count(Service.id))
        .where(condition)
        .group_by(Service.account_id)
        .order_by(Service.account_id),
        batch,
    )


def _locked(account_ids: list[int], work: Callable[[list[int]], int], report) -> int:
    """Run `work(account_ids)` in one transaction holding those accounts' locks."""
    try:
        for account_id in sorted(account_ids):
            lock_account(account_id)
        done = work(account_ids)
        db.session.commit()
        return done
    except OperationalError:  # database busy: the next run does this batch
        db.session.rollback()
        log.warning("services run: a batch of %d accounts left for later", len(account_ids))
        report.skipped += 1
        return 0


def _accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    return {
        account.id: account
        for account in db.session.scalars(select(Account).where(Account.id.in_(list(account_ids))))
    }


# --- 1. Renew -----------------------------------------------------------------------------


def _billed_until_it_ends():
    """Not ending, or ending after its paid period: a service whose termination waits for
    the end of a commitment is renewed (and suspended if unpaid) until then, since the
    months committed to are due whatever happens."""
    return Service.terminate_on.is_(None) | (Service.expires_on < Service.terminate_on)


def _renewable(day: date):
    return (
        (Service.state == ServiceState.ACTIVE)
        & (Service.renewal_mode == RenewalMode.AUTOMATIC)
        & _billed_until_it_ends()
        & (Service.expires_on <= day)
    )


def _renew(day: date, report: ServiceRunReport, batch: int) -> None:
    for account_ids in _per_account(_renewable(day), batch):
        report.renewed += _locked(account_ids, lambda ids: _renew_batch(ids, day, report), report)


def _renew_batch(account_ids: list[int], day: date, report: ServiceRunReport) -> int:
    rows = db.session.execute(
        select(
            Service.id,
            Service.account_id,
            Service.name,
            Service.period_months,
            Service.expires_on,
            Service.monthly_price_excl_vat,
        )
        .where(Service.account_id.in_(account_ids), _renewable(day))
        .order_by(Service.account_id, Service.id)
    ).all()
    if not rows:
        return 0
    accounts = _accounts({row.account_id for row in rows})
    updates, lines = [], defaultdict(list)
    for row in rows:
        period = max(row.period_months, 1)
        start, expiry = row.expires_on, row.expires_on
        while expiry <= day:  # every period that has come, once
            lines[row.account_id].append(
                {
                    "service_id": row.id,
                    "description": row.name,
                    "quantity": period,
                    "unit_price_excl_vat": row.monthly_price_excl_vat,
                    "total_excl_vat": round_cents(row.monthly_price_excl_vat * period),
                    "period_start": expiry,
                    "period_end": add_months(expiry, period),
                }
            )
            start, expiry = expiry, add_months(expiry, period)
        updates.append({"id": row.id, "expires_on": expiry, "renewed_on": start})
    db.session.execute(update(Service), updates)
    invoices = []
    for account_id, items in lines.items():
        account = accounts[account_id]
        excl = sum((item["total_excl_vat"] for item in items), Decimal("0.00"))
        vat = round_cents(excl * account.vat_rate)
        invoices.append(
            {
                "account_id": account_id,
                "kind": InvoiceKind.INVOICE,
                "status": InvoiceStatus.AWAITING_PAYMENT,
                "currency": account.currency,
                "vat_rate": account.vat_rate,
                "total_excl_vat": excl.quantize(CENT),
                "total_vat": vat,
                "total_incl_vat": excl + vat,
                "terms_reference": "",
                "on_paid": {"action": SERVICE_PAID},
                "issued_on": day,
                "due_on": day + timedelta(days=settings().service_payment_days),
                "created_at": utcnow(),
            }
        )
    # Numbers in the order of the accounts, each company's sequence taken once per batch.
    numbers = {
        country: iter(next_numbers(country, day.year, count))
        for country, count in Counter(
            accounts[invoice["account_id"]].country.value for invoice in invoices
        ).items()
    }
    customers = copies(db.session.connection(), list(accounts))
    for invoice in invoices:
        invoice["number"] = next(numbers[accounts[invoice["account_id"]].country.value])
        invoice["buyer"] = customers[invoice["account_id"]]  # (no ORM event here)
    made = db.session.execute(
        insert(Invoice).returning(Invoice.id, Invoice.account_id, sort_by_parameter_order=True),
        invoices,
    ).all()
    db.session.execute(
        insert(InvoiceLine),
        [
            {**item, "invoice_id": invoice.id}
            for invoice in made
            for item in lines[invoice.account_id]
        ],
    )
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "account_id": invoice.account_id,
                "on_behalf": False,
                "action": "service.renewal_invoiced",
                "target_type": "invoice",
                "target_id": invoice.id,
                "reason": "",
                "after": {
                    "invoice": values["number"],
                    "services": len(lines[invoice.account_id]),
                    "amount": str(values["total_incl_vat"]),
                },
            }
            for invoice, values in zip(made, invoices, strict=True)
        ],
    )
    report.invoices += len(made)
    return len(rows)


# --- 2. Collect ---------------------------------------------------------------------------


def _collect(day: date, report: ServiceRunReport, provider) -> None:
    """Each renewal invoice (or price difference, telephony.invoicing.repricing) not yet
    tried, one transaction each (the provider is called
    inside it; the claim makes it once)."""
    invoice_ids = db.session.scalars(
        select(Invoice.id)
        .where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
            Invoice.issued_on.is_not(None),
            Invoice.issued_on <= day,
            # The run's own invoices, and a price difference's (a form's are paid at once).
            Invoice.request_key.is_(None) | Invoice.request_key.startswith(REPRICING_KEY),
            ~exists(select(Payment.id).where(Payment.invoice_id == Invoice.id)),
            ~exists(
                select(AuditEvent.id).where(
                    AuditEvent.action == "service.invoice_to_pay",
                    AuditEvent.target_type == "invoice",
                    AuditEvent.target_id == Invoice.id,
                )
            ),
        )
        .order_by(Invoice.id)
    ).all()
    db.session.commit()
    for invoice_id in invoice_ids:
        try:
            _collect_one(invoice_id, day, report, provider)
            db.session.commit()
        except OperationalError:
            db.session.rollback()
            report.skipped += 1


def _collect_one(invoice_id: int, day: date, report: ServiceRunReport, provider) -> None:
    account_id = db.session.scalar(select(Invoice.account_id).where(Invoice.id == invoice_id))
    if account_id is None:
        return  # no such invoice any more
    lock_account(account_id)
    invoice = db.session.get_one(Invoice, invoice_id)
    if invoice.status != InvoiceStatus.AWAITING_PAYMENT or db.session.scalar(
        select(Payment.id).where(Payment.invoice_id == invoice.id).limit(1)
    ):
        return  # paid or tried meanwhile
    account = invoice.account
    method = payment_methods.default_method(account)
    if method is not None and method.kind == PaymentMethod.SEPA_DEBIT:
        if waiting_for_debit(account):  # the next pain.008 file collects it
            report.by_debit += 1
            return
    usable = method is not None and not payment_methods.expiry(method, day).expired
    if method is not None and usable:
        payment = pay_invoice(
            invoice,
            method=method.kind,
            instrument=_instrument(method),
            actor=None,
            provider=provider,
        )
        if payment.status == PaymentStatus.SUCCEEDED:
            report.collected += 1
            return
    report.to_pay += 1
    audit.record(
        "service.invoice_to_pay",
        account=account,
        actor=None,
        target_type="invoice",
        target_id=invoice.id,
        after={"invoice": invoice.number, "amount": str(invoice.total_incl_vat)},
    )
    queue_email(
        account,
        "service_invoice_to_pay",
        invoice=invoice,
        refused=usable,
        services=_names_on(invoice),
    )


def _names_on(invoice: Invoice) -> list[str]:
    return [line.description for line in invoice.lines]


# --- 3. Suspend ---------------------------------------------------------------------------


_unpaid = invoice_overdue  # (an automatic service with an invoice unpaid past its due date)


def _to_suspend(day: date):
    expired_manual = (Service.renewal_mode == RenewalMode.MANUAL) & (Service.expires_on <= day)
    return (
        (Service.state == ServiceState.ACTIVE)
        & _billed_until_it_ends()
        & (expired_manual | ((Service.renewal_mode == RenewalMode.AUTOMATIC) & _unpaid(day)))
    )


def _suspend(day: date, report: ServiceRunReport, batch: int) -> None:
    for account_ids in _per_account(_to_suspend(day), batch):
        report.suspended += _locked(
            account_ids,
            lambda ids: _change_state(ids, _to_suspend(day), day, suspend=True),
            report,
        )


def _change_state(account_ids, condition, day: date, *, suspend: bool) -> int:
    """Suspend or delete the services of these accounts that `condition` selects (read
    again under the locks), with one audit event each and one message per account."""
    rows = db.session.execute(
        select(
            Service.id,
            Service.account_id,
            Service.name,
            Service.renewal_mode,
            Service.target_type,
            Service.target_id,
            Service.expires_on,
        )
        .where(Service.account_id.in_(account_ids), condition)
        .order_by(Service.account_id, Service.id)
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    values = (
        {"state": ServiceState.SUSPENDED, "suspended_on": day}
        if suspend
        else {"state": ServiceState.TERMINATED, "terminate_on": day}
    )
    db.session.execute(
        update(Service)
        .where(Service.id.in_(ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    numbers = {} if suspend else _release(rows, day)
    now = utcnow()
    action = "service.suspended" if suspend else "service.deleted"
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "account_id": row.account_id,
                "on_behalf": False,
                "action": action,
                "target_type": "service",
                "target_id": row.id,
                "reason": "",
                "after": {"name": row.name, "numbers": numbers.get(row.id, [])},
            }
            for row in rows
        ],
    )
    by_account = defaultdict(list)
    for row in rows:
        by_account[row.account_id].append(row)
    accounts = _accounts(by_account)
    for account_id, services in by_account.items():
        queue_email(
            accounts[account_id],
            "services_suspended" if suspend else "services_deleted",
            services=services,
            day=day,
            delete_on=day + timedelta(days=settings().service_delete_after_days),
            quarantine=settings().number_quarantine_days,
        )
    return len(rows)


# --- 4. Delete ----------------------------------------------------------------------------


def _to_delete(day: date):
    return (
        (Service.state == ServiceState.SUSPENDED)
        & (Service.renewal_mode == RenewalMode.MANUAL)
        & (Service.suspended_on <= day - timedelta(days=settings().service_delete_after_days))
    )


def _delete(day: date, report: ServiceRunReport, batch: int) -> None:
    for account_ids in _per_account(_to_delete(day), batch):
        report.deleted += _locked(
            account_ids,
            lambda ids: _change_state(ids, _to_delete(day), day, suspend=False),
            report,
        )


def _release(rows, day: date) -> dict[int, list[str]]:
    """End what the deleted services were (the line, the number, the range's numbers) and
    put their numbers into quarantine. Returns the numbers of each service."""
    by_type = defaultdict(list)
    for row in rows:
        by_type[row.target_type].append(row.target_id)
    numbers: dict[int, list[str]] = defaultdict(list)
    owners = {(row.target_type, row.target_id): row for row in rows}
    ended: list[tuple[str, int]] = []  # (number, former account)
    if by_type.get("line"):
        for line in db.session.scalars(select(Line).where(Line.id.in_(by_type["line"]))):
            line.status = LineStatus.TERMINATED
            numbers[owners[("line", line.id)].id].append(line.number)
            ended.append((line.number, line.account_id))
        from telephony.calls import cancel_orders_of_lines

        cancel_orders_of_lines(by_type["line"])
    alias_filter = []
    if by_type.get("alias_number"):
        alias_filter.append(AliasNumber.id.in_(by_type["alias_number"]))
    if by_type.get("number_pool"):
        alias_filter.append(AliasNumber.pool_id.in_(by_type["number_pool"]))
    for condition in alias_filter:
        for alias in db.session.scalars(
            select(AliasNumber).where(condition, AliasNumber.status == LineStatus.ACTIVE)
        ):
            alias.status = LineStatus.TERMINATED
            owner = owners.get(("alias_number", alias.id)) or owners[("number_pool", alias.pool_id)]
            numbers[owner.id].append(alias.number)
            ended.append((alias.number, alias.account_id))
    if by_type.get("service_number"):
        # A service number waits in the inventory's own quarantine (its state).
        until = add_months(day, settings().service_number_quarantine_months)
        for number in db.session.scalars(
            select(ServiceNumber).where(
                ServiceNumber.id.in_(by_type["service_number"]),
                ServiceNumber.state == InventoryState.TAKEN,
            )
        ):
            numbers[owners[("service_number", number.id)].id].append(number.number)
            number.state = InventoryState.QUARANTINED
            number.account_id = number.destination_id = None
            number.quarantine_until = until
    if ended:
        until = day + timedelta(days=settings().number_quarantine_days)
        db.session.execute(
            delete(NumberQuarantine)
            .where(NumberQuarantine.number.in_([number for number, _a in ended]))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            insert(NumberQuarantine),
            [
                {
                    "number": number,
                    "until": until,
                    "former_account_id": account_id,
                    "created_at": utcnow(),
                }
                for number, account_id in ended
            ],
        )
    db.session.flush()
    return numbers


def in_quarantine(number: str, day: date) -> bool:
    """May `number` be given to somebody on `day`? Not while it is in quarantine."""
    return (
        db.session.scalar(
            select(NumberQuarantine.id).where(
                NumberQuarantine.number == number, NumberQuarantine.until > day
            )
        )
        is not None
    )


# --- 5. Remind ----------------------------------------------------------------------------


def _due_notice(day: date):
    """Which notice a service is due now, in SQL: the renewal notice of an automatic
    service, else the nearest reminder that has come (15 days before: reminder_15)."""
    whens = [(Service.renewal_mode == RenewalMode.AUTOMATIC, literal("renewal_notice"))]
    for days in sorted(settings().service_reminder_days):
        whens.append(
            (Service.expires_on <= day + timedelta(days=days), literal(f"reminder_{days}"))
        )
    return case(*whens, else_=literal(None))


def _to_remind(day: date):
    horizon = day + timedelta(days=max(settings().service_reminder_days))
    manual = (Service.renewal_mode == RenewalMode.MANUAL) & (Service.expires_on <= horizon)
    automatic = (
        (Service.renewal_mode == RenewalMode.AUTOMATIC)
        & (Service.period_months > 1)
        & (Service.expires_on <= add_months(day, 1))
    )
    return (
        (Service.state == ServiceState.ACTIVE)
        & Service.terminate_on.is_(None)
        & (Service.expires_on > day)
        & (manual | automatic)
        & ~exists(
            select(ServiceNotice.id).where(
                ServiceNotice.service_id == Service.id,
                ServiceNotice.expires_on == Service.expires_on,
                ServiceNotice.kind == _due_notice(day),
            )
        )
    )


def _remind(day: date, report: ServiceRunReport, batch: int) -> None:
    for account_ids in _per_account(_to_remind(day), batch):
        report.reminded += _locked(account_ids, lambda ids: _remind_batch(ids, day), report)


def _remind_batch(account_ids: list[int], day: date) -> int:
    rows = db.session.execute(
        select(
            Service.id,
            Service.account_id,
            Service.name,
            Service.period_months,
            Service.expires_on,
            Service.monthly_price_excl_vat,
            _due_notice(day).label("kind"),
        )
        .where(Service.account_id.in_(account_ids), _to_remind(day))
        .order_by(Service.account_id, Service.expires_on, Service.id)
    ).all()
    if not rows:
        return 0
    now = utcnow()
    # Unique (service, kind, expiry): a notice is recorded, and its message queued, once.
    db.session.execute(
        insert(ServiceNotice),
        [
            {
                "service_id": row.id,
                "kind": row.kind,
                "expires_on": row.expires_on,
                "created_at": now,
            }
            for row in rows
        ],
    )
    messages: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        template = "services_renewing" if row.kind == "renewal_notice" else "services_to_renew"
        messages[row.account_id][template].append(row)
    accounts = _accounts(messages)
    for account_id, by_template in messages.items():
        account = accounts[account_id]
        for template, services in by_template.items():
            queue_email(
                account,
                template,
                services=[
                    Notice(
                        row.name,
                        row.expires_on,
                        row.period_months,
                        price_for(
                            row.monthly_price_excl_vat * row.period_months, account.country.value
                        ),
                    )
                    for row in services
                ],
                method=payment_methods.default_method(account),
            )
    return len(rows)


@dataclass(frozen=True)
class Notice:
    """One service in a reminder: what it is, when it expires, what its period costs."""

    name: str
    expires_on: date
    period_months: int
    price: Price


# --- 6. Cards about to expire -------------------------------------------------------------


def _card_notices(day: date, report: ServiceRunReport) -> None:
    """Tell each holder of a card that expires within the warning months of the settings, once per
    card (a conditional UPDATE claims the notice)."""
    limit = add_months(day, settings().card_expiry_warning_months)
    month = StoredPaymentMethod.exp_year * 12 + StoredPaymentMethod.exp_month
    cards = db.session.execute(
        select(StoredPaymentMethod.id, StoredPaymentMethod.account_id).where(
            StoredPaymentMethod.kind == PaymentMethod.CARD,
            StoredPaymentMethod.expiry_notice_on.is_(None),
            month >= day.year * 12 + day.month,
            month <= limit.year * 12 + limit.month - 1,
        )
    ).all()
    db.session.commit()
    for card_id, account_id in cards:
        lock_account(account_id)
        claimed = rows_changed(
            update(StoredPaymentMethod)
            .where(
                StoredPaymentMethod.id == card_id, StoredPaymentMethod.expiry_notice_on.is_(None)
            )
            .values(expiry_notice_on=day)
            .execution_options(synchronize_session=False)
        )
        if claimed:
            card = db.session.get_one(StoredPaymentMethod, card_id)
            queue_email(
                db.session.get_one(Account, account_id),
                "card_expiring",
                card=card,
                expires_on=payment_methods.card_expires_on(card),
            )
            report.cards += 1
        db.session.commit()
