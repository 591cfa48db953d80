"""My services: every billable service of an account, with how it renews. The table is
sorted, filtered, searched and paged in SQL, so an account with 10,000 services costs the
same few queries on every page.

A service's *renewal status* is derived, in SQL, from what it is now (first match wins):
terminated; termination requested (a date is set, by the same termination as on the line's
page); invoice to pay (one of its invoices awaits payment); manual; automatic. Its *date of
effect* follows the status: none ("immediately") while an invoice is due, the termination
date, else the expiry (for a manual service: renew before it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)

from extensions import db
from telephony.dates import add_months
from telephony.models import (
    Account,
    AliasNumber,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    RenewalMode,
    Service,
    ServiceState,
)
from telephony.paging import Page, paginate

#: The kinds of service the table lists, in the order the type filter offers them.
SERVICE_TYPES = ("sip_line", "trunk", "fax_line", "alias_number", "number_pool", "service_number")
STATES = tuple(state.value for state in ServiceState)
RENEWAL_STATUSES = (
    "automatic",
    "manual",
    "invoice_to_pay",
    "termination_requested",
    "terminated",
)
#: Expiry filters: within a week, within a month, renewed within the last month.
EXPIRY = ("week", "month", "renewed_month")
SORTS = ("name", "type", "state", "renewal", "frequency", "effect")
QUERY_MAX = 100

#: The lines of the service's (correlated) invoices awaiting payment.
_UNPAID_LINES = (
    select(InvoiceLine.id)
    .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
    .where(
        InvoiceLine.service_id == Service.id,
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
    )
)
_INVOICE_DUE = exists(_UNPAID_LINES)


def invoice_overdue(day: date):
    """The service (correlated) has an invoice still unpaid after its due date: what the
    renewal run suspends an automatic service for, and what keeps it suspended."""
    return exists(_UNPAID_LINES.where(Invoice.due_on < day))


#: The renewal status, and its rank for sorting (the order of RENEWAL_STATUSES).
RENEWAL_STATUS = case(
    (Service.state == ServiceState.TERMINATED, literal("terminated")),
    # An invoice due first: "Pay invoice" is then the only action, whatever else is
    # pending (a termination requested hid it, review).
    (_INVOICE_DUE, literal("invoice_to_pay")),
    (Service.terminate_on.is_not(None), literal("termination_requested")),
    (Service.renewal_mode == RenewalMode.MANUAL, literal("manual")),
    else_=literal("automatic"),
)
_RENEWAL_RANK = case(
    {status: rank for rank, status in enumerate(RENEWAL_STATUSES)}, value=RENEWAL_STATUS
)
#: The date of effect: none for a terminated service or while an invoice is due (it is
#: "immediately"), the termination date, else the expiry (the CSV's column too).
EFFECT_ON = case(
    (Service.state == ServiceState.TERMINATED, literal(None)),
    (_INVOICE_DUE, literal(None)),
    (Service.terminate_on.is_not(None), Service.terminate_on),
    else_=Service.expires_on,
)


@dataclass(frozen=True)
class Filters:
    """What the table shows: filters, search and order, as read from the query string
    (unknown values are dropped, never an error)."""

    type: str = ""
    state: str = ""
    renewal: str = ""
    expiry: str = ""
    q: str = ""
    sort: str = "effect"
    desc: bool = False
    #: The query string keys, in the order the chips show them.
    KEYS: tuple[str, ...] = field(default=("type", "state", "renewal", "expiry", "q"), repr=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        def one_of(name: str, allowed: tuple[str, ...], default: str = "") -> str:
            value = args.get(name, "") or ""
            return value if value in allowed else default

        query = " ".join((args.get("q", "") or "").split())[:QUERY_MAX]
        return cls(
            type=one_of("type", SERVICE_TYPES),
            state=one_of("state", STATES),
            renewal=one_of("renewal", RENEWAL_STATUSES),
            expiry=one_of("expiry", EXPIRY),
            q="".join(ch for ch in query if ch.isprintable()),
            sort=one_of("sort", SORTS, "effect"),
            desc=args.get("dir") == "desc",
        )

    def active(self) -> list[tuple[str, str]]:
        """The filters in use, (key, value), for the chips above the table."""
        return [(key, getattr(self, key)) for key in self.KEYS if getattr(self, key)]

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters (with `changes`), without defaults."""
        chosen = replace(self, **changes)
        values = {key: getattr(chosen, key) for key in chosen.KEYS}
        if chosen.sort != "effect":
            values["sort"] = chosen.sort
        if chosen.desc:
            values["dir"] = "desc"
        return {key: value for key, value in values.items() if value}


