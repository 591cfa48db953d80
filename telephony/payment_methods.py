"""The ways an account pays: cards kept by the payment provider, and the SEPA mandate of
its validated procedure. One of them is the default (a partial unique index holds it to
one): renewals are collected from it; with none, they wait as "invoice to pay".

A card number never reaches the database: the provider keeps the card and gives a token,
and the page shows its brand, last four digits and expiry. A mandate appears by itself
when the procedure is validated (`add_mandate`, called by telephony.procedure), and
replaces the mandate of an earlier procedure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from extensions import db
from telephony import DomainError, NotFound, audit
from telephony.dates import add_months, local_today
from telephony.models import (
    Account,
    PaymentMethod,
    ProcedureStatus,
    StoredPaymentMethod,
    User,
    ValidationProcedure,
)
from telephony.payments import FAILURES
from telephony.settings import settings

#: The furthest expiry year a card form accepts (cards are issued for at most ~10 years).
CARD_YEARS_AHEAD = 20


class CardRefused(DomainError):
    """The provider would not keep the card (invalid number, declined)."""


def list_methods(account: Account) -> list[StoredPaymentMethod]:
    """The default first, then the others from the newest."""
    return list(
        db.session.scalars(
            select(StoredPaymentMethod)
            .options(selectinload(StoredPaymentMethod.procedure))  # (a mandate's scheme)
            .where(StoredPaymentMethod.account_id == account.id)
            .order_by(
                case((StoredPaymentMethod.is_default, 0), else_=1),
                StoredPaymentMethod.id.desc(),
            )
        )
    )


def default_method(account: Account) -> StoredPaymentMethod | None:
    return db.session.scalar(
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == account.id, StoredPaymentMethod.is_default
        )
    )


def get(account: Account, method_id: int) -> StoredPaymentMethod:
    method = db.session.get(StoredPaymentMethod, method_id)
    if method is None or method.account_id != account.id:
        raise NotFound(_l("This payment method does not exist."))
    return method


def card_expires_on(method: StoredPaymentMethod) -> date | None:
    """The last day a card can be charged: the end of its expiry month."""
    if method.kind != PaymentMethod.CARD or not method.exp_month or not method.exp_year:
        return None
    return add_months(date(method.exp_year, method.exp_month, 1), 1) - timedelta(days=1)


@dataclass(frozen=True)
class Expiry:
    expired: bool
    soon: bool


def expiry(method: StoredPaymentMethod, today: date) -> Expiry:
    """Has the card expired, or does it expire within the warning months of the settings?"""
    last_day = card_expires_on(method)
    if last_day is None:
        return Expiry(False, False)
    if last_day < today:
        return Expiry(True, False)
    return Expiry(False, last_day < add_months(today, settings().card_expiry_warning_months))


def _make_default(account: Account, method: StoredPaymentMethod) -> None:
    """Move the default to `method`: the old one loses it first, so the unique index
    holds at every step (two requests are serialised by the account's lock)."""
    db.session.execute(
        update(StoredPaymentMethod)
        .where(
            StoredPaymentMethod.account_id == account.id,
            StoredPaymentMethod.is_default,
            StoredPaymentMethod.id != method.id,
        )
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    method.is_default = True
    db.session.flush()


def _summary(method: StoredPaymentMethod) -> dict:
    """What the audit trail keeps of a method: never more than the page shows."""
    if method.kind == PaymentMethod.CARD:
        return {
            "method": method.kind.value,
            "card": f"{method.brand} •••• {method.last4}",
            "expires": f"{method.exp_month:02d}/{method.exp_year}",
        }
    procedure = method.procedure
    reference = procedure.mandate_reference if procedure is not None else None
    return {"method": method.kind.value, "reference": reference}


def _already_kept():
    return _l("This card is already among your payment methods.")


def add_card(
    account: Account,
    *,
    number: str,
    exp_month: int,
    exp_year: int,
    make_default: bool,
    actor: User | None,
    provider,
    today: date,
) -> StoredPaymentMethod:
    """Give the card to the provider and keep its token. The first method becomes the
    default whatever `make_default` says."""
    if date(exp_year, exp_month, 1) < today.replace(day=1):
        raise DomainError(_l("This card has expired."), field="expiry")
    if exp_year > today.year + CARD_YEARS_AHEAD:  # (no card is issued for that long)
        raise DomainError(_l("Write the expiry date as MM/YY, e.g. 08/29."), field="expiry")
    kept = provider.tokenize_card(number=number, exp_month=exp_month, exp_year=exp_year)
    if kept.failure_reason:
        message = FAILURES.get(kept.failure_reason, _l("The card was refused."))
        raise CardRefused(message, field="number")
    known = select(StoredPaymentMethod.id).where(
        StoredPaymentMethod.account_id == account.id,
        StoredPaymentMethod.fingerprint == kept.fingerprint,
    )
    if db.session.scalar(known) is not None:
        raise DomainError(_already_kept(), field="number")
    method = StoredPaymentMethod(
        account_id=account.id,
        kind=PaymentMethod.CARD,
        fingerprint=kept.fingerprint,
        token=kept.token,
        brand=kept.brand,
        last4=kept.last4,
        exp_month=exp_month,
        exp_year=exp_year,
    )
    try:
        with db.session.begin_nested():  # the unique fingerprint decides between copies
            db.session.add(method)
    except IntegrityError:
        raise DomainError(_already_kept(), field="number") from None
    if make_default or default_method(account) is None:
        _make_default(account, method)
    audit.record(
        "payment_method.added",
        account=account,
        actor=actor,
        target_type="payment_method",
        target_id=method.id,
        after={**_summary(method), "default": method.is_default},
    )
    return method


def set_default(
    account: Account, method: StoredPaymentMethod, *, actor: User | None, today: date
) -> None:
    if method.account_id != account.id:
        raise NotFound(_l("This payment method does not exist."))
    if method.is_default:
        return
    if expiry(method, today).expired:
        raise DomainError(_l("This card has expired."))
    before = default_method(account)
    _make_default(account, method)
    audit.record(
        "payment_method.default_changed",
        account=account,
        actor=actor,
        target_type="payment_method",
        target_id=method.id,
        before=_summary(before) if before else None,
        after=_summary(method),
    )


def remove(
    account: Account,
    method: StoredPaymentMethod,
    *,
    new_default: StoredPaymentMethod | None,
    actor: User | None,
    today: date | None = None,
) -> None:
    """Remove a method. Removing the default while others remain needs the one that takes
    its place (not an expired card, as set_default refuses); removing the last one leaves
    automatic renewals as invoices to pay."""
    if method.account_id != account.id:
        raise NotFound(_l("This payment method does not exist."))
    others = [m for m in list_methods(account) if m.id != method.id]
    if method.is_default and others:
        if new_default is None or new_default.id not in {m.id for m in others}:
            raise DomainError(
                _l("Choose the payment method that becomes the default."), field="new_default"
            )
        if expiry(new_default, today or local_today(account.timezone)).expired:
            raise DomainError(_l("This card has expired."), field="new_default")
    summary = _summary(method)
    db.session.delete(method)
    db.session.flush()
    if method.is_default and new_default is not None:
        _make_default(account, new_default)
    audit.record(
        "payment_method.removed",
        account=account,
        actor=actor,
        target_type="payment_method",
        target_id=method.id,
        before=summary,
        after={"default": _summary(new_default)} if new_default is not None else None,
    )


def restorable_mandate(account: Account) -> ValidationProcedure | None:
    """The validated procedure whose mandate the customer removed (it is the latest, and
    the account has no mandate method): the mandate may come back without a new
    procedure (one could not be filled while this one stands validated)."""
    from telephony import procedure as procedures

    latest = procedures.latest(account)
    if latest is None or latest.status != ProcedureStatus.VALIDATED:
        return None
    has_mandate = db.session.scalar(
        select(StoredPaymentMethod.id).where(
            StoredPaymentMethod.account_id == account.id,
            StoredPaymentMethod.kind == PaymentMethod.SEPA_DEBIT,
        )
    )
    return None if has_mandate else latest


def restore_mandate(account: Account, *, actor: User | None) -> bool:
    """The removed mandate of the validated procedure, a payment method again (the default
    when there is none). False: nothing to restore (there already, or no such procedure).
    Under the account's lock (the request's): twice at once, once."""
    procedure = restorable_mandate(account)
    if procedure is None:
        return False
    add_mandate(account, procedure, actor=actor)
    return True


def add_mandate(account: Account, procedure: ValidationProcedure, *, actor: User | None) -> None:
    """The procedure was validated: its SEPA mandate becomes a payment method, in place of
    an earlier procedure's mandate, and the default when that one was, or when there was
    none. A Swiss CHF authorization (LSV+/BDD) is a direct debit too."""
    earlier = db.session.scalars(
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == account.id,
            StoredPaymentMethod.kind == PaymentMethod.SEPA_DEBIT,
        )
    ).all()
    was_default = any(m.is_default for m in earlier)
    for old in earlier:
        db.session.delete(old)
    db.session.flush()
    method = StoredPaymentMethod(
        account_id=account.id,
        kind=PaymentMethod.SEPA_DEBIT,
        last4=procedure.iban[-4:],
        procedure_id=procedure.id,
    )
    db.session.add(method)
    db.session.flush()
    if was_default or default_method(account) is None:
        _make_default(account, method)
    audit.record(
        "payment_method.added",
        account=account,
        actor=actor,
        target_type="payment_method",
        target_id=method.id,
        after={**_summary(method), "default": method.is_default},
    )
