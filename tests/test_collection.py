"""SEPA direct-debit collection: pain.008 files that validate, each invoice in one file
only (in parallel, and after a run killed halfway), and returned debits put back to pay."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from sqlalchemy import func, select

from extensions import db
from telephony import payment_methods
from telephony.invoicing import collection
from telephony.invoicing.collection import collect, parse_status_report, record_returns
from telephony.models import (
    Debit,
    DebitCollection,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    ServiceEmail,
)
from tests.factories import (
    claimed_by_someone,
    demo_account,
    issue_invoice,
    mandate_method,
    validate_procedure,
)

TODAY = date.today()
SCHEMA = xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"))
NS = "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}"


def _pay_by_mandate(code: str):
    """The account's procedure validated, and its SEPA mandate made the default method."""
    account = demo_account(code)
    procedure = validate_procedure(account)
    mandate = mandate_method(account)
    payment_methods.set_default(account, mandate, actor=None, today=TODAY)
    db.session.commit()
    return account, procedure


def _status_report(*returned: tuple[str, str]) -> str:
    """A pain.002 status report rejecting these (end-to-end id, reason) debits."""
    transactions = "".join(
        f"<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>"
        "</TxInfAndSts></OrgnlPmtInfAndSts>"
        for e2e, reason in returned
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
        "<CstmrPmtStsRpt><GrpHdr><MsgId>R1</MsgId></GrpHdr>"
        f"{transactions}</CstmrPmtStsRpt></Document>"
    )


def test_the_french_and_belgian_customers_debits_make_files_that_validate(app_ctx, tmp_path):
    from flask import current_app

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    fr, fr_procedure = _pay_by_mandate("vt10001-f")
    be, be_procedure = _pay_by_mandate("vt20002-b")
    fr_invoice = issue_invoice(fr, "10.00", issued=TODAY - timedelta(days=14))  # due tomorrow
    be_invoice = issue_invoice(be, "20.00", issued=TODAY - timedelta(days=15))  # due today
    report = collect(TODAY)
    assert report.debits == 2
    files = {c.country: c for c in db.session.scalars(select(DebitCollection))}
    assert set(files) == {"FR", "BE"}
    for file in files.values():
        SCHEMA.validate(file.xml)  # raises when the file does not validate
        written = tmp_path / f"{file.message_id}.xml"
        assert written.read_text(encoding="utf-8") == file.xml
    be_xml = files["BE"].xml
    assert "BE39ZZZ0598765459" in be_xml and be_procedure.mandate_reference in be_xml
    assert "<SeqTp>FRST</SeqTp>" in be_xml and '<InstdAmt Ccy="EUR">24.20</InstdAmt>' in be_xml
    signed = (be_procedure.submitted_at or be_procedure.created_at).date().isoformat()
    assert f"<DtOfSgntr>{signed}</DtOfSgntr>" in be_xml
    assert f"<ReqdColltnDt>{(TODAY + timedelta(days=1)).isoformat()}" in be_xml
    assert "FR87ZZZ938471" in files["FR"].xml and fr_procedure.mandate_reference in files["FR"].xml
    db.session.expire_all()
    assert fr_invoice.status == be_invoice.status == InvoiceStatus.COLLECTION_SENT

    assert collect(TODAY).debits == 0  # nothing twice
    again = issue_invoice(be, "5.00", issued=TODAY - timedelta(days=15))
    second = collect(TODAY)
    assert second.debits == 1
    debit = db.session.scalar(select(Debit).where(Debit.invoice_id == again.id))
    assert debit.sequence_type == "RCUR"  # the mandate was collected before


def test_the_renewal_run_leaves_a_mandate_payers_invoices_to_the_collection(app_ctx, tmp_path):
    from flask import current_app

    from telephony.services.run import run_services

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    be, _procedure = _pay_by_mandate("vt20002-b")
    day = db.session.scalar(select(func.min(Invoice.due_on)).where(Invoice.due_on >= TODAY))
    report = run_services(day)
    assert report.by_debit == 1 and report.to_pay == 1  # the Swiss one has no method
    renewal = db.session.scalar(
        select(Invoice).where(Invoice.account_id == be.id, Invoice.issued_on == day)
    )
    assert renewal.status == InvoiceStatus.AWAITING_PAYMENT  # not charged by the provider
    collected = collect(day + timedelta(days=14))
    db.session.expire_all()
    assert collected.debits == 1 and renewal.status == InvoiceStatus.COLLECTION_SENT


