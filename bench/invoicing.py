"""Invoices, on SQLite and (when it answers) PostgreSQL: `python -m bench invoices`.

* the invoice PDF against a bare one-page ReportLab document with the same embedded font
  (target: median at most 2x), and the Factur-X PDF (the same, its XML embedded);
* a pain.008 file of 10,000 direct debits, built, validated against its schema and kept
  (target: at most 5 s);
* the invoices page of an account with 5,000 invoices: median time and SQL queries on the
  first page and a deep one (paging in SQL: the same count).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from sqlalchemy import event, insert, select

from app import create_app
from bench import analyze, median_ms
from bench.service_run import _postgres_url
from extensions import db

DEBITS = 10_000
INVOICES = 5_000
DAY = date(2030, 1, 1)


def bench_pdf(app, label: str, runs: int = 40) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from documents.fonts import register_fonts
    from documents.invoice import invoice_pdf
    from telephony.models import Account, Invoice, InvoiceStatus
    from tests.factories import validate_procedure

    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    invoice = db.session.scalar(
        select(Invoice).where(
            Invoice.account_id == account.id, Invoice.status == InvoiceStatus.AWAITING_PAYMENT
        )
    )
    font = register_fonts()
    style = ParagraphStyle("bare", fontName=font, fontSize=10)

    def bare() -> bytes:
        buffer = BytesIO()
        SimpleDocTemplate(buffer, pagesize=A4).build([Paragraph("Boulangerie Dupré", style)])
        return buffer.getvalue()

    plain = [], []
    for _ in range(runs):  # alternated, so that drift affects both
        plain[0].append(median_ms(bare, 1))
        plain[1].append(median_ms(lambda: invoice_pdf(invoice), 1))
    bare_ms, pdf_ms = statistics.median(plain[0]), statistics.median(plain[1])
    print(
        f"invoice PDF, {label}: median {pdf_ms:.1f} ms; bare one-page document, same font: "
        f"{bare_ms:.1f} ms; ratio {pdf_ms / bare_ms:.2f} (target <= 2)"
    )
    validate_procedure(account)  # its address and SIREN: now a Factur-X
    factur_x = median_ms(lambda: invoice_pdf(invoice), runs)
    print(
        f"Factur-X PDF, {label}: median {factur_x:.1f} ms "
        f"(ratio to the bare page {factur_x / bare_ms:.2f})"
    )


def _mandate_payers(count: int) -> None:
    """`count` Belgian companies paying by the SEPA mandate of a validated procedure, each
    with one invoice due."""
    from telephony.models import (
        Account,
        AccountKind,
        Country,
        Invoice,
        InvoiceKind,
        InvoiceStatus,
        PaymentMethod,
        ProcedureStatus,
        StoredPaymentMethod,
        ValidationProcedure,
    )

    now = datetime(2029, 12, 1, tzinfo=UTC)
    ids = db.session.scalars(
        insert(Account).returning(Account.id, sort_by_parameter_order=True),
        [
            {
                "code": f"debit-{index:05d}",
                "name": f"Debit company {index}",
                "kind": AccountKind.COMPANY,
                "country": Country.BE,
                "language": "nl_BE",
                "billing_email": f"debit{index}@example.com",
            }
            for index in range(count)
        ],
    ).all()
    procedures = db.session.scalars(
        insert(ValidationProcedure).returning(ValidationProcedure.id, sort_by_parameter_order=True),
        [
            {
                "account_id": account_id,
                "status": ProcedureStatus.VALIDATED,
                "mandate_reference": f"VT-BENCH-{account_id:08d}",
                "holder_name": f"Debit company {account_id}",
                "iban": "BE68539007547034",
                "currency": "EUR",
                "submitted_at": now,
            }
            for account_id in ids
        ],
    ).all()
    db.session.execute(
        insert(StoredPaymentMethod),
        [
            {
                "account_id": account_id,
                "kind": PaymentMethod.SEPA_DEBIT,
                "procedure_id": procedure_id,
                "last4": "7034",
                "is_default": True,
            }
            for account_id, procedure_id in zip(ids, procedures, strict=True)
        ],
    )
    db.session.execute(
        insert(Invoice),
        [
            {
                "account_id": account_id,
                "number": f"BE-2029-{index + 1:06d}",
                "kind": InvoiceKind.INVOICE,
                "status": InvoiceStatus.AWAITING_PAYMENT,
                "currency": "EUR",
                "vat_rate": Decimal("0.21"),
                "total_excl_vat": Decimal("10.00"),
                "total_vat": Decimal("2.10"),
                "total_incl_vat": Decimal("12.10"),
                "issued_on": DAY - timedelta(days=15),
                "due_on": DAY,
                "on_paid": {},
            }
            for index, account_id in enumerate(ids)
        ],
    )
    db.session.commit()
    analyze()


def bench_collection(app, label: str) -> None:
    from telephony.invoicing.collection import collect

    _mandate_payers(DEBITS)
    start = time.perf_counter()
    report = collect(DAY)
    elapsed = time.perf_counter() - start
    print(
        f"pain.008, {label}: {report.debits:,} debits in {len(report.files)} file(s), built, "
        f"validated and kept in {elapsed:.2f} s (target <= 5 s)"
    )


def bench_page(app, label: str) -> None:
    from telephony.models import Account, Invoice, InvoiceKind, InvoiceStatus
    from tests.conftest import Auth

    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    db.session.execute(
        insert(Invoice),
        [
            {
                "account_id": account.id,
                "number": f"FR-2020-{index + 1:06d}",
                "kind": InvoiceKind.INVOICE,
                "status": InvoiceStatus.PAID,
                "currency": "EUR",
                "vat_rate": Decimal("0.20"),
                "total_excl_vat": Decimal("10.00"),
                "total_vat": Decimal("2.00"),
                "total_incl_vat": Decimal("12.00"),
                "issued_on": date(2020, 1, 1) + timedelta(days=index % 2000),
                "due_on": date(2020, 1, 16) + timedelta(days=index % 2000),
                "on_paid": {},
            }
            for index in range(INVOICES)
        ],
    )
    db.session.commit()
    analyze()
    client = app.test_client()
    assert Auth(client).login("demo-fr@example.com").status_code == 303
    queries = {"n": 0}

    def count(*_args, **_kwargs):
        queries["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name, path in (
            ("page 1", "/billing/invoices"),
            ("page 100", "/billing/invoices?page=100"),
        ):
            client.get(path)
            queries["n"] = 0
            assert client.get(path).status_code == 200
            n = queries["n"]
            ms = median_ms(lambda p=path: client.get(p), 30)
            print(
                f"invoices page, 5,000 invoices, {label}, {name}: median {ms:.1f} ms, "
                f"{n} SQL queries"
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def measure(url: str, label: str) -> None:
    from telephony.demo import create_demo

    app = create_app(
        {
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "COLLECTION_DIR": tempfile.mkdtemp(),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        create_demo()
        bench_page(app, label)
        bench_pdf(app, label)
        bench_collection(app, label)
        db.session.remove()
        db.drop_all()


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    measure(f"sqlite:///{tmp / 'invoices.sqlite'}", "SQLite")
    url = _postgres_url()
    if url:
        measure(url, "PostgreSQL")


if __name__ == "__main__":
    main()
