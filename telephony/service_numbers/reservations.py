"""Holding numbers for a customer, acquiring the ones they pick, releasing the others.

A reservation holds numbers for SERVICE_NUMBER_HOLD_MINUTES. The hold ends on the server:
a held number whose `held_until` has passed is free for anybody's search and claim
(`inventory.free`), whatever the page shows, and `expire` tidies them up. Numbers are
claimed by conditional UPDATEs (the row's state is checked again as it is written): two
customers searching at once never get the same number; the loser takes other numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import select, update

from extensions import db, rows_changed
from telephony import DomainError, NotFound, audit
from telephony.dates import local_today
from telephony.models import (
    Account,
    InventoryState,
    NumberReservation,
    NumberType,
    ReservationStatus,
    ServiceNumber,
    User,
    utcnow,
)
from telephony.service_numbers import credits, inventory, licences, owned, sva
from telephony.service_numbers.inventory import Search
from telephony.settings import settings

#: Claims tried before saying that fewer numbers than asked are free.
ATTEMPTS = 3
#: A hold can be kept a hold's length longer, again and again, until it has lasted this
#: many holds (WCAG 2.2.1: a time limit the person can extend at least ten times; the
#: numbers are not kept from other customers for ever).
MAX_HOLDS = 11
ENDED = _l("This reservation has ended: its numbers are back in the inventory.")


def hold_minutes() -> int:
    return settings().service_number_hold_minutes


def get(account: Account, reservation_id: int) -> NumberReservation:
    reservation = db.session.scalar(
        select(NumberReservation).where(
            NumberReservation.id == reservation_id, NumberReservation.account_id == account.id
        )
    )
    if reservation is None:
        raise NotFound(_l("This reservation does not exist."))
    return reservation


def is_live(reservation: NumberReservation, now: datetime) -> bool:
    return reservation.status == ReservationStatus.OPEN and aware(reservation.expires_at) > now


def held_numbers(reservation: NumberReservation) -> list[ServiceNumber]:
    """The numbers the reservation still holds, in order."""
    return list(
        db.session.scalars(
            select(ServiceNumber)
            .where(
                ServiceNumber.reservation_id == reservation.id,
                ServiceNumber.state == InventoryState.RESERVED,
            )
            .order_by(ServiceNumber.number)
        )
    )


def open_reservation(account: Account, now: datetime) -> NumberReservation | None:
    reservation = db.session.scalar(
        select(NumberReservation).where(
            NumberReservation.account_id == account.id,
            NumberReservation.status == ReservationStatus.OPEN,
        )
    )
    return reservation if reservation is not None and is_live(reservation, now) else None


def _free_numbers_of(reservation_ids) -> None:
    db.session.execute(
        update(ServiceNumber)
        .where(
            ServiceNumber.reservation_id.in_(reservation_ids),
            ServiceNumber.state == InventoryState.RESERVED,
        )
        .values(state=InventoryState.AVAILABLE, reservation_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    )


def _close(reservation_ids, status: ReservationStatus) -> None:
    db.session.execute(
        update(NumberReservation)
        .where(
            NumberReservation.id.in_(reservation_ids),
            NumberReservation.status == ReservationStatus.OPEN,
        )
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def reserve(
    account: Account, search: Search, quantity: int, *, actor: User, now: datetime | None = None
) -> tuple[NumberReservation, int]:
    """Hold up to `quantity` free numbers matching `search` for the account, for
    settings().service_number_hold_minutes; a reservation the account still had is released. Returns
    the reservation and how many numbers it holds (fewer than asked when fewer are free).
    Refused when the licences don't allow that many, or nothing matches."""
    now = now or utcnow()
    if not licences.has_licence(account):
        raise DomainError(_l("Service numbers need a telephony licence."), "quantity")
    if search.number_type not in inventory.types_sold(search.country):
        raise DomainError(_l("This type of number is not sold in this country."), "number_type")
    if owned.offered_price(account, search.number_type.value) is None:
        raise DomainError(owned.NOT_OFFERED, "number_type")
    if search.number_type == NumberType.TOLL_FREE and credits.balance(account) <= 0:
        # Calls to a toll-free number are paid by the holder's prepaid communication
        # credits: without them the number could not take a call.
        raise DomainError(
            _l("Toll-free numbers are paid by communication credits: buy some first."),
            "number_type",
        )
    _allowed, left = licences.quota(account)
    if quantity < 1:
        raise DomainError(_l("Ask for one number or more."), "quantity")
    if quantity > left:
        raise DomainError(
            _ln(
                "You can still acquire %(num)d service number.",
                "You can still acquire %(num)d service numbers.",
                left,
            ),
            "quantity",
        )
    previous = list(
        db.session.scalars(
            select(NumberReservation.id).where(
                NumberReservation.account_id == account.id,
                NumberReservation.status == ReservationStatus.OPEN,
            )
        )
    )
    if previous:
        _free_numbers_of(previous)
        _close(previous, ReservationStatus.RELEASED)
    reservation = NumberReservation(
        account_id=account.id,
        number_type=search.number_type,
        status=ReservationStatus.OPEN,
        expires_at=now + timedelta(minutes=settings().service_number_hold_minutes),
        created_by_id=actor.id,
    )
    db.session.add(reservation)
    db.session.flush()
    held = 0
    lost: set[int] = set()
    for _attempt in range(ATTEMPTS):
        candidates = inventory.find_free(search, quantity - held, now, exclude=lost)
        if not candidates:
            break
        ids = [number_id for number_id, _number in candidates]
        claimed = rows_changed(
            update(ServiceNumber)
            .where(ServiceNumber.id.in_(ids), inventory.free(now))
            .values(
                state=InventoryState.RESERVED,
                reservation_id=reservation.id,
                held_until=reservation.expires_at,
            )
            .execution_options(synchronize_session=False)
        )
        held += claimed
        if held >= quantity:
            break
        lost.update(ids)  # taken by somebody else meanwhile: look further
    if held == 0:
        raise DomainError(_l("No free number matches this search."), "quantity")
    audit.record(
        "service_numbers.reserved",
        account=account,
        actor=actor,
        target_type="number_reservation",
        target_id=reservation.id,
        after={"asked": quantity, "held": held, "type": search.number_type.value},
    )
    return reservation, held


