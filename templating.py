"""Jinja filters: money and dates always go through Babel, in the request's locale."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import parse_pattern
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal, format_percent
from flask import request, url_for
from flask_babel import format_datetime, format_time, get_locale, to_user_timezone
from markupsafe import Markup


def money(amount, currency: str, precise: bool = False) -> str:
    """An amount in the locale's way; `precise`: every decimal it has (a rate per minute,
    0.025), not rounded to the cent."""
    return _money(amount, currency, get_locale(), precise)


@lru_cache(maxsize=4096)  # a page repeats a few prices many times (50 lines, 3 offers)
def _money(amount, currency: str, locale: Locale, precise: bool = False) -> str:
    # (the Locale itself, not its name: the pseudo-locale's name is not one Babel knows)
    return babel_format_currency(amount, currency, locale=locale, decimal_quantization=not precise)


#: How a language writes the first day of a month in words: "1er janvier", "1° gennaio".
FIRST_OF_MONTH = {"fr": "er", "it": "°"}
#: A day-of-month field of a date pattern, outside quoted literals ('de').
_DAY_FIELD = re.compile(r"(?<![d'])d(?![d'])")


def day(value: date | None, fmt: str = "medium", locale: Locale | str | None = None) -> str:
    """A date as the language says it: the locale's pattern (`short`, `medium`, `long`,
    `full`), and the first of the month with its ordinal mark where the language writes one
    in a date in words ("1er janvier 2027", "1° gennaio 2027"). Every date shown, on a page,
    in an e-mail or in a PDF, goes through here; `locale` defaults to the request's."""
    if not value:
        return ""
    if isinstance(value, datetime):  # a moment (stored in UTC): the reader's calendar day
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = to_user_timezone(moment).date()
    locale = Locale.parse(locale) if locale is not None else get_locale()
    pattern = locale.date_formats[fmt].pattern if fmt in locale.date_formats else fmt
    mark = FIRST_OF_MONTH.get(locale.language)
    if mark and value.day == 1 and "MMM" in pattern:  # a month in words, not in digits
        pattern = _DAY_FIELD.sub(f"d'{mark}'", pattern, count=1)
    return babel_format_date(value, parse_pattern(pattern).pattern, locale=locale)


def numeric_day(value: date | None) -> str:
    """A date in digits, its year whole ("01.01.2027", not "01.01.27"): what a spreadsheet
    reads as a date of this century (the CSV exports)."""
    if not value:
        return ""
    pattern = get_locale().date_formats["short"].pattern
    return day(value, re.sub(r"(?<!y)yy(?!y)", "y", pattern))


