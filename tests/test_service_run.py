"""The renewal run for services: automatic services renew at expiry and are invoiced and
collected; a manual one not renewed is suspended, then deleted and its numbers put in
quarantine; reminders go out before; each once, whatever runs at the same time."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from config import NUMBER_QUARANTINE_DAYS, SERVICE_DELETE_AFTER_DAYS, SERVICE_PAYMENT_DAYS
from extensions import db
from telephony.dates import add_months
from telephony.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Line,
    LineStatus,
    Payment,
    PaymentStatus,
    RenewalMode,
    Service,
    ServiceEmail,
    ServiceState,
)
from telephony.payments import PROVIDERS
from telephony.services import paying
from telephony.services.run import in_quarantine, run_services
from tests.factories import claimed_by_someone, demo_account


def _renewal_day():
    """The day the demo's services expire (the first of next month when it was made)."""
    return db.session.scalar(select(func.min(Service.expires_on)))


def _service(name_start: str) -> Service:
    return db.session.scalar(select(Service).where(Service.name.startswith(name_start)))


def _emails(template: str) -> list[ServiceEmail]:
    return list(
        db.session.scalars(
            select(ServiceEmail).where(ServiceEmail.template == template).order_by(ServiceEmail.id)
        )
    )


def test_automatic_services_renew_at_expiry_once_and_are_collected_or_left_to_pay(app_ctx):
    day = _renewal_day()
    line = _service("+33972100001")
    report = run_services(day)
    # 11: the number whose renewal invoice is due was renewed already (its month is on that
    # invoice, not billed again).
    assert (report.renewed, report.invoices, report.collected, report.to_pay) == (11, 3, 1, 2)
    due = _service("+33972100101")
    billed = select(func.count(InvoiceLine.id)).where(
        InvoiceLine.service_id == due.id, InvoiceLine.period_start == day
    )
    assert db.session.scalar(billed) == 1
    db.session.expire_all()
    assert line.expires_on == add_months(day, 1) and line.renewed_on == day
    fr_invoice = db.session.scalar(
        select(Invoice).where(Invoice.account_id == line.account_id, Invoice.issued_on == day)
    )
    assert fr_invoice.status == InvoiceStatus.PAID  # the default Visa
    # The run's own insert copies the customer onto each invoice, as the ORM's does.
    assert fr_invoice.buyer["name"] == "Boulangerie Dupré & Fils SARL"
    assert len(fr_invoice.lines) == 8 and fr_invoice.due_on == day + timedelta(
        days=SERVICE_PAYMENT_DAYS
    )
    assert fr_invoice.total_vat == (fr_invoice.total_excl_vat * fr_invoice.vat_rate).quantize(
        fr_invoice.total_vat
    )
    # Belgium and Switzerland have no payment method: told, once, in their language.
    to_pay = _emails("service_invoice_to_pay")
    assert [m.locale for m in to_pay] == ["nl_BE", "it_CH"]
    be = demo_account("vt20002-b")
    be_line = db.session.scalar(
        select(Service).where(Service.account_id == be.id, Service.service_type == "sip_line")
    )
    assert paying.due_invoice(be, be_line) is not None  # "invoice to pay" on My services

    again = run_services(day)
    assert (again.renewed, again.invoices, again.collected, again.to_pay) == (0, 0, 0, 0)
    assert len(_emails("service_invoice_to_pay")) == 2


def test_missed_runs_bill_each_period_that_has_come(app_ctx):
    day = _renewal_day()
    line = _service("+33972100001")
    run_services(add_months(day, 2))
    db.session.expire_all()
    assert line.expires_on == add_months(day, 3)
    lines = db.session.scalar(
        select(func.count())
        .select_from(Invoice)
        .join(Invoice.lines)
        .where(Invoice.issued_on == add_months(day, 2))
    )
    assert lines >= 3