def release(account: Account, reservation: NumberReservation, *, actor: User) -> None:
    """Give the held numbers back to the inventory now (a reservation already ended: no-op)."""
    if reservation.status != ReservationStatus.OPEN:
        return
    _free_numbers_of([reservation.id])
    _close([reservation.id], ReservationStatus.RELEASED)
    audit.record(
        "service_numbers.released",
        account=account,
        actor=actor,
        target_type="number_reservation",
        target_id=reservation.id,
    )


def hold_limit(reservation: NumberReservation) -> datetime:
    """The latest a reservation's hold can be kept until."""
    return aware(reservation.created_at) + MAX_HOLDS * timedelta(minutes=hold_minutes())


#: What keeping a hold longer must gain at least: less is no change (a copy of the same
#: request sent at once, or a hold at its limit).
EXTENSION_GRAIN = timedelta(minutes=1)


def _extended_until(reservation: NumberReservation, now: datetime) -> datetime:
    return min(now + timedelta(minutes=hold_minutes()), hold_limit(reservation))


def can_extend(reservation: NumberReservation, now: datetime) -> bool:
    """Whether the hold is live and short of its limit (right after it was made, keeping
    it longer gains nothing yet, but the button is there for later)."""
    return (
        is_live(reservation, now)
        and aware(reservation.expires_at) < hold_limit(reservation) - EXTENSION_GRAIN
    )