def moment(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def clock(value: datetime | None) -> str:
    """The time of day alone, in the user's time zone ("01:35"): for what ends within the
    hour, where a date would only be noise."""
    return format_time(value, "short") if value else ""


def percent(value) -> str:
    """A rate in the locale's way ("20 %" in French, "20%" in Italian), its decimals kept
    (8.1 %) but not trailing zeros."""
    return format_percent(Decimal(str(value)), locale=get_locale(), decimal_quantization=False)


def number(value) -> str:
    """A count in the locale's way ("1 250" in French, "1'250" in Swiss German)."""
    return format_decimal(value, locale=get_locale())


def phone(e164: str | None) -> str:
    """+33972100001 → "+33 9 72 10 00 01" (as typed when it does not parse)."""
    from telephony.directory import international

    return international(e164)


def page_url(endpoint: str, arg: str, number: int) -> str:
    """The current page's URL (path values and every query value kept) at page `number`.
    The query is joined as it came, not passed to url_for: a key named like a path value
    or one of url_for's own (`endpoint`, `_anchor`...) made a 500 of any list's pager."""
    from urllib.parse import urlencode

    args: dict[str, Any] = request.args.to_dict(flat=False)
    args[arg] = [str(number)]
    return url_for(endpoint, **(request.view_args or {})) + "?" + urlencode(args, doseq=True)


def datetime_attr(value) -> str:
    """A moment as HTML's datetime attribute takes it: ISO 8601 to the second (HTML allows
    at most three digits of a second's fraction; Python writes six)."""
    return value.replace(microsecond=0).isoformat()


def control_id(field) -> str:
    """The id of the control an error summary links to: the field's own input, or for a
    group of radios or checkboxes, its first option's (a fieldset takes no focus). Templates
    that draw the options themselves give them the same ids: "<field id>-<index>"."""
    from wtforms.widgets import CheckboxInput, RadioInput

    if isinstance(getattr(field, "option_widget", None), (RadioInput, CheckboxInput)):
        return f"{field.id}-0"
    return field.id


def screen_url(endpoint: str, **values) -> str:
    """The absolute address of a page of the site, built from SITE_URL: it works outside a
    request too (a service e-mail queued by the renewal run). Empty without SITE_URL."""
    from urllib.parse import urlsplit

    from flask import current_app

    base = current_app.config.get("SITE_URL") or ""
    if not base:
        return ""
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


_E164 = re.compile(r"\+\d{8,15}\b")
#: An international number as `phone` writes it, its groups separated by spaces.
_WRITTEN = re.compile(r"\+\d{1,3}(?: \d{1,4}){2,}")


def phones(text: str | None, *, unbroken: bool = False) -> str:
    """Every E.164 number in a text as people read it: "+33972100001 – Accueil" →
    "+33 9 72 10 00 01 – Accueil". `unbroken`: with no-break spaces inside each number, so
    that a document's lines never cut one in two."""
    shown = _E164.sub(lambda match: phone(match.group(0)), text or "")
    if unbroken:  # (numbers stored already written out too: "+33 1 84 80 00 10")
        return _WRITTEN.sub(lambda match: match.group(0).replace(" ", "\u00a0"), shown)
    return shown


def unbroken(text: str | None) -> Markup:
    """Text a line never cuts ("vt20002-b", not "vt20002-" and "b" on a phone), escaped."""
    return Markup('<span class="nowrap">{}</span>').format(text or "")


_MASKED = re.compile(r"•[•\s]*(\S+)")


def masked(text: str | None) -> Markup:
    """A masked IBAN or card number ("•••• 4242"): the bullets shown, not read out one by
    one; a screen reader hears "ending in 4242"."""
    from flask_babel import gettext

    found = _MASKED.search(text or "")
    if found is None:
        return Markup("{}").format(text or "")
    return Markup(
        '{}<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>{}'
    ).format(
        (text or "")[: found.start()],
        found.group(0),
        gettext("ending in %(digits)s", digits=found.group(1)),
        (text or "")[found.end() :],
    )


def joined(items) -> str:
    """ "A, B and C" as the language joins them."""
    from telephony.wording import joined as join_in_language

    return join_in_language(items)


def register_filters(app) -> None:
    from labels import label_helpers

    app.jinja_env.filters.update(
        money=money,
        day=day,
        moment=moment,
        clock=clock,
        percent=percent,
        number=number,
        phone=phone,
        # Pages: a number is never cut in two at the end of a line (a phone's narrow cards).
        phones=partial(phones, unbroken=True),
        control_id=control_id,
        datetime_attr=datetime_attr,
        unbroken=unbroken,
        masked=masked,
        listing=joined,
    )
    from caching import static_url
    from i18n import in_agents_language

    app.jinja_env.globals.update(
        label_helpers(),
        page_url=page_url,
        static_url=static_url,
        screen_url=screen_url,
        in_agents_language=in_agents_language,
    )
    # Templates compare with the enums, never with their strings.
    from telephony.billing import cancellable
    from telephony.models import InvoiceStatus, PaymentMethod, RenewalMode, TaskStatus

    app.jinja_env.globals.update(
        cancellable=cancellable,
        TaskStatus=TaskStatus,
        InvoiceStatus=InvoiceStatus,
        PaymentMethod=PaymentMethod,
        RenewalMode=RenewalMode,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
