"""The renewal run of scheduled tasks (`flask renew`): `python -m bench renewal`.

100,000 due tasks over 1,000 accounts on PostgreSQL, run by 1, 2 and 4 worker processes
(target: at most 30 s with 4; the time falls as workers are added); SQLite, which runs one
task per transaction in one process, on 10,000. Each task's handler changes its account's
row, and each task is checked done exactly once.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select, update

from app import create_app
from bench.service_run import _postgres_url
from extensions import db

ACCOUNTS = 1000
DAY = date(2030, 1, 1)


def _fill(tasks: int) -> list[int]:
    from telephony.models import Account, AccountKind, Country, ScheduledTask, TaskStatus

    ids = db.session.scalars(
        insert(Account).returning(Account.id),
        [
            {
                "code": f"renew-{index:05d}",
                "name": f"Renewal bench {index}",
                "kind": AccountKind.COMPANY,
                "country": Country.FR,
                "language": "fr_FR",
                "billing_contact_name": "Bench",
                "billing_email": f"renew{index}@example.com",
            }
            for index in range(ACCOUNTS)
        ],
    ).all()
    rows = [
        {
            "account_id": ids[index % len(ids)],
            "action": "bench.touch",
            "target_type": "account",
            "target_id": ids[index % len(ids)],
            "params": {},
            "execute_on": DAY,
            "status": TaskStatus.TODO,
        }
        for index in range(tasks)
    ]
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(ScheduledTask), rows[start : start + 10_000])
    db.session.commit()
    return ids


def _reset() -> None:
    from telephony.models import AuditEvent, ScheduledTask, TaskStatus

    db.session.execute(update(ScheduledTask).values(status=TaskStatus.TODO, finished_at=None))
    db.session.execute(AuditEvent.__table__.delete())
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE scheduled_task")


def measure(url: str, label: str, tasks: int, workers: tuple[int, ...]) -> None:
    from telephony.billing import run_renewal, task_action
    from telephony.models import Account, AuditEvent

    @task_action("bench.touch")
    def touch(task, day):  # a change of the account's own row, as most tasks make
        db.session.get(Account, task.account_id).billing_contact_name = f"Bench {task.id}"

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        _fill(tasks)
        for count in workers:
            _reset()
            start = time.perf_counter()
            report = run_renewal(DAY, workers=count)
            elapsed = time.perf_counter() - start
            events = db.session.scalar(select(func.count()).select_from(AuditEvent))
            assert len(report.done) == len(set(report.done)) == tasks == events, (
                len(report.done),
                events,
            )
            print(
                f"renewal run, {label}, {tasks:,} tasks, {count} worker(s): {elapsed:.1f} s "
                f"({tasks / elapsed:,.0f} tasks/s), each done once"
            )
        db.session.remove()
        db.drop_all()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    measure(f"sqlite:///{tmp / 'renewal.sqlite'}", "SQLite", 10_000, (1,))
    url = _postgres_url()
    if url:
        measure(url, "PostgreSQL", 100_000, (1, 2, 4))


if __name__ == "__main__":
    main()