def test_two_collections_at_once_put_each_invoice_in_one_file(app, tmp_path):
    app.config["COLLECTION_DIR"] = str(tmp_path)
    with app.app_context():
        be, _procedure = _pay_by_mandate("vt20002-b")
        ids = [issue_invoice(be, "3.00", issued=TODAY - timedelta(days=15)).id for _ in range(30)]
        db.session.remove()
    errors = []

    def run():
        with app.app_context():
            try:
                collect(TODAY)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        per_invoice = db.session.execute(
            select(Debit.invoice_id, func.count(Debit.id))
            .where(Debit.invoice_id.in_(ids))
            .group_by(Debit.invoice_id)
        ).all()
        assert len(per_invoice) == 30 and {n for _, n in per_invoice} == {1}


def _collect_in_child(url, folder):  # pragma: no cover - runs in a child process
    from app import create_app

    app = create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "COLLECTION_DIR": folder}
    )
    original = collection.build_xml

    def slow(*args, **kwargs):
        xml = original(*args, **kwargs)
        db.session.flush()
        time.sleep(60)  # killed here: invoices claimed, file built, nothing committed
        return xml

    collection.build_xml = slow
    with app.app_context():
        collect(TODAY)


@pytest.mark.slow
def test_a_collection_killed_halfway_collects_nothing_twice(app, tmp_path):
    with app.app_context():
        be, _procedure = _pay_by_mandate("vt20002-b")
        invoice_id = issue_invoice(be, "7.00", issued=TODAY - timedelta(days=15)).id
        url = str(db.engine.url.render_as_string(hide_password=False))
        db.session.remove()
        db.engine.dispose()
    child = multiprocessing.get_context("spawn").Process(
        target=_collect_in_child, args=(url, str(tmp_path))
    )
    child.start()
    deadline, held = time.time() + 60, False
    while time.time() < deadline and child.is_alive() and not held:
        time.sleep(0.2)
        held = claimed_by_someone(url, "invoice")
    assert held, f"the child never claimed the invoices (exit code {child.exitcode})"
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    app.config["COLLECTION_DIR"] = str(tmp_path)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        assert db.session.scalar(select(func.count(DebitCollection.id))) == 0
        assert db.session.get(Invoice, invoice_id).status == InvoiceStatus.AWAITING_PAYMENT
        assert collect(TODAY).debits == 1
        assert len(list(tmp_path.glob("*.xml"))) == 1


def test_a_returned_debit_puts_the_invoice_back_to_pay_once_and_tells_the_customer(
    app_ctx, tmp_path
):
    from flask import current_app

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    be, _procedure = _pay_by_mandate("vt20002-b")
    invoice = issue_invoice(be, "10.00", issued=TODAY - timedelta(days=15))
    collect(TODAY)
    debit = db.session.scalar(select(Debit).where(Debit.invoice_id == invoice.id))
    report_xml = _status_report((debit.end_to_end_id, "AM04"), ("NOT-OURS", "AC04"))
    assert parse_status_report(report_xml) == [(debit.end_to_end_id, "AM04"), ("NOT-OURS", "AC04")]
    report = record_returns(report_xml, TODAY)
    assert report.returned == [debit.end_to_end_id] and report.unknown == ["NOT-OURS"]
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.AWAITING_PAYMENT
    assert debit.status == "returned" and debit.return_reason == "AM04"
    (mail,) = db.session.scalars(
        select(ServiceEmail).where(ServiceEmail.template == "debit_returned")
    ).all()
    assert invoice.number in mail.subject and mail.locale == "nl_BE"
    assert record_returns(report_xml, TODAY).already == [debit.end_to_end_id]  # once
    # Collected again later: a new debit, FRST again (the first one came back).
    again = collect(TODAY)
    assert again.debits == 1
    latest = db.session.scalar(select(Debit).order_by(Debit.id.desc()).limit(1))
    assert latest.invoice_id == invoice.id and latest.sequence_type == "FRST"


