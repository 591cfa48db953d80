"""Ordering a new SIP line in one of the account's telephony groups: a VoIP order.

Rules (the choices are those of an alias number becoming a line):
* the customer picks one of their telephony groups (the only one when there is one), an
  offer among the SIP offers of their country (`lifecycle.line_offers`), accepts the
  contracts and may give the line a label;
* placing the order is one transaction: a scheduled task (ORDER_LINE, on the group) due the
  day it is placed in the account's time zone, and `procedure.require_for_order`, which
  starts the validation procedure (and its service e-mail) unless one is under way or
  validated;
* the daily run (`flask renew`) creates the line. While the procedure is not validated the
  task raises `Waiting` and stays todo, so the first run after the validation creates it,
  as for a conversion to a line. Cancellable until then, like every pending request;
* an account may order several lines (orders don't exclude each other), but the same form
  sent twice (a double click, or again from the history once carried out) places one
  order: its token is part of the pending key, and kept in the task;
* the new line takes the first number of the operator's block for the country that was
  never used (the `NEW_LINE_NUMBERS` setting), the offer's basic calls, a monthly service
  renewed on the 1st, an audit event and a service e-mail.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony import DomainError, NotFound, audit, inventory, lifecycle, procedure
from telephony.billing import Waiting, pending_key, schedule
from telephony.dates import first_renewal, local_today
from telephony.invoicing.repricing import invoice_first_period
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AliasNumber,
    Line,
    LineKind,
    Offer,
    ScheduledTask,
    Service,
    ServiceNumber,
    ServiceState,
    TaskAction,
    TaskStatus,
    TelephonyGroup,
    User,
)
from telephony.money import Price, price_for
from telephony.settings import settings
from telephony.wiring import Plug

ORDER_LINE = TaskAction.ORDER_LINE
TARGET = "telephony_group"
LABEL_MAX = 80
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class InvalidOrder(DomainError):
    """The order form holds mistakes: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, object]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def new_token() -> str:
    """The token of one order form: sending that form twice places one order."""
    return secrets.token_urlsafe(16)


def offers(account: Account) -> list[Offer]:
    """The offers a new line may take (those of an alias number becoming a line)."""
    return lifecycle.line_offers(account)


def execution_date(account: Account, now: datetime | None = None) -> date:
    """An order is due the day it is placed (account's time zone): the next daily run."""
    return local_today(account.timezone, now)


def _clean_label(text: str | None) -> tuple[str, object | None]:
    text = unicodedata.normalize("NFC", text or "")
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        return text, _l("Remove the tabs, line breaks and other invisible characters.")
    text = " ".join(text.split())
    if any(ch in "<>" for ch in text):
        return text, _l("Leave out the signs < and >.")
    if len(text) > LABEL_MAX:
        return text, _l("Write at most %(num)d characters.", num=LABEL_MAX)
    return text, None


