"""How a service renews, as its row's *Configure renewal* action changes it.

Which periods a kind of service allows, and whether it may be renewed by hand, is the
operator's configuration (the `SERVICE_RENEWAL` setting). What a row may do follows its state,
as the reference control panel does: while one of its invoices is due, only *Pay invoice*;
during a commitment period the renewal cannot change (the page says until when); a
terminated service, or one whose termination is requested, keeps its renewal as it is.

Before confirming, the customer sees what the choice means: the next debit dates and
amounts, the payment method that will be used, and the expiry. Choosing automatic renewal
with no payment method first leads to adding one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from telephony.money import Price, price_for
from telephony.services.listing import RENEWAL_STATUS
from telephony.settings import settings

#: How many debits ahead the confirmation shows.
DEBITS_SHOWN = 3


def rules(service_type: str) -> Mapping[str, Any]:
    """The operator's rules for a kind of service; one it has not configured renews
    automatically, every month only."""
    return settings().service_renewal.get(service_type, {"periods": (1,), "manual": False})


def allowed_periods(service: Service) -> tuple[int, ...]:
    return tuple(rules(service.service_type)["periods"])


def manual_allowed(service: Service) -> bool:
    return bool(rules(service.service_type)["manual"])


def get_service(account: Account, service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.account_id != account.id:
        raise NotFound(_l("This service does not exist."))
    return service


def renewal_status(service: Service) -> str:
    """The row's renewal status, by the same SQL expression as the table."""
    return db.session.execute(select(RENEWAL_STATUS).where(Service.id == service.id)).scalar_one()


@dataclass(frozen=True)
class Blocked:
    """Why the renewal cannot change now: `reason` is one of terminated,
    termination_requested, invoice_to_pay, suspended, committed; `until` ends a
    commitment."""

    reason: str
    until: date | None = None


def blocked(service: Service, today: date, status: str | None = None) -> Blocked | None:
    status = status or renewal_status(service)
    if status in ("terminated", "termination_requested", "invoice_to_pay"):
        return Blocked(status)
    if service.state == ServiceState.SUSPENDED:
        # Lapsed (a manual service not renewed): made automatic, it stayed suspended for
        # ever (the run renews active services only). Renewing it brings it back.
        return Blocked("suspended")
    if service.committed_until is not None and service.committed_until > today:
        return Blocked("committed", service.committed_until)
    return None


class RenewalBlocked(DomainError):
    """The service's state forbids changing its renewal (see `blocked`)."""

    def __init__(self, why: Blocked):
        messages = {
            "terminated": _l("This service is terminated."),
            "termination_requested": _l(
                "Its termination is requested: cancel the termination first."
            ),
            "invoice_to_pay": _l("An invoice of this service is due: pay it first."),
            "suspended": _l("This service is suspended: renew it first."),
            "committed": _l("This service is in a commitment period."),
        }
        super().__init__(messages[why.reason])
        self.why = why


@dataclass(frozen=True)
class Debit:
    on: date
    price: Price


@dataclass(frozen=True)
class Preview:
    """What a renewal setting means for the service, shown before it is confirmed."""

    mode: RenewalMode
    period: int
    expires_on: date
    #: Automatic: the next debits (the first at the expiry). Manual: none.
    debits: tuple[Debit, ...]
    #: Manual: what renewing for the period costs, to pay before the expiry.
    renewal_price: Price
    method: StoredPaymentMethod | None

    @property
    def needs_payment_method(self) -> bool:
        return self.mode == RenewalMode.AUTOMATIC and self.method is None


def check_choice(service: Service, mode: str, period: int | str | None) -> tuple[RenewalMode, int]:
    """The mode and period asked for, as the service's rules allow them."""
    try:
        chosen = RenewalMode(mode)
    except ValueError:
        raise DomainError(_l("Choose how the service renews."), field="mode") from None
    if chosen == RenewalMode.MANUAL and not manual_allowed(service):
        raise DomainError(_l("This kind of service renews automatically only."), field="mode")
    periods = allowed_periods(service)
    try:
        months = int(period) if period not in (None, "") else service.period_months
    except (TypeError, ValueError):
        months = 0
    if months not in periods:
        raise DomainError(_l("Choose one of the periods offered."), field="period")
    return chosen, months


def preview(account: Account, service: Service, mode: RenewalMode, period: int) -> Preview:
    price = price_for(service.monthly_price_excl_vat * period, account.country.value)
    debits: tuple[Debit, ...] = ()
    if mode == RenewalMode.AUTOMATIC:
        debits = tuple(
            Debit(add_months(service.expires_on, period * rank), price)
            for rank in range(DEBITS_SHOWN)
        )
    return Preview(
        mode=mode,
        period=period,
        expires_on=service.expires_on,
        debits=debits,
        renewal_price=price,
        method=payment_methods.default_method(account),
    )


class NeedsPaymentMethod(DomainError):
    """Automatic renewal was chosen while the account has no payment method."""


def configure(
    account: Account,
    service: Service,
    mode: str,
    period: int | str | None,
    *,
    actor: User | None,
    today: date,
) -> Preview:
    """Set how `service` renews; refused in the states `blocked` names, for a mode or
    period its kind does not allow, and for automatic renewal without a payment method.
    Audited with the settings before and after."""
    if service.account_id != account.id:
        raise NotFound(_l("This service does not exist."))
    why = blocked(service, today)
    if why is not None:
        raise RenewalBlocked(why)
    chosen, months = check_choice(service, mode, period)
    result = preview(account, service, chosen, months)
    if result.needs_payment_method:
        raise NeedsPaymentMethod(
            _l("Add a payment method first: automatic renewals are paid with it."),
            field="mode",
        )
    before = {"mode": service.renewal_mode.value, "period": service.period_months}
    if (chosen, months) == (service.renewal_mode, service.period_months):
        return result
    service.renewal_mode, service.period_months = chosen, months
    db.session.flush()
    audit.record(
        "service.renewal_changed",
        account=account,
        actor=actor,
        target_type="service",
        target_id=service.id,
        before=before,
        after={"mode": chosen.value, "period": months, "name": service.name},
    )
    return result
