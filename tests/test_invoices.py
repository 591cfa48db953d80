"""The invoices page and the invoice PDF: the list filtered and paged in SQL, paying one
invoice or the whole balance (once), the CSV, and what the PDF states and encodes."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import cv2
import numpy
import pdfplumber
import pytest
from flask import current_app
from sqlalchemy import func, select

from documents.invoice import invoice_pdf
from extensions import db
from telephony import rio, support
from telephony.invoicing import listing
from telephony.invoicing.document import build, transfer_reference
from telephony.models import (
    Account,
    AliasNumber,
    AuditEvent,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Line,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Service,
    ServiceState,
    StoredPaymentMethod,
)
from telephony.payments import PROVIDERS
from tests.conftest import csrf_from
from tests.factories import act_for_fr, demo_account, issue_invoice, pdf_text, validate_procedure


def _due(account: Account) -> Invoice:
    return db.session.scalar(
        select(Invoice).where(
            Invoice.account_id == account.id,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
            Invoice.kind == InvoiceKind.INVOICE,
        )
    )


def _qr_codes(data: bytes) -> list[str]:
    """The QR code OpenCV reads on each page of the PDF (rendered at 200 dpi)."""
    found = []
    with pdfplumber.open(io.BytesIO(data)) as document:
        for page in document.pages:
            image = page.to_image(resolution=200).original.convert("RGB")
            pixels = cv2.cvtColor(numpy.array(image), cv2.COLOR_RGB2BGR)
            value, _points, _ = cv2.QRCodeDetector().detectAndDecode(pixels)  # one a page
            if value:
                found.append(value)
    return found


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_every_invoice_newest_first_with_the_balance(signed_in):
    client = signed_in("fr")
    page = client.get("/billing/invoices?lang=en")
    assert page.status_code == 200 and page.headers["Vary"].count("HX-Request")
    text = page.text
    assert "4 invoices" in text and "Balance due: €1.20" in text
    numbers = [n for n in ("FR-2026-000004", "FR-2026-000003", "FR-2026-000001") if n in text]
    assert numbers == sorted(numbers, reverse=True)
    assert text.index("FR-2026-000004") < text.index("FR-2026-000001")
    with client.application.app_context():
        due = _due(demo_account())
    assert f"/billing/invoices/{due.id}/pay" in text  # only the invoice due offers Pay
    assert text.count('/pay"') == 1


def test_filters_by_status_and_period_in_sql(app_ctx):
    account = demo_account()
    today = date.today()
    size = 50
    paid = listing.list_invoices(account, listing.Filters(status="paid"), 1, size, today)
    assert paid.total == 3
    due = listing.list_invoices(account, listing.Filters(status="due"), 1, size, today)
    assert due.total == 1 and due.items[0].shown_status == "due"
    late = due.items[0].Invoice.due_on + timedelta(days=1)
    overdue = listing.list_invoices(account, listing.Filters(status="overdue"), 1, size, late)
    assert overdue.total == 1
    assert listing.balance(account, late).overdue == 1
    first = min(i.Invoice.issued_on for i in paid.items)
    period = listing.Filters(start=first, end=first)
    assert listing.list_invoices(account, period, 1, size, today).total == 1


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "from=2026-13-45&to=x",
        "from=" + "9" * 10_000,
        "status=%0d%0a&from=%0d%0a",
        "page=99999999999999999999",
        "from=2026-12-01&to=2026-01-01",
    ],
)
def test_odd_filters_never_fail(signed_in, query):
    client = signed_in("fr")
    assert client.get(f"/billing/invoices?{query}").status_code == 200
    assert client.get(f"/billing/invoices/export.csv?{query}").status_code == 200


def test_paging_costs_the_same_queries_for_a_page_of_many(signed_in, count_queries):
    client = signed_in("fr")
    client.get("/billing/invoices?lang=en")
    with count_queries() as few:
        client.get("/billing/invoices?lang=en")
    with client.application.app_context():
        account = demo_account()
        for _ in range(120):
            issue_invoice(account, "2.00", status=InvoiceStatus.PAID)
    # (The menu's licence test is asked once per version of the account's data: warm up.)
    client.get("/billing/invoices?page=3&lang=en")
    with count_queries() as many:
        page = client.get("/billing/invoices?page=2&lang=en")
    assert "Page 2 of 3" in page.text
    assert many.count == few.count
    # Reached by a pager link (htmx): the live region says which page it is.
    headers = {"HX-Request": "true", "X-Pager": "1"}
    block = client.get("/billing/invoices?page=3&lang=en", headers=headers).text
    assert '<span hx-swap-oob="innerHTML:#announcer">Page 3 of 3</span>' in block


def test_another_accounts_invoice_is_not_found(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        theirs = _due(demo_account("vt10001-f")).id
    for url in (f"/billing/invoices/{theirs}.pdf", f"/billing/invoices/{theirs}/pay"):
        assert client.get(url).status_code == 404
    assert client.get("/billing/invoices/2147483647.pdf").status_code == 404


def test_the_csv_follows_the_filters_in_the_readers_dialect(signed_in):
    client = signed_in("fr")
    reply = client.get("/billing/invoices/export.csv?status=paid&lang=fr_FR")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    text = reply.get_data(as_text=True)
    assert text.startswith("\ufeff") and ";" in text.splitlines()[0]
    rows = text.splitlines()[1:]
    assert len(rows) == 3 and all("86,32" in row and "86.32" in row for row in rows)
    english = client.get("/billing/invoices/export.csv?lang=en").get_data(as_text=True)
    assert english.splitlines()[0].startswith("Number,Document,Credits invoice,Issued on,")
    assert english.splitlines()[1].split(",")[1:3] == ["Invoice", ""]


def test_the_csv_dates_have_their_whole_year(signed_in):
    """ "01.11.26" (Swiss German's short date) opened as 1926, or as text."""
    import re

    swiss = signed_in("ch").get("/billing/invoices/export.csv?lang=de_CH")
    issued = swiss.get_data(as_text=True).splitlines()[1].split(";")[3]
    assert re.fullmatch(r"\d{2}\.\d{2}\.20\d{2}", issued), issued


# --- Paying ---------------------------------------------------------------------------------


def test_pay_one_invoice_through_the_page(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        due = _due(demo_account())
        service = db.session.scalar(select(Service).where(Service.name == "+33972100101"))
        due_id, service_id = due.id, service.id
    page = client.get(f"/billing/invoices/{due_id}/pay?lang=en")
    assert page.status_code == 200 and "checked" in page.text  # the default card
    form = {"csrf_token": csrf_from(page.text)}
    refused = client.post(f"/billing/invoices/{due_id}/pay?lang=en", data=form)
    assert refused.status_code == 422 and "Choose a payment method." in refused.text
    with client.application.app_context():
        card = db.session.scalar(
            select(StoredPaymentMethod.id).where(StoredPaymentMethod.is_default)
        )
    paid = client.post(f"/billing/invoices/{due_id}/pay", data={**form, "method": str(card)})
    assert paid.status_code == 303
    assert "Thank you" in client.get("/billing/invoices?lang=en").text
    again = client.post(f"/billing/invoices/{due_id}/pay", data={**form, "method": str(card)})
    assert again.status_code == 303  # paid already: said, not charged again
    with client.application.app_context():
        invoice = db.session.get(Invoice, due_id)
        assert invoice.status == InvoiceStatus.PAID
        assert db.session.get(Service, service_id).state == ServiceState.ACTIVE
        succeeded = Payment.status == PaymentStatus.SUCCEEDED
        assert (
            db.session.scalar(
                select(func.count(Payment.id)).where(Payment.invoice_id == due_id, succeeded)
            )
            == 1
        )


def test_a_declined_card_says_why_beside_the_method(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        account = demo_account()
        declined = StoredPaymentMethod(
            account_id=account.id,
            kind=PaymentMethod.CARD,
            fingerprint="declined",
            token="tok_sbx_test_0002",
            brand="visa",
            last4="0002",
            exp_month=1,
            exp_year=date.today().year + 2,
        )
        db.session.add(declined)
        db.session.commit()
        due_id, method = _due(account).id, declined.id
    page = client.get(f"/billing/invoices/{due_id}/pay?lang=en")
    reply = client.post(
        f"/billing/invoices/{due_id}/pay?lang=en",
        data={"csrf_token": csrf_from(page.text), "method": str(method)},
    )
    assert reply.status_code == 422 and "The card was declined." in reply.text
    with client.application.app_context():
        assert db.session.get(Invoice, due_id).status == InvoiceStatus.AWAITING_PAYMENT


def test_the_balance_is_paid_in_one_charge_of_exactly_the_invoices_shown(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        account = demo_account()
        issue_invoice(account, "5.00")
        card = db.session.scalar(
            select(StoredPaymentMethod.id).where(StoredPaymentMethod.is_default)
        )
    page = client.get("/billing/invoices/pay-balance?lang=en")
    assert "2 invoices await payment." in page.text and "€7.20" in page.text
    shown = page.text.split('name="invoices" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_from(page.text), "invoices": shown, "method": str(card)}
    with client.application.app_context():  # a third one is issued meanwhile
        extra = issue_invoice(demo_account(), "1.00").id
    changed = client.post("/billing/invoices/pay-balance?lang=en", data=form)
    assert changed.status_code == 422 and "Your balance has changed" in changed.text
    charges = PROVIDERS["sandbox"].charges
    page = client.get("/billing/invoices/pay-balance?lang=en")
    shown = page.text.split('name="invoices" type="hidden" value="')[1].split('"')[0]
    assert str(extra) in shown.split(",")
    paid = client.post("/billing/invoices/pay-balance", data={**form, "invoices": shown})
    assert paid.status_code == 303
    assert PROVIDERS["sandbox"].charges == charges + 1  # one charge for the three
    with client.application.app_context():
        assert listing.balance(demo_account(), date.today()).count == 0
    assert client.get("/billing/invoices/pay-balance").status_code == 303  # nothing left


def test_an_agent_sees_and_pays_for_the_customer_and_it_is_audited(client, signed_in):
    account_id = act_for_fr(client, signed_in)
    page = client.get("/billing/invoices?lang=en")
    assert page.status_code == 200 and "FR-2026-000004" in page.text
    with client.application.app_context():
        assert db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.account_id == account_id,
                AuditEvent.action == support.VIEWED,
                AuditEvent.after["path"].as_string().contains("/billing/invoices"),
            )
        )


# --- The PDF --------------------------------------------------------------------------------


def test_a_french_company_invoice_states_what_french_law_asks(app_ctx):
    account = demo_account()
    before = _due(account)  # issued before the procedure gave the details: it never will
    validate_procedure(account)  # its address and SIREN, on the invoices issued from now
    assert "3 place Bellecour" not in pdf_text(invoice_pdf(before))
    number = db.session.scalar(select(Service).where(Service.name == "+33972100101"))
    invoice = issue_invoice(account, "1.00")
    invoice.lines[0].service_id, invoice.lines[0].description = number.id, number.name
    db.session.commit()
    text = pdf_text(invoice_pdf(invoice))
    assert "Facture" in text and invoice.number in text
    assert "3 place Bellecour" in text and "SIREN 732829320" in text
    assert "FR44732829320" in text  # the customer's VAT number, from its SIREN
    assert "RCS Lyon 912 345 675" in text and "FR65912345675" in text  # the operator's
    assert "1,20 €" in text
    number = db.session.scalar(select(Service.name).where(Service.name == "+33972100101"))
    shown = build(invoice, current_app.config["OPERATOR"], "fr_FR").lines[0]
    assert shown.number == number and rio.is_valid(shown.rio, number) and shown.rio in text
    assert "40,00 €" in text  # the fixed recovery indemnity of a French business


def test_each_line_names_the_number_it_bills_a_line_or_an_alias_number(app_ctx):
    account = demo_account()
    services = {
        kind: db.session.scalar(
            select(Service)
            .where(Service.account_id == account.id, Service.target_type == kind)
            .order_by(Service.id)
        )
        for kind in ("line", "alias_number", "number_pool")
    }
    invoice = issue_invoice(account)
    invoice.lines = [
        InvoiceLine(
            description=kind,
            quantity=1,
            unit_price_excl_vat=Decimal("1.00"),
            total_excl_vat=Decimal("1.00"),
            service_id=service.id,
        )
        for kind, service in services.items()
    ]
    db.session.commit()
    lines = build(invoice, current_app.config["OPERATOR"], "fr_FR").lines
    numbers = {line.description: line.number for line in lines}
    line = db.session.get(Line, services["line"].target_id)
    alias = db.session.get(AliasNumber, services["alias_number"].target_id)
    assert numbers == {"line": line.number, "alias_number": alias.number, "number_pool": ""}
    assert all(rio.is_valid(line.rio, line.number) for line in lines if line.number)


def test_a_euro_invoice_to_pay_by_transfer_carries_an_epc_qr_code(app_ctx):
    account = demo_account()
    invoice = issue_invoice(account, "12.34")
    data = invoice_pdf(invoice)
    reference = transfer_reference("FR", invoice.number)
    (code,) = _qr_codes(data)
    fields = code.splitlines()
    assert fields[:4] == ["BCD", "002", "1", "SCT"] or fields[:3] == ["BCD", "002", "2"]
    assert "FR7630006000011234567890189" in fields
    assert f"EUR{invoice.total_incl_vat}" in fields and reference in fields
    assert reference in pdf_text(data)


def test_a_swiss_invoice_has_a_qr_bill_with_its_amount_and_reference(app_ctx):
    account = demo_account("vt30003-s")
    invoice = issue_invoice(account, "100.00")
    data = invoice_pdf(invoice)
    codes = [c for c in _qr_codes(data) if c.startswith("SPC")]
    assert len(codes) == 1
    fields = codes[0].replace("\r\n", "\n").split("\n")
    assert fields[3] == "CH4431999123000889012"
    assert "108.10" in fields and "CHF" in fields  # 100 + 8.1 % VAT
    reference = transfer_reference("CH", invoice.number)
    assert "QRR" in fields and reference in fields
    assert "Fattura" in pdf_text(data)  # in the customer's Italian
    # Nothing but the payment part in its 105 mm (the QR-bill's rule): the page number,
    # drawn last, was in it; on that page it goes to the top.
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[-1]
        bottom = page.height - 105 * 72 / 25.4
        words = [w["text"] for w in page.extract_words() if w["top"] > bottom]
        top = [w["text"] for w in page.extract_words() if w["bottom"] < 36]
    assert "Pagina" not in words and "Pagina" in top


def test_an_issued_invoice_never_changes_when_the_customers_details_do(app_ctx):
    """The holder's address corrected after an invoice was issued rewrote it, its QR-bill's
    "Payable by" too: the invoice keeps the customer as it was issued with."""
    account = demo_account("vt30003-s")
    procedure = validate_procedure(account)
    invoice = issue_invoice(account, "100.00")
    procedure.holder_street, procedure.holder_city = "Bahnhofstrasse 1", "Zürich"
    procedure.holder_postcode = "8001"
    db.session.commit()
    text = pdf_text(invoice_pdf(invoice))
    assert "Via Nassa 5" in text and "Zürich" not in text
    later = pdf_text(invoice_pdf(issue_invoice(account, "5.00")))
    assert "Bahnhofstrasse 1" in later and "Via Nassa 5" not in later


def test_a_debit_invoice_names_the_mandate_and_the_collection_date(app_ctx):
    account = demo_account("vt20002-b")
    procedure = validate_procedure(account)  # its SEPA mandate, the default method
    invoice = issue_invoice(account, "10.00")
    data = invoice_pdf(invoice)
    text = pdf_text(data)
    assert procedure.mandate_reference in text and "BE39ZZZ0598765459" in text
    assert "0403.170.701" in text and "BE0403170701" in text
    # Both enterprise numbers called so, in the customer's Dutch (not "Inschrijving").
    assert text.count("Ondernemingsnummer: ") == 2 and "Inschrijving" not in text
    assert not _qr_codes(data)  # nothing to transfer


def test_each_service_links_to_its_invoices(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        due = db.session.scalar(select(Service).where(Service.name == "+33972100101"))
        fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
        theirs = db.session.scalar(
            select(Service.id).where(Service.account_id == demo_account("vt20002-b").id)
        )
        due_id, fax_id = due.id, fax.id
    services = client.get("/services/?lang=en").text
    assert f"/billing/invoices?service={due_id}" in services
    mine = client.get(f"/billing/invoices?service={due_id}&lang=en").text
    assert "4 invoices" in mine and "+33\u00a09\u00a072\u00a010\u00a001\u00a001" in mine  # its chip
    fax_only = client.get(f"/billing/invoices?service={fax_id}&status=due&lang=en").text
    assert "No invoice matches these filters." in fax_only
    foreign = client.get(f"/billing/invoices?service={theirs}&lang=en")
    assert foreign.status_code == 200 and "4 invoices" in foreign.text  # not a filter of theirs


def test_a_long_invoice_keeps_each_number_whole_and_names_itself_on_every_page(app_ctx):
    """The demo's first invoice bills every service of the French company (two pages): a
    range's numbers were cut across lines ("+33 1 84 80 00" / "19"), and the second page
    did not say which invoice it belonged to."""
    import re

    import pdfplumber

    account = demo_account()
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.account_id == account.id, Invoice.kind == InvoiceKind.INVOICE)
        .order_by(func.count(InvoiceLine.id).desc())
        .join(InvoiceLine)
        .group_by(Invoice.id)
        .limit(1)
    )
    invoice.lines.extend(
        InvoiceLine(
            description="+33 1 84 80 00 10 – +33 1 84 80 00 19",  # as a range is stored
            quantity=1,
            unit_price_excl_vat=Decimal("1.00"),
            total_excl_vat=Decimal("1.00"),
        )
        for _ in range(12)
    )
    with pdfplumber.open(io.BytesIO(invoice_pdf(invoice))) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    assert len(pages) >= 2
    for text in pages:
        assert invoice.number in text.splitlines()[-1]  # the footer
        for line in text.splitlines():
            starts = line.count("+33")
            whole = len(re.findall(r"\+33(?:[ \u00a0]?\d){9}", line))
            assert starts == whole, line


def test_a_swiss_francs_invoice_left_to_pay_has_its_qr_bill_not_a_sepa_debit(app_ctx):
    """The Swiss customer's default method is its francs authorization (LSV+): no direct
    debit file collects francs, so an invoice left to pay (a charge refused) must carry its
    QR-bill; it said "SEPA direct debit", with no slip, and the service was suspended."""
    from telephony.invoicing.collection import collect
    from telephony.models import Debit

    account = demo_account("vt30003-s")
    validate_procedure(account)
    invoice = issue_invoice(account, "100.00")
    data = invoice_pdf(invoice)
    collect(date.today())
    db.session.refresh(invoice)
    assert invoice.status == InvoiceStatus.AWAITING_PAYMENT
    assert db.session.scalar(select(Debit).where(Debit.invoice_id == invoice.id)) is None
    assert "SEPA" not in pdf_text(data)
    assert [code for code in _qr_codes(data) if code.startswith("SPC")]


def test_the_day_paid_is_the_customers_not_utcs(app_ctx):
    """Paid at 23:30 UTC on 31 December: 00:30 on 1 January in Paris."""
    from datetime import UTC, datetime

    invoice = issue_invoice(demo_account(), "10.00", issued=date(2026, 12, 31))
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    db.session.commit()
    text = pdf_text(invoice_pdf(invoice, locale="fr_FR"))
    assert "1er janvier 2027" in text and "31 décembre 2026" not in text.split("Paiement")[-1]


def test_the_terms_heading_never_ends_a_page_alone(app_ctx):
    """A table that fills the pages left "Conditions" at a page's foot, its text on the
    next (review): whatever the number of lines, the heading keeps its first paragraph."""
    from decimal import Decimal

    from telephony.models import InvoiceLine, Service

    account = demo_account("vt10001-f")
    validate_procedure(account)  # a company: late-payment terms too
    account.name = (
        "Établissements Pharmaceutiques et Cosmétiques du Grand Sud-Ouest Réunis & Associés "
        "— Direction Générale des Achats Télécoms"
    )
    services = db.session.scalars(select(Service).where(Service.account_id == account.id)).all()
    for count in range(24, 34):
        invoice = issue_invoice(account, "1.00")
        invoice.lines = [
            InvoiceLine(
                service_id=services[i % len(services)].id,  # (a number's line: its RIO too)
                description=(
                    f"Ligne SIP {i} – Libellé client très long pour le poste d'accueil du "
                    f"bâtiment B, étage {i}, salle de réunion « Mont-Blanc »"
                )
                if i % 3 == 0
                else f"Line {i}",
                quantity=i + 1,
                unit_price_excl_vat=Decimal("3.33"),
                total_excl_vat=Decimal("3.33") * (i + 1),
                period_start=date(2026, 12, 1),
                period_end=date(2027, 1, 1),
            )
            for i in range(count)
        ]
        db.session.commit()
        with pdfplumber.open(io.BytesIO(invoice_pdf(invoice, locale="fr_FR"))) as pdf:
            for page in pdf.pages[:-1]:
                body = [
                    line
                    for line in (page.extract_text() or "").splitlines()
                    if "Page " not in line and "Velora Telecom ·" not in line
                ]
                assert body[-1].strip() not in ("Conditions", "Paiement"), (count, body[-3:])
