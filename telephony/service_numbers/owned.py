"""The account's own service numbers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from telephony import rio as rios
from telephony.models import Account, InventoryState, ServiceNumber
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