def extend(
    account: Account, reservation: NumberReservation, *, actor: User, now: datetime | None = None
) -> datetime:
    """Keep the held numbers a hold's length from now (up to `hold_limit`). Returns when
    the hold now ends. A hold that would gain less than EXTENSION_GRAIN is left as it is (a
    double click extends once). Refused once the hold has ended, on the server's clock: its
    numbers may be another customer's already."""
    now = now or utcnow()
    until = _extended_until(reservation, now)
    if not is_live(reservation, now):
        raise DomainError(ENDED)
    # Conditional: the hold may have ended, been acquired or been extended by a copy of
    # this request since it was read.
    kept = rows_changed(
        update(NumberReservation)
        .where(
            NumberReservation.id == reservation.id,
            NumberReservation.account_id == account.id,
            NumberReservation.status == ReservationStatus.OPEN,
            NumberReservation.expires_at > now,
            NumberReservation.expires_at < until - EXTENSION_GRAIN,
        )
        .values(expires_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(reservation)
    if not kept:
        if not is_live(reservation, now):
            raise DomainError(ENDED)
        return aware(reservation.expires_at)  # as long as it can be held already
    db.session.execute(
        update(ServiceNumber)
        .where(
            ServiceNumber.reservation_id == reservation.id,
            ServiceNumber.state == InventoryState.RESERVED,
            ServiceNumber.held_until > now,
        )
        .values(held_until=until)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "service_numbers.hold_extended",
        account=account,
        actor=actor,
        target_type="number_reservation",
        target_id=reservation.id,
        after={"until": until.isoformat()},
    )
    return until


def acquire(
    account: Account,
    reservation: NumberReservation,
    picked: list[str],
    *,
    actor: User,
    now: datetime | None = None,
    entry: dict | None = None,
) -> list[ServiceNumber]:
    """Make the picked numbers of a live reservation the account's (each a service, billed
    monthly from today), and give the others back. Once: the reservation is closed by a
    conditional UPDATE, a copy of the same form finds it closed."""
    now = now or utcnow()
    ids = sorted({int(value) for value in picked if value.isascii() and value.isdigit()})
    if not ids or len(ids) != len(picked) or len(ids) > 1000:
        raise DomainError(_l("Choose the numbers to acquire."), "numbers")
    if reservation.status == ReservationStatus.ACQUIRED:
        raise DomainError(_l("These numbers are already acquired."), "numbers")
    if not is_live(reservation, now):
        raise DomainError(ENDED, "numbers")
    held = {number.id: number for number in held_numbers(reservation)}
    if not set(ids) <= set(held):
        raise DomainError(_l("Choose among the numbers held for you."), "numbers")
    needs_entry = any(sva.needs_entry(held[number_id]) for number_id in ids)
    if needs_entry:
        if len(ids) != 1:
            raise DomainError(
                _l("A French toll-free number has its own directory entry: choose one number."),
                "numbers",
            )
        entry = sva.check(entry or {})
    _allowed, left = licences.quota(account)
    if len(ids) > left:
        raise DomainError(
            _ln(
                "You can still acquire %(num)d service number.",
                "You can still acquire %(num)d service numbers.",
                left,
            ),
            "numbers",
        )
    closed = rows_changed(
        update(NumberReservation)
        .where(
            NumberReservation.id == reservation.id,
            NumberReservation.status == ReservationStatus.OPEN,
            NumberReservation.expires_at > now,
        )
        .values(status=ReservationStatus.ACQUIRED)
        .execution_options(synchronize_session=False)
    )
    taken = rows_changed(
        update(ServiceNumber)
        .where(
            ServiceNumber.id.in_(ids),
            ServiceNumber.reservation_id == reservation.id,
            ServiceNumber.state == InventoryState.RESERVED,
            ServiceNumber.held_until > now,
        )
        .values(
            state=InventoryState.TAKEN,
            account_id=account.id,
            acquired_at=now,
            reservation_id=None,
            held_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if closed != 1 or taken != len(ids):
        raise DomainError(ENDED, "numbers")
    _free_numbers_of([reservation.id])
    numbers = list(
        db.session.scalars(
            select(ServiceNumber).where(ServiceNumber.id.in_(ids)).order_by(ServiceNumber.number)
        )
    )
    if needs_entry:
        numbers[0].directory_entry = entry
    owned.add_services(account, numbers, local_today(account.timezone, now))
    audit.record(
        "service_numbers.acquired",
        account=account,
        actor=actor,
        target_type="number_reservation",
        target_id=reservation.id,
        after={"numbers": [number.number for number in numbers]},
    )
    db.session.flush()
    return numbers


def expire(now: datetime | None = None) -> int:
    """Tidy up: close the reservations that have ended and mark their numbers available
    (they were free for anybody already). Returns how many numbers went back."""
    now = now or utcnow()
    freed = rows_changed(
        update(ServiceNumber)
        .where(ServiceNumber.state == InventoryState.RESERVED, ServiceNumber.held_until <= now)
        .values(state=InventoryState.AVAILABLE, reservation_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(NumberReservation)
        .where(
            NumberReservation.status == ReservationStatus.OPEN, NumberReservation.expires_at <= now
        )
        .values(status=ReservationStatus.RELEASED)
        .execution_options(synchronize_session=False)
    )
    return freed


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive moments (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
