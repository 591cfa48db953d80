"""What a line or a number becomes: conversions (line ↔ alias number) and terminations.

Rules:
* every such change is a task carried out at the next billing (1st of next month, account's
  time zone), cancellable until then; one at a time per line or number (pending-key kind
  "lifecycle"); other pending changes of a line (offer, calls) must be cancelled first;
* line → alias number: not for fax lines; afterwards no outgoing calls, attached hardware
  stops working and must come back within HARDWARE_RETURN_DAYS;
* alias number → line: choose an offer (SIP offers of the country), accept the contracts; a
  number of a pool can't be converted; the result is a bare line keeping the number;
* termination of a SIP line, trunk, fax line or alias number: a reason from a fixed list,
  details required for "missing features" and "other"; a number of a pool terminates the
  whole pool (every number of it is listed before confirming); hardware comes back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from extensions import db
from telephony import DomainError, audit, procedure, wording
from telephony.billing import (
    LINE_LIFECYCLE,
    Waiting,
    excluded,
    pending_key,
    pending_line_changes,
    schedule,
)
from telephony.calls import cancel_orders_of_lines
from telephony.dates import first_of_next_month, first_renewal, local_today, next_billing_date
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AliasConfig,
    AliasNumber,
    Hardware,
    Line,
    LineKind,
    LineStatus,
    NumberPool,
    Offer,
    ScheduledTask,
    Service,
    ServiceState,
    TaskAction,
    User,
)
from telephony.offers import catalogue
from telephony.settings import settings
from telephony.wiring import Plug

KIND = "lifecycle"
TO_ALIAS = TaskAction.CONVERT_TO_ALIAS
TO_LINE = TaskAction.CONVERT_TO_LINE
TERMINATE_LINE = TaskAction.TERMINATE_LINE
TERMINATE_ALIAS = TaskAction.TERMINATE_ALIAS
TERMINATE_POOL = TaskAction.TERMINATE_POOL
TERMINATIONS = (TERMINATE_LINE, TERMINATE_ALIAS, TERMINATE_POOL)


#: Why a customer terminates, in the order the form lists them.
REASONS = {
    # Translators: reasons for terminating a line or number (a list to choose from).
    "moving": _l("Moving"),
    "billing_not_suited": _l("Billing not suited"),
    "end_of_activity": _l("End of activity"),
    "missing_features": _l("Missing features"),
    "competitor": _l("Leaving for a competitor"),
    "hardware_problems": _l("Hardware problems"),
    "technical_problems": _l("Technical problems"),
    "other": _l("Other"),
}
DETAILS_REQUIRED = ("missing_features", "other")
DETAILS_MAX = 1000


def effective_date(account: Account, now: datetime | None = None) -> date:
    return next_billing_date(account.timezone, now)


def return_deadline(day: date) -> date:
    return day + timedelta(days=settings().hardware_return_days)


def pending_lifecycle(account: Account, target_type: str, target_id: int):
    """The pending conversion or termination of a line, number or pool, or None."""
    return db.session.scalar(
        select(ScheduledTask).where(
            ScheduledTask.account_id == account.id,
            ScheduledTask.pending_key == pending_key(target_type, target_id, KIND),
        )
    )


def line_busy(account: Account, line: Line):
    """Why no conversion or termination can be requested for `line` now, or None."""
    return _line_busy(line, pending_line_changes(account, [line.id])[line.id]) or _suspended(
        account, "line", line.id
    )


SUSPENDED = _l("This service is suspended: pay its invoice or renew it first (My services).")


def suspended_targets(account: Account, target_type: str, target_ids) -> set[int]:
    """Those of `target_ids` whose service is suspended (one query)."""
    return set(
        db.session.scalars(
            select(Service.target_id).where(
                Service.account_id == account.id,
                Service.target_type == target_type,
                Service.target_id.in_(list(target_ids)),
                Service.state == ServiceState.SUSPENDED,
            )
        )
    )


def _suspended(account: Account, target_type: str, target_id: int):
    """Why a service suspended (for an unpaid invoice, or a manual one lapsed) cannot
    end nor change: its debt is paid, or it is renewed, first (a line suspended for debt
    could be terminated from its page, and its unpaid invoice was then cancelled; its
    offer and calls could still change)."""
    return SUSPENDED if suspended_targets(account, target_type, [target_id]) else None


def _line_busy(line: Line, pending: set[str]):
    if line.status != LineStatus.ACTIVE:
        return _l("This line is terminated.")
    blocking = excluded(TERMINATE_LINE, pending)
    if blocking & LINE_LIFECYCLE:
        return _l("A termination or conversion is already pending for this line.")
    if blocking:
        return _l("Other changes are pending for this line: cancel them first.")
    return None


def alias_busy(account: Account, alias: AliasNumber):
    if alias.status != LineStatus.ACTIVE:
        return _l("This number is terminated.")
    if pending_lifecycle(account, "alias_number", alias.id) or (
        alias.pool_id and pending_lifecycle(account, "number_pool", alias.pool_id)
    ):
        return _l("A termination or conversion is already pending for this number.")
    if alias.pool_id is not None:
        return _suspended(account, "number_pool", alias.pool_id)
    return _suspended(account, "alias_number", alias.id)


@dataclass(frozen=True)
class LineActions:
    """What the line's page may offer: only what the rules would accept now."""

    change_offer: bool
    change_calls: bool
    convert_to_alias: bool
    terminate: bool


