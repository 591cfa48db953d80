"""Payments through a provider interface. The built-in sandbox provider serves the demo and
the tests; a real provider implements the same `charge` method.

Sandbox rules (documented for testers): a card number ending in 0002 is declined, any other
valid-looking card (13-19 digits) is accepted; a SEPA direct debit is accepted unless the
IBAN ends in 0000. A card kept for later (`tokenize_card`) must also pass the Luhn check
(4242 4242 4242 4242 does); its token is charged by the same rules.

An invoice is paid once, whatever arrives at the same time: `pay_invoice` first claims it
with a conditional UPDATE (awaiting payment → paid), so of two requests only one reaches
the provider; the charge carries an idempotency key (the invoice's number and the attempt's
rank), so that a provider that receives the same charge twice (a retry after a time-out)
makes it once (the key also names a digest of the card or account, so a retry with another
card is another charge). A refused charge gives the claim back in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from stdnum import luhn

from extensions import db, rows_changed
from telephony import DomainError, audit
from telephony.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    User,
    utcnow,
)


@dataclass(frozen=True)
class CardToken:
    """What a provider gives back for a card it keeps: the token to charge, and what may be
    shown (brand, last four digits). `failure_reason` is set when it refused the card."""

    token: str = ""
    brand: str = ""
    last4: str = ""
    #: The same card gives the same fingerprint (to keep it once).
    fingerprint: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reference: str
    failure_reason: str = ""


#: Why a provider refused a charge, in words for the customer.
FAILURES = {
    "invalid_card": _l("This card number is not valid."),
    "card_declined": _l("The card was declined."),
    "debit_refused": _l("The bank refused the direct debit."),
}


class PaymentProvider(Protocol):
    name: str

    def charge(
        self,
        *,
        amount,
        currency: str,
        method: PaymentMethod,
        instrument: str,
        description: str,
        idempotency_key: str,
    ) -> ChargeResult: ...

    def tokenize_card(self, *, number: str, exp_month: int, exp_year: int) -> CardToken: ...

    def refund(
        self, *, amount, currency: str, reference: str, idempotency_key: str
    ) -> ChargeResult: ...


class SandboxProvider:
    """Charges nothing; answers as a real provider would, idempotency keys included (the
    same key answers the first result again, within this process)."""

    name = "sandbox"

    def __init__(self) -> None:
        self._answered: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()
        #: How many charges were really made (tests count them).
        self.charges = 0

    def charge(
        self, *, amount, currency, method, instrument, description, idempotency_key
    ) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._answered:
                return self._answered[idempotency_key]
            result = self._decide(method, instrument)
            self._answered[idempotency_key] = result
            self.charges += 1
            return result

    def tokenize_card(self, *, number: str, exp_month: int, exp_year: int) -> CardToken:
        """Keep a card: the token carries its last four digits, so that charging it later
        follows the same rules as the number (0002: declined) in any process."""
        digits = "".join(ch for ch in number if ch.isdigit())
        if not (13 <= len(digits) <= 19) or not luhn.is_valid(digits):
            return CardToken(failure_reason="invalid_card")
        if digits.endswith("0002"):
            return CardToken(failure_reason="card_declined")
        token = f"tok_sbx_{secrets.token_hex(8)}_{digits[-4:]}"
        fingerprint = hashlib.sha256(f"{digits}:{exp_month}:{exp_year}".encode()).hexdigest()
        return CardToken(
            token=token, brand=card_brand(digits), last4=digits[-4:], fingerprint=fingerprint[:32]
        )

    def refund(self, *, amount, currency, reference, idempotency_key) -> ChargeResult:
        """Give back (part of) the charge `reference`: always accepted by the sandbox, once
        per key."""
        with self._lock:
            key = "refund:" + idempotency_key
            if key not in self._answered:
                self._answered[key] = ChargeResult(True, "sbx_refund_" + secrets.token_hex(8))
            return self._answered[key]

    def forget(self) -> None:
        """Forget the keys seen (a real provider forgets them after a day; tests, between
        databases that reuse invoice numbers)."""
        with self._lock:
            self._answered.clear()

    @staticmethod
    def _decide(method, instrument) -> ChargeResult:
        reference = "sbx_" + secrets.token_hex(8)
        digits = "".join(ch for ch in instrument if ch.isalnum())
        if method == PaymentMethod.CARD and instrument.startswith("tok_sbx_"):
            digits = instrument.rsplit("_", 1)[-1]  # a kept card: its last four digits
            if digits.endswith("0002"):
                return ChargeResult(False, reference, "card_declined")
        elif method == PaymentMethod.CARD:
            if not (13 <= len(digits) <= 19 and digits.isdigit()):
                return ChargeResult(False, reference, "invalid_card")
            if digits.endswith("0002"):
                return ChargeResult(False, reference, "card_declined")
        elif digits.endswith("0000"):
            return ChargeResult(False, reference, "debit_refused")
        return ChargeResult(True, reference)


def card_brand(digits: str) -> str:
    """The card scheme, from the number's first digits (what the customer recognises)."""
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"51", "52", "53", "54", "55"} or "2221" <= digits[:4] <= "2720":
        return "mastercard"
    if digits[:2] in {"34", "37"}:
        return "amex"
    return "card"


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider()}

