from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from telephony import DomainError
from telephony.mail import queue_email, render_email, send_queued
from telephony.models import (
    EmailStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    PaymentStatus,
    ServiceEmail,
)
from telephony.payments import PAID_HANDLERS, PROVIDERS, on_paid, pay_invoice
from tests.factories import demo_account


@pytest.mark.parametrize(
    ("locale", "word"),
    [
        ("fr_FR", "Bonjour"),
        ("nl_BE", "Goedendag"),
        ("de_CH", "Guten Tag"),
        ("it_CH", "Buongiorno"),
        ("en", "Hello"),
    ],
)
def test_service_emails_are_rendered_in_the_given_locale(app_ctx, locale, word):
    from datetime import date

    subject, body = render_email(
        "change_applied",
        locale,
        account=demo_account("vt10001-f"),
        day=date(2030, 3, 1),
        summary="x",
    )
    assert "Velora Telecom" in subject and "\n" not in subject
    assert body.startswith(word)
    if locale.startswith("fr"):  # French typography survives the subject's one line
        assert "Velora Telecom\u00a0:" in subject


def test_sending_without_smtp_configured_says_so(app_ctx):
    with pytest.raises(RuntimeError, match="SMTP_HOST"):
        send_queued()


def test_failed_send_is_kept_for_a_retry(app, app_ctx):
    from datetime import date

    account = demo_account("vt20002-b")
    queue_email(account, "change_applied", day=date(2030, 3, 1), summary="x")
    db.session.commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on port 9
    sent, failed = send_queued()
    assert (sent, failed) == (0, 1)
    message = db.session.scalar(select(ServiceEmail))
    assert message.status == EmailStatus.QUEUED
    assert message.attempts == 1 and message.last_error
    assert send_queued() == (0, 0)  # not due again before its back-off


def _invoice(account, total="12.00"):
    invoice = Invoice(
        account_id=account.id,
        number=f"PO-{account.code}-1",
        kind=InvoiceKind.PURCHASE_ORDER,
        currency=account.currency,
        vat_rate=account.vat_rate,
        total_excl_vat=Decimal("10.00"),
        total_vat=Decimal("2.00"),
        total_incl_vat=Decimal(total),
        on_paid={"action": "test.record"},
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


@pytest.fixture
def paid_log():
    seen = []
    on_paid("test.record")(lambda invoice, actor: seen.append(invoice.number))
    yield seen
    del PAID_HANDLERS["test.record"]


def test_sandbox_card_payment_marks_the_invoice_paid_and_runs_its_action(app_ctx, paid_log):
    invoice = _invoice(demo_account("vt10001-f"))
    payment = pay_invoice(
        invoice,
        method=PaymentMethod.CARD,
        instrument="4242 4242 4242 4242",
        actor=None,
        provider=PROVIDERS["sandbox"],
    )
    db.session.commit()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at
    assert paid_log == [invoice.number]
    with pytest.raises(DomainError, match="This document is not awaiting payment"):
        pay_invoice(
            invoice,
            method=PaymentMethod.CARD,
            instrument="4242424242424242",
            actor=None,
            provider=PROVIDERS["sandbox"],
        )


@pytest.mark.parametrize(
    ("method", "instrument"),
    [
        (PaymentMethod.CARD, "4000 0000 0000 0002"),
        (PaymentMethod.CARD, "12"),
        (PaymentMethod.SEPA_DEBIT, "FR7630006000011234567890000"),
    ],
)
def test_sandbox_declines_leave_the_invoice_awaiting(app_ctx, paid_log, method, instrument):
    invoice = _invoice(demo_account("vt10001-f"))
    payment = pay_invoice(
        invoice, method=method, instrument=instrument, actor=None, provider=PROVIDERS["sandbox"]
    )
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason
    assert invoice.status == InvoiceStatus.AWAITING_PAYMENT
    assert paid_log == []


def test_a_request_is_acknowledged_with_what_will_change_and_when(app_ctx):
    """One e-mail per request (a bulk change: one for all its lines), saying the new offer
    and its price, the calls before and after, or that it waits for the procedure."""
    from telephony import calls, offers
    from telephony.models import Line, Offer, User

    account = demo_account("vt10001-f")
    user = db.session.scalar(select(User).where(User.account_id == account.id))
    lines = {line.description: line for line in offers.lines_for_choice(account)}
    entreprise = db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == "entreprise")
    )
    offers.request_change(account, [lines["Atelier"]], entreprise, actor=user)
    line = db.session.get(Line, lines["Accueil"].id)
    if line.calls_current > line.calls_basic:
        calls.request_removal(account, line, line.calls_basic, actor=user)
    db.session.commit()
    sent = db.session.scalars(
        select(ServiceEmail)
        .where(ServiceEmail.template == "request_received")
        .order_by(ServiceEmail.id)
    ).all()
    assert sent, "no acknowledgement"
    first = sent[0]
    assert first.locale == "fr_FR" and "demande" in first.subject
    assert "Changement d'offre" in first.body and "Entreprise" in first.body
    assert "HT par mois" in first.body or "HT" in first.body
    assert first.screen_url.endswith("/lines/requests")
    # Nothing is acknowledged for what nobody asked (the renewal run's own tasks).
    before = len(sent)
    offers.request_change(account, [lines["Livraisons"]], entreprise, actor=None)
    db.session.commit()
    after = db.session.scalar(
        select(db.func.count(ServiceEmail.id)).where(ServiceEmail.template == "request_received")
    )
    assert after == before