def line_actions(account: Account, line: Line) -> LineActions:
    """The actions of a line's page, from one look at its pending changes."""
    from telephony import calls, offers

    pending = pending_line_changes(account, [line.id])[line.id]
    suspended = _suspended(account, "line", line.id)
    busy = _line_busy(line, pending) or suspended
    return LineActions(
        change_offer=offers.line_refusal(line, pending) is None and suspended is None,
        change_calls=calls.refusal(line, pending) is None and suspended is None,
        convert_to_alias=line.kind != LineKind.FAX and busy is None,
        terminate=busy is None,
    )


@dataclass(frozen=True)
class NumberActions:
    """What an alias number's page may offer, and why not when it offers nothing."""

    convert_to_line: bool
    terminate: bool
    busy: str | None


def number_actions(account: Account, alias: AliasNumber) -> NumberActions:
    busy = alias_busy(account, alias)
    return NumberActions(
        convert_to_line=to_line_refusal(account, alias) is None,
        terminate=busy is None,
        busy=busy,
    )


def to_alias_refusal(account: Account, line: Line, now=None):
    if line.kind == LineKind.FAX:
        return _l("A fax line cannot become an alias number.")
    # The line's service ends with the conversion: during its commitment, as a termination
    # would wait for its end (the months committed to are due whatever happens).
    day, committed = termination_date(account, [("line", line.id)], now)
    if committed is not None:
        return _l(
            "This line is committed until %(date)s: it can become an alias number from %(day)s.",
            date=wording.long_date(committed),
            day=wording.long_date(day),
        )
    return line_busy(account, line)


def to_line_refusal(account: Account, alias: AliasNumber):
    if alias.pool_id is not None:
        return _l("This number belongs to a range of numbers: it cannot be converted on its own.")
    return alias_busy(account, alias)


def line_offers(account: Account) -> list[Offer]:
    """The offers an alias number may take when it becomes a line: the SIP offers."""
    return catalogue(account, LineKind.SIP)


def pool_numbers(account: Account, pool_id: int) -> list[AliasNumber]:
    """Every active number of a pool (they end together)."""
    return list(
        db.session.scalars(
            select(AliasNumber)
            .where(
                AliasNumber.account_id == account.id,
                AliasNumber.pool_id == pool_id,
                AliasNumber.status == LineStatus.ACTIVE,
            )
            .order_by(AliasNumber.number)
        )
    )


