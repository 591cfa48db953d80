"""Batch actions of My services on the rows a customer selected: renew, disable or enable
automatic payment (renewal), align the renewal dates on one day of the month.

Before anything changes, a preview sorts the selection by outcome, with counts: will
change, already in that mode, invoice due, suspended (aligning a lapsed service would
bring it back for a few days' price), type not eligible, terminated or termination pending,
committed. Confirming applies the action to every service that will change, in
one transaction, and reports the others with their reason; when the action as a whole is
refused (no payment method to enable automatic payment, a renewal refused by the bank),
nothing changes. A selection naming a service of another account is refused whole (404)."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from telephony import DomainError, NotFound, audit, payment_methods
from telephony.dates import add_months
from telephony.models import (
    Account,
    RenewalMode,
    Service,
    ServiceState,
    StoredPaymentMethod,
    User,
)
from telephony.money import round_cents
from telephony.services import paying, renewal
from telephony.services.listing import RENEWAL_STATUS

ACTIONS = ("renew", "disable_auto", "enable_auto", "align")
#: The days of the month services may be aligned on (every month has them).
ALIGN_DAYS = tuple(range(1, 29))
#: The outcomes, in the order the preview lists them.
OUTCOMES = (
    "will_change",
    "already",
    "invoice_due",
    "suspended",
    "not_eligible",
    "ended",
    "committed",
)
#: At most this many services in one batch (a page of the table is 50).
MAX_SELECTED = 500


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def selected(account: Account, ids) -> list[Service]:
    """The account's services among `ids`; NotFound when one is missing or another's."""
    # ASCII digits only: "²" and "١" are digits to str.isdigit, not to int().
    wanted = sorted({int(i) for i in ids if _is_number(str(i)) and len(str(i)) < 12})
    if not wanted or len(wanted) != len(set(ids)):
        raise NotFound(_l("This service does not exist."))
    if len(wanted) > MAX_SELECTED:
        raise DomainError(
            _l("Select at most %(num)d services at a time.", num=MAX_SELECTED), field="ids"
        )
    services = list(
        db.session.scalars(
            select(Service)
            .where(Service.account_id == account.id, Service.id.in_(wanted))
            .order_by(Service.name, Service.id)
        )
    )
    if len(services) != len(wanted):
        raise NotFound(_l("This service does not exist."))
    return services


def aligned_expiry(expires_on: date, day: int) -> date:
    """The first date falling on `day` of a month, on or after `expires_on`."""
    if expires_on.day == day:
        return expires_on
    candidate = expires_on.replace(day=day)
    return candidate if candidate > expires_on else add_months(candidate, 1)


def prorata(service: Service, new_expiry: date) -> tuple[int, Decimal]:
    """The days an alignment adds, and their price excl. VAT: days × monthly price ÷ days in
    the month of the current expiry, rounded to the cent for each service."""
    days = (new_expiry - service.expires_on).days
    in_month = monthrange(service.expires_on.year, service.expires_on.month)[1]
    return days, round_cents(service.monthly_price_excl_vat * days / in_month)


def outcome(action: str, service: Service, status: str, today: date, day: int = 1) -> str:
    """What `action` would do to `service` (its renewal status given)."""
    if status in ("terminated", "termination_requested"):
        return "ended"
    if status == "invoice_to_pay":
        return "invoice_due"
    if action in ("align", "enable_auto", "disable_auto") and (
        service.state == ServiceState.SUSPENDED
    ):
        # Lapsed (a manual service not renewed): paying a few days must not bring it
        # back, nor a change of mode (made automatic, it stayed suspended for ever);
        # renewing it (its whole period) does.
        return "suspended"
    if action == "align":
        if service.expires_on.day == day:
            return "already"
        if service.committed_until is not None and service.committed_until > today:
            return "committed"
        return "will_change"
    if action == "renew":
        if service.renewal_mode != RenewalMode.MANUAL:
            return "not_eligible"  # an automatic service is paid ahead one by one
        return "will_change"
    target = RenewalMode.MANUAL if action == "disable_auto" else RenewalMode.AUTOMATIC
    if service.renewal_mode == target:
        return "already"
    if target == RenewalMode.MANUAL and not renewal.manual_allowed(service):
        return "not_eligible"
    if service.committed_until is not None and service.committed_until > today:
        return "committed"
    return "will_change"


@dataclass(frozen=True)
class Alignment:
    """One service's alignment: its new expiry, the days added and their price."""

    service: Service
    new_expiry: date
    days: int
    amount: Decimal


@dataclass
class Preview:
    action: str
    groups: dict[str, list[Service]] = field(default_factory=dict)
    #: The default payment method, if it can pay now (an expired card cannot).
    method: StoredPaymentMethod | None = None
    #: The default method when it is a card that has expired.
    expired: StoredPaymentMethod | None = None
    #: renew and align: what the services that change cost now, incl. VAT.
    total: object = None
    #: align: the day, and each service's prorated line.
    day: int | None = None
    alignments: list[Alignment] = field(default_factory=list)

    @property
    def changing(self) -> list[Service]:
        return self.groups.get("will_change", [])

    def counts(self) -> list[tuple[str, int]]:
        return [(name, len(self.groups[name])) for name in OUTCOMES if self.groups.get(name)]


