"""The customer as an invoice names them, copied onto it when it is made.

An issued invoice (or credit note, or purchase order) never changes: details corrected or
given later (a new validation procedure, a holder's new address) are for the invoices
made after. The copy is taken by every way an invoice is made: the ORM (`before_insert`,
registered below) and the services run's bulk insert (`copies`).

The details are those of the account's validation procedure: the validated one, else the
latest with an address (what `current` reads for an account now).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, event, select

from extensions import db
from telephony.models import Account, Invoice, ProcedureStatus, ValidationProcedure

#: What an invoice keeps of its customer.
FIELDS = ("name", "email", "street", "postcode", "city", "country", "organisation_id")


def copies(connection, account_ids) -> dict[int, dict[str, Any]]:
    """The customer details of each account, as an invoice made now keeps them (two
    queries whatever the number of accounts)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    accounts = connection.execute(
        select(Account.id, Account.name, Account.billing_email).where(Account.id.in_(ids))
    ).all()
    found: dict[int, dict[str, Any]] = {
        row.id: dict.fromkeys(FIELDS, "") | {"name": row.name, "email": row.billing_email}
        for row in accounts
    }
    procedures = connection.execute(
        select(
            ValidationProcedure.account_id,
            ValidationProcedure.holder_street,
            ValidationProcedure.holder_postcode,
            ValidationProcedure.holder_city,
            ValidationProcedure.holder_country,
            ValidationProcedure.organisation_id,
        )
        .where(
            ValidationProcedure.account_id.in_(ids),
            ValidationProcedure.status != ProcedureStatus.CANCELLED,
            ValidationProcedure.holder_street != "",
        )
        .order_by(
            ValidationProcedure.account_id,
            case((ValidationProcedure.status == ProcedureStatus.VALIDATED, 0), else_=1),
            ValidationProcedure.id.desc(),
        )
    ).all()
    seen: set[int] = set()
    for row in procedures:
        if row.account_id in seen or row.account_id not in found:
            continue
        seen.add(row.account_id)
        found[row.account_id].update(
            street=row.holder_street or "",
            postcode=row.holder_postcode or "",
            city=row.holder_city or "",
            country=row.holder_country or "",
            organisation_id=row.organisation_id or "",
        )
    return found


def of(document: Invoice) -> dict[str, Any]:
    """The customer as `document` names them: its copy; one made before the copies were
    kept (or not saved), the account's details now."""
    if document.buyer:
        return document.buyer
    account = document.account
    found = copies(db.session.connection(), [account.id]).get(account.id) if account.id else None
    return found or dict.fromkeys(FIELDS, "") | {
        "name": account.name,
        "email": account.billing_email,
    }


@event.listens_for(Invoice, "before_insert")
def _copy_customer(_mapper, connection, invoice: Invoice) -> None:
    if invoice.buyer is None:
        invoice.buyer = copies(connection, [invoice.account_id]).get(invoice.account_id)