def _schedule(
    account, action, target_type, target_id, *, actor, now, params, reason, execute_on=None
):
    task = schedule(
        account=account,
        action=action,
        kind=KIND,
        target_type=target_type,
        target_id=target_id,
        execute_on=execute_on or effective_date(account, now),
        actor=actor,
        params=params,
        reason=reason,
    )
    return task


def request_to_alias(
    account: Account, line: Line, *, actor: User | None, reason: str = "", now=None
) -> ScheduledTask:
    """Schedule the conversion of `line` to an alias number at the next billing."""
    refused = to_alias_refusal(account, line, now)
    if refused:
        raise DomainError(refused)
    return _schedule(
        account, TO_ALIAS, "line", line.id, actor=actor, now=now, params={}, reason=reason
    )


def request_to_line(
    account: Account,
    alias: AliasNumber,
    offer_id: int | None,
    *,
    contracts_accepted: bool,
    actor: User | None,
    reason: str = "",
    now=None,
) -> ScheduledTask:
    """Schedule the conversion of an alias number to a line with the chosen offer."""
    refused = to_line_refusal(account, alias)
    if refused:
        raise DomainError(refused)
    offer = next((o for o in line_offers(account) if o.id == offer_id), None)
    if offer is None:
        raise DomainError(_l("Choose one of the offers listed."), field="offer")
    if not contracts_accepted:
        raise DomainError(_l("Accept the contracts to convert this number."), field="contracts")
    task = _schedule(
        account,
        TO_LINE,
        "alias_number",
        alias.id,
        actor=actor,
        now=now,
        params={"offer_id": offer.id},
        reason=reason,
    )
    procedure.require_for_order(account, actor=actor, reason=reason)
    return task


def clean_details(text: str | None) -> str:
    """Details typed by the customer: no control characters, trimmed."""
    text = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text or ""
    )
    return text.strip()


def check_reason(reason: str | None, details: str | None) -> tuple[str, str]:
    if reason not in REASONS:
        raise DomainError(_l("Choose a reason from the list."), field="reason")
    details = clean_details(details)
    if reason in DETAILS_REQUIRED and not details:
        raise DomainError(_l("Tell us more about this reason."), field="details")
    if len(details) > DETAILS_MAX:
        raise DomainError(_l("Write at most %(num)d characters.", num=DETAILS_MAX), field="details")
    return reason, details


def _mark_services(target_type: str, ids: list[int], terminate_on: date | None) -> None:
    db.session.execute(
        update(Service)
        .where(Service.target_type == target_type, Service.target_id.in_(ids))
        .values(terminate_on=terminate_on)
        .execution_options(synchronize_session=False)
    )


def committed_until(account: Account, targets: list[tuple[str, int]]) -> date | None:
    """The latest end of a commitment among the services of these targets (a line, or a
    number and its range), or None."""
    from sqlalchemy import func, or_

    return db.session.scalar(
        select(func.max(Service.committed_until)).where(
            Service.account_id == account.id,
            or_(
                *(
                    (Service.target_type == kind) & (Service.target_id == target_id)
                    for kind, target_id in targets
                )
            ),
        )
    )


def termination_date(
    account: Account, targets: list[tuple[str, int]], now=None
) -> tuple[date, date | None]:
    """When a termination takes effect, and the commitment that sets it: the next billing
    date, or for a service in its commitment period the first billing date once the
    commitment has ended (the months committed to are due whatever happens)."""
    day = effective_date(account, now)
    committed = committed_until(account, targets)
    if committed is None or committed <= day:
        return day, None
    return (committed if committed.day == 1 else first_of_next_month(committed)), committed


