"""Offer changes: which offers a line may move to, for one line or many, and the task that
applies the change at the next renewal (1st of the next month, account's time zone).

Rules:
* a line moves among its country's offers of its own kind, never to a lower level
  (Entreprise never goes back to Découverte); trunks have no offer change;
* one pending offer change per line, cancellable until it is applied;
* a line with a pending termination or conversion cannot change offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from telephony import DomainError, audit
from telephony.billing import excluded, pending_key, pending_line_changes, schedule_many
from telephony.dates import next_billing_date
from telephony.invoicing.repricing import settle_price_change
from telephony.mail import queue_email
from telephony.models import (
    Account,
    Line,
    LineKind,
    LineStatus,
    Offer,
    ScheduledTask,
    Service,
    TaskAction,
    User,
)
from telephony.money import Price, price_for
from telephony.payments import configured_provider
from telephony.wiring import Plug

ACTION = TaskAction.CHANGE_OFFER


@dataclass(frozen=True)
class OfferChoice:
    offer: Offer
    price: Price


def catalogue(account: Account, kind: LineKind | None = None) -> list[Offer]:
    """The active offers of the account's country (of one line kind), cheapest level first."""
    query = select(Offer).where(Offer.country == account.country, Offer.active.is_(True))
    if kind is not None:
        query = query.where(Offer.line_kind == kind)
    return list(db.session.scalars(query.order_by(Offer.line_kind, Offer.level, Offer.id)))


def pending_actions(account: Account, line_ids: list[int]) -> dict[int, set[str]]:
    """The changes pending on each of `line_ids` (telephony.billing), in constant queries."""
    return pending_line_changes(account, line_ids)


def line_refusal(line: Line, pending: set[str]):
    """Why `line` can't change offer at all (a translatable message), or None."""
    if line.status != LineStatus.ACTIVE:
        return _l("This line is terminated.")
    if line.kind == LineKind.TRUNK:
        return _l("A trunk has no offer change.")
    blocking = excluded(ACTION, pending)
    if ACTION in blocking:
        return _l("An offer change is already pending for this line.")
    if blocking:
        return _l("A termination or conversion is pending for this line.")
    return None


def offer_refusal(line: Line, offer: Offer, account: Account):
    """Why `line` can't move to `offer` (a translatable message), or None."""
    if offer.country != account.country or not offer.active:
        return _l("This offer is not available in your country.")
    if offer.line_kind != line.kind:
        return _l("This offer is not available for this kind of line.")
    if offer.id == line.offer_id:
        return _l("This line already has this offer.")
    if offer.level < line.offer.level:
        return _l("A line cannot move to a lower offer (Entreprise never goes back to Découverte).")
    return None


def bulk_targets(account: Account, lines: list[Line]) -> list[Offer]:
    """The offers that at least one of `lines` may move to (no fax offer for an account of
    voice lines); pending changes are the eligibility table's business."""
    usable = [line for line in lines if line.status == LineStatus.ACTIVE]
    return [
        offer
        for offer in catalogue(account)
        if offer.line_kind != LineKind.TRUNK
        and any(offer_refusal(line, offer, account) is None for line in usable)
    ]


def choices_for(line: Line, account: Account) -> list[OfferChoice]:
    """The offers this line may move to, with their monthly price."""
    return [
        OfferChoice(offer, price_for(offer.price_excl_vat, account.country.value))
        for offer in catalogue(account, line.kind)
        if offer_refusal(line, offer, account) is None
    ]


def effective_date(account: Account, now: datetime | None = None) -> date:
    return next_billing_date(account.timezone, now)


@dataclass(frozen=True)
class Eligibility:
    line: Line
    reason: object | None  # a lazy translatable string, or None when eligible

    @property
    def eligible(self) -> bool:
        return self.reason is None


def eligibility(account: Account, lines: list[Line], offer: Offer) -> list[Eligibility]:
    """For each line, whether it may move to `offer` and why not (one query in all)."""
    from telephony.lifecycle import SUSPENDED, suspended_targets

    pending = pending_actions(account, [line.id for line in lines])
    suspended = suspended_targets(account, "line", [line.id for line in lines])
    result = []
    for line in lines:
        reason = (
            line_refusal(line, pending[line.id])
            or (SUSPENDED if line.id in suspended else None)
            or offer_refusal(line, offer, account)
        )
        result.append(Eligibility(line, reason))
    return result


