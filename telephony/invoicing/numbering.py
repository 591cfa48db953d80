"""Invoice numbers: one continuous sequence per issuing company and year, as French,
Belgian and Swiss law ask (no gap, no repeat, in the order of issue).

Each of the operator's companies (FR, BE, CH) issues its own invoices: the series is the
account's country. A number is taken by an UPDATE of the series' row, in the transaction
that issues the invoice:

* two transactions issuing at once wait for each other on that row (PostgreSQL) or on the
  database (SQLite), so no number is given twice;
* a transaction rolled back (a refused card, a form sent twice, a crash) gives its number
  back with everything else, so no number is skipped.

The price of that is that invoices of one company are issued one transaction at a time:
keep the work between the number and the commit short.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony.models import InvoiceSequence

#: Invoices of a company, and its credit notes (their own sequence).
INVOICE, CREDIT_NOTE = "", "CN"


def series(country: str, kind: str = INVOICE) -> str:
    return f"{country}-{kind}" if kind else country


def take(series_name: str, year: int, count: int = 1) -> range:
    """`count` consecutive numbers of `series_name` for `year`, in the caller's transaction."""
    if count < 1:
        return range(0)
    bump = (
        update(InvoiceSequence)
        .where(InvoiceSequence.series == series_name, InvoiceSequence.year == year)
        .values(last=InvoiceSequence.last + count)
        .returning(InvoiceSequence.last)
        .execution_options(synchronize_session=False)
    )
    last = db.session.scalar(bump)
    if last is None:  # the first of the year: one of two first issuers creates the row
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(InvoiceSequence).values(series=series_name, year=year, last=0)
                )
        except IntegrityError:
            pass  # the other one did
        last = db.session.execute(bump).scalar_one()
    return range(last - count + 1, last + 1)


def label(series_name: str, year: int, number: int) -> str:
    """The number as printed: FR-2026-000042, FR-CN-2026-000003."""
    return f"{series_name}-{year}-{number:06d}"


def next_numbers(country: str, year: int, count: int = 1, kind: str = INVOICE) -> list[str]:
    """`count` invoice numbers of the company of `country` for `year`, printed."""
    name = series(country, kind)
    return [label(name, year, n) for n in take(name, year, count)]


def next_number(country: str, year: int, kind: str = INVOICE) -> str:
    return next_numbers(country, year, 1, kind)[0]