def _termination_targets(account: Account, target: Line | AliasNumber) -> list[tuple[str, int]]:
    if isinstance(target, Line):
        return [("line", target.id)]
    if target.pool_id is not None:
        members = [("alias_number", alias.id) for alias in pool_numbers(account, target.pool_id)]
        return [("number_pool", target.pool_id), *members]
    return [("alias_number", target.id)]


def request_termination(
    account: Account,
    target: Line | AliasNumber,
    reason: str | None,
    details: str | None,
    *,
    actor: User | None,
    note: str = "",
    now=None,
) -> ScheduledTask:
    """Schedule the termination of a line or number (its whole pool, for a pool number).

    `reason`/`details` are the customer's; `note` is an acting agent's reason."""
    if isinstance(target, Line):
        refused = line_busy(account, target)
        action, target_type, target_id = TERMINATE_LINE, "line", target.id
    elif target.pool_id is not None:
        refused = alias_busy(account, target)
        action, target_type, target_id = TERMINATE_POOL, "number_pool", target.pool_id
    else:
        refused = alias_busy(account, target)
        action, target_type, target_id = TERMINATE_ALIAS, "alias_number", target.id
    if refused:
        raise DomainError(refused)
    reason, details = check_reason(reason, details)
    params: dict[str, object] = {"reason": reason, "details": details}
    if action == TERMINATE_POOL:
        params["numbers"] = [alias.number for alias in pool_numbers(account, target_id)]
    execute_on, _committed = termination_date(account, _termination_targets(account, target), now)
    task = _schedule(
        account,
        action,
        target_type,
        target_id,
        actor=actor,
        now=now,
        params=params,
        reason=note,
        execute_on=execute_on,
    )
    _mark_services(target_type, [target_id], task.execute_on)
    if action == TERMINATE_POOL:
        ids = [a.id for a in pool_numbers(account, target_id)]
        _mark_services("alias_number", ids, task.execute_on)
    return task


def _termination_cancelled(task: ScheduledTask) -> None:
    _mark_services(task.target_type, [task.target_id], None)
    if task.action == TERMINATE_POOL:
        ids = db.session.scalars(
            select(AliasNumber.id).where(AliasNumber.pool_id == task.target_id)
        ).all()
        _mark_services("alias_number", list(ids), None)


# --- The renewal run ------------------------------------------------------------------


def end_services(target_type: str, ids: list[int], day: date) -> None:
    """End the services of these targets on `day`; a period paid beyond it is refunded by
    a credit note, and one invoiced but not paid yet is cancelled and invoiced again up to
    `day` (telephony.invoicing.credit_notes). Whatever ends a service goes through
    here (a line's or number's termination or conversion, a service number released)."""

    from telephony.invoicing.credit_notes import cancel_unpaid, refund_terminated
    from telephony.payments import configured_provider

    ending = db.session.scalars(
        select(Service).where(
            Service.target_type == target_type,
            Service.target_id.in_(ids),
            Service.state != ServiceState.TERMINATED,
        )
    ).all()
    provider = configured_provider() if ending else None
    for service in ending:
        cancel_unpaid(service, day)  # an invoice not paid yet: not for the days after `day`
        if service.expires_on > day:  # a period paid beyond `day`: its rest refunded
            refund_terminated(service, day, provider=provider)
    db.session.execute(
        update(Service)
        .where(
            Service.target_type == target_type,
            Service.target_id.in_(ids),
            Service.state != ServiceState.TERMINATED,
        )
        .values(state=ServiceState.TERMINATED, terminate_on=day)
        .execution_options(synchronize_session=False)
    )


def _request_hardware_return(line: Line, day: date) -> list[Hardware]:
    hardware = list(db.session.scalars(select(Hardware).where(Hardware.line_id == line.id)))
    for item in hardware:
        item.return_requested_on = day
    return hardware