#: What happens when an invoice is paid, by `invoice.on_paid["action"]`. Feature modules
#: register their handlers (e.g. adding simultaneous calls once a purchase order is paid).
PAID_HANDLERS: dict[str, Callable[[Invoice, User | None], None]] = {}
#: What an on-paid action would refuse, checked before the charge (a card is never charged
#: for an invoice whose payment is then rolled back): action → check(invoice).
PAYABLE_CHECKS: dict[str, Callable[[Invoice], object]] = {}


def on_paid(action: str):
    def register(fn):
        PAID_HANDLERS[action] = fn
        return fn

    return register


def _idempotency_key(invoices: list[Invoice], attempt: int, method, instrument: str) -> str:
    """The same attempt sent again (after a time-out that rolled our side back) has the
    same key, so the provider charges it once; another card or account is another key.
    A charge of several invoices (a balance) names them all, by a digest. The amount is
    in it too: a number given back by a rollback goes to the next invoice, which must not
    meet the answer the provider kept for another amount."""
    means = hashlib.sha256(f"{method}:{instrument}".encode()).hexdigest()[:16]
    total = sum(invoice.total_incl_vat for invoice in invoices)
    if len(invoices) == 1:
        what = invoices[0].number
    else:
        numbers = ",".join(sorted(invoice.number for invoice in invoices))
        what = "balance-" + hashlib.sha256(numbers.encode()).hexdigest()[:24]
    return f"{what}/{total}{invoices[0].currency}/{attempt}/{means}"


class NotPayable(DomainError):
    """The invoice is no longer awaiting payment (paid meanwhile, or cancelled)."""


def pay_invoice(
    invoice: Invoice,
    *,
    method: PaymentMethod,
    instrument: str,
    actor: User | None,
    provider: PaymentProvider,
) -> Payment:
    """Charge `invoice` and, when it succeeds, mark it paid and run its on-paid action,
    all in the caller's transaction. Raises NotPayable when it is not awaiting payment
    (checked by the claim itself, not before it)."""
    return pay_invoices(
        [invoice], method=method, instrument=instrument, actor=actor, provider=provider
    )[0]


def pay_invoices(
    invoices: list[Invoice],
    *,
    method: PaymentMethod,
    instrument: str,
    actor: User | None,
    provider: PaymentProvider,
) -> list[Payment]:
    """Charge `invoices` (of one account and currency) as one payment of their total: all
    claimed by one conditional UPDATE, or none (NotPayable when one of them is no longer
    awaiting payment). Paid, each invoice gets its payment record and its on-paid action;
    refused, every claim is given back. In the caller's transaction."""
    ids = [invoice.id for invoice in invoices]
    claimed = rows_changed(
        update(Invoice)
        .where(Invoice.id.in_(ids), Invoice.status == InvoiceStatus.AWAITING_PAYMENT)
        .values(status=InvoiceStatus.PAID, paid_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    for invoice in invoices:
        db.session.refresh(invoice)
    if claimed != len(ids):
        raise NotPayable(_l("This document is not awaiting payment."))
    for invoice in invoices:
        check = PAYABLE_CHECKS.get((invoice.on_paid or {}).get("action") or "")
        if check is not None:
            check(invoice)  # a refusal rolls the claim back: nothing charged
    attempt = 1 + (
        db.session.scalar(select(func.count(Payment.id)).where(Payment.invoice_id.in_(ids))) or 0
    )
    total = sum((invoice.total_incl_vat for invoice in invoices), Decimal("0.00"))
    result = provider.charge(
        amount=total,
        currency=invoices[0].currency,
        method=method,
        instrument=instrument,
        description=", ".join(invoice.number for invoice in invoices)[:140],
        idempotency_key=_idempotency_key(invoices, attempt, method, instrument),
    )
    payments = []
    for invoice in invoices:
        payment = Payment(
            account_id=invoice.account_id,
            invoice_id=invoice.id,
            provider=provider.name,
            method=method,
            amount=invoice.total_incl_vat,
            currency=invoice.currency,
            status=PaymentStatus.SUCCEEDED if result.succeeded else PaymentStatus.FAILED,
            provider_reference=result.reference,
            failure_reason=result.failure_reason,
        )
        db.session.add(payment)
        payments.append(payment)
        if result.succeeded:
            invoice.open_key = None  # a new order may be placed for what it was for
            action = (invoice.on_paid or {}).get("action")
            if action:
                PAID_HANDLERS[action](invoice, actor)
        else:
            invoice.status = InvoiceStatus.AWAITING_PAYMENT  # the claim is given back
            invoice.paid_at = None
    db.session.flush()
    for invoice, payment in zip(invoices, payments, strict=True):
        audit.record(
            "payment." + payment.status.value,
            account=invoice.account,
            actor=actor,
            target_type="invoice",
            target_id=invoice.id,
            after={"amount": str(payment.amount), "currency": payment.currency},
        )
    return payments


def configured_provider():
    """The payment provider the application is configured with (PAYMENT_PROVIDER), for
    code that runs in an app context: the site's views, the renewal run, the commands."""
    from flask import current_app

    return PROVIDERS[current_app.config.get("PAYMENT_PROVIDER", "sandbox")]
