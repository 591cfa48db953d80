"""The account's invoices: filtered by status and period, paged in SQL, and the balance due.

An invoice's *status* as the customer reads it is derived in SQL from what is stored:
awaiting payment splits into *payment due* and *overdue* (its due date has passed); the
others are as stored (paid, collection sent, refunded, cancelled). Purchase orders are not
invoices: they stay on their line's page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal, select
from sqlalchemy.orm import selectinload

from extensions import db
from telephony import NotFound
from telephony.models import Account, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, Service
from telephony.paging import Page, paginate

#: The statuses the filter offers, in this order.
STATUSES = ("due", "overdue", "paid", "collection_sent", "refunded")
_AWAITING = Invoice.status == InvoiceStatus.AWAITING_PAYMENT


#: What the list shows: invoices and the credit notes that refund them.
DOCUMENTS = (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE)


def status_column(today: date):
    """The status the customer reads, in SQL (a credit note not refunded yet: refund due;
    one set against an unpaid invoice: settled)."""
    return case(
        (and_(_AWAITING, Invoice.kind == InvoiceKind.CREDIT_NOTE), literal("refund_due")),
        # A credit note set against an invoice never paid (its service ended first).
        (
            and_(Invoice.status == InvoiceStatus.PAID, Invoice.kind == InvoiceKind.CREDIT_NOTE),
            literal("settled"),
        ),
        (and_(_AWAITING, Invoice.due_on < today), literal("overdue")),
        (_AWAITING, literal("due")),
        else_=Invoice.status,
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """Status and period (issued from, to: both included), read from the query string;
    anything unknown or malformed is dropped, never an error."""

    status: str = ""
    start: date | None = None
    end: date | None = None
    #: Only the invoices billing this service (My services links each row here).
    service: int | None = None
    KEYS = ("status", "start", "end", "service")

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        status = args.get("status", "") or ""
        start, end = _day(args.get("from")), _day(args.get("to"))
        if start and end and start > end:
            start, end = end, start
        service = args.get("service", "") or ""
        return cls(
            status=status if status in STATUSES else "",
            start=start,
            end=end,
            service=int(service)
            if service.isascii() and service.isdigit() and len(service) < 10
            else None,
        )

    def active(self) -> list[tuple[str, object]]:
        return [(key, getattr(self, key)) for key in self.KEYS if getattr(self, key)]

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters (with `changes`), without empty values."""
        chosen = replace(self, **changes)
        values = {
            "status": chosen.status,
            "from": chosen.start.isoformat() if chosen.start else "",
            "to": chosen.end.isoformat() if chosen.end else "",
            "service": str(chosen.service) if chosen.service else "",
        }
        return {key: value for key, value in values.items() if value}


def invoices_query(account: Account, filters: Filters, today: date):
    """(Invoice, status) rows of the account, newest first."""
    status = status_column(today).label("shown_status")
    query = select(Invoice, status).where(
        Invoice.account_id == account.id, Invoice.kind.in_(DOCUMENTS)
    )
    if filters.status:
        query = query.where(status_column(today) == filters.status)
    if filters.start:
        query = query.where(Invoice.issued_on >= filters.start)
    if filters.end:
        query = query.where(Invoice.issued_on <= filters.end)
    if filters.service:
        query = query.where(
            exists(
                select(InvoiceLine.id).where(
                    InvoiceLine.invoice_id == Invoice.id,
                    InvoiceLine.service_id == filters.service,
                )
            )
        )
    return query.options(selectinload(Invoice.credited)).order_by(
        Invoice.issued_on.desc(), Invoice.id.desc()
    )


def list_invoices(account: Account, filters: Filters, page: int, size: int, today: date) -> Page:
    return paginate(invoices_query(account, filters, today), page, size, rows=True)


@dataclass(frozen=True)
class Balance:
    """What the account owes: the invoices awaiting payment, their total, the overdue part."""

    count: int
    total: Decimal
    overdue: int
    currency: str


def balance(account: Account, today: date) -> Balance:
    row = db.session.execute(
        select(
            func.count(Invoice.id),
            func.coalesce(func.sum(Invoice.total_incl_vat), 0),
            func.count(Invoice.id).filter(Invoice.due_on < today),
        ).where(Invoice.account_id == account.id, Invoice.kind == InvoiceKind.INVOICE, _AWAITING)
    ).one()
    return Balance(row[0], Decimal(row[1]).quantize(Decimal("0.01")), row[2], account.currency)


def due_invoices(account: Account) -> list[Invoice]:
    """Every invoice of the account awaiting payment, oldest first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.account_id == account.id,
                Invoice.kind == InvoiceKind.INVOICE,
                _AWAITING,
            )
            .order_by(Invoice.issued_on, Invoice.id)
        )
    )


def get_invoice(account: Account, invoice_id: int, kinds=DOCUMENTS) -> Invoice:
    """One of the account's invoices (or credit notes); anyone else's, or none, is
    NotFound."""
    invoice = db.session.scalar(
        select(Invoice).where(
            Invoice.id == invoice_id,
            Invoice.account_id == account.id,
            Invoice.kind.in_(kinds),
        )
    )
    if invoice is None:
        raise NotFound("This invoice does not exist.")
    return invoice


def service_name(account: Account, service_id: int | None) -> str | None:
    """The name of the account's service a filter names (None: not the account's)."""
    if not service_id:
        return None
    return db.session.scalar(
        select(Service.name).where(Service.id == service_id, Service.account_id == account.id)
    )
