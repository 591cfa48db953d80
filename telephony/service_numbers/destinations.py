"""Where the account's service numbers ring: its conference bridges, auto attendants and
call queues; assigning a number to one, and releasing a number the account no longer wants.

Rules: a destination's name is unique in the account; a queue rings some of the account's
lines; a conference bridge's default number is a toll number, so a toll-free number goes to
a bridge that has one; only a number assigned to nothing may be released, and it waits in
quarantine (SERVICE_NUMBER_QUARANTINE_MONTHS) before the inventory offers it again.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from extensions import db, rows_changed
from telephony import DomainError, InvalidForm, NotFound, audit
from telephony.dates import add_months
from telephony.models import (
    Account,
    DestinationKind,
    InventoryState,
    Line,
    LineStatus,
    NumberDestination,
    NumberType,
    QueueLine,
    ServiceNumber,
    User,
)
from telephony.settings import settings

NAME_LENGTH = 80


def destinations_of(account: Account) -> list[NumberDestination]:
    return list(
        db.session.scalars(
            select(NumberDestination)
            .where(NumberDestination.account_id == account.id)
            .options(selectinload(NumberDestination.lines))
            .order_by(NumberDestination.kind, NumberDestination.name)
        )
    )


def get_destination(account: Account, destination_id: int) -> NumberDestination:
    found = db.session.scalar(
        select(NumberDestination).where(
            NumberDestination.id == destination_id, NumberDestination.account_id == account.id
        )
    )
    if found is None:
        raise NotFound(_l("This destination does not exist."))
    return found


def get_number(account: Account, number_id: int) -> ServiceNumber:
    """One of the account's own service numbers."""
    found = db.session.scalar(
        select(ServiceNumber).where(
            ServiceNumber.id == number_id,
            ServiceNumber.account_id == account.id,
            ServiceNumber.state == InventoryState.TAKEN,
        )
    )
    if found is None:
        raise NotFound(_l("This service number does not exist."))
    return found


def active_lines(account: Account) -> list[Line]:
    return list(
        db.session.scalars(
            select(Line)
            .where(Line.account_id == account.id, Line.status == LineStatus.ACTIVE)
            .order_by(Line.number)
        )
    )


def create(
    account: Account, kind: str, name: str, line_ids: list[str], *, actor: User
) -> NumberDestination:
    """A new conference bridge, auto attendant or call queue (a queue rings at least one
    of the account's lines)."""
    errors: dict[str, object] = {}
    destination_kind: DestinationKind | None
    try:
        destination_kind = DestinationKind(kind)
    except ValueError:
        destination_kind = None
        errors["kind"] = _l("Choose a conference bridge, an auto attendant or a call queue.")
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _l("Give it a name.")
    elif len(name) > NAME_LENGTH:
        errors["name"] = _l("Write at most %(max)d characters.", max=NAME_LENGTH)
    elif db.session.scalar(
        select(NumberDestination.id).where(
            NumberDestination.account_id == account.id,
            func.lower(NumberDestination.name) == name.lower(),
        )
    ):
        errors["name"] = _l("Another destination has this name.")
    lines: list[Line] = []
    if destination_kind == DestinationKind.CALL_QUEUE:
        wanted = {int(v) for v in line_ids if v.isascii() and v.isdigit() and len(v) < 12}
        lines = [line for line in active_lines(account) if line.id in wanted]
        if not lines or len(lines) != len(set(line_ids)):
            errors["lines"] = _l("Choose the lines the queue rings.")
    if errors or destination_kind is None:  # an unknown kind left its message
        raise InvalidForm(errors)
    destination = NumberDestination(account_id=account.id, kind=destination_kind, name=name)
    db.session.add(destination)
    db.session.flush()
    for line in lines:
        db.session.add(QueueLine(destination_id=destination.id, line_id=line.id))
    audit.record(
        "destination.created",
        account=account,
        actor=actor,
        target_type="number_destination",
        target_id=destination.id,
        after={
            "kind": destination_kind.value,
            "name": name,
            "lines": [line.number for line in lines],
        },
    )
    db.session.flush()
    return destination