def test_a_manual_service_is_reminded_then_suspended_then_deleted(app_ctx):
    day = _renewal_day()
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    assert fax.renewal_mode == RenewalMode.MANUAL and fax.expires_on == day
    assert run_services(day - timedelta(days=40)).reminded == 2  # the fax, the Belgian number
    assert run_services(day - timedelta(days=39)).reminded == 0
    # 15 days before: the nearer reminder, and the month-before notice of long periods.
    assert run_services(day - timedelta(days=15)).reminded == 4
    assert run_services(day - timedelta(days=10)).reminded == 0
    reminders = _emails("services_to_renew")
    assert len(reminders) == 4 and reminders[0].locale == "fr_FR"

    assert run_services(day).suspended == 2
    db.session.expire_all()
    assert fax.state == ServiceState.SUSPENDED and fax.suspended_on == day
    assert len(_emails("services_suspended")) == 2

    deletion = day + timedelta(days=SERVICE_DELETE_AFTER_DAYS)
    assert run_services(deletion - timedelta(days=1)).deleted == 0
    assert run_services(deletion).deleted == 2
    db.session.expire_all()
    assert fax.state == ServiceState.TERMINATED
    assert db.session.get(Line, fax.target_id).status == LineStatus.TERMINATED
    assert in_quarantine("+33972100020", deletion + timedelta(days=1))
    assert not in_quarantine("+33972100020", deletion + timedelta(days=NUMBER_QUARANTINE_DAYS))
    (deleted,) = [m for m in _emails("services_deleted") if m.locale == "fr_FR"]
    assert "+33 9 72 10 00 20" in deleted.body.replace("\u00a0", " ")
    assert db.session.scalar(
        select(AuditEvent.after).where(
            AuditEvent.action == "service.deleted", AuditEvent.target_id == fax.id
        )
    ) == {"name": fax.name, "numbers": ["+33972100020"]}
    assert run_services(deletion).deleted == 0


def test_long_periods_get_a_notice_the_month_before_listing_what_renews(app_ctx):
    day = _renewal_day()
    report = run_services(day - timedelta(days=20))
    renewing = _emails("services_renewing")
    assert {m.locale for m in renewing} == {"fr_FR", "it_CH"}  # the 12-month range, 3-month line
    (fr,) = [m for m in renewing if m.locale == "fr_FR"]
    assert "+33 1 84 80 00 10" in fr.body.replace("\u00a0", " ") and "12 mois" in fr.body
    assert report.reminded == 4  # and the two manual ones, 20 days before
    assert run_services(day - timedelta(days=19)).reminded == 0


def test_an_unpaid_automatic_service_is_suspended_and_paying_reactivates_it(app_ctx):
    day = _renewal_day()
    run_services(day)
    be = demo_account("vt20002-b")
    late = day + timedelta(days=SERVICE_PAYMENT_DAYS + 1)
    # The demo's due invoice was to be paid by the renewal day: its number goes the day after.
    overdue = _service("+33972100101")
    assert run_services(day + timedelta(days=1)).suspended == 1
    assert overdue.state == ServiceState.SUSPENDED
    assert run_services(late - timedelta(days=1)).suspended == 0
    report = run_services(late)
    assert report.suspended == 3  # two Belgian lines, the Swiss line
    be_line = db.session.scalar(
        select(Service).where(Service.account_id == be.id, Service.service_type == "sip_line")
    )
    assert be_line.state == ServiceState.SUSPENDED
    from telephony import payment_methods

    card = payment_methods.add_card(
        be,
        number="4242 4242 4242 4242",
        exp_month=1,
        exp_year=late.year + 2,
        make_default=True,
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=late,
    )
    invoice = paying.due_invoice(be, be_line)
    payment = paying.pay_due(
        be, be_line, invoice, card, actor=None, provider=PROVIDERS["sandbox"], today=late
    )
    db.session.commit()
    assert payment.status == PaymentStatus.SUCCEEDED
    states = db.session.scalars(
        select(Service.state).where(Service.account_id == be.id, Service.service_type == "sip_line")
    ).all()
    assert states == [ServiceState.ACTIVE, ServiceState.ACTIVE]


def test_a_lapsed_manual_service_renewed_by_hand_starts_a_new_period_now(app_ctx):
    day = _renewal_day()
    run_services(day)
    fr = demo_account("vt10001-f")
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    assert fax.state == ServiceState.SUSPENDED
    from telephony import payment_methods

    card = payment_methods.default_method(fr)
    paying.extend(
        fr,
        fax,
        1,
        card,
        token="t1",
        shown=paying.extension_digest(fax),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=day,
    )
    db.session.commit()
    assert fax.state == ServiceState.ACTIVE and fax.suspended_on is None
    assert fax.expires_on >= add_months(day, 1)
    run_services(day + timedelta(days=1))
    db.session.expire_all()
    assert fax.state == ServiceState.ACTIVE