def test_the_returns_command_reads_a_status_report(runner, app, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<not xml")
    result = runner.invoke(args=["billing", "returns", str(bad)])
    assert result.exit_code != 0 and "not a readable XML status report" in result.output
    good = tmp_path / "good.xml"
    good.write_text(_status_report(("NOBODY", "MS02")))
    result = runner.invoke(args=["billing", "returns", str(good)])
    assert result.exit_code == 0 and "1 unknown" in result.output


def test_a_swiss_account_with_a_euro_mandate_is_charged_not_left_to_a_file(app_ctx, tmp_path):
    """A Swiss account's invoices are in francs and the files collect euros: its euro
    mandate does not leave them waiting for a file (they were never collected nor charged,
    then the service was suspended); its invoice's PDF asks for a transfer."""
    from flask import current_app

    from telephony import procedure as procedures
    from telephony.invoicing.collection import waiting_for_debit
    from telephony.invoicing.document import build
    from telephony.models import ProcedureStatus
    from tests.factories import DETAILS

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    swiss = demo_account("vt30003-s")
    procedure = procedures.submit(
        swiss, {**DETAILS["vt30003-s"], "currency": "EUR", "bic": "POFICHBEXXX"}, actor=None
    )
    procedures.change_status(swiss, procedure, ProcedureStatus.VALIDATED, actor=None)
    db.session.commit()
    assert payment_methods.default_method(swiss).kind == PaymentMethod.SEPA_DEBIT
    assert not waiting_for_debit(swiss)
    invoice = issue_invoice(swiss, "10.00")
    assert build(invoice, current_app.config["OPERATOR"], "en").means.kind == "transfer"


def test_an_invoice_in_a_debit_file_or_refunded_asks_for_nothing_on_its_pdf(app_ctx, tmp_path):
    """Sent for collection, the PDF says the debit as it was sent, whatever the default
    method is now; refunded, it was paid (the credit note says what came back)."""
    from flask import current_app

    from telephony.invoicing.document import build
    from tests.factories import stored_card

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    fr, procedure = _pay_by_mandate("vt10001-f")
    invoice = issue_invoice(fr, "10.00", issued=TODAY - timedelta(days=15))
    collect(TODAY)
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.COLLECTION_SENT
    payment_methods.set_default(fr, stored_card(fr), actor=None, today=TODAY)
    db.session.commit()
    means = build(invoice, current_app.config["OPERATOR"], "en").means
    assert means.kind == "debit" and means.mandate == procedure.mandate_reference
    invoice.status = InvoiceStatus.REFUNDED
    assert build(invoice, current_app.config["OPERATOR"], "en").means.kind == "paid"


def test_the_reason_of_a_return_is_its_status_reasons_code():
    """Banks repeat the original transaction in the report: its codes (CORE) are not the
    reason."""
    report = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>R1</MsgId></GrpHdr><OrgnlPmtInfAndSts><TxInfAndSts>"
        "<OrgnlEndToEndId>E1</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        "<StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf><OrgnlTxRef><PmtTpInf><SvcLvl>"
        "<Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>CORE</Cd></LclInstrm></PmtTpInf></OrgnlTxRef>"
        "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    assert parse_status_report(report) == [("E1", "AM04")]


def test_one_customers_bad_details_leave_only_that_debit_out(app_ctx, tmp_path):
    """A BIC (or a name) the file's schema refuses stopped every customer's collection:
    now the debit at fault is left out and reported, and the others go. The form refuses
    such a BIC in the first place."""
    from flask import current_app

    from telephony.procedure.details import InvalidDetails, check_details
    from tests.factories import DETAILS

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    fr, _ = _pay_by_mandate("vt10001-f")
    be, procedure = _pay_by_mandate("vt20002-b")
    procedure.bic = "G3BABEBB"  # as stored before the form refused it
    db.session.commit()
    fr_invoice = issue_invoice(fr, "10.00", issued=TODAY - timedelta(days=15))
    be_invoice = issue_invoice(be, "10.00", issued=TODAY - timedelta(days=15))
    report = collect(TODAY)
    db.session.expire_all()
    assert fr_invoice.status == InvoiceStatus.COLLECTION_SENT
    assert be_invoice.status == InvoiceStatus.AWAITING_PAYMENT
    assert [invoice_id for invoice_id, _why in report.refused] == [be_invoice.id]
    assert f"invoice {be_invoice.id} left out" in report.summary()
    with pytest.raises(InvalidDetails) as refused:
        check_details(be, {**DETAILS["vt20002-b"], "bic": "G3BABEBB"})
    assert "bic" in refused.value.errors


def test_a_whole_file_or_payment_block_rejected_puts_its_invoices_back_to_pay(app_ctx, tmp_path):
    """A status report may reject a whole file (GrpSts) or one payment block (PmtInfSts)
    with no line per debit: each debit of it is returned, not none."""
    import re

    from flask import current_app

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    be, _ = _pay_by_mandate("vt20002-b")
    invoices = [issue_invoice(be, "10.00", issued=TODAY - timedelta(days=15)) for _ in range(2)]
    collect(TODAY)
    (file,) = db.session.scalars(select(DebitCollection)).all()
    head = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>R1</MsgId></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{file.message_id}"
        "</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>"
    )
    block = re.search(r"<PmtInfId>([^<]+)</PmtInfId>", file.xml).group(1)
    by_block = record_returns(
        head + "</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts>"
        f"<OrgnlPmtInfId>{block}</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>"
        "<StsRsnInf><Rsn><Cd>MS03</Cd></Rsn></StsRsnInf>"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>",
        TODAY,
    )
    db.session.expire_all()
    assert len(by_block.returned) == 2
    assert {invoice.status for invoice in invoices} == {InvoiceStatus.AWAITING_PAYMENT}
    assert {d.return_reason for d in db.session.scalars(select(Debit))} == {"MS03"}
    whole = record_returns(
        head + "<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>"
        "</OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>",
        TODAY,
    )
    assert len(whole.already) == 2  # (returned once only)


