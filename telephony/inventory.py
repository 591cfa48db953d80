"""Reading an account's telephony: groups, lines, numbers. Every query is scoped to the
account; a missing or foreign id raises NotFound (answered 404)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from telephony import NotFound
from telephony.models import (
    Account,
    AliasNumber,
    Line,
    NumberPool,
    ScheduledTask,
    TaskStatus,
    TelephonyGroup,
)
from telephony.paging import Page, paginate


def groups_of(account: Account) -> list[TelephonyGroup]:
    return list(
        db.session.scalars(
            select(TelephonyGroup)
            .where(TelephonyGroup.account_id == account.id)
            .order_by(TelephonyGroup.code)
        )
    )


def lines_page(account: Account, number: int, size: int) -> Page:
    query = (
        select(Line)
        .where(Line.account_id == account.id)
        .options(joinedload(Line.offer), joinedload(Line.group), selectinload(Line.hardware))
        .order_by(Line.number, Line.id)
    )
    return paginate(query, number, size)


def numbers_page(account: Account, number: int, size: int) -> Page:
    query = (
        select(AliasNumber)
        .where(AliasNumber.account_id == account.id)
        .options(joinedload(AliasNumber.group), joinedload(AliasNumber.pool))
        .order_by(AliasNumber.number, AliasNumber.id)
    )
    return paginate(query, number, size)


def get_line(account: Account, line_id: int) -> Line:
    line = db.session.scalar(
        select(Line)
        .where(Line.id == line_id, Line.account_id == account.id)
        .options(joinedload(Line.offer), joinedload(Line.group), selectinload(Line.hardware))
    )
    if line is None:
        raise NotFound(_l("This line does not exist."))
    return line


def get_alias(account: Account, alias_id: int) -> AliasNumber:
    alias = db.session.scalar(
        select(AliasNumber)
        .where(AliasNumber.id == alias_id, AliasNumber.account_id == account.id)
        .options(joinedload(AliasNumber.group), joinedload(AliasNumber.pool))
    )
    if alias is None:
        raise NotFound(_l("This number does not exist."))
    return alias


def pending_tasks_for(account: Account, target_type: str, ids: list[int]) -> dict[int, list]:
    """Pending tasks of the given targets, in one query, by target id."""
    found = pending_tasks_of(account, {target_type: ids})
    return {target_id: tasks for (_type, target_id), tasks in found.items()}


def pending_tasks_of(
    account: Account, targets: dict[str, list[int]]
) -> dict[tuple[str, int], list[ScheduledTask]]:
    """Pending tasks of targets of several types (lines, numbers, ranges...), in one query,
    by (target type, target id), soonest first."""
    wanted = [
        and_(ScheduledTask.target_type == target_type, ScheduledTask.target_id.in_(ids))
        for target_type, ids in targets.items()
        if ids
    ]
    if not wanted:
        return {}
    tasks = db.session.scalars(
        select(ScheduledTask)
        .where(
            ScheduledTask.account_id == account.id,
            or_(*wanted),
            ScheduledTask.status.in_([TaskStatus.TODO, TaskStatus.DOING]),
        )
        .order_by(ScheduledTask.execute_on, ScheduledTask.id)
    )
    result: dict[tuple[str, int], list[ScheduledTask]] = {}
    for task in tasks:
        result.setdefault((task.target_type, task.target_id), []).append(task)
    return result


def number_targets(aliases: list[AliasNumber]) -> dict[str, list[int]]:
    """What `pending_tasks_of` needs for these numbers: them, and their ranges."""
    return {
        "alias_number": [alias.id for alias in aliases],
        "number_pool": list({alias.pool_id for alias in aliases if alias.pool_id}),
    }


def number_pending(
    found: dict[tuple[str, int], list[ScheduledTask]], alias: AliasNumber
) -> list[ScheduledTask]:
    """A number's pending changes among `pending_tasks_of`'s: its own, then its range's."""
    own = found.get(("alias_number", alias.id), [])
    return own + (found.get(("number_pool", alias.pool_id), []) if alias.pool_id else [])


def pending_tasks(account: Account) -> list[tuple[ScheduledTask, str]]:
    """Every pending task of the account with the number it concerns (the group's code for
    an order of a new line), in at most five queries."""
    return with_numbers(account, open_tasks(account))


def open_tasks(account: Account) -> list[ScheduledTask]:
    """The account's tasks still to do (or being done), soonest first."""
    return list(
        db.session.scalars(
            select(ScheduledTask)
            .where(
                ScheduledTask.account_id == account.id,
                ScheduledTask.status.in_([TaskStatus.TODO, TaskStatus.DOING]),
            )
            .order_by(ScheduledTask.execute_on, ScheduledTask.id)
        )
    )


def with_numbers(account: Account, tasks: list[ScheduledTask]) -> list[tuple[ScheduledTask, str]]:
    """Each task with the number it concerns (the group's code for an order of a new
    line), in at most four queries."""
    numbers: dict[tuple[str, int], str] = {}
    for target_type, model in (("line", Line), ("alias_number", AliasNumber)):
        ids = [t.target_id for t in tasks if t.target_type == target_type]
        if ids:
            rows = db.session.execute(
                select(model.id, model.number).where(
                    model.account_id == account.id, model.id.in_(ids)
                )
            )
            numbers.update({(target_type, row.id): row.number for row in rows})
    group_ids = [t.target_id for t in tasks if t.target_type == "telephony_group"]
    if group_ids:  # orders of new lines: the group's code stands for the number to come
        rows = db.session.execute(
            select(TelephonyGroup.id, TelephonyGroup.code).where(
                TelephonyGroup.account_id == account.id, TelephonyGroup.id.in_(group_ids)
            )
        )
        numbers.update({("telephony_group", row.id): row.code for row in rows})
    pool_ids = [t.target_id for t in tasks if t.target_type == "number_pool"]
    if pool_ids:
        rows = db.session.execute(
            select(NumberPool.id, NumberPool.first_number).where(
                NumberPool.account_id == account.id, NumberPool.id.in_(pool_ids)
            )
        )
        numbers.update({("number_pool", row.id): row.first_number for row in rows})
    return [(task, numbers.get((task.target_type, task.target_id), "")) for task in tasks]
