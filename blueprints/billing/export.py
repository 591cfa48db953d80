"""The invoices as CSV: the rows the filters select, streamed, in the reader's dialect (as
My services' export: `;` and a BOM for a French, Dutch, German or Italian spreadsheet),
dates and amounts as the locale writes them and as ISO values. A credit note says so and
which invoice it credits, and its amounts are negative (as on the page): a column's sum is
what was billed less what was credited."""

from __future__ import annotations

from collections.abc import Iterator

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

import database
from blueprints.services.export import BATCH, line_writer
from extensions import db
from labels import INVOICE_STATUSES
from telephony.invoicing import listing
from telephony.models import Account
from templating import numeric_day


def rows(account: Account, filters: listing.Filters, today) -> Iterator[str]:
    """The CSV, a line at a time. What the lines need of the request and the account is
    read now, in the view (see blueprints.services.export.rows); the database is read in
    batches as the lines go out."""
    query = listing.invoices_query(account, filters, today).execution_options(yield_per=BATCH)
    line, bom = line_writer()
    locale = get_locale()
    header = bom + line(
        [
            _("Number"),
            # Translators: CSV column: "Invoice" or "Credit note".
            _("Document"),
            # Translators: CSV column: the invoice a credit note credits.
            _("Credits invoice"),
            _("Issued on"),
            _("Issued on (ISO 8601)"),
            _("Due on"),
            _("Due on (ISO 8601)"),
            _("Status"),
            _("Total excl. VAT"),
            _("Total excl. VAT (decimal)"),
            _("VAT"),
            _("VAT (decimal)"),
            _("Total incl. VAT"),
            _("Total incl. VAT (decimal)"),
            _("Currency"),
        ]
    )
    return _lines(header, line, query, locale)


def _lines(header: str, line, query, locale) -> Iterator[str]:
    def amount(value) -> list[str]:
        return [format_decimal(value, "#,##0.00", locale=locale), f"{value:.2f}"]

    invoice_word, note_word = _("Invoice"), _("Credit note")
    yield header
    database.use_transaction()  # a server-side cursor (yield_per) lives in one
    for row in db.session.execute(query):
        invoice = row.Invoice
        issued = invoice.issued_on or invoice.created_at.date()
        note = invoice.is_credit_note
        sign = -1 if note else 1
        yield line(
            [
                invoice.number,
                note_word if note else invoice_word,
                invoice.credited.number if note and invoice.credited else "",
                numeric_day(issued),
                issued.isoformat(),
                numeric_day(invoice.due_on),
                invoice.due_on.isoformat() if invoice.due_on else "",
                INVOICE_STATUSES.get(row.shown_status, row.shown_status),
                *amount(sign * invoice.total_excl_vat),
                *amount(sign * invoice.total_vat),
                *amount(sign * invoice.total_incl_vat),
                invoice.currency,
            ]
        )
