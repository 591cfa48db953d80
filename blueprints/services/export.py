"""My services as CSV: every service the filters select, streamed row by row, in the
reader's locale (a spreadsheet in French, Dutch, German or Italian opens `;`-separated
UTF-8 with a BOM; English uses `,`), with the dates and amounts as the locale writes them
and as ISO values. A cell that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

import database
from extensions import db
from labels import RENEWAL_STATUSES, SERVICE_STATES, SERVICE_TYPES
from telephony.models import Account
from telephony.services import listing
from telephony.settings import settings
from templating import numeric_day, phones

#: Characters a spreadsheet reads as the start of a formula (or that hide one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def dialect() -> tuple[str, bool]:
    """(separator, BOM) for the reader's language."""
    return (",", False) if get_locale().language == "en" else (";", True)


#: A negative number as a locale writes it ("-1 234,50", "-1’234.50"): digits and
#: separators only, nothing a spreadsheet could run; it stays a number.
NEGATIVE_NUMBER = re.compile(r"-\d[\d.,' \u00a0\u202f\u2019]*")


def neutralise(value: object) -> str:
    """A cell as text; one that starts like a formula gets a leading apostrophe (but a
    negative amount, a credit note's, which would become text)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


def line_writer() -> tuple[Callable[[list], str], str]:
    """(a function turning one row into a CSV line in the reader's dialect, each cell
    neutralised; the prefix of the first line: a BOM where the dialect wants one)."""
    separator, bom = dialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow([neutralise(value) for value in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    return line, "\ufeff" if bom else ""


def rows(account: Account, filters: listing.Filters, today, ids=None) -> Iterator[str]:
    """The CSV, a line at a time (the database is read in batches, never all at once).

    What the lines need of the request and the account is read now, in the view: they go
    out after it has returned, when its database session is gone (and with it the user and
    the account it loaded, which a session record's refresh may have expired already). The
    language, cached for the request, is the view's too."""
    line, bom = line_writer()
    locale = get_locale()
    currency = settings().currencies[account.country.value]
    header = bom + line(
        [
            _("Name"),
            _("Type"),
            _("State"),
            _("Renewal"),
            _("Frequency"),
            _("Date of effect"),
            _("Date of effect (ISO 8601)"),
            _("Expiry"),
            _("Expiry (ISO 8601)"),
            _("Monthly price excl. VAT"),
            _("Monthly price excl. VAT (decimal)"),
            _("Currency"),
        ]
    )
    query = listing.services_query(account, filters, today, ids).execution_options(yield_per=BATCH)
    return _lines(header, line, query, locale, currency)


def _lines(header: str, line, query, locale, currency: str) -> Iterator[str]:
    yield header
    database.use_transaction()  # a server-side cursor (yield_per) lives in one
    for row in db.session.execute(query):
        service, effect_on = row.Service, row.effect_on
        price = service.monthly_price_excl_vat
        yield line(
            [
                phones(service.name),
                SERVICE_TYPES.get(service.service_type, service.service_type),
                SERVICE_STATES.get(str(service.state), service.state),
                RENEWAL_STATUSES.get(row.renewal, row.renewal),
                service.period_months,
                numeric_day(effect_on)
                if effect_on
                else (_("Immediately") if row.renewal == "invoice_to_pay" else ""),
                effect_on.isoformat() if effect_on else "",
                numeric_day(service.expires_on),
                service.expires_on.isoformat(),
                format_decimal(price, "#,##0.00", locale=locale),
                f"{price:.2f}",
                currency,
            ]
        )