def _credit(invoice, amount: str):
    """A credit note of `amount` excl. VAT against `invoice` (a part of its line given
    back, as a termination does), refund due: a debit is not refunded through a card."""
    from telephony.invoicing import credit_notes
    from telephony.models import InvoiceLine
    from telephony.payments import configured_provider

    note = credit_notes.issue(
        invoice,
        [
            InvoiceLine(
                description="Extra",
                quantity=1,
                unit_price_excl_vat=Decimal(amount),
                total_excl_vat=Decimal(amount),
                period_start=TODAY,
                period_end=TODAY + timedelta(days=30),
            )
        ],
        key=f"test:{invoice.id}:{amount}",
        day=TODAY,
        provider=configured_provider(),
        actor=None,
    )
    db.session.commit()
    return note


def test_a_returned_debit_of_a_fully_credited_invoice_leaves_nothing_owed_either_way(
    app_ctx, tmp_path
):
    """Credited in full while its debit was on its way (its service ended), then returned
    by the bank: the money never came, so the credit note refunds nothing (it was left
    "refund due": the operator owed its whole amount), and nothing is to pay."""
    from flask import current_app

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    be, _procedure = _pay_by_mandate("vt20002-b")
    invoice = issue_invoice(be, "10.00", issued=TODAY - timedelta(days=15))
    collect(TODAY)
    note = _credit(invoice, "10.00")
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.REFUNDED
    assert note.status == InvoiceStatus.AWAITING_PAYMENT  # refund due
    debit = db.session.scalar(select(Debit).where(Debit.invoice_id == invoice.id))
    report = record_returns(_status_report((debit.end_to_end_id, "AM04")), TODAY)
    assert report.returned == [debit.end_to_end_id]
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert note.status == InvoiceStatus.PAID  # settled against the invoice: no refund
    to_pay = db.session.scalars(
        select(Invoice).where(
            Invoice.account_id == be.id, Invoice.status == InvoiceStatus.AWAITING_PAYMENT
        )
    ).all()
    assert to_pay == []
    mail = db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "debit_returned"))
    assert invoice.number in mail.subject
    assert "Betaal" not in mail.body and "terugbetaald" in mail.body  # nl_BE