def _has_toll_number(destination: NumberDestination, besides: ServiceNumber) -> bool:
    return bool(
        db.session.scalar(
            select(ServiceNumber.id).where(
                ServiceNumber.destination_id == destination.id,
                ServiceNumber.id != besides.id,
                ServiceNumber.number_type != NumberType.TOLL_FREE,
            )
        )
    )


def assign(
    account: Account, number: ServiceNumber, destination_id: str, *, actor: User
) -> ServiceNumber:
    """Make the number ring at one of the account's destinations ("" for none)."""
    current = (
        db.session.get(NumberDestination, number.destination_id) if number.destination_id else None
    )
    before = current.name if current else None
    if not destination_id:
        destination = None
    else:
        if not destination_id.isascii() or not destination_id.isdigit() or len(destination_id) > 12:
            raise DomainError(_l("Choose where the number rings."), "destination")
        destination = get_destination(account, int(destination_id))
        if (
            destination.kind == DestinationKind.CONFERENCE_BRIDGE
            and number.number_type == NumberType.TOLL_FREE
            and not _has_toll_number(destination, number)
        ):
            raise DomainError(
                _l(
                    "A conference bridge's default number is a toll number: give the bridge "
                    "a toll number first."
                ),
                "destination",
            )
    if current is not None and (destination is None or destination.id != current.id):
        bridge = current
        toll_free_left = db.session.scalar(
            select(ServiceNumber.id).where(
                ServiceNumber.destination_id == bridge.id,
                ServiceNumber.number_type == NumberType.TOLL_FREE,
            )
        )
        if (
            bridge.kind == DestinationKind.CONFERENCE_BRIDGE
            and number.number_type != NumberType.TOLL_FREE
            and toll_free_left
            and not _has_toll_number(bridge, number)
        ):
            raise DomainError(
                _l("The bridge's toll-free numbers need a toll number beside them."),
                "destination",
            )
    number.destination = destination
    audit.record(
        "service_number.assigned",
        account=account,
        actor=actor,
        target_type="service_number",
        target_id=number.id,
        before={"number": number.number, "destination": before},
        after={"number": number.number, "destination": destination.name if destination else None},
    )
    db.session.flush()
    return number


def quarantine_end(today: date) -> date:
    return add_months(today, settings().service_number_quarantine_months)


def release(account: Account, number: ServiceNumber, *, actor: User, today: date) -> date:
    """Give a number assigned to nothing back: its service ends today, and the number
    waits in quarantine until the returned day. Once: a conditional UPDATE."""
    if number.destination_id is not None:
        raise DomainError(
            _l(
                "This number rings at %(name)s: assign it to nothing first.",
                name=db.session.get_one(NumberDestination, number.destination_id).name,
            ),
        )
    until = quarantine_end(today)
    released = rows_changed(
        update(ServiceNumber)
        .where(
            ServiceNumber.id == number.id,
            ServiceNumber.account_id == account.id,
            ServiceNumber.state == InventoryState.TAKEN,
            ServiceNumber.destination_id.is_(None),
        )
        .values(
            state=InventoryState.QUARANTINED,
            account_id=None,
            quarantine_until=until,
            acquired_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if released != 1:
        raise NotFound(_l("This service number does not exist."))
    # Its service ends today, and what was paid beyond today is refunded, as for a line.
    from telephony.lifecycle import end_services

    end_services("service_number", [number.id], today)
    audit.record(
        "service_number.released",
        account=account,
        actor=actor,
        target_type="service_number",
        target_id=number.id,
        after={"number": number.number, "quarantine_until": until.isoformat()},
    )
    return until


def end_quarantines(today: date) -> int:
    """Numbers whose quarantine is over go back to the inventory: ours for sale again; one
    ported in, back to its range holder (it stays outside the sale, inventory.free, and may
    be ported in again)."""
    return rows_changed(
        update(ServiceNumber)
        .where(
            ServiceNumber.state == InventoryState.QUARANTINED,
            ServiceNumber.quarantine_until <= today,
        )
        .values(state=InventoryState.AVAILABLE, quarantine_until=None, destination_id=None)
        .execution_options(synchronize_session=False)
    )
