"""Communication credits: the prepaid balance that pays the calls to the account's
toll-free numbers (seed 003: without credits, no toll-free number).

- Bought through the payment provider (an invoice, paid at once; the form's token makes a
  copy sent twice buy once). Paying it runs CREDITS_BOUGHT, which adds them.
- Used by calls: the call platform reports what its calls cost, each report taken once
  (`use`, the operator command `flask service-numbers usage`).
- Below the account's threshold, an automatic recharge buys `recharge_amount` with the
  default payment method; the customer gets an e-mail when it is done, when it fails, and
  once when the balance is low without a recharge.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony import DomainError, InvalidForm, audit, payment_methods, wording
from telephony.locking import lock_account
from telephony.mail import queue_email
from telephony.models import (
    Account,
    CreditMovement,
    CreditWallet,
    Invoice,
    InvoiceLine,
    PaymentStatus,
    StoredPaymentMethod,
    User,
)
from telephony.money import round_cents
from telephony.paging import Page, paginate
from telephony.payments import FAILURES
from telephony.services.paying import AlreadyDone, charge_many, form_invoice
from telephony.settings import settings
from telephony.wiring import Plug

#: invoice.on_paid["action"] of an invoice for credits.
CREDITS_BOUGHT = "credits_bought"
#: The largest threshold or automatic recharge an account may set.
MAX_SETTING = Decimal("10000")


def amounts(account: Account) -> tuple[int, ...]:
    return settings().credit_amounts[account.currency]


def rates(account: Account) -> Mapping[str, Decimal]:
    """What a minute of a call to a toll-free number costs, per calling network."""
    return settings().toll_free_rates[account.country.value]


def wallet(account: Account) -> CreditWallet:
    """The account's credits (made at first use: a balance of 0)."""
    found = db.session.get(CreditWallet, account.id)
    if found is None:
        found = CreditWallet(account_id=account.id, balance=Decimal("0.00"))
        db.session.add(found)
        db.session.flush()
    return found


def balance(account: Account) -> Decimal:
    found = db.session.get(CreditWallet, account.id)
    return found.balance if found else Decimal("0.00")


def movements(account: Account, number: int, size: int) -> Page:
    query = (
        select(CreditMovement)
        .where(CreditMovement.account_id == account.id)
        .order_by(CreditMovement.id.desc())
    )
    return paginate(query, number, size)


def _move(
    account: Account,
    kind: str,
    amount: Decimal,
    invoice: Invoice | None,
    report: str | None = None,
) -> Decimal:
    """Add `amount` (negative: take it) to the balance in one statement; record it."""
    wallet(account)
    db.session.execute(
        update(CreditWallet)
        .where(CreditWallet.account_id == account.id)
        .values(
            balance=CreditWallet.balance + amount,
            low_notified=CreditWallet.low_notified if amount < 0 else False,
        )
        .execution_options(synchronize_session=False)
    )
    found = wallet(account)
    db.session.refresh(found)
    db.session.add(
        CreditMovement(
            account_id=account.id,
            kind=kind,
            amount=amount,
            balance_after=found.balance,
            invoice_id=invoice.id if invoice else None,
            report_key=report,
        )
    )
    db.session.flush()
    return found.balance


def _invoice(account: Account, amount: Decimal, *, token: str, actor, today: date, kind: str):
    with force_locale(account.language):  # written in the customer's language
        description = gettext("Communication credits")
    return form_invoice(
        account,
        [
            InvoiceLine(
                description=description,
                quantity=1,
                unit_price_excl_vat=amount,
                total_excl_vat=amount,
            )
        ],
        token=token,
        actor=actor,
        today=today,
        due_on=today,
        on_paid={"action": CREDITS_BOUGHT, "credits": str(amount), "kind": kind},
        already=_l("These credits were already bought."),
    )


def _charge(account, invoice, method, *, actor, provider, today):
    payment = charge_many([invoice], method, actor=actor, provider=provider, today=today)[0]
    if payment.status != PaymentStatus.SUCCEEDED:
        raise DomainError(
            FAILURES.get(payment.failure_reason, _l("The payment was refused.")), field="method"
        )
    return payment


def buy(
    account: Account,
    amount: str,
    method: StoredPaymentMethod | None,
    *,
    token: str,
    actor: User | None,
    provider,
    today: date,
) -> Decimal:
    """Buy credits with a saved payment method: an invoice paid at once. Refused, nothing
    stays (the caller rolls back). Returns the new balance."""
    if str(amount) not in {str(choice) for choice in amounts(account)}:
        raise DomainError(_l("Choose one of the amounts offered."), "amount")
    if method is None or method.account_id != account.id:
        raise DomainError(_l("Choose a payment method."), "method")
    invoice = _invoice(
        account, Decimal(str(amount)), token=token, actor=actor, today=today, kind="purchase"
    )
    _charge(account, invoice, method, actor=actor, provider=provider, today=today)
    return balance(account)