def test_a_cancelled_request_is_confirmed_by_e_mail(app_ctx):
    """Told a change was coming, the customer is told it is not (the agent's cancellation
    of a termination sent nothing, so the customer might believe the line would end)."""
    from telephony import billing, offers
    from telephony.models import Offer, ScheduledTask, User

    account = demo_account("vt10001-f")
    user = db.session.scalar(select(User).where(User.account_id == account.id))
    line = {line.description: line for line in offers.lines_for_choice(account)}["Atelier"]
    entreprise = db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == "entreprise")
    )
    offers.request_change(account, [line], entreprise, actor=user)
    db.session.commit()
    task = db.session.scalar(select(ScheduledTask).order_by(ScheduledTask.id.desc()))
    billing.cancel(task, account=account, actor=user)
    db.session.commit()
    sent = db.session.scalar(
        select(ServiceEmail).where(ServiceEmail.template == "request_cancelled")
    )
    assert sent is not None and sent.locale == "fr_FR"
    assert "annulée" in sent.subject and "Velora Telecom\u00a0:" in sent.subject
    assert "Changement d'offre" in sent.body and "ne sera pas effectuée" in sent.body
    assert sent.screen_url.endswith("/lines/requests")


def test_a_termination_inside_the_cut_off_is_not_said_cancellable_by_its_message(
    app_ctx, monkeypatch
):
    """Requested less than 24 hours ahead, a termination cannot be cancelled, yet its
    acknowledgement offered to cancel it on the requests page (review)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from extensions import db
    from telephony import billing, lifecycle
    from telephony.models import Line, ServiceEmail, User
    from tests.factories import demo_account

    account = demo_account()
    customer = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
    line = db.session.scalar(select(Line).where(Line.description == "Atelier"))
    monkeypatch.setattr(billing, "local_today", lambda *_args: date(2027, 1, 31))
    lifecycle.request_termination(
        account, line, "moving", "", actor=customer, now=datetime(2027, 1, 31, 9, tzinfo=UTC)
    )
    db.session.commit()
    body = db.session.scalar(
        select(ServiceEmail.body).where(ServiceEmail.template == "request_received")
    )
    assert "annuler" not in body.replace("ne peut plus être annulée", "")
    assert "ne peut plus être annulée" in body
