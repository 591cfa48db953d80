"""The billing core: scheduled tasks and the renewal run that carries them out.

A pending change (offer change, removal of calls, conversion, termination...) is a
`ScheduledTask`. `run_renewal(day)` is the one place where such changes take effect:

* each due task runs in its own transaction: the task is claimed (todo → doing) by a
  conditional UPDATE, its handler makes the change, queues the service e-mail and the audit
  event, and the task is marked done, all committed together; on PostgreSQL tasks go in
  batches that several workers share (`run_batches`), each batch one transaction that
  commits whole or not at all, falling back to task by task when one of them refuses;
* a second run that overlaps finds the row locked (PostgreSQL) or the database locked
  (SQLite) and then sees the task no longer todo: it skips it, so each task runs once;
* a run killed halfway commits nothing for the task it was on: it stays todo and the next
  run does it;
* a handler that fails rolls back its changes; the task is then marked error with the reason;
* a handler that raises `Waiting` (e.g. a VoIP order while the validation procedure is not
  validated) rolls back too, but the task stays todo: every later run tries it again.

Feature modules declare their handlers in their PLUG, which telephony.wiring registers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Integer,
    Table,
    Text,
    bindparam,
    cast,
    false,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError

from extensions import db, rows_changed
from telephony import DomainError, NotFound, audit
from telephony.dates import local_today
from telephony.locking import lock_account, lock_free_accounts
from telephony.models import (
    Account,
    AuditEvent,
    Invoice,
    ScheduledTask,
    TaskAction,
    TaskStatus,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

#: Handler signature: (task, run day) -> short result text stored on the task.
TaskHandler = Callable[[ScheduledTask, date], str | None]
ACTIONS: dict[str, TaskHandler] = {}
#: What cancelling a task of an action undoes at once (e.g. the calls shown "to be removed").
CANCEL_HOOKS: dict[str, Callable[[ScheduledTask], None]] = {}


class Waiting(DomainError):
    """Raised by a task handler: the task cannot run yet and stays todo for a later run."""


def task_action(name: str):
    """Register the handler that carries out tasks of action `name` (features do it through
    telephony.wiring; tests and benchmarks register their own actions with it)."""

    def register(fn: TaskHandler) -> TaskHandler:
        ACTIONS[name] = fn
        return fn

    return register


def pending_key(target_type: str, target_id: int, kind: str) -> str:
    return f"{target_type}:{target_id}:{kind}"


# --- Which pending changes of a line exclude which ------------------------------------------

#: A purchase order of simultaneous calls awaiting payment (`Invoice.open_key`), counted
#: among a line's pending changes.
CALLS_ORDER = "calls_order"
#: Changes of what a line is: while one is pending, nothing else may change on the line.
LINE_LIFECYCLE = frozenset({"terminate_line", "convert_to_alias"})
_EVERY_LINE_CHANGE = frozenset({"change_offer", "remove_calls", CALLS_ORDER, *LINE_LIFECYCLE})

#: The one table of which pending changes of a line exclude which (seed 000's rules): a
#: change is refused while one it excludes is pending, and the relation is symmetric (a test
#: holds it so). The checks run under the account's lock (telephony.locking), so two
#: requests can't both pass them; the unique pending key and the unique open key of
#: purchase orders are the database's own guard against two changes of one kind.
LINE_EXCLUSIONS: dict[str, frozenset[str]] = {
    "change_offer": frozenset({"change_offer", *LINE_LIFECYCLE}),
    "remove_calls": frozenset({"remove_calls", CALLS_ORDER, *LINE_LIFECYCLE}),
    CALLS_ORDER: frozenset({CALLS_ORDER, "remove_calls", *LINE_LIFECYCLE}),
    "terminate_line": _EVERY_LINE_CHANGE,
    "convert_to_alias": _EVERY_LINE_CHANGE,
}


def excluded(change: str, pending: set[str]) -> set[str]:
    """The pending changes of a line that exclude `change` (empty: it may be requested)."""
    return set(LINE_EXCLUSIONS[change] & pending)


def pending_line_changes(account: Account, line_ids: list[int]) -> dict[int, set[str]]:
    """The changes pending on each of `line_ids`: task actions, and CALLS_ORDER for a
    purchase order awaiting payment. Two queries, however many lines."""
    result: dict[int, set[str]] = {line_id: set() for line_id in line_ids}
    if not line_ids:
        return result
    rows = db.session.execute(
        select(ScheduledTask.target_id, ScheduledTask.action).where(
            ScheduledTask.account_id == account.id,
            ScheduledTask.target_type == "line",
            ScheduledTask.target_id.in_(line_ids),
            ScheduledTask.status.in_([TaskStatus.TODO, TaskStatus.DOING]),
        )
    )
    for target_id, action in rows:
        result[target_id].add(action)
    keys = {pending_key("line", line_id, CALLS_ORDER): line_id for line_id in line_ids}
    for key in db.session.scalars(
        select(Invoice.open_key).where(
            Invoice.account_id == account.id, Invoice.open_key.in_(list(keys))
        )
    ):
        if key is not None:  # never: NULL is not IN the keys
            result[keys[key]].add(CALLS_ORDER)
    return result


def schedule(
    *,
    account: Account,
    action: str,
    target_type: str,
    target_id: int,
    execute_on: date,
    actor: User | None,
    params: dict[str, Any] | None = None,
    kind: str | None = None,
    reason: str = "",
) -> ScheduledTask:
    """Add one pending task to the caller's transaction (see `schedule_many`)."""
    (task,) = schedule_many(
        account=account,
        action=action,
        targets=[(target_type, target_id, params or {})],
        execute_on=execute_on,
        actor=actor,
        kind=kind,
        reason=reason,
    )
    return task