def _new_service(account: Account, name, service_type, target_type, target_id, price, day):
    from telephony.invoicing.repricing import invoice_first_period

    service = Service(
        account_id=account.id,
        name=name,
        service_type=service_type,
        target_type=target_type,
        target_id=target_id,
        state=ServiceState.ACTIVE,
        period_months=1,
        # Started today: renewed on the 1st (or the account's renewal day), like every
        # monthly service, and billed from today to then.
        renewed_on=day,
        expires_on=first_renewal(day, account.renewal_day),
        monthly_price_excl_vat=price,
    )
    db.session.add(service)
    invoice_first_period(service, day)


def _active_line(task: ScheduledTask) -> Line:
    line = db.session.get(Line, task.target_id)
    if line is None or line.status != LineStatus.ACTIVE:
        raise DomainError("the line is no longer active")
    return line


def apply_to_alias(task: ScheduledTask, day: date) -> str:
    line = _active_line(task)
    account = db.session.get_one(Account, task.account_id)
    line.status = LineStatus.TERMINATED
    cancel_orders_of_lines([line.id])
    db.session.flush()  # free the number before the alias number takes it
    alias = AliasNumber(
        account_id=account.id,
        group_id=line.group_id,
        number=line.number,
        description=line.description,
        config_kind=AliasConfig.NONE,
    )
    db.session.add(alias)
    db.session.flush()
    end_services("line", [line.id], day)
    _new_service(
        account,
        line.number,
        "alias_number",
        "alias_number",
        alias.id,
        settings().alias_number_price,
        day,
    )
    hardware = _request_hardware_return(line, day)
    audit.record(
        "line.converted_to_alias",
        account=account,
        actor=None,
        target_type="line",
        target_id=line.id,
        before={"line": line.id, "offer": line.offer.code},
        after={"alias_number": alias.id, "hardware_return": [h.serial for h in hardware]},
    )
    queue_email(
        account,
        "converted_to_alias",
        number=line.number,
        alias=alias,
        day=day,
        hardware=hardware,
        deadline=return_deadline(day),
    )
    return f"line {line.id} -> alias number {alias.id}"


def apply_to_line(task: ScheduledTask, day: date) -> str:
    alias = db.session.get(AliasNumber, task.target_id)
    if alias is None or alias.status != LineStatus.ACTIVE:
        raise DomainError("the number is no longer active")
    if alias.pool_id is not None:
        raise DomainError("the number belongs to a pool")
    account = db.session.get_one(Account, task.account_id)
    if not procedure.is_validated(account):
        raise Waiting("waiting for the validation procedure")
    offer = db.session.get(Offer, task.params["offer_id"])
    if offer is None or offer.country != account.country or offer.line_kind != LineKind.SIP:
        raise DomainError("the offer no longer applies")
    alias.status = LineStatus.TERMINATED
    db.session.flush()
    line = Line(
        account_id=account.id,
        group_id=alias.group_id,
        number=alias.number,
        kind=LineKind.SIP,
        description=alias.description,
        offer_id=offer.id,
        offer=offer,
        calls_current=offer.basic_calls,
        calls_max=max(offer.max_calls, offer.basic_calls),
    )
    db.session.add(line)
    db.session.flush()
    end_services("alias_number", [alias.id], day)
    _new_service(
        account, alias.number, "sip_line", "line", line.id, line.monthly_price_excl_vat, day
    )
    audit.record(
        "alias_number.converted_to_line",
        account=account,
        actor=None,
        target_type="alias_number",
        target_id=alias.id,
        before={"alias_number": alias.id, "config": alias.config_kind.value},
        after={"line": line.id, "offer": offer.code},
    )
    queue_email(account, "converted_to_line", number=alias.number, line=line, day=day, offer=offer)
    return f"alias number {alias.id} -> line {line.id}"


def _termination_email(account, task, day, numbers, hardware=()):
    queue_email(
        account,
        "terminated",
        numbers=numbers,
        day=day,
        reason=REASONS.get(task.params.get("reason"), ""),
        hardware=list(hardware),
        deadline=return_deadline(day),
    )


