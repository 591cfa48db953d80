"""The purchase order PDF: data in the document's locale, user text printed literally, DejaVu
fonts embedded, metadata, and repeatable bytes in invariant mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from documents import fonts
from documents.fonts import paragraph_text, register_fonts
from documents.purchase_order import purchase_order_pdf
from telephony.models import (
    Account,
    AccountKind,
    Country,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)

# 23:30 UTC on 1 March is already 2 March in Paris and Zurich: the date is the account's.
CREATED_AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def make_invoice(
    country: Country = Country.FR,
    name: str = "A <b> & Co",
    *,
    status: InvoiceStatus = InvoiceStatus.AWAITING_PAYMENT,
    lines: list[tuple[str, int, str]] | None = None,
) -> Invoice:
    """A transient purchase order (never added to the session)."""
    currency = "CHF" if country is Country.CH else "EUR"
    vat_rate = {Country.FR: Decimal("0.2000"), Country.CH: Decimal("0.0810")}[country]
    lines = lines or [
        ("Extra simultaneous calls for Łukasz Źródło", 3, "4.00"),
        ("Plug & Phone <Cisco> for Jürg Müller-Schärer", 1, "0.00"),
    ]
    invoice_lines = [
        InvoiceLine(
            description=description,
            quantity=quantity,
            unit_price_excl_vat=Decimal(price),
            total_excl_vat=Decimal(price) * quantity,
        )
        for description, quantity, price in lines
    ]
    total = sum((line.total_excl_vat for line in invoice_lines), Decimal("0"))
    vat = (total * vat_rate).quantize(Decimal("0.01"))
    account = Account(
        code="C1042",
        name=name,
        kind=AccountKind.COMPANY,
        country=country,
        language="fr_FR",
        billing_email="billing+po@example.com",
    )
    invoice = Invoice(
        number="PO-2026-000123",
        kind=InvoiceKind.PURCHASE_ORDER,
        status=status,
        currency=currency,
        vat_rate=vat_rate,
        total_excl_vat=total,
        total_vat=vat,
        total_incl_vat=total + vat,
        terms_reference="VT-CGV-2026-01",
        created_at=CREATED_AT,
    )
    invoice.account = account
    invoice.lines = invoice_lines
    return invoice


def build(app, invoice: Invoice, locale: str, **kwargs) -> bytes:
    with app.app_context():
        return purchase_order_pdf(invoice, operator=app.config["OPERATOR"], locale=locale, **kwargs)


def pdf_text(data: bytes) -> str:
    """All the pages' text, with every run of (no-break) spaces and newlines as one space."""
    reader = PdfReader(BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(
    ("locale", "country", "name", "amounts", "vat", "date"),
    [
        (
            "en",
            Country.FR,
            "A <b> & Co",
            ["€4.00", "€12.00", "€0.00", "€2.40", "€14.40"],
            "20%",
            "March 2, 2026",
        ),
        (
            "fr_FR",
            Country.FR,
            "A <b> & Co",
            ["4,00 €", "12,00 €", "0,00 €", "2,40 €", "14,40 €"],
            "20 %",
            "2 mars 2026",
        ),
        (
            "it_CH",
            Country.CH,
            "Jürg Müller-Schärer",
            ["CHF 4.00", "CHF 12.00", "CHF 0.00", "CHF 0.97", "CHF 12.97"],
            "8.1%",
            "2 marzo 2026",
        ),
    ],
)
def test_purchase_order_prints_the_data_in_the_locale(
    app, locale, country, name, amounts, vat, date
):
    invoice = make_invoice(country, name)
    text = pdf_text(build(app, invoice, locale))

    assert "Velora Telecom" in text
    address = app.config["OPERATOR"]["addresses"][country.value]
    assert all(line in text for line in address[:-1])
    # The country in the document's language; the operator's legal identifiers.
    assert {"en": "France", "fr_FR": "France", "it_CH": "Svizzera"}[locale] in text
    legal = app.config["OPERATOR"]["legal_ids"][country.value]
    assert legal["registration"] in text
    assert {"FR": "FR65912345675", "CH": "CHE-114.223.452 IVA"}[country.value] in text
    if country.value == "CH":  # named as the invoices name it, not "Iscrizione"
        assert "Numero IDI: CHE-" in text and "Iscrizione" not in text
    assert "PO-2026-000123" in text
    assert "C1042" in text
    assert name in text  # "A <b> & Co" literally: escaped, not read as markup
    assert "billing+po@example.com" in text
    assert "Extra simultaneous calls for Łukasz Źródło" in text
    assert "Plug & Phone <Cisco> for Jürg Müller-Schärer" in text
    for amount in amounts:
        assert amount in text, (amount, text)
    assert vat in text
    assert date in text
    assert "VT-CGV-2026-01" in text


def test_english_purchase_order_wording(app):
    text = pdf_text(build(app, make_invoice(), "en"))

    for words in (
        "Purchase order",
        "Number: PO-2026-000123",
        "Date: March 2, 2026",
        "Account C1042",
        "Description",
        "Quantity",
        "Unit price excl. VAT",
        "Total excl. VAT €12.00",
        "VAT 20% €2.40",
        "Total incl. VAT €14.40",
        "The order takes effect once it is paid. Terms of sale: VT-CGV-2026-01.",
        "Status: awaiting payment",
        "Page 1 of 1",
    ):
        assert words in text, (words, text)


def test_a_purchase_order_line_says_the_days_it_pays_for(app):
    """Extra calls are paid to the end of the period the line has paid: the line says
    which days, the last one included."""
    from datetime import date

    invoice = make_invoice()
    invoice.lines[0].period_start = date(2026, 3, 2)
    invoice.lines[0].period_end = date(2026, 4, 1)
    text = pdf_text(build(app, invoice, "en"))
    assert "From Mar 2, 2026 to Mar 31, 2026" in text, text
    assert "(a month)" not in text


def test_paid_purchase_order_says_so(app):
    text = pdf_text(build(app, make_invoice(status=InvoiceStatus.PAID), "en"))
    assert "Status: paid" in text
    assert "awaiting payment" not in text


def test_document_locale_wins_over_the_request_locale(app):
    """Inside a German request, the PDF is still in the locale asked for."""
    from flask_babel import get_locale

    with app.test_request_context("/?lang=de_CH"):
        assert str(get_locale()) == "de_CH"
        english = pdf_text(
            purchase_order_pdf(make_invoice(), operator=app.config["OPERATOR"], locale="en")
        )
        italian = pdf_text(
            purchase_order_pdf(
                make_invoice(Country.CH), operator=app.config["OPERATOR"], locale="it_CH"
            )
        )
        assert str(get_locale()) == "de_CH"
    assert "Description" in english and "Beschreibung" not in english
    assert "Descrizione" in italian  # a message the Italian catalogue already has


def test_metadata(app):
    reader = PdfReader(BytesIO(build(app, make_invoice(), "fr_FR")))
    metadata = reader.metadata
    assert "PO-2026-000123" in metadata.title
    assert metadata.author == "Velora Telecom"
    assert metadata.creator == "Velora Telecom"
    assert "C1042" in metadata.subject
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_only_embedded_dejavu_fonts(app):
    reader = PdfReader(BytesIO(build(app, make_invoice(), "fr_FR")))
    used = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            used[str(font["/BaseFont"])] = font
    assert used
    for base_font, font in used.items():
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(-Bold|-Oblique|-BoldOblique)?", base_font)
        assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType
    assert any(name.endswith("+DejaVuSans-Bold") for name in used)


def test_invariant_output_is_repeatable(app):
    first = build(app, make_invoice(Country.CH, "Jürg Müller-Schärer"), "it_CH", invariant=True)
    second = build(app, make_invoice(Country.CH, "Jürg Müller-Schärer"), "it_CH", invariant=True)
    assert first.startswith(b"%PDF-")
    assert first == second


def test_long_orders_continue_on_numbered_pages(app):
    lines = [(f"Line {n}: " + "very long description " * 6, 1, "1.00") for n in range(60)]
    data = build(app, make_invoice(lines=lines), "en")
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) >= 2
    second = pdf_text_of_page(reader, 1)
    # Each page says how many there are: a missing page shows.
    assert f"Page 2 of {len(reader.pages)}" in second
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in pdf_text_of_page(reader, -1)
    assert "Description" in second  # the header row is repeated
    assert "Total incl. VAT €72.00" in pdf_text(data)


def pdf_text_of_page(reader: PdfReader, index: int) -> str:
    return re.sub(r"\s+", " ", reader.pages[index].extract_text())


def test_paragraph_text_escapes_markup_and_control_characters():
    assert paragraph_text("A <b> & Co") == "A &lt;b&gt; &amp; Co"
    assert paragraph_text("one\r\ntwo\nthree") == "one<br/>two<br/>three"
    assert paragraph_text("bell\x07\x00 tab\there") == "bell tab here"
    assert paragraph_text("Łukasz Źródło") == "Łukasz Źródło"
    assert paragraph_text("") == ""
    assert paragraph_text(None) == ""


def test_register_fonts_is_idempotent():
    assert register_fonts() == "DejaVuSans"
    assert register_fonts() == "DejaVuSans"


def test_missing_fonts_raise_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    with pytest.raises(RuntimeError, match="DejaVu Sans fonts not found"):
        fonts.find_font_dir()