def schedule_many(
    *,
    account: Account,
    action: str,
    targets: list[tuple[str, int, dict[str, Any]]],
    execute_on: date,
    actor: User | None,
    kind: str | None = None,
    reason: str = "",
    conflict: Any = None,
    field: str | None = None,
) -> list[ScheduledTask]:
    """Add pending tasks of one action, one per (target type, target id, params), to the
    caller's transaction: one INSERT, one audit INSERT and, when a person asked, one
    acknowledgement e-mail, however many targets. The one way changes are scheduled.

    `kind` groups actions that exclude each other on one target (default: the action);
    a target that already has a pending task of the kind refuses them all, even when two
    requests race (unique `pending_key`): DomainError(`conflict`, `field`)."""
    if action not in ACTIONS:
        raise ValueError(f"no handler registered for task action {action!r}")
    message = conflict or _l("A change of this kind is already pending for this item.")
    keys = [
        pending_key(target_type, target_id, kind or action)
        for target_type, target_id, _p in targets
    ]
    taken = select(ScheduledTask.id).where(ScheduledTask.pending_key.in_(keys)).limit(1)
    if db.session.scalar(taken):
        raise DomainError(message, field=field)
    created = utcnow()
    on_behalf = bool(actor and actor.account_id != account.id)
    rows = [
        {
            "account_id": account.id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "params": params,
            "execute_on": execute_on,
            "status": TaskStatus.TODO,
            "pending_key": key,
            "created_by_id": actor.id if actor else None,
            "on_behalf": on_behalf,
            "reason": reason,
            "result": "",
            "created_at": created,
        }
        for (target_type, target_id, params), key in zip(targets, keys, strict=True)
    ]
    try:
        with db.session.begin_nested():
            tasks = list(db.session.scalars(insert(ScheduledTask).returning(ScheduledTask), rows))
    except IntegrityError:  # the unique pending key: a concurrent identical request won
        raise DomainError(message, field=field) from None
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "at": created,
                "actor_id": actor.id if actor else None,
                "account_id": account.id,
                "on_behalf": on_behalf,
                "action": "task.scheduled",
                "target_type": task.target_type,
                "target_id": task.target_id,
                "reason": reason,
                "after": {
                    "task": task.id,
                    "action": action,
                    "execute_on": execute_on.isoformat(),
                    "params": task.params,
                },
            }
            for task in tasks
        ],
    )
    if actor is not None:  # somebody asked: they hear what will happen, and when
        from telephony.pending import acknowledge

        acknowledge(account, tasks)
    return tasks


def get_task(account: Account, task_id: int) -> ScheduledTask:
    """A scheduled task of the account; NotFound otherwise (another account's too)."""
    task = db.session.get(ScheduledTask, task_id)
    if task is None or task.account_id != account.id:
        raise NotFound(_l("This request does not exist."))
    return task


#: Terminations take effect at the start of their day and can be cancelled until 24 hours
#: before, in the account's time zone: not on the day before, nor on the day itself.
CUT_OFF_ACTIONS = frozenset(
    {TaskAction.TERMINATE_LINE, TaskAction.TERMINATE_ALIAS, TaskAction.TERMINATE_POOL}
)


