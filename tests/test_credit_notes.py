"""Credit notes: a service terminated inside a period it paid for is refunded the unused
part, by a credit note of its own sequence linked to the invoice, once; its PDF and its
Factur-X say so."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import facturx
from lxml import etree
from sqlalchemy import func, select

from extensions import db
from telephony import lifecycle
from telephony.billing import run_renewal
from telephony.dates import add_months
from telephony.invoicing.credit_notes import unused_value
from telephony.models import (
    AliasNumber,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    Service,
)
from telephony.payments import PROVIDERS
from tests.factories import demo_account, fatal_rules, pay_ahead, pdf_text, validate_procedure

TODAY = date.today()


def test_the_unused_part_is_whole_months_then_days_of_the_part_month():
    price = Decimal("10.00")
    assert unused_value(price, date(2027, 1, 15), date(2027, 4, 1)) == Decimal("25.48")
    assert unused_value(price, date(2027, 1, 1), date(2028, 1, 1)) == Decimal("120.00")
    assert unused_value(price, date(2027, 1, 1), date(2027, 1, 1)) == Decimal("0.00")


def _terminate_yearly_number_paid_ahead():
    """The French company pays its yearly number a year ahead, then terminates it: the
    termination takes effect on the next billing date, inside the paid year."""
    account = demo_account()
    validate_procedure(account)
    service = db.session.scalar(select(Service).where(Service.name == "+33972100102"))
    invoice, _payment = pay_ahead(account, service, TODAY)
    alias = db.session.get(AliasNumber, service.target_id)
    task = lifecycle.request_termination(account, alias, "moving", "", actor=None)
    db.session.commit()
    return account, service, invoice, task


def test_a_termination_inside_a_paid_year_is_refunded_by_a_credit_note_once(app_ctx):
    account, service, invoice, task = _terminate_yearly_number_paid_ahead()
    expires = service.expires_on
    day = task.execute_on
    run_renewal(day)
    run_renewal(day)  # a second run does not refund again
    notes = db.session.scalars(select(Invoice).where(Invoice.kind == InvoiceKind.CREDIT_NOTE)).all()
    assert len(notes) == 1
    (note,) = notes
    assert note.number == f"FR-CN-{day.year}-000001" and note.credited_invoice_id == invoice.id
    line = invoice.lines[0]
    start = max(day, line.period_start)
    owed = unused_value(service.monthly_price_excl_vat, start, line.period_end)
    assert note.total_excl_vat == owed and expires == line.period_end
    assert note.total_incl_vat == owed + (owed * Decimal("0.20")).quantize(Decimal("0.01"))
    # Refunded at once to the card that paid the invoice.
    assert note.status == InvoiceStatus.REFUNDED
    refund = db.session.scalar(select(Payment).where(Payment.invoice_id == note.id))
    assert refund.amount == -note.total_incl_vat
    assert invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED)


def test_the_refund_is_at_the_price_paid_not_the_price_now(app_ctx):
    """The year was paid at the old price; the price went up since (an offer changed): the
    unused months are refunded at what was paid, never more."""
    from telephony.invoicing.credit_notes import refund_terminated

    _account, service, invoice, _task = _terminate_yearly_number_paid_ahead()
    line = invoice.lines[0]
    paid_price = line.unit_price_excl_vat
    service.monthly_price_excl_vat = paid_price * 4
    ended = add_months(line.period_start, 3)  # three months of the year used
    (note,) = refund_terminated(service, ended, provider=PROVIDERS["sandbox"])
    assert note.total_excl_vat == unused_value(paid_price, ended, line.period_end)
    assert note.total_excl_vat == paid_price * 9 < line.total_excl_vat


def test_days_an_alignment_added_are_refunded_in_proportion():
    from telephony.invoicing.credit_notes import unused_paid
    from telephony.models import InvoiceLine

    days = InvoiceLine(
        quantity=1,
        unit_price_excl_vat=Decimal("6.50"),
        total_excl_vat=Decimal("6.50"),
        period_start=date(2027, 2, 1),
        period_end=date(2027, 2, 15),
    )
    assert unused_paid(days, date(2027, 2, 8)) == Decimal("3.25")  # 7 of its 14 days
    assert unused_paid(days, date(2027, 2, 15)) == Decimal("0.00")


def test_the_credit_note_is_listed_and_its_pdf_and_factur_x_say_what_it_refunds(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        _account_, _service, invoice, task = _terminate_yearly_number_paid_ahead()
        run_renewal(task.execute_on)
        note = db.session.scalar(select(Invoice).where(Invoice.kind == InvoiceKind.CREDIT_NOTE))
        note_id, note_number, invoice_number = note.id, note.number, invoice.number
    page = client.get("/billing/invoices?lang=en&status=refunded").text
    assert note_number in page and f"Credit note for {invoice_number}" in page
    # In the CSV too: what it is, what it credits, and negative (it was exported as an
    # invoice of a positive amount: a column's sum counted the refund as billed).
    csv = client.get("/billing/invoices/export.csv?lang=en").get_data(as_text=True)
    (row,) = [line.split(",") for line in csv.splitlines() if line.startswith(note_number)]
    assert row[1:3] == ["Credit note", invoice_number]
    assert Decimal(row[-2]) < 0 and Decimal(row[-6]) < 0  # incl. and excl. VAT
    assert client.get(f"/billing/invoices/{note_id}/pay").status_code == 404
    pdf = client.get(f"/billing/invoices/{note_id}.pdf").data
    text = pdf_text(pdf)
    assert "Avoir" in text and invoice_number in text
    assert "Échéance" not in text and "Conditions" not in text  # nothing to pay, no terms
    _name, xml = facturx.get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
    root = etree.fromstring(xml)
    assert (
        root.xpath("string(//*[local-name()='ExchangedDocument']/*[local-name()='TypeCode'])")
        == "381"
    )
    assert invoice_number in etree.tostring(root).decode()
    assert fatal_rules(xml, "facturx-en16931/FACTUR-X_EN16931.xslt") == []


def test_no_credit_note_when_nothing_paid_is_left(app_ctx):
    account = demo_account()
    service = db.session.scalar(select(Service).where(Service.name.startswith("+33972100003")))
    line = service.target_id
    from telephony.models import Line

    task = lifecycle.request_termination(
        account, db.session.get(Line, line), "moving", "", actor=None
    )
    db.session.commit()
    run_renewal(task.execute_on)
    assert (
        db.session.scalar(
            select(func.count(Invoice.id)).where(Invoice.kind == InvoiceKind.CREDIT_NOTE)
        )
        == 0
    )


def test_a_refund_rolled_back_does_not_answer_the_note_that_takes_its_number(app_ctx):
    """Two renewal workers (review, PostgreSQL): a batch refunded a credit note, then rolled
    back (a later task refused), which gave its number back; another worker's note took
    that number, and the provider answered it with the first refund, kept under the
    number. That customer was refunded nothing and the first one twice."""
    from telephony.invoicing.credit_notes import issue
    from telephony.models import InvoiceLine
    from telephony.payments import SandboxProvider

    _account, service, invoice, _task = _terminate_yearly_number_paid_ahead()
    provider = SandboxProvider()

    def note(key: str, amount: str) -> Invoice:
        line = InvoiceLine(
            service_id=service.id,
            description=service.name,
            quantity=1,
            unit_price_excl_vat=Decimal(amount),
            total_excl_vat=Decimal(amount),
        )
        made = issue(invoice, [line], key=key, day=TODAY, provider=provider, actor=None)
        assert made is not None and made.status == InvoiceStatus.REFUNDED
        return made

    first = note("refund:first", "1.00")
    number = first.number
    db.session.rollback()  # the batch's later task refused: the number is free again
    second = note("refund:second", "2.00")
    assert second.number == number
    refund = db.session.scalar(select(Payment).where(Payment.invoice_id == second.id))
    assert refund.amount == -second.total_incl_vat
    assert len([key for key in provider._answered if key.startswith("refund:")]) == 2


def test_an_invoice_not_paid_when_its_service_ends_is_cancelled_and_made_again_for_its_days(
    app, app_ctx, tmp_path
):
    """A yearly line renewed on the 20th, left to the direct debit, terminated at the next
    billing date: the debit file collected the whole year from a customer whose line had
    ended (review). Now the renewal invoice is cancelled by a credit note set against it
    (nothing was paid: nothing is refunded), the days served and the other lines are
    invoiced again, and the debit takes that."""
    from datetime import UTC, datetime

    from documents.invoice import invoice_pdf
    from telephony import payment_methods
    from telephony.invoicing.collection import collect
    from telephony.invoicing.credit_notes import unused_paid
    from telephony.models import Debit, InvoiceLine, Line
    from telephony.services.run import run_services
    from tests.factories import mandate_method

    app.config["COLLECTION_DIR"] = str(tmp_path)
    be = demo_account("vt20002-b")
    validate_procedure(be)
    mandate = mandate_method(be)
    payment_methods.set_default(be, mandate, actor=None, today=date(2026, 12, 4))
    service = db.session.scalar(
        select(Service).where(Service.account_id == be.id, Service.name.like("%Werkplaats"))
    )
    service.period_months, service.expires_on = 12, date(2027, 1, 20)
    db.session.commit()
    run_services(date(2027, 1, 20))  # renewed for a year, left to the direct debit
    renewal = db.session.scalar(
        select(Invoice)
        .join(InvoiceLine)
        .where(InvoiceLine.service_id == service.id, Invoice.issued_on == date(2027, 1, 20))
    )
    year = next(line for line in renewal.lines if line.service_id == service.id)
    others = [(line.description, line.total_excl_vat) for line in renewal.lines if line is not year]
    line = db.session.get(Line, service.target_id)
    task = lifecycle.request_termination(
        be, line, "moving", "", actor=None, now=datetime(2027, 1, 22, 10, tzinfo=UTC)
    )
    db.session.commit()
    day = task.execute_on
    run_renewal(day)
    run_renewal(day)  # once
    db.session.expire_all()

    assert renewal.status == InvoiceStatus.CANCELLED
    (note,) = db.session.scalars(select(Invoice).where(Invoice.credited_invoice_id == renewal.id))
    assert note.status == InvoiceStatus.PAID  # set against it: nothing to refund
    assert note.total_incl_vat == renewal.total_incl_vat
    assert (
        db.session.scalar(select(func.count(Payment.id)).where(Payment.invoice_id == note.id)) == 0
    )
    (again,) = db.session.scalars(
        select(Invoice).where(Invoice.request_key == f"again:{renewal.id}")
    )
    served = next(line for line in again.lines if line.service_id == service.id)
    assert (served.period_start, served.period_end) == (year.period_start, day)
    assert served.total_excl_vat == year.total_excl_vat - unused_paid(year, day)
    assert [(x.description, x.total_excl_vat) for x in again.lines if x is not served] == others
    assert again.status == InvoiceStatus.AWAITING_PAYMENT and str(service.id) not in (
        again.on_paid.get("extend") or {}
    )

    collect(date(2027, 2, 3))
    debits = db.session.execute(select(Debit.invoice_id, Debit.amount)).all()
    assert debits == [(again.id, again.total_incl_vat)]

    cancelled = pdf_text(invoice_pdf(renewal, locale="en"))
    assert f"Cancelled by credit note {note.number}: nothing is due." in cancelled
    assert "Payable by" not in cancelled
    settled = pdf_text(invoice_pdf(note, locale="en"))
    assert f"Set against invoice {renewal.number}, which was not paid" in settled


def test_an_invoice_refunded_line_by_line_gives_back_what_it_charged_and_no_more(app_ctx):
    """One invoice bills two services; each ends with its own note. Each rounded its own
    VAT: 2.48 refunded of 2.47 charged, and the invoice never shown as refunded. The
    notes now add up to the invoice exactly, the last taking what is left of the VAT."""
    from datetime import timedelta

    from telephony.invoicing import credit_notes
    from telephony.invoicing.numbering import next_number
    from telephony.models import (
        InvoiceKind,
        InvoiceLine,
        InvoiceStatus,
        Payment,
        PaymentMethod,
        Service,
    )
    from telephony.payments import pay_invoice

    fr = demo_account("vt10001-f")
    first, second = db.session.scalars(
        select(Service).where(Service.account_id == fr.id).order_by(Service.id).limit(2)
    ).all()
    start = date.today()
    end = start + timedelta(days=30)
    lines = [
        InvoiceLine(
            service_id=service.id, description=service.name, quantity=1,
            unit_price_excl_vat=Decimal("1.03"), total_excl_vat=Decimal("1.03"),
            period_start=start, period_end=end,
        )
        for service in (first, second)
    ]  # fmt: skip
    invoice = Invoice(
        account_id=fr.id, number=next_number("FR", start.year), kind=InvoiceKind.INVOICE,
        currency="EUR", vat_rate=fr.vat_rate, total_excl_vat=Decimal("2.06"),
        total_vat=Decimal("0.41"), total_incl_vat=Decimal("2.47"), issued_on=start,
        due_on=start, lines=lines,
    )  # fmt: skip
    db.session.add(invoice)
    db.session.commit()
    sandbox = PROVIDERS["sandbox"]
    pay_invoice(
        invoice, method=PaymentMethod.CARD, instrument="4242424242424242", actor=None,
        provider=sandbox,
    )  # fmt: skip
    db.session.commit()
    for service in (first, second):
        credit_notes.refund_terminated(service, start, provider=sandbox)
        db.session.commit()
    refunded = -sum(
        payment.amount
        for payment in db.session.scalars(
            select(Payment).where(Payment.account_id == fr.id, Payment.amount < 0)
        )
    )
    db.session.refresh(invoice)
    assert refunded == Decimal("2.47") and invoice.status == InvoiceStatus.REFUNDED
    # Each note states the rule its VAT follows: the last one's is what was left (0.20,
    # not 1.03 x 20 % = 0.21, which the printed rule said, review).
    from documents.invoice import invoice_pdf

    notes = db.session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id).order_by(Invoice.id)
    ).all()
    assert [note.total_vat for note in notes] == [Decimal("0.21"), Decimal("0.20")]
    texts = [" ".join(pdf_text(invoice_pdf(note, locale="en")).split()) for note in notes]
    assert "the VAT is computed on the total excluding VAT" in texts[0]
    assert "what is left of the invoice's VAT after its earlier credit notes" in texts[1]


def test_whole_months_are_counted_from_the_day_itself_not_from_february_28th():
    """From 31 January, stepping month by month stayed on the 28th after February: a
    period from the 31st cost as much as from the 28th (review)."""
    monthly = Decimal("12.00")
    assert unused_value(monthly, date(2027, 2, 1), date(2028, 1, 1)) == Decimal("132.00")
    # 11 months (31 January -> 31 December), then 1 day of December's 31.
    assert unused_value(monthly, date(2027, 1, 31), date(2028, 1, 1)) == Decimal("132.39")
    # 11 months (28 January -> 28 December), then 4 days of December's 31.
    assert unused_value(monthly, date(2027, 1, 28), date(2028, 1, 1)) == Decimal("133.55")
