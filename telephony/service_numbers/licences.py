"""An account's telephony licences and the service-number quota they give."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from extensions import db
from telephony import DomainError, audit, wording
from telephony.models import (
    Account,
    InventoryState,
    Licence,
    LicenceKind,
    QuotaRequest,
    ServiceNumber,
    User,
    utcnow,
)
from telephony.settings import settings

#: More licences than this in one go is a typing mistake, not an order.
MAX_LICENCES = 100_000


def quota_for(licences: int) -> int:
    """How many service numbers this many licences allow (the table of config)."""
    allowed = 0
    for threshold, numbers in settings().service_number_quota:
        if licences >= threshold:
            allowed = numbers
    return allowed


def counts(account: Account) -> dict[LicenceKind, int]:
    """The account's licences per kind (every kind, 0 when it has none)."""
    held = dict(
        db.session.execute(
            select(Licence.kind, Licence.quantity).where(Licence.account_id == account.id)
        ).all()
    )
    return {kind: held.get(kind, 0) for kind in LicenceKind}


def has_licence(account: Account) -> bool:
    return bool(
        db.session.scalar(
            select(Licence.id).where(Licence.account_id == account.id, Licence.quantity > 0)
        )
    )


def may_follow(account: Account) -> bool:
    """Whether the account sees its service numbers' pages: with a licence, or while it
    holds numbers or has port orders (licences taken back to none, it still pays for its
    numbers, releases them, follows or cancels an order and buys the credits they use).
    Getting new numbers needs a licence (has_licence)."""
    from telephony.models import InventoryState, PortOrder, ServiceNumber

    held = select(ServiceNumber.id).where(
        ServiceNumber.account_id == account.id, ServiceNumber.state == InventoryState.TAKEN
    )
    ordered = select(PortOrder.id).where(PortOrder.account_id == account.id)
    licensed = select(Licence.id).where(Licence.account_id == account.id, Licence.quantity > 0)
    return bool(db.session.scalar(select(or_(licensed.exists(), held.exists(), ordered.exists()))))


def acquired(account: Account) -> int:
    """The account's numbers from the inventory (ported ones don't use the quota)."""
    return (
        db.session.scalar(
            select(func.count(ServiceNumber.id)).where(
                ServiceNumber.account_id == account.id,
                ServiceNumber.state == InventoryState.TAKEN,
                ServiceNumber.ported.is_(False),
            )
        )
        or 0
    )


def quota(account: Account) -> tuple[int, int]:
    """(numbers the licences allow, numbers the account may still acquire)."""
    allowed = quota_for(sum(counts(account).values()))
    return allowed, max(0, allowed - acquired(account))


def set_licences(
    account: Account, kind: str, quantity: str | int, *, actor: User, reason: str = ""
) -> Licence:
    """Set how many licences of a kind the account holds (agents, for the customer)."""
    try:
        kind = LicenceKind(kind)
    except ValueError:
        raise DomainError(_l("Choose a kind of licence."), "kind") from None
    text = str(quantity).strip()
    if not text.isascii() or not text.isdigit() or int(text) > MAX_LICENCES:
        raise DomainError(
            _l("Enter a whole number from 0 to %(max)s.", max=wording.number(MAX_LICENCES)),
            "quantity",
        )
    licence = db.session.scalar(
        select(Licence).where(Licence.account_id == account.id, Licence.kind == kind)
    )
    before = licence.quantity if licence else 0
    if licence is not None and before == int(text):
        return licence  # as it is already (the same form sent again): nothing to record
    if licence is None:
        licence = Licence(account_id=account.id, kind=kind, quantity=0)
        db.session.add(licence)
    licence.quantity = int(text)
    db.session.flush()
    # What the customer asked for more numbers is answered by these licences.
    asked = open_request(account)
    if asked is not None:
        asked.handled_at, asked.handled_by_id = utcnow(), actor.id
    audit.record(
        "licences.changed",
        account=account,
        actor=actor,
        target_type="licence",
        target_id=licence.id,
        before={"kind": kind.value, "quantity": before},
        after={"kind": kind.value, "quantity": licence.quantity},
        reason=reason,
    )
    return licence


#: The longest message a customer may add to a request for more numbers.
MESSAGE_LENGTH = 500


def open_request(account: Account) -> QuotaRequest | None:
    return db.session.scalar(
        select(QuotaRequest).where(
            QuotaRequest.account_id == account.id, QuotaRequest.handled_at.is_(None)
        )
    )


def ask_for_more(account: Account, quantity: str, message: str, *, actor: User) -> QuotaRequest:
    """Ask support for more service numbers than the licences allow: agents see the request
    in the console. Asked again before they answer, the same request is updated."""
    text = (quantity or "").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1000:
        raise DomainError(_l("Enter how many more numbers you need, from 1 to 1,000."), "quantity")
    message = (message or "").strip()
    if len(message) > MESSAGE_LENGTH:
        raise DomainError(_l("Write at most %(max)d characters.", max=MESSAGE_LENGTH), "message")
    request = open_request(account)
    if request is not None and (request.quantity, request.message) == (int(text), message):
        return request  # the same form again: nothing new to tell support
    if request is None:
        request = QuotaRequest(account_id=account.id, created_by_id=actor.id)
        db.session.add(request)
    request.quantity, request.message = int(text), message
    db.session.flush()
    audit.record(
        "quota.requested",
        account=account,
        actor=actor,
        target_type="quota_request",
        target_id=request.id,
        after={"quantity": request.quantity},
    )
    return request
