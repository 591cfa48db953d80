"""Payments through a provider interface. The built-in sandbox provider serves the demo and
the tests; a real provider implements the same `charge` method.

Sandbox rules (documented for testers): a card number ending in 0002 is declined, any other
valid-looking card (13-19 digits) is accepted; a SEPA direct debit is accepted unless the
IBAN ends in 0000.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask_babel import lazy_gettext as _l

from extensions import db
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
class ChargeResult:
    succeeded: bool
    reference: str
    failure_reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, amount, currency: str, method: PaymentMethod, instrument: str, description: str
    ) -> ChargeResult: ...


class SandboxProvider:
    name = "sandbox"

    def charge(self, *, amount, currency, method, instrument, description) -> ChargeResult:
        reference = "sbx_" + secrets.token_hex(8)
        digits = "".join(ch for ch in instrument if ch.isalnum())
        if method == PaymentMethod.CARD:
            if not (13 <= len(digits) <= 19 and digits.isdigit()):
                return ChargeResult(False, reference, "invalid_card")
            if digits.endswith("0002"):
                return ChargeResult(False, reference, "card_declined")
        elif digits.endswith("0000"):
            return ChargeResult(False, reference, "debit_refused")
        return ChargeResult(True, reference)


PROVIDERS: dict[str, PaymentProvider] = {"sandbox": SandboxProvider()}

#: What happens when an invoice is paid, by `invoice.on_paid["action"]`. Feature modules
#: register their handlers (e.g. adding simultaneous calls once a purchase order is paid).
PAID_HANDLERS: dict[str, Callable[[Invoice, User | None], None]] = {}


def on_paid(action: str):
    def register(fn):
        PAID_HANDLERS[action] = fn
        return fn

    return register


def pay_invoice(
    invoice: Invoice,
    *,
    method: PaymentMethod,
    instrument: str,
    actor: User | None,
    provider: PaymentProvider,
) -> Payment:
    """Charge `invoice` and, when it succeeds, mark it paid and run its on-paid action,
    all in the caller's transaction. Raises DomainError when it cannot be paid."""
    if invoice.status != InvoiceStatus.AWAITING_PAYMENT:
        raise DomainError(_l("This document is not awaiting payment."))
    result = provider.charge(
        amount=invoice.total_incl_vat,
        currency=invoice.currency,
        method=method,
        instrument=instrument,
        description=invoice.number,
    )
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
    if result.succeeded:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = utcnow()
        action = (invoice.on_paid or {}).get("action")
        if action:
            PAID_HANDLERS[action](invoice, actor)
    db.session.flush()
    audit.record(
        "payment." + payment.status.value,
        account=invoice.account,
        actor=actor,
        target_type="invoice",
        target_id=invoice.id,
        after={"amount": str(payment.amount), "currency": payment.currency},
    )
    return payment