def check_day(value) -> int:
    text = str(value or "").strip()
    if not (_is_number(text) and len(text) <= 2 and int(text) in ALIGN_DAYS):
        raise DomainError(_l("Choose a day between 1 and 28."), field="day")
    return int(text)


def preview(account: Account, ids, action: str, today: date, day=None) -> Preview:
    if action not in ACTIONS:
        raise DomainError(_l("Choose an action for the selected services."), field="action")
    services = selected(account, ids)
    align_day = check_day(day) if action == "align" else 1
    statuses: dict[int, str] = {
        service_id: status
        for service_id, status in db.session.execute(
            select(Service.id, RENEWAL_STATUS).where(Service.id.in_([s.id for s in services]))
        )
    }
    groups: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        groups[outcome(action, service, statuses[service.id], today, align_day)].append(service)
    default = payment_methods.default_method(account)
    # An expired default card pays nothing: the page said "paid now with your default
    # method" and the alignment was left to pay (review).
    expired = default is not None and payment_methods.expiry(default, today).expired
    result = Preview(
        action,
        dict(groups),
        None if expired else default,
        expired=default if expired else None,
    )
    if action == "align":
        result.day = align_day
        for service in result.changing:
            new_expiry = aligned_expiry(service.expires_on, align_day)
            days, amount = prorata(service, new_expiry)
            result.alignments.append(Alignment(service, new_expiry, days, amount))
        excl = sum((a.amount for a in result.alignments), Decimal("0.00"))
        result.total = excl + round_cents(excl * account.vat_rate)
    if action == "renew" and result.changing:
        # As the invoice will say: each line rounded, the VAT once on their sum (adding
        # each service's price incl. VAT gave 17.97 for an invoice of 17.96, review).
        excl = sum(
            (round_cents(s.monthly_price_excl_vat * s.period_months) for s in result.changing),
            Decimal("0.00"),
        )
        result.total = excl + round_cents(excl * account.vat_rate)
    return result


@dataclass(frozen=True)
class Done:
    changed: list[Service]
    others: dict[str, list[Service]]


def digest(result: Preview) -> str:
    """What a preview shows, for its Confirm form (paying.shown_digest): each service's
    outcome and what it is charged from and at, the amounts, the day, the method."""
    return paying.shown_digest(
        result.action,
        result.day,
        result.method.id if result.method else None,
        str(result.total),
        sorted(
            (name, s.id, s.expires_on.isoformat(), s.renewal_mode.value, s.period_months)
            for name, services in result.groups.items()
            for s in services
        ),
        [(a.service.id, a.new_expiry.isoformat(), str(a.amount)) for a in result.alignments],
    )


def apply(
    account: Account,
    ids,
    action: str,
    *,
    actor: User | None,
    today: date,
    shown: str | None,
    provider=None,
    token: str = "",
    day=None,
) -> Done:
    """Apply `action` to the services that will change, all or none, if the preview
    confirmed (`shown`, its digest) is still what is so: a preview shown before another
    window renewed or changed a service charges nothing."""
    if action in ("renew", "align") and paying.token_used(token):
        raise paying.AlreadyDone(
            _l("This payment was already made.")
            if action == "renew"
            else _l("This alignment was already made.")
        )
    result = preview(account, ids, action, today, day)
    paying.check_shown(
        shown,
        digest(result),
        _l(
            "The selected services have changed since this page was shown: check the "
            "new preview and confirm again."
        ),
    )
    others = {name: items for name, items in result.groups.items() if name != "will_change"}
    if not result.changing:
        raise DomainError(_l("None of the selected services can change."), field="ids")
    if action == "enable_auto" and result.method is None:
        raise renewal.NeedsPaymentMethod(
            _l("Add a payment method first: automatic renewals are paid with it."),
            field="action",
        )
    if action == "align":
        if result.day is None:  # never: preview sets it for align
            raise DomainError(_l("Choose a day between 1 and 28."), field="day")
        paying.align(
            account,
            [(a.service, a.new_expiry, a.days, a.amount) for a in result.alignments],
            result.day,
            result.method,
            token=token,
            actor=actor,
            provider=provider,
            today=today,
        )
        return Done(result.changing, others)
    if action == "renew":
        if result.method is None:
            raise DomainError(_l("Add a payment method first."), field="action")
        paying.extend_many(
            account,
            [(s, s.period_months) for s in result.changing],
            result.method,
            token=token,
            actor=actor,
            provider=provider,
            today=today,
        )
        return Done(result.changing, others)
    target = RenewalMode.MANUAL if action == "disable_auto" else RenewalMode.AUTOMATIC
    for service in result.changing:
        before = service.renewal_mode.value
        service.renewal_mode = target
        audit.record(
            "service.renewal_changed",
            account=account,
            actor=actor,
            target_type="service",
            target_id=service.id,
            before={"mode": before, "period": service.period_months},
            after={"mode": target.value, "period": service.period_months, "name": service.name},
        )
    db.session.flush()
    return Done(result.changing, others)
