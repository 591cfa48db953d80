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
