"""The account's own service numbers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from telephony import DomainError
from telephony import rio as rios
from telephony.models import Account, InventoryState, Service, ServiceNumber
from telephony.paging import Page, paginate
from telephony.settings import settings


def numbers_page(account: Account, number: int, size: int) -> Page:
    query = (
        select(ServiceNumber)
        .where(ServiceNumber.account_id == account.id, ServiceNumber.state == InventoryState.TAKEN)
        .options(joinedload(ServiceNumber.area), joinedload(ServiceNumber.destination))
        .order_by(ServiceNumber.number, ServiceNumber.id)
    )
    return paginate(query, number, size)


def monthly_price(account: Account, number: ServiceNumber) -> Decimal:
    """What the number costs the account a month, excl. VAT, in its currency: the price of
    the account's country for the number's type. A type without one is not offered to the
    account (reservations.reserve refuses it): never a number for nothing."""
    price = offered_price(account, number.number_type.value)
    if price is None:
        raise DomainError(NOT_OFFERED, "number_type")
    return price


#: Why a type of number without a price for the account is refused.
NOT_OFFERED = _l("This type of number is not offered to your account.")


def offered_price(account: Account, number_type: str) -> Decimal | None:
    """The monthly price of a type of number for the account (None: not offered to it)."""
    return settings().service_number_prices.get(account.country.value, {}).get(number_type)


def add_services(account: Account, numbers: Iterable[ServiceNumber], today: date) -> None:
    """Each number the account now holds (acquired, or ported in) is a monthly service of
    its own in My services, at the price of its country and type, billed from today: its
    first period is due today, so the next renewal run invoices it (it was given free
    until a month later, and a number released before then cost nothing at all)."""
    db.session.add_all(
        Service(
            account_id=account.id,
            name=number.number,
            service_type="service_number",
            target_type="service_number",
            target_id=number.id,
            monthly_price_excl_vat=monthly_price(account, number),
            expires_on=today,
            renewed_on=today,
        )
        for number in numbers
    )


def capacity(number: ServiceNumber) -> int:
    """Simultaneous calls the number carries."""
    return settings().service_number_capacity[number.number_type.value]


def rio_of(account: Account, number: ServiceNumber, operator: dict) -> str | None:
    """The RIO of a French number (what another operator asks to port it out), with the
    operator's settings (app config OPERATOR); others have none. Toll-free (SVA) numbers
    port with a mandate, not a RIO."""
    if not operator.get("rio_operator") or not number.number.startswith("+33"):
        return None
    if number.number.startswith("+338"):
        return None
    return rios.rio(
        operator["rio_operator"],
        operator.get("rio_quality", "F"),
        rios.contract_reference(account.code),
        number.number,
    )