def cancellable(task: ScheduledTask, account: Account, now: datetime | None = None) -> bool:
    """Whether the customer may still cancel `task`: not started and, for a termination,
    more than 24 hours before it takes effect."""
    if task.status != TaskStatus.TODO:
        return False
    if task.action in CUT_OFF_ACTIONS:
        return local_today(account.timezone, now) < task.execute_on - timedelta(days=1)
    return True


def cancel(
    task: ScheduledTask,
    *,
    account: Account,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Cancel a task that has not started (in the caller's transaction); a termination only
    until 24 hours before it takes effect."""
    if task.account_id != account.id:
        raise DomainError(_l("This request does not exist."))
    if task.status == TaskStatus.TODO and not cancellable(task, account, now):
        raise DomainError(
            _l(
                "A termination can be cancelled until 24 hours before it takes effect: "
                "this one can no longer be cancelled."
            )
        )
    done = rows_changed(
        update(ScheduledTask)
        .where(ScheduledTask.id == task.id, ScheduledTask.status == TaskStatus.TODO)
        .values(status=TaskStatus.CANCELLED, pending_key=None, finished_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if done != 1:
        raise DomainError(_l("This request can no longer be cancelled."))
    if task.action in CANCEL_HOOKS:
        CANCEL_HOOKS[task.action](task)
    audit.record(
        "task.cancelled",
        account=account,
        actor=actor,
        target_type=task.target_type,
        target_id=task.target_id,
        before={"task": task.id, "action": task.action, "status": "todo"},
        after={"task": task.id, "status": "cancelled"},
        reason=reason,
    )
    from telephony import pending

    pending.acknowledge_cancelled(account, task)


@dataclass
class RenewalReport:
    day: date
    done: list[int] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    #: Tasks whose handler said they must wait (still todo).
    waiting: list[tuple[int, str]] = field(default_factory=list)

    def add(self, task_id: int, outcome: str, message: str) -> None:
        if outcome == "done":
            self.done.append(task_id)
        elif outcome == "error":
            self.errors.append((task_id, message))
        elif outcome == "waiting":
            self.waiting.append((task_id, message))
        else:
            self.skipped.append(task_id)

    def merge(self, other: RenewalReport) -> None:
        self.done += other.done
        self.errors += other.errors
        self.skipped += other.skipped
        self.waiting += other.waiting


def due_task_ids(day: date) -> list[int]:
    return list(
        db.session.scalars(
            select(ScheduledTask.id)
            .where(ScheduledTask.status == TaskStatus.TODO, ScheduledTask.execute_on <= day)
            .order_by(ScheduledTask.execute_on, ScheduledTask.id)
        )
    )


def run_renewal(day: date, workers: int = 1) -> RenewalReport:
    """Carry out every task due on or before `day`, each exactly once.

    SQLite: one task per transaction, in order. PostgreSQL: in batches (`run_batches`),
    by `workers` processes at once; several runs on several machines share the tasks the
    same way."""
    if db.session.get_bind().dialect.name != "postgresql":
        report = RenewalReport(day)
        ids = due_task_ids(day)
        db.session.commit()  # end the read transaction before the per-task ones
        for task_id in ids:
            report.add(task_id, *run_task(task_id, day))
        return report
    last = db.session.scalar(select(func.max(ScheduledTask.id))) or 0
    db.session.commit()
    if workers <= 1:
        return run_batches(day, last)
    return _in_processes(day, last, workers)


#: Tasks a worker claims at once and carries out in one transaction (PostgreSQL).
BATCH = 200


def run_batches(day: date, last_id: int, size: int | None = None) -> RenewalReport:
    """Carry out due tasks (ids up to `last_id`: those due when the run began) in batches,
    until none is left that another worker does not hold. Exactly once, as one task per
    transaction is, with fewer commits and round trips:

    * a batch is claimed with ``FOR UPDATE SKIP LOCKED``: two workers never take the same
      task, nor wait for each other's;
    * the batch's accounts are locked in id order (so workers sharing accounts never
      deadlock), its tasks run one after the other and the batch commits once: a worker
      killed halfway commits nothing, and the next run does the whole batch;
    * a handler that fails or says the task must wait rolls the whole batch back, which is
      then run task by task (`run_task`), so that one task's refusal costs only itself.
    """
    session = db.session
    size = size or BATCH
    report = RenewalReport(day)
    #: Tried one by one in this run and still todo (waiting, or the database busy): not
    #: again until the next run, so that a task that keeps failing never loops.
    tried: set[int] = set()
    while True:
        query = (
            select(ScheduledTask.id, ScheduledTask.account_id)
            .where(
                ScheduledTask.status == TaskStatus.TODO,
                ScheduledTask.execute_on <= day,
                ScheduledTask.id <= last_id,
            )
            .order_by(ScheduledTask.execute_on, ScheduledTask.id)
            .limit(size)
            .with_for_update(skip_locked=True, of=ScheduledTask)
        )
        if tried:
            query = query.where(ScheduledTask.id.not_in(tried))
        try:
            claimed = session.execute(query).all()
        except OperationalError:  # the database is going away: the next run does the rest
            session.rollback()
            log.warning("renewal worker stopped: database busy", exc_info=True)
            return report
        if not claimed:
            session.rollback()
            return report
        try:
            # Accounts a request holds are not waited for while the tasks are held: the
            # request (account first, then the task it cancels) would wait for us, and
            # PostgreSQL would end one of the two. Their tasks go one by one, after.
            held = lock_free_accounts(account_id for _task, account_id in claimed)
            ready = [task_id for task_id, account_id in claimed if account_id in held]
            done = _run_claimed(ready, day) if ready else []
            session.commit()
        except Exception:  # noqa: BLE001 - a task refused, or a deadlock: each on its own
            session.rollback()
            held, done = set(), []
        report.done += done
        for task_id, account_id in claimed:
            if account_id in held:
                continue
            outcome, message = run_task(task_id, day)  # (the account's lock first)
            report.add(task_id, outcome, message)
            if outcome in ("waiting", "skipped"):
                tried.add(task_id)


def _run_claimed(task_ids: list[int], day: date) -> list[int]:
    """Run the claimed tasks in the current transaction; any refusal propagates. The
    tasks' new state and their audit events are written at the end in two statements
    (`_finish_batch`), whatever the batch's size; the handlers' own changes are flushed
    as usual."""
    session = db.session
    tasks = session.scalars(
        select(ScheduledTask).where(ScheduledTask.id.in_(task_ids)).order_by(ScheduledTask.id)
    ).all()
    # Their accounts in the session at once (handlers and their checks read them); held
    # here, as the session keeps only what is referenced.
    accounts = session.scalars(
        select(Account).where(Account.id.in_({task.account_id for task in tasks}))
    ).all()
    order = {task_id: position for position, task_id in enumerate(task_ids)}
    tasks = sorted(tasks, key=lambda task: order[task.id])
    results = []
    for task in tasks:
        handler = ACTIONS.get(task.action)
        if handler is None:
            raise DomainError(f"no handler for action {task.action!r}")
        results.append(handler(task, day) or "")
    if tasks:
        session.flush()  # the handlers' changes first, as a task by itself would have them
        _finish_batch(tasks, results)
    del accounts
    return [task.id for task in tasks]


def _finish_batch(tasks: Sequence[ScheduledTask], results: list[str]) -> None:
    """Mark the batch's tasks done and write their audit events (what
    ``audit.record("task.done", ...)`` writes, without an actor), each as one statement
    over arrays (PostgreSQL's ``unnest``): a batch of 200 tasks costs the database two
    statements, not 400."""
    now = utcnow()
    task_table, event_table = ScheduledTask.__table__, AuditEvent.__table__
    assert isinstance(task_table, Table) and isinstance(event_table, Table)  # mapped tables
    done = (
        func.unnest(
            bindparam("ids", [task.id for task in tasks], type_=ARRAY(Integer)),
            bindparam("results", results, type_=ARRAY(Text)),
        )
        .table_valued("id", "result")
        .render_derived("done")
    )
    db.session.execute(
        update(task_table)
        .where(task_table.c.id == done.c.id)
        .values(
            status=TaskStatus.DONE,
            pending_key=None,
            started_at=now,
            finished_at=now,
            result=done.c.result,
        )
    )
    after = [
        json.dumps({"task": task.id, "action": task.action, "result": result})
        for task, result in zip(tasks, results, strict=True)
    ]
    rows = (
        func.unnest(
            bindparam("accounts", [task.account_id for task in tasks], type_=ARRAY(Integer)),
            bindparam("types", [task.target_type for task in tasks], type_=ARRAY(Text)),
            bindparam("targets", [task.target_id for task in tasks], type_=ARRAY(Integer)),
            bindparam("after", after, type_=ARRAY(Text)),
        )
        .table_valued("account_id", "target_type", "target_id", "after")
        .render_derived("events")
    )
    columns = ["at", "action", "account_id", "actor_id", "on_behalf"]
    columns += ["target_type", "target_id", "reason", "before", "after"]
    db.session.execute(
        insert(event_table).from_select(
            columns,
            select(
                literal(now, event_table.c.at.type),
                literal("task.done"),
                rows.c.account_id,
                null(),
                false(),
                rows.c.target_type,
                rows.c.target_id,
                literal(""),
                null(),
                cast(rows.c.after, JSON),
            ),
        )
    )


def _in_processes(day: date, last_id: int, workers: int) -> RenewalReport:
    """`run_batches` in `workers` forked processes (each its own connections), their
    reports merged."""
    import multiprocessing

    from flask import current_app

    # current_app is typed as the Flask it proxies: its LocalProxy method is unknown to mypy.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    context = multiprocessing.get_context("fork")  # the app is inherited, not pickled
    reports = context.Queue()
    processes = [
        context.Process(target=_worker, args=(app, day, last_id, reports), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    report = RenewalReport(day)
    for _ in processes:
        report.merge(reports.get())
    for process in processes:
        process.join()
    return report


def _worker(app: Flask, day: date, last_id: int, reports) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's connections are not this process's
        try:
            reports.put(run_batches(day, last_id))
        except BaseException:
            log.exception("renewal worker failed")
            reports.put(RenewalReport(day))  # its batch rolled back: the next run does it
            raise
        finally:
            db.session.remove()


def _claim(task_id: int, day: date) -> ScheduledTask | None:
    """todo → doing, inside the task's transaction; None when another run has it."""
    claimed = rows_changed(
        update(ScheduledTask)
        .where(
            ScheduledTask.id == task_id,
            ScheduledTask.status == TaskStatus.TODO,
            ScheduledTask.execute_on <= day,
        )
        .values(status=TaskStatus.DOING, started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        return None
    return db.session.get_one(ScheduledTask, task_id, populate_existing=True)


def run_task(task_id: int, day: date) -> tuple[str, str]:
    """Claim, run and finish one task in one transaction. Returns (outcome, message)."""
    session = db.session
    try:
        # The account's lock first, as every request that changes the account takes it
        # (telephony.locking): a customer cancelling this task waits, or makes us wait.
        account_id = session.scalar(
            select(ScheduledTask.account_id).where(ScheduledTask.id == task_id)
        )
        if account_id is not None:
            lock_account(account_id)
        task = _claim(task_id, day)
    except OperationalError:
        # Database busy (another run holds the lock too long): leave the task for later.
        session.rollback()
        log.warning("task %s skipped: database busy", task_id)
        return "skipped", "busy"
    if task is None:
        session.rollback()
        return "skipped", ""
    try:
        handler = ACTIONS.get(task.action)
        if handler is None:
            raise DomainError(f"no handler for action {task.action!r}")
        result = handler(task, day) or ""
        task.status = TaskStatus.DONE
        task.pending_key = None
        task.finished_at = utcnow()
        task.result = result
        audit.record(
            "task.done",
            account=session.get(Account, task.account_id),
            actor=None,
            target_type=task.target_type,
            target_id=task.target_id,
            after={"task": task.id, "action": task.action, "result": result},
        )
        session.commit()
        return "done", result
    except Waiting as wait:
        session.rollback()  # the claim too: the task is todo again
        return "waiting", str(wait.message)
    except Exception as exc:  # noqa: BLE001 - one failing task must not stop the run
        session.rollback()
        log.exception("task %s failed", task_id)
        message = str(getattr(exc, "message", exc))[:500] or exc.__class__.__name__
        # The rollback put the task back to todo; mark it error in a transaction of its own.
        failed = rows_changed(
            update(ScheduledTask)
            .where(ScheduledTask.id == task_id, ScheduledTask.status == TaskStatus.TODO)
            .values(status=TaskStatus.ERROR, pending_key=None, result=message, finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not failed:
            # Another worker claimed it once our rollback freed it, and finished it (marked
            # it error, or done): its outcome is that worker's to report, not ours too.
            session.commit()
            return "skipped", ""
        task = session.get_one(ScheduledTask, task_id, populate_existing=True)
        audit.record(
            "task.error",
            account=session.get(Account, task.account_id),
            actor=None,
            target_type=task.target_type,
            target_id=task.target_id,
            after={"task": task_id, "action": task.action, "error": message},
        )
        session.commit()
        return "error", message