def apply_line_termination(task: ScheduledTask, day: date) -> str:
    line = _active_line(task)
    account = db.session.get_one(Account, task.account_id)
    line.status = LineStatus.TERMINATED
    cancel_orders_of_lines([line.id])
    end_services("line", [line.id], day)
    hardware = _request_hardware_return(line, day)
    audit.record(
        "line.terminated",
        account=account,
        actor=None,
        target_type="line",
        target_id=line.id,
        before={"status": "active"},
        after={
            "status": "terminated",
            "reason": task.params.get("reason"),
            "hardware_return": [h.serial for h in hardware],
        },
    )
    _termination_email(account, task, day, [line.number], hardware)
    return f"line {line.id} terminated"


def apply_alias_termination(task: ScheduledTask, day: date) -> str:
    alias = db.session.get(AliasNumber, task.target_id)
    if alias is None or alias.status != LineStatus.ACTIVE:
        raise DomainError("the number is no longer active")
    account = db.session.get_one(Account, task.account_id)
    alias.status = LineStatus.TERMINATED
    end_services("alias_number", [alias.id], day)
    audit.record(
        "alias_number.terminated",
        account=account,
        actor=None,
        target_type="alias_number",
        target_id=alias.id,
        before={"status": "active"},
        after={"status": "terminated", "reason": task.params.get("reason")},
    )
    _termination_email(account, task, day, [alias.number])
    return f"alias number {alias.id} terminated"


def apply_pool_termination(task: ScheduledTask, day: date) -> str:
    account = db.session.get_one(Account, task.account_id)
    pool = db.session.get(NumberPool, task.target_id)
    if pool is None or pool.account_id != account.id:
        raise DomainError("the number range no longer exists")
    numbers = pool_numbers(account, pool.id)
    for alias in numbers:
        alias.status = LineStatus.TERMINATED
    end_services("alias_number", [alias.id for alias in numbers], day)
    end_services("number_pool", [pool.id], day)
    audit.record(
        "number_pool.terminated",
        account=account,
        actor=None,
        target_type="number_pool",
        target_id=pool.id,
        before={"numbers": [alias.number for alias in numbers]},
        after={"status": "terminated", "reason": task.params.get("reason")},
    )
    _termination_email(account, task, day, [alias.number for alias in numbers])
    return f"number range {pool.id} terminated ({len(numbers)} numbers)"


@dataclass(frozen=True)
class TerminationPreview:
    """What a termination ends: the numbers, the date, the hardware to send back, and the
    commitment that sets the date, if any."""

    numbers: list[str]
    effective: date
    hardware: list[Hardware]
    pool: bool
    committed_until: date | None = None
    #: Whether it could still be cancelled once requested (until 24 hours before).
    cancellable: bool = True


def termination_preview(account: Account, target: Line | AliasNumber, now=None):
    day, committed = termination_date(account, _termination_targets(account, target), now)
    cancellable = local_today(account.timezone, now) < day - timedelta(days=1)
    if isinstance(target, Line):
        hardware, numbers, pool = list(target.hardware), [target.number], False
    elif target.pool_id is not None:
        hardware, pool = [], True
        numbers = [alias.number for alias in pool_numbers(account, target.pool_id)]
    else:
        hardware, numbers, pool = [], [target.number], False
    return TerminationPreview(numbers, day, hardware, pool, committed, cancellable)


PLUG = Plug(
    tasks={
        TO_ALIAS: apply_to_alias,
        TO_LINE: apply_to_line,
        TERMINATE_LINE: apply_line_termination,
        TERMINATE_ALIAS: apply_alias_termination,
        TERMINATE_POOL: apply_pool_termination,
    },
    cancel_hooks={
        TERMINATE_LINE: _termination_cancelled,
        TERMINATE_ALIAS: _termination_cancelled,
        TERMINATE_POOL: _termination_cancelled,
    },
)
