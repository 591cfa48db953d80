"""Prices: amounts are Decimal, rounded half-up to the cent, VAT by the account's country."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from telephony.settings import settings

CENT = Decimal("0.01")


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Price:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    vat_rate: Decimal
    currency: str


def price_for(amount_excl_vat: Decimal, country: str) -> Price:
    """The price of `amount_excl_vat` in `country`: VAT, total and currency."""
    rate = settings().vat_rates[country]
    excl = round_cents(Decimal(amount_excl_vat))
    vat = round_cents(excl * rate)
    return Price(excl, vat, excl + vat, rate, settings().currencies[country])