def _search(query: str, country: str):
    """Name or number: the words as typed, and a phone number in any form (0 972 10 00 01,
    +33972100001) as stored."""
    from telephony.directory import international, phone_candidates

    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conditions: list[ColumnElement[bool]] = [Service.name.ilike(f"%{escaped}%", escape="\\")]
    for candidate in phone_candidates(query):
        if candidate.country is None or candidate.country.value == country:
            for form in {candidate.e164, international(candidate.e164)}:
                conditions.append(Service.name.contains(form, autoescape=True))
    return or_(*conditions)


def services_query(account: Account, filters: Filters, today: date, ids=None):
    """The table's query; `ids` (the rows a customer selected) narrows it further."""
    query = select(Service, RENEWAL_STATUS.label("renewal"), EFFECT_ON.label("effect_on")).where(
        Service.account_id == account.id
    )
    if ids is not None:
        query = query.where(Service.id.in_(ids))
    if filters.type:
        query = query.where(Service.service_type == filters.type)
    if filters.state:
        query = query.where(Service.state == ServiceState(filters.state))
    if filters.renewal:
        query = query.where(RENEWAL_STATUS == filters.renewal)
    live = Service.state != ServiceState.TERMINATED
    if filters.expiry == "week":
        query = query.where(live, Service.expires_on.between(today, today + timedelta(days=7)))
    elif filters.expiry == "month":
        query = query.where(live, Service.expires_on.between(today, add_months(today, 1)))
    elif filters.expiry == "renewed_month":
        query = query.where(Service.renewed_on.between(add_months(today, -1), today))
    if filters.q:
        query = query.where(_search(filters.q, account.country.value))
    orders: dict[str, list[SQLColumnExpression[Any]]] = {
        "name": [Service.name],
        "type": [Service.service_type, Service.name],
        "state": [Service.state, Service.name],
        "renewal": [_RENEWAL_RANK, Service.name],
        "frequency": [Service.renewal_mode, Service.period_months, Service.name],
        # Invoices due first (effective immediately), then by date.
        "effect": [case((EFFECT_ON.is_(None), 0), else_=1), EFFECT_ON, Service.name],
    }
    order = orders[filters.sort]
    if filters.desc:
        order = [column.desc() for column in order]
    return query.order_by(*order, Service.id.desc() if filters.desc else Service.id)


@dataclass(frozen=True)
class Row:
    """One line of the table: the service, its renewal status and its date of effect."""

    service: Service
    renewal: str
    effect_on: date | None
    #: A number range's first number (its page, where the range is terminated).
    alias_id: int | None = None


def list_services(account: Account, filters: Filters, page: int, size: int, today: date) -> Page:
    result = paginate(services_query(account, filters, today), page, size, rows=True)
    pools = [
        row.Service.target_id for row in result.items if row.Service.target_type == "number_pool"
    ]
    # One query whatever the page holds (the same count on every page).
    first = dict(
        db.session.execute(
            select(AliasNumber.pool_id, func.min(AliasNumber.id))
            .where(AliasNumber.account_id == account.id, AliasNumber.pool_id.in_(pools))
            .group_by(AliasNumber.pool_id)
        ).all()
    )
    result.items = [
        Row(row.Service, row.renewal, row.effect_on, first.get(row.Service.target_id))
        if row.Service.target_type == "number_pool"
        else Row(row.Service, row.renewal, row.effect_on)
        for row in result.items
    ]
    return result