def credits_bought(invoice: Invoice, actor: User | None) -> None:
    """On paid: the credits the invoice bought are added."""
    paid = invoice.on_paid or {}
    amount = Decimal(paid["credits"])
    after = _move(invoice.account, paid.get("kind", "purchase"), amount, invoice)
    audit.record(
        "credits.bought",
        account=invoice.account,
        actor=actor,
        target_type="invoice",
        target_id=invoice.id,
        after={"credits": str(amount), "balance": str(after), "invoice": invoice.number},
    )


def _amount(text: str, field: str, errors: dict) -> Decimal | None:
    try:
        value = Decimal((text or "").strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > MAX_SETTING:
        errors[field] = _l("Enter an amount from 0 to %(max)s.", max=wording.number(MAX_SETTING))
        return None
    return round_cents(value)


def configure(
    account: Account,
    enabled: bool,
    threshold: str,
    recharge_amount: str,
    *,
    actor: User,
) -> CreditWallet:
    """Automatic recharge: on or off, below which balance, and how much it buys."""
    errors: dict[str, object] = {}
    low = _amount(threshold, "threshold", errors)
    top_up = _amount(recharge_amount, "recharge_amount", errors)
    if top_up is not None and top_up < 1 and enabled:
        errors["recharge_amount"] = _l("A recharge buys at least 1.")
    if enabled and not payment_methods.default_method(account):
        errors["auto_recharge"] = _l("Add a payment method first: the recharge is paid with it.")
    if errors or low is None or top_up is None:  # a missing amount left its message
        raise InvalidForm(errors)
    found = wallet(account)
    before = {
        "auto_recharge": found.auto_recharge,
        "threshold": str(found.threshold),
        "recharge_amount": str(found.recharge_amount),
    }
    found.auto_recharge, found.threshold, found.recharge_amount = enabled, low, top_up
    after = {"auto_recharge": enabled, "threshold": str(low), "recharge_amount": str(top_up)}
    if after != before:
        audit.record(
            "credits.settings_changed",
            account=account,
            actor=actor,
            target_type="credit_wallet",
            target_id=account.id,
            before=before,
            after=after,
        )
    return found


def recharge_key(account: Account, report: str) -> str:
    """The request key of the recharge a report sets off: one per account and report. An
    invoice's key is unique across accounts, and two accounts' reports may share an id."""
    digest = hashlib.sha256(f"{account.id}\x00{report}".encode()).hexdigest()
    return f"recharge-{digest[:48]}"


def report_token(report_id: str) -> str:
    """A usage report's token (64 characters at most): its id, or the digest of a longer
    one (cut, two reports sharing their start would be taken as one)."""
    token = f"usage-{report_id}"
    return (
        token
        if len(token) <= 64
        else f"usage-{hashlib.sha256(report_id.encode()).hexdigest()[:58]}"
    )


def use(account: Account, cost: Decimal, *, provider, today: date, token: str) -> Decimal:
    """Calls cost `cost`: taken from the credits, once per report (`token`: the same report
    sent twice is taken once). Below the threshold, an automatic recharge (once per report
    too), or a low-balance e-mail, once. Returns the balance.

    The account's lock comes first, as for a purchase on the site: the wallet's row and the
    invoice sequence are then taken in the same order by both (else each waits for the
    other, and PostgreSQL ends one: a purchase already charged, or a report lost)."""
    if not cost.is_finite() or round_cents(cost) <= 0:
        raise DomainError(_l("Enter an amount from 0 to %(max)s.", max=wording.number(MAX_SETTING)))
    lock_account(account.id)
    try:
        with db.session.begin_nested():
            after = _move(account, "usage", -round_cents(cost), None, report=token)
    except IntegrityError:  # this report was taken already
        found = wallet(account)
        db.session.refresh(found)  # (as the savepoint left it, not as _move had read it)
        return found.balance
    found = wallet(account)
    if after >= found.threshold:
        return after
    if found.auto_recharge:
        method = payment_methods.default_method(account)
        try:
            with db.session.begin_nested():
                if method is None:
                    raise DomainError(_l("There is no payment method."))
                invoice = _invoice(
                    account,
                    found.recharge_amount,
                    token=recharge_key(account, token),
                    actor=None,
                    today=today,
                    kind="auto_recharge",
                )
                _charge(account, invoice, method, actor=None, provider=provider, today=today)
        except AlreadyDone:
            return balance(account)
        except DomainError as refused:
            queue_email(
                account,
                "credits_recharge_failed",
                amount=found.recharge_amount,
                balance=balance(account),
                reason=str(refused.message),
            )
        else:
            queue_email(
                account, "credits_recharged", amount=found.recharge_amount, balance=balance(account)
            )
            return balance(account)
    db.session.refresh(found)
    if not found.low_notified:
        found.low_notified = True
        queue_email(account, "credits_low", balance=found.balance, threshold=found.threshold)
    return found.balance


PLUG = Plug(paid={CREDITS_BOUGHT: credits_bought})
