from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from telephony.dates import add_months, first_of_next_month, next_billing_date
from telephony.money import price_for


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 1), date(2027, 2, 1)),
        (date(2027, 1, 31), date(2027, 2, 1)),
        (date(2027, 2, 28), date(2027, 3, 1)),
        (date(2028, 2, 29), date(2028, 3, 1)),
        (date(2027, 12, 1), date(2028, 1, 1)),
        (date(2027, 12, 31), date(2028, 1, 1)),
    ],
)
def test_first_of_next_month(day, expected):
    assert first_of_next_month(day) == expected


def test_request_date_is_taken_in_the_accounts_time_zone():
    # 31 January 23:30 UTC is already 1 February in Paris: the change waits until 1 March.
    late = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    assert next_billing_date("Europe/Paris", late) == date(2027, 3, 1)
    # 31 December 22:59 UTC is still 31 December in Zurich (UTC+1): 1 January.
    eve = datetime(2027, 12, 31, 22, 59, tzinfo=UTC)
    assert next_billing_date("Europe/Zurich", eve) == date(2028, 1, 1)
    with pytest.raises(ValueError):
        next_billing_date("Europe/Paris", datetime(2027, 1, 1))  # naive


def test_add_months_clamps_to_the_end_of_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2027, 5, 15), 12) == date(2028, 5, 15)


@pytest.mark.parametrize(
    ("country", "vat", "total", "currency"),
    [
        ("FR", "2.00", "11.99", "EUR"),
        ("BE", "2.10", "12.09", "EUR"),
        ("CH", "0.81", "10.80", "CHF"),
    ],
)
def test_vat_by_country(country, vat, total, currency):
    price = price_for(Decimal("9.99"), country)
    assert price.vat == Decimal(vat)
    assert price.incl_vat == Decimal(total)
    assert price.currency == currency


@pytest.mark.parametrize(
    ("locale", "fmt", "expected"),
    [
        ("fr_FR", "long", "1er janvier 2027"),
        ("fr_BE", "full", "vendredi 1er janvier 2027"),
        ("fr_CH", "medium", "1er janv. 2027"),
        ("it_CH", "long", "1° gennaio 2027"),
        ("de_CH", "long", "1. Januar 2027"),
        ("nl_BE", "long", "1 januari 2027"),
        ("en", "long", "January 1, 2027"),
        ("fr_FR", "short", "01/01/2027"),  # digits: no ordinal mark
    ],
)
def test_the_first_of_the_month_as_each_language_writes_it(locale, fmt, expected):
    from templating import day

    assert day(date(2027, 1, 1), fmt, locale=locale) == expected
    assert "er" not in day(date(2027, 1, 11), "long", locale="fr_FR").split()[0]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr_FR", "8,1\u00a0%"), ("de", "8,1\u00a0%"), ("it_CH", "8.1%"), ("nl_BE", "8,1%")],
)
def test_rates_follow_the_locale_and_keep_their_decimals(app, locale, expected):
    from flask_babel import force_locale

    from templating import percent

    with app.test_request_context(), force_locale(locale):
        assert percent(Decimal("0.081")) == expected
        assert percent(Decimal("0.20")) == expected.replace("8,1", "20").replace("8.1", "20")


def test_the_first_renewal_of_a_service_is_the_accounts_day_or_the_1st():
    from telephony.dates import first_renewal

    assert first_renewal(date(2026, 3, 10), None) == date(2026, 4, 1)
    assert first_renewal(date(2026, 3, 10), 15) == date(2026, 3, 15)
    assert first_renewal(date(2026, 3, 15), 15) == date(2026, 4, 15)  # not the day it began
    assert first_renewal(date(2026, 12, 20), 5) == date(2027, 1, 5)
    assert first_renewal(date(2027, 1, 31), 28) == date(2027, 2, 28)


def test_a_moment_is_shown_as_the_readers_day_not_utcs(app):
    """A number acquired at 23:30 UTC on 31 January (00:30 in Paris, billed from 1 February)
    said "Jan 31, 2027" (review): a datetime shown as a day is the reader's day."""
    from templating import day

    with app.test_request_context("/?lang=en"):
        assert day(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), locale="en") == "Feb 1, 2027"
        assert day(datetime(2027, 1, 31, 23, 30), locale="en") == "Feb 1, 2027"  # (naive: UTC)
        assert day(date(2027, 1, 31), locale="en") == "Jan 31, 2027"
