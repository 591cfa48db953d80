"""Paying invoices from the invoices page: one invoice, or the whole balance at once.

Both go through telephony.payments, which claims the invoices with a conditional UPDATE:
whatever arrives at the same time, an invoice is paid once. The balance is paid as one
charge of exactly the invoices the customer saw and confirmed: when that set changed
meanwhile (one paid on another tab, a new one issued), nothing is charged and the page
shows the new balance."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from telephony import DomainError, NotFound
from telephony.invoicing.listing import due_invoices
from telephony.models import Account, Invoice, Payment, StoredPaymentMethod, User
from telephony.payments import NotPayable
from telephony.services.paying import charge_many


class BalanceChanged(DomainError):
    """The invoices due are no longer those the customer confirmed."""


def pay_one(
    account: Account,
    invoice: Invoice,
    method: StoredPaymentMethod,
    *,
    actor: User | None,
    provider,
    today: date,
) -> Payment:
    """Pay one invoice of the account. A refused charge is kept and the invoice stays due
    (see Payment.status); one no longer due raises NotPayable."""
    if invoice.account_id != account.id or method.account_id != account.id:
        raise NotFound(_l("This invoice does not exist."))
    return charge_many([invoice], method, actor=actor, provider=provider, today=today)[0]


def confirmation(invoices: list[Invoice]) -> str:
    """What the balance form carries to say which invoices it pays: their ids, in order."""
    return ",".join(str(invoice.id) for invoice in invoices)


def pay_balance(
    account: Account,
    confirmed: str,
    method: StoredPaymentMethod,
    *,
    actor: User | None,
    provider,
    today: date,
) -> list[Payment]:
    """Pay every invoice due as one charge, if they are still exactly those `confirmed`."""
    if method.account_id != account.id:
        raise NotFound(_l("This payment method does not exist."))
    due = due_invoices(account)
    if not due:
        raise NotPayable(_l("Nothing is left to pay."))
    if confirmation(due) != confirmed:
        raise BalanceChanged(_l("Your balance has changed since this page was shown: check it."))
    return charge_many(due, method, actor=actor, provider=provider, today=today)
