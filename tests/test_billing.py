"""The renewal run: each due task once, whatever happens."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError
from telephony.billing import ACTIONS, cancel, run_renewal, schedule, task_action
from telephony.models import (
    Account,
    AuditEvent,
    Line,
    ScheduledTask,
    ServiceEmail,
    TaskStatus,
)
from tests.factories import claimed_by_someone

DAY = date(2030, 3, 1)


@pytest.fixture(autouse=True)
def test_actions():
    """Test handlers: add one simultaneous call to the target line (so a double run shows)."""

    @task_action("test.add_call")
    def add_call(task, day):
        line = db.session.get(Line, task.target_id)
        line.calls_current += 1
        return f"calls now {line.calls_current}"

    @task_action("test.add_call_and_mail")
    def add_call_and_mail(task, day):
        from telephony.mail import queue_email

        line = db.session.get(Line, task.target_id)
        line.calls_current += 1
        queue_email(line.group.account, "change_applied", day=day, summary=line.number)

    @task_action("test.fail_after_change")
    def fail_after_change(task, day):
        line = db.session.get(Line, task.target_id)
        line.calls_current += 100
        raise DomainError("the exchange refused the change")

    @task_action("test.slow")
    def slow(task, day):
        line = db.session.get(Line, task.target_id)
        line.calls_current += 1
        db.session.flush()
        time.sleep(float(task.params.get("sleep", 0)))

    yield
    for name in [n for n in ACTIONS if n.startswith("test.")]:
        del ACTIONS[name]


def _fr(app_ctx=None):
    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    lines = list(db.session.scalars(select(Line).where(Line.account_id == account.id)))
    return account, lines


def _schedule(action, line, account, day=DAY, **params):
    return schedule(
        account=account,
        action=action,
        target_type="line",
        target_id=line.id,
        execute_on=day,
        actor=None,
        params=params,
    )


def test_a_second_run_at_the_same_date_changes_nothing(app_ctx):
    account, lines = _fr()
    before = {line.id: line.calls_current for line in lines}
    for line in lines:
        _schedule("test.add_call", line, account)
    db.session.commit()
    first = run_renewal(DAY)
    assert len(first.done) == len(lines) and not first.errors
    second = run_renewal(DAY)
    assert second.done == [] and second.errors == []
    db.session.expire_all()
    for line in _fr()[1]:
        assert line.calls_current == before[line.id] + 1
    statuses = db.session.scalars(select(ScheduledTask.status)).all()
    assert set(statuses) == {TaskStatus.DONE}
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "task.done")
    ) == len(lines)


def test_tasks_run_only_when_due(app_ctx):
    account, lines = _fr()
    _schedule("test.add_call", lines[0], account, day=date(2030, 4, 1))
    db.session.commit()
    assert run_renewal(date(2030, 3, 31)).done == []
    assert len(run_renewal(date(2030, 4, 1)).done) == 1


def test_a_second_pending_task_of_the_same_kind_is_refused(app_ctx):
    account, lines = _fr()
    _schedule("test.add_call", lines[0], account)
    with pytest.raises(DomainError, match="A change of this kind is already pending for this item"):
        _schedule("test.add_call", lines[0], account)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 1
    run_renewal(DAY)
    _schedule("test.add_call", lines[0], account)  # allowed again once done


def test_cancelled_tasks_do_not_run_and_free_the_slot(app_ctx):
    account, lines = _fr()
    task = _schedule("test.add_call", lines[0], account)
    db.session.commit()
    cancel(task, account=account, actor=None)
    db.session.commit()
    assert run_renewal(DAY).done == []
    with pytest.raises(DomainError, match="This request can no longer be cancelled"):
        cancel(task, account=account, actor=None)
    _schedule("test.add_call", lines[0], account)


def test_a_task_cannot_be_cancelled_from_another_account(app_ctx):
    account, lines = _fr()
    task = _schedule("test.add_call", lines[0], account)
    other = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    with pytest.raises(DomainError, match="This request does not exist"):
        cancel(task, account=other, actor=None)


def test_a_failing_task_is_rolled_back_and_marked_error(app_ctx):
    account, lines = _fr()
    before = lines[0].calls_current
    task = _schedule("test.fail_after_change", lines[0], account)
    _schedule("test.add_call", lines[1], account)
    db.session.commit()
    report = run_renewal(DAY)
    assert [tid for tid, _ in report.errors] == [task.id]
    assert len(report.done) == 1  # the other task still ran
    db.session.expire_all()
    assert db.session.get(Line, lines[0].id).calls_current == before
    failed = db.session.get(ScheduledTask, task.id)
    assert failed.status == TaskStatus.ERROR
    assert "refused" in failed.result
    assert failed.pending_key is None


def test_the_email_is_queued_with_the_change_in_the_accounts_language(app_ctx):
    account, lines = _fr()
    _schedule("test.add_call_and_mail", lines[0], account)
    db.session.commit()
    run_renewal(DAY)
    message = db.session.scalar(select(ServiceEmail))
    assert message.locale == "fr_FR"
    assert message.to_address == account.billing_email
    assert "Velora Telecom" in message.subject
    assert "1er mars 2030" in message.body


def _run_in_child(url, day):  # pragma: no cover - runs in a child process
    from app import create_app

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})

    @task_action("test.slow")
    def slow(task, day):
        line = db.session.get(Line, task.target_id)
        line.calls_current += 1
        db.session.flush()
        time.sleep(60)

    with app.app_context():
        run_renewal(day)


@pytest.mark.slow
def test_a_run_killed_halfway_leaves_the_task_for_the_next_run(app):
    with app.app_context():
        account, lines = _fr()
        line_id, before = lines[0].id, lines[0].calls_current
        _schedule("test.slow", lines[0], account, sleep=0)
        db.session.commit()
        url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
        db.engine.dispose()
    child = multiprocessing.get_context("spawn").Process(target=_run_in_child, args=(url, DAY))
    child.start()
    with app.app_context():
        deadline = time.time() + 30
        claimed = False
        # Wait until the child has claimed the task (its transaction is open, not committed).
        while time.time() < deadline and child.is_alive() and not claimed:
            time.sleep(0.2)
            claimed = claimed_by_someone(url)
        assert claimed, f"the child run never claimed the task (exit code {child.exitcode})"
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        db.session.remove()
        db.engine.dispose()
        db.session.expire_all()
        task = db.session.scalar(select(ScheduledTask))
        assert task.status == TaskStatus.TODO
        report = run_renewal(DAY)
        assert report.done == [task.id]
        assert db.session.get(Line, line_id).calls_current == before + 1


def test_two_runs_in_parallel_carry_out_each_task_once(app):
    with app.app_context():
        account, lines = _fr()
        before = {line.id: line.calls_current for line in lines}
        for line in lines:
            _schedule("test.slow", line, account, sleep=0.05)
        db.session.commit()
    reports = []

    def run():
        with app.app_context():
            reports.append(run_renewal(DAY))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(reports) == 2
    done = sorted(reports[0].done + reports[1].done)
    assert len(done) == len(lines) == len(set(done))
    assert not reports[0].errors and not reports[1].errors
    with app.app_context():
        for line in _fr()[1]:
            assert line.calls_current == before[line.id] + 1


def test_renew_command(runner, app):
    with app.app_context():
        account, lines = _fr()
        _schedule("test.add_call", lines[0], account)
        db.session.commit()
    result = runner.invoke(args=["renew", "--date", "2030-03-01"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "1 done" in result.output
    result = runner.invoke(args=["renew", "--date", "2030-03-01"])
    assert "0 done" in result.output


def test_workers_share_the_tasks_each_once_and_a_refusal_costs_only_itself(app_ctx, monkeypatch):
    """Several worker processes (PostgreSQL; SQLite runs them in one), small batches: every
    task of every account done once; the failing one marked error, the waiting one left
    todo, and the batches they were in done all the same."""
    from telephony import billing

    @task_action("test.wait")
    def wait(task, day):
        raise billing.Waiting("not yet")

    monkeypatch.setattr(billing, "BATCH", 3)
    lines = list(db.session.scalars(select(Line).order_by(Line.id)))
    accounts = {account.id: account for account in db.session.scalars(select(Account))}
    before = {line.id: line.calls_current for line in lines}
    assert len({line.account_id for line in lines}) >= 3 and len(lines) >= 10
    for line in lines:
        _schedule("test.add_call", line, accounts[line.account_id])
    failing = _schedule("test.fail_after_change", lines[5], accounts[lines[5].account_id])
    waiting = _schedule("test.wait", lines[9], accounts[lines[9].account_id])
    db.session.commit()

    report = run_renewal(DAY, workers=3)

    assert sorted(report.done) == sorted(set(report.done))  # none twice
    assert len(report.done) == len(lines)
    assert [task_id for task_id, _message in report.errors] == [failing.id]
    assert waiting.id in {task_id for task_id, _message in report.waiting}
    db.session.expire_all()
    for line in db.session.scalars(select(Line)):
        assert line.calls_current == before[line.id] + 1
    assert db.session.get(ScheduledTask, waiting.id).status == TaskStatus.TODO
    done_events = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "task.done")
    )
    assert done_events == len(lines)
    # A task done in a batch reads as one done by itself: its state, its result, its event.
    for task_id in report.done:
        task = db.session.get_one(ScheduledTask, task_id)
        assert task.status == TaskStatus.DONE and task.pending_key is None
        assert task.started_at is not None and task.finished_at is not None
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "task.done", AuditEvent.after["task"].as_integer() == task_id
            )
        ).one()
        assert event.after == {"task": task_id, "action": task.action, "result": task.result}
        assert (event.account_id, event.target_type, event.target_id) == (
            task.account_id,
            task.target_type,
            task.target_id,
        )
        assert event.actor_id is None and event.on_behalf is False and event.at is not None
    assert run_renewal(DAY, workers=3).done == []


def test_a_task_the_database_keeps_refusing_is_left_for_the_next_run(app_ctx, monkeypatch):
    """A batch that fails goes task by task; a task whose claim keeps failing (the database
    busy) is skipped and not tried again in this run: the run ends."""
    from sqlalchemy.exc import OperationalError

    from telephony import billing

    account, lines = _fr()
    stuck = _schedule("test.fail_after_change", lines[0], account)
    fine = _schedule("test.add_call", lines[1], account)
    db.session.commit()
    claim = billing._claim

    def busy(task_id, day):
        if task_id == stuck.id:
            raise OperationalError("UPDATE scheduled_task", {}, Exception("lock timeout"))
        return claim(task_id, day)

    monkeypatch.setattr(billing, "_claim", busy)
    report = run_renewal(DAY)
    assert report.done == [fine.id] and report.skipped == [stuck.id]
    assert db.session.get(ScheduledTask, stuck.id).status == TaskStatus.TODO


def test_a_customer_cancelling_while_a_worker_holds_the_task_is_not_deadlocked(app):
    """A worker claims tasks, then locks their accounts; a request locks its account, then
    cancels one of those tasks. The worker waiting for the account while the request
    waited for the task: PostgreSQL ended the request (a 500, nothing cancelled). The
    worker now passes over an account a request holds and runs its task alone after."""
    from telephony import billing, offers
    from telephony.locking import lock_account
    from telephony.models import Line, Offer
    from tests.factories import demo_account

    with app.app_context():
        account = demo_account()
        line = db.session.scalar(select(Line).where(Line.description == "Atelier"))
        offer = db.session.scalar(
            select(Offer).where(Offer.country == account.country, Offer.code == "entreprise")
        )
        (task,) = offers.request_change(account, [line], offer, actor=None)
        db.session.commit()
        task_id, day, account_id = task.id, task.execute_on, account.id
    out: dict = {}
    real = billing.lock_free_accounts

    def slow(ids):
        time.sleep(0.5)  # the request locks the account meanwhile
        return real(ids)

    def worker():
        with app.app_context():
            try:
                out["worker"] = billing.run_batches(day, task_id)
            except Exception as error:  # noqa: BLE001 - reported below
                out["worker"] = repr(error)
            finally:
                db.session.remove()

    def request():
        with app.app_context():
            time.sleep(0.2)
            try:
                lock_account(account_id)
                mine = demo_account()
                billing.cancel(billing.get_task(mine, task_id), account=mine, actor=None)
                db.session.commit()
                out["request"] = "cancelled"
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                out["request"] = repr(error)
            finally:
                db.session.remove()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(billing, "lock_free_accounts", slow)
        threads = [threading.Thread(target=worker), threading.Thread(target=request)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert "Deadlock" not in str(out.get("request")) and "Deadlock" not in str(out.get("worker"))
    with app.app_context():
        status = db.session.scalar(select(ScheduledTask.status).where(ScheduledTask.id == task_id))
    # One of the two took effect, cleanly: cancelled, or carried out before the cancel.
    assert (status == TaskStatus.CANCELLED) == (out["request"] == "cancelled")