def order_line(
    account: Account,
    group_id: int | None,
    offer_id: int | None,
    *,
    description: str | None,
    contracts_accepted: bool,
    token: str | None,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> ScheduledTask:
    """Place the order of a new line in the caller's transaction; returns its task (the
    task of the same form's first sending, when it is sent again)."""
    errors: dict[str, object] = {}
    groups = inventory.groups_of(account)
    group: TelephonyGroup | None
    if group_id is None and len(groups) == 1:
        group = groups[0]
    else:
        group = next((g for g in groups if g.id == group_id), None)
    if group is None:
        errors["group"] = (
            _l("Choose one of your telephony groups.")
            if groups
            else _l("This account has no telephony group yet: contact us to create one.")
        )
    offer = next((o for o in offers(account) if o.id == offer_id), None)
    if offer is None:
        errors["offer"] = _l("Choose one of the offers listed.")
    label, problem = _clean_label(description)
    if problem is not None:
        errors["description"] = problem
    if not contracts_accepted:
        errors["contracts"] = _l("Accept the contracts to order the line.")
    if errors or group is None or offer is None:
        raise InvalidOrder(errors)

    token = token if token and TOKEN.fullmatch(token) else new_token()
    kind = f"{ORDER_LINE}:{token}"
    # The same form again: while its order waits, the pending key says so; once carried
    # out (or cancelled) the key is gone, and the token kept in the task's params does.
    # (The account's lock, taken by every change, makes this check current.)
    again = db.session.scalar(
        select(ScheduledTask)
        .where(
            ScheduledTask.account_id == account.id,
            or_(
                ScheduledTask.pending_key == pending_key(TARGET, group.id, kind),
                and_(
                    ScheduledTask.action == ORDER_LINE,
                    ScheduledTask.params["token"].as_string() == token,
                ),
            ),
        )
        .limit(1)
    )
    if again is not None:
        return again
    task = schedule(
        account=account,
        action=ORDER_LINE,
        kind=kind,
        target_type=TARGET,
        target_id=group.id,
        execute_on=execution_date(account, now),
        actor=actor,
        params={
            "offer_id": offer.id,
            "description": label,
            "contracts_accepted": True,
            "token": token,
        },
        reason=reason,
    )
    procedure.require_for_order(account, actor=actor, reason=reason)
    return task


# --- Reading orders ---------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """An order of a new line as the customer sees it."""

    task: ScheduledTask
    group: TelephonyGroup | None
    offer: Offer | None
    price: Price | None
    #: The line, once the order is carried out.
    line: Line | None
    #: Todo while the account's validation procedure is not validated.
    waiting: bool

    @property
    def description(self) -> str:
        return self.task.params.get("description", "")


def get_order(account: Account, task_id: int) -> ScheduledTask:
    task = db.session.get(ScheduledTask, task_id)
    if task is None or task.account_id != account.id or task.action != ORDER_LINE:
        raise NotFound(_l("This order does not exist."))
    return task


def pending_orders(account: Account) -> list[ScheduledTask]:
    return list(
        db.session.scalars(
            select(ScheduledTask)
            .where(
                ScheduledTask.account_id == account.id,
                ScheduledTask.action == ORDER_LINE,
                ScheduledTask.status.in_([TaskStatus.TODO, TaskStatus.DOING]),
            )
            .order_by(ScheduledTask.id)
        )
    )


def describe(account: Account, tasks: list[ScheduledTask]) -> list[Order]:
    """Each order with its group, offer, price and (once created) line: a few queries in all."""
    if not tasks:
        return []
    groups = {g.id: g for g in inventory.groups_of(account)}
    offer_ids = {t.params.get("offer_id") for t in tasks}
    offers_by_id = {
        o.id: o
        for o in db.session.scalars(
            select(Offer).where(Offer.id.in_([i for i in offer_ids if isinstance(i, int)]))
        )
    }
    line_ids = [t.params["line_id"] for t in tasks if isinstance(t.params.get("line_id"), int)]
    lines = {}
    if line_ids:
        lines = {
            line.id: line
            for line in db.session.scalars(
                select(Line).where(Line.account_id == account.id, Line.id.in_(line_ids))
            )
        }
    validated = procedure.is_validated(account)
    result = []
    for task in tasks:
        offer_id, line_id = task.params.get("offer_id"), task.params.get("line_id")
        offer = offers_by_id.get(offer_id) if isinstance(offer_id, int) else None
        if offer is not None and offer.country != account.country:
            offer = None
        result.append(
            Order(
                task=task,
                group=groups.get(task.target_id),
                offer=offer,
                price=price_for(offer.price_excl_vat, account.country.value) if offer else None,
                line=lines.get(line_id) if isinstance(line_id, int) else None,
                waiting=task.status == TaskStatus.TODO and not validated,
            )
        )
    return result


# --- The daily run ------------------------------------------------------------------------


def free_number(country: str) -> str:
    """The first number of the operator's block for `country` that no line or alias number
    ever had (a number is never given to a second customer)."""
    first, last = settings().new_line_numbers[country]
    used: set[str] = set()
    for model in (Line, AliasNumber, ServiceNumber):  # (a service number too: none comes in
        used.update(  # by porting from the block, but the inventory may hold one)
            db.session.scalars(select(model.number).where(model.number.between(first, last)))
        )
    for value in range(int(first[1:]), int(last[1:]) + 1):
        candidate = f"+{value}"
        if candidate not in used:
            return candidate
    raise DomainError(f"no free number left in the block {first}-{last}")


def _add_line(account: Account, group: TelephonyGroup, offer: Offer, description: str) -> Line:
    for _attempt in range(5):
        line = Line(
            account_id=account.id,
            group_id=group.id,
            number=free_number(account.country.value),
            kind=LineKind.SIP,
            description=description,
            offer_id=offer.id,
            offer=offer,
            calls_current=offer.basic_calls,
            calls_max=max(offer.max_calls, offer.basic_calls),
        )
        try:
            with db.session.begin_nested():
                db.session.add(line)
        except IntegrityError:
            continue  # a run working beside this one took the number: take the next
        return line
    raise DomainError("no number could be given to the line")


def apply_order_line(task: ScheduledTask, day: date) -> str:
    account = db.session.get_one(Account, task.account_id)
    group = db.session.get(TelephonyGroup, task.target_id)
    if group is None or group.account_id != account.id:
        raise DomainError("the telephony group no longer exists")
    offer = db.session.get(Offer, task.params.get("offer_id"))
    if offer is None or offer.country != account.country or offer.line_kind != LineKind.SIP:
        raise DomainError("the offer no longer applies")
    if not procedure.is_validated(account):
        raise Waiting("waiting for the validation procedure")
    description = task.params.get("description", "")
    line = _add_line(account, group, offer, description)
    service = Service(
        account_id=account.id,
        name=f"{line.number} – {description}" if description else line.number,
        service_type="sip_line",
        target_type="line",
        target_id=line.id,
        state=ServiceState.ACTIVE,
        period_months=1,
        renewed_on=day,
        expires_on=first_renewal(day, account.renewal_day),
        monthly_price_excl_vat=line.monthly_price_excl_vat,
    )
    db.session.add(service)
    invoice_first_period(service, day)  # (from today to its first renewal)
    task.params = {**task.params, "line_id": line.id}
    audit.record(
        "line.created",
        account=account,
        actor=None,
        target_type="line",
        target_id=line.id,
        after={"number": line.number, "offer": offer.code, "group": group.code, "task": task.id},
    )
    queue_email(
        account,
        "line_created",
        line=line,
        offer=offer,
        group=group,
        price=price_for(line.monthly_price_excl_vat, account.country.value),
    )
    return f"line {line.id} created ({line.number})"


PLUG = Plug(tasks={ORDER_LINE: apply_order_line})