def lines_for_choice(account: Account, line_ids: list[int] | None = None) -> list[Line]:
    """The account's lines (or those of `line_ids` that belong to it), with their offer."""
    query = (
        select(Line)
        .where(Line.account_id == account.id)
        .options(joinedload(Line.offer))
        .order_by(Line.number, Line.id)
    )
    if line_ids is not None:
        query = query.where(Line.id.in_(line_ids))
    return list(db.session.scalars(query))


def get_offer(account: Account, offer_id: int | None) -> Offer:
    offer = db.session.get(Offer, offer_id) if offer_id else None
    if offer is None or offer.country != account.country or not offer.active:
        raise DomainError(_l("Choose one of the offers listed."), field="offer")
    return offer


def request_change(
    account: Account,
    lines: list[Line],
    offer: Offer,
    *,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> list[ScheduledTask]:
    """Schedule the change of every line in `lines` to `offer`, all or nothing, in the
    caller's transaction. The number of SQL statements does not depend on len(lines)."""
    if not lines:
        raise DomainError(_l("Choose at least one line."), field="lines")
    refused = [item for item in eligibility(account, lines, offer) if not item.eligible]
    if refused:
        if len(lines) == 1:
            raise DomainError(refused[0].reason, field="offer")
        raise DomainError(
            _l("%(num)d of the chosen lines cannot move to this offer.", num=len(refused)),
            field="lines",
        )
    return schedule_many(
        account=account,
        action=ACTION,
        targets=[
            ("line", line.id, {"offer_id": offer.id, "from_offer_id": line.offer_id})
            for line in lines
        ],
        execute_on=effective_date(account, now),
        actor=actor,
        reason=reason,
        conflict=_l("An offer change is already pending for this line."),
        field="offer",
    )


def pending_change(account: Account, line: Line) -> ScheduledTask | None:
    return db.session.scalar(
        select(ScheduledTask).where(
            ScheduledTask.account_id == account.id,
            ScheduledTask.pending_key == pending_key("line", line.id, ACTION),
        )
    )


def apply_change(task: ScheduledTask, day: date) -> str:
    """At the renewal: the line takes its new offer, its service the new price."""
    line = db.session.get(Line, task.target_id)
    offer = db.session.get(Offer, task.params["offer_id"])
    account = db.session.get_one(Account, task.account_id)
    if line is None or line.status != LineStatus.ACTIVE:
        raise DomainError("the line is no longer active")
    if offer is None or offer.line_kind != line.kind or offer.country != account.country:
        raise DomainError("the offer no longer applies to this line")
    before = {
        "offer": line.offer.code,
        "calls_current": line.calls_current,
        "calls_max": line.calls_max,
    }
    line.offer_id = offer.id
    line.offer = offer
    line.calls_max = max(offer.max_calls, offer.basic_calls)
    line.calls_current = min(max(line.calls_current, offer.basic_calls), line.calls_max)
    line.calls_to_remove = min(line.calls_to_remove, line.calls_current - offer.basic_calls)
    for service in db.session.scalars(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    ):
        old_price = service.monthly_price_excl_vat
        service.monthly_price_excl_vat = line.monthly_price_excl_vat
        # A period paid ahead at the old price: its days left are settled at the difference.
        # From the day the change was due (a run late by a day settles the same days).
        settle_price_change(service, old_price, task.execute_on, provider=configured_provider())
    audit.record(
        "offer.changed",
        account=account,
        actor=None,
        target_type="line",
        target_id=line.id,
        before=before,
        after={
            "offer": offer.code,
            "calls_current": line.calls_current,
            "calls_max": line.calls_max,
        },
    )
    queue_email(
        account,
        "offer_changed",
        day=day,
        line=line,
        offer=offer,
        price=price_for(offer.price_excl_vat, account.country.value),
    )
    return f"offer {before['offer']} -> {offer.code}"


PLUG = Plug(tasks={ACTION: apply_change})