def test_a_returned_debit_of_a_partly_credited_invoice_asks_for_the_rest_only(app_ctx, tmp_path):
    """Credited in part, then returned: the customer owes the invoice less the note, not
    the whole invoice with the note still to be refunded to them."""
    from flask import current_app

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    be, _procedure = _pay_by_mandate("vt20002-b")
    invoice = issue_invoice(be, "10.00", issued=TODAY - timedelta(days=15))
    collect(TODAY)
    note = _credit(invoice, "4.00")
    debit = db.session.scalar(select(Debit).where(Debit.invoice_id == invoice.id))
    record_returns(_status_report((debit.end_to_end_id, "MS02")), TODAY)
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert note.status == InvoiceStatus.PAID
    (again,) = db.session.scalars(
        select(Invoice).where(
            Invoice.account_id == be.id, Invoice.status == InvoiceStatus.AWAITING_PAYMENT
        )
    ).all()
    assert again.total_excl_vat == Decimal("6.00")
    assert again.total_incl_vat == Decimal("6.00") + (Decimal("6.00") * be.vat_rate).quantize(
        Decimal("0.01")
    )
    # The notes against the first invoice add up to it: its own and the settled rest.
    notes = db.session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id)
    ).all()
    assert sum(n.total_incl_vat for n in notes) == invoice.total_incl_vat
    mail = db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "debit_returned"))
    assert again.number in mail.body
    # Collected again: the new invoice, for what is left.
    collect(TODAY)
    latest = db.session.scalar(select(Debit).order_by(Debit.id.desc()).limit(1))
    assert latest.invoice_id == again.id and latest.amount == again.total_incl_vat


def test_a_customer_who_stops_paying_by_mandate_during_the_run_stops_nothing_else(
    app_ctx, tmp_path, monkeypatch
):
    """The run chose the invoices; before their file was made, a customer made a card the
    default (another request): building its debit raised KeyError and the whole run
    stopped, the other customers uncollected (review). Its invoice is left to pay as it
    pays now; the others are collected."""
    from flask import current_app

    from telephony.models import StoredPaymentMethod
    from tests.factories import stored_card

    current_app.config["COLLECTION_DIR"] = str(tmp_path)
    app = current_app._get_current_object()
    fr, _procedure = _pay_by_mandate("vt10001-f")
    be, _procedure = _pay_by_mandate("vt20002-b")
    fr_invoice = issue_invoice(fr, "10.00", issued=TODAY - timedelta(days=15))
    be_invoice = issue_invoice(be, "20.00", issued=TODAY - timedelta(days=15))
    card_id = stored_card(fr).id
    db.session.commit()
    make_file, switched = collection._make_file, []

    def card_made_default():
        with app.app_context():
            account = demo_account("vt10001-f")
            card = db.session.get(StoredPaymentMethod, card_id)
            payment_methods.set_default(account, card, actor=None, today=TODAY)
            db.session.commit()

    def meanwhile(*args, **kwargs):
        if not switched:  # "Make default" clicked on the card while the run goes on
            switched.append(1)
            other = threading.Thread(target=card_made_default)
            other.start()
            other.join()
        return make_file(*args, **kwargs)

    monkeypatch.setattr(collection, "_make_file", meanwhile)
    report = collect(TODAY)
    db.session.expire_all()
    assert report.debits == 1
    assert fr_invoice.status == InvoiceStatus.AWAITING_PAYMENT
    assert be_invoice.status == InvoiceStatus.COLLECTION_SENT
    assert db.session.scalar(select(Debit).where(Debit.invoice_id == fr_invoice.id)) is None