def test_two_runs_in_parallel_renew_each_service_once(app):
    with app.app_context():
        day = _renewal_day()
        before = dict(db.session.execute(select(Service.id, Service.expires_on)).all())
    reports = []

    def run():
        with app.app_context():
            reports.append(run_services(day, batch=2))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with app.app_context():
        leftovers = run_services(day)  # a batch left "database busy" is done now
        assert sum(r.renewed for r in reports) + leftovers.renewed == 11
        after = dict(db.session.execute(select(Service.id, Service.expires_on)).all())
        renewed = [sid for sid in after if after[sid] != before[sid]]
        assert len(renewed) == 11
        assert all(
            after[sid] == add_months(before[sid], 1) or after[sid] > before[sid] for sid in renewed
        )
        assert (
            db.session.scalar(select(func.count(Invoice.id)).where(Invoice.issued_on == day)) == 3
        )
        assert (
            db.session.scalar(
                select(func.count(Payment.id)).where(Payment.status == PaymentStatus.SUCCEEDED)
            )
            == 1
        )


def _run_in_child(url, day):  # pragma: no cover - runs in a child process
    from app import create_app
    from telephony.services import run as service_run

    app = create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    original = service_run._renew_batch

    def slow(*args, **kwargs):
        done = original(*args, **kwargs)
        db.session.flush()
        time.sleep(60)  # killed here, its batch written but not committed
        return done

    service_run._renew_batch = slow
    with app.app_context():
        run_services(day)


@pytest.mark.slow
def test_a_run_killed_halfway_loses_nothing_and_bills_nothing_twice(app):
    with app.app_context():
        day = _renewal_day()
        url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
        db.engine.dispose()
    child = multiprocessing.get_context("spawn").Process(target=_run_in_child, args=(url, day))
    child.start()
    deadline, held = time.time() + 60, False
    while time.time() < deadline and child.is_alive() and not held:
        time.sleep(0.2)
        held = claimed_by_someone(url, "account")
    assert held, f"the child run never took the accounts' locks (exit code {child.exitcode})"
    time.sleep(1)  # into its batch
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        assert (
            db.session.scalar(select(func.count(Invoice.id)).where(Invoice.issued_on == day)) == 0
        )
        report = run_services(day)
        assert (report.renewed, report.invoices) == (11, 3)


def test_renew_command_runs_the_services_too(runner, app):
    with app.app_context():
        day = _renewal_day().isoformat()
    result = runner.invoke(args=["renew", "--date", day])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "11 renewed on 3 invoice(s), 1 collected, 2 to pay, 2 suspended" in result.output


def test_a_card_about_to_expire_is_announced_once(app_ctx):
    from datetime import date

    today = date.today()  # the demo's Mastercard expires at the end of this month
    assert run_services(today).cards == 1
    assert run_services(today + timedelta(days=1)).cards == 0
    (message,) = _emails("card_expiring")
    assert message.locale == "fr_FR" and "4444" in message.subject
    assert "Mastercard •••• 4444" in message.body


def test_a_committed_service_being_terminated_is_billed_until_its_commitment_ends(app_ctx):
    """Its termination is dated at the end of the commitment; until then it renews (and is
    invoiced) as before: the months committed to are due. It stopped at the request."""
    from telephony import lifecycle
    from telephony.models import Line, LineKind

    day = _renewal_day()
    account = demo_account()
    trunk = db.session.scalar(select(Line).where(Line.kind == LineKind.TRUNK))
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == trunk.id)
    )
    task = lifecycle.request_termination(account, trunk, "moving", "", actor=None)
    db.session.commit()
    assert task.execute_on == service.committed_until > add_months(day, 2)
    for month in range(2):
        run_services(add_months(day, month))
    db.session.expire_all()
    assert service.expires_on == add_months(day, 2)
    billed = select(func.count(InvoiceLine.id)).where(
        InvoiceLine.service_id == service.id, InvoiceLine.period_start >= day
    )
    assert db.session.scalar(billed) == 2
