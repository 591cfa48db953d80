"""Pending requests as people read them: on which number, what will change, and when. One
description for the requests page, the line and number pages, the agent's console and the
acknowledgement e-mail, so that none says less (or otherwise) than the others."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from telephony.models import Account, Offer, ScheduledTask, TaskAction
from telephony.money import Price, price_for


@dataclass(frozen=True)
class PendingRequest:
    task: ScheduledTask
    #: The line's or number's E.164 number, or the group's code for a new line.
    number: str
    #: The offer it moves to (offer change, conversion to a line, new line) and its price.
    offer: Offer | None
    price: Price | None
    #: Simultaneous calls before and after (a removal of calls).
    calls_from: int | None
    calls_to: int | None
    #: Waits for the validation procedure (no date yet).
    waiting: bool


def describe(account: Account, tasks: list[ScheduledTask]) -> list[PendingRequest]:
    """The tasks as requests, in their order, in a constant number of queries."""
    from telephony import inventory, procedure

    numbered = inventory.with_numbers(account, tasks)
    offer_ids = {task.params.get("offer_id") for task in tasks} - {None}
    offers = (
        {o.id: o for o in db.session.scalars(select(Offer).where(Offer.id.in_(offer_ids)))}
        if offer_ids
        else {}
    )
    waiting = procedure.waiting_ids(account, tasks)
    country = account.country.value
    described = []
    for task, number in numbered:
        offer_id = task.params.get("offer_id")
        offer = offers.get(offer_id) if isinstance(offer_id, int) else None
        calls_from, remove = task.params.get("from"), task.params.get("remove")
        described.append(
            PendingRequest(
                task=task,
                number=number,
                offer=offer,
                price=price_for(offer.price_excl_vat, country) if offer else None,
                calls_from=calls_from,
                calls_to=calls_from - remove if calls_from is not None and remove else None,
                waiting=task.id in waiting,
            )
        )
    return described


def pending(account: Account) -> list[PendingRequest]:
    """Every pending request of the account, soonest first."""
    from telephony import inventory

    return describe(account, inventory.open_tasks(account))


def acknowledge(account: Account, tasks: list[ScheduledTask]) -> None:
    """Queue the "request recorded" e-mail: each request, what it will change and when
    (in the caller's transaction: a refused request sends nothing)."""
    from telephony.billing import cancellable
    from telephony.mail import queue_email

    if tasks:
        queue_email(
            account,
            "request_received",
            requests=describe(account, tasks),
            # A termination less than 24 hours ahead: the message must not offer to cancel it.
            final={task.id for task in tasks if not cancellable(task, account)},
        )


def acknowledge_cancelled(account: Account, task: ScheduledTask) -> None:
    """Queue the "request cancelled" e-mail: the customer who was told a change is coming
    is told it is not (whoever cancelled it: they, or an agent for them)."""
    from telephony.mail import queue_email

    if task.action not in REQUESTS:
        return  # (no request of the customer's: a test's, say)
    queue_email(account, "request_cancelled", requests=describe(account, [task]))


#: The actions a customer's requests are.
REQUESTS = frozenset(action.value for action in TaskAction)
