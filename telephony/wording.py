"""Values a message says, in the language it is read in.

A rule refuses with a lazy message (`lazy_gettext`); a number, a date or a list put in it
is formatted when the message is shown, in that request's language: "1.000" in Dutch,
"1’000" in Swiss German, "7 december 2026", "A, B en C".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from babel.lists import format_list
from flask_babel import format_date, format_decimal, get_locale
from flask_babel.speaklater import LazyString


def number(value) -> LazyString:
    return LazyString(lambda: format_decimal(value))


def long_date(value: date) -> LazyString:
    return LazyString(lambda: format_date(value, "long"))


def listing(items: Iterable[object]) -> LazyString:
    """ "A, B and C" as the language joins them."""
    kept = list(items)
    return LazyString(lambda: joined(kept))


def joined(items: Iterable[object]) -> str:
    locale = get_locale()
    texts = [str(item) for item in items]
    return format_list(texts, locale=locale) if locale is not None else ", ".join(texts)
