"""The purchase order PDF: what the customer orders, its amounts, and how it takes effect.

Built with ReportLab's Platypus in the locale given (not the request's), so the same order
can be printed for the customer and for the back office. Every text coming from the
database goes through `paragraph_text`, never straight into Paragraph markup.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, format_percent
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from documents.fonts import paragraph_text, register_fonts
from documents.invoice import registration
from documents.layout import (
    CONTENT_WIDTH,
    GRID,
    SHADE,
    build_pdf,
    country_name,
    localized_address,
)
from telephony.dates import local_today
from telephony.invoicing import buyer
from templating import day

#: Widths of Description | Quantity | Unit price | Total.
COLUMNS = tuple(CONTENT_WIDTH * share for share in (0.45, 0.13, 0.21, 0.21))


def _styles(font: str) -> dict[str, ParagraphStyle]:
    bold = f"{font}-Bold"
    body = ParagraphStyle("po-body", fontName=font, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("po-small", parent=body, fontSize=8.5, leading=11),
        "strong": ParagraphStyle("po-strong", parent=body, fontName=bold),
        "title": ParagraphStyle(
            "po-title", parent=body, fontName=bold, fontSize=18, leading=22, spaceAfter=4
        ),
        "heading": ParagraphStyle(
            "po-heading", parent=body, fontName=bold, fontSize=10.5, leading=14, spaceAfter=2
        ),
        "cell": ParagraphStyle("po-cell", parent=body, fontSize=9, leading=11.5),
        "head": ParagraphStyle("po-head", parent=body, fontName=bold, fontSize=9, leading=11.5),
        "amount": ParagraphStyle(
            "po-amount", parent=body, fontSize=9, leading=11.5, alignment=TA_RIGHT
        ),
        "head-amount": ParagraphStyle(
            "po-head-amount",
            parent=body,
            fontName=bold,
            fontSize=9,
            leading=11.5,
            alignment=TA_RIGHT,
        ),
        "total-label": ParagraphStyle(
            "po-total-label", parent=body, fontSize=9, leading=11.5, alignment=TA_RIGHT
        ),
        "total-amount": ParagraphStyle(
            "po-total-amount",
            parent=body,
            fontName=bold,
            fontSize=9,
            leading=11.5,
            alignment=TA_RIGHT,
        ),
    }


def _status_text(status: str) -> str | None:
    if status == "awaiting_payment":
        # Translators: state of a purchase order, printed on the PDF.
        return _("Status: awaiting payment")
    if status == "paid":
        # Translators: state of a purchase order, printed on the PDF.
        return _("Status: paid")
    if status == "cancelled":
        # Translators: state of a purchase order, printed on the PDF.
        return _("Status: cancelled")
    return None


#: A Swiss VAT number is the UID followed by the VAT's name in the document's language.
SWISS_VAT_SUFFIX = {"de": "MWST", "fr": "TVA", "it": "IVA", "en": "VAT"}


def _billing_address(details: dict, country: str, locale: str) -> list[str]:
    """The customer's address (none before a validation procedure gave one)."""
    if not details["street"]:
        return []
    return [
        details["street"],
        f"{details['postcode']} {details['city']}",
        country_name(details["country"] or country, locale),
    ]


def purchase_order_pdf(invoice, *, operator: dict, locale: str, invariant: bool = False) -> bytes:
    """The PDF of purchase order `invoice` (a telephony.models.Invoice) in `locale`.

    `operator` is `current_app.config["OPERATOR"]`; its address for the account's country
    heads the document. Needs an app context. `invariant=True` gives the same bytes for the
    same input (fixed dates and ids in the file), for tests."""
    font = register_fonts()
    styles = _styles(font)
    account = invoice.account
    currency = invoice.currency

    def money(amount) -> str:
        return format_currency(Decimal(amount), currency, locale=locale)

    def para(text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped here: translations and data alike)."""
        return Paragraph(paragraph_text(text), styles[style])

    created = invoice.created_at or datetime.now(UTC)
    if created.tzinfo is None:  # SQLite gives back naive datetimes, stored in UTC
        created = created.replace(tzinfo=UTC)
    issued_on = day(local_today(account.timezone, created), "long", locale=locale)
    country = getattr(account.country, "value", account.country)
    address = localized_address(operator, country, locale)
    customer = buyer.of(invoice)  # as the order was made
    billing_address = _billing_address(customer, account.country.value, locale)

    with force_locale(locale):
        # Translators: title of the PDF document (file properties); %(number)s is its number.
        title = _("Purchase order %(number)s", number=invoice.number)
        # Translators: subject of the PDF document (file properties).
        subject = _("Purchase order for account %(code)s", code=account.code)

        story: list = []
        operator_block = [para(address[0], "strong")]
        operator_block += [para(line) for line in address[1:]]
        legal = operator.get("legal_ids", {}).get(country, {})
        if legal.get("registration"):
            # As the invoices name it: "UID number" in Switzerland, not "Registration".
            operator_block.append(para(registration(country, legal["registration"]), "small"))
        if legal.get("vat"):
            vat = legal["vat"]
            if country == "CH":  # the UID with the language's VAT suffix
                vat += " " + SWISS_VAT_SUFFIX.get(locale.split("_")[0], "MWST")
            # Translators: the operator's VAT identification number on a purchase order.
            operator_block.append(para(_("VAT number: %(id)s", id=vat), "small"))
        operator_block += [
            para(value, "small")
            for value in (operator.get("website"), operator.get("support_email"))
            if value
        ]
        # Translators: heading of the purchase order PDF.
        heading = [para(_("Purchase order"), "title")]
        # Translators: number of the purchase order, under its title.
        heading.append(para(_("Number: %(number)s", number=invoice.number), "strong"))
        # Translators: date the purchase order was issued, e.g. "Date: 3 March 2026".
        heading.append(para(_("Date: %(date)s", date=issued_on)))
        top = Table(
            [[operator_block, heading]], colWidths=(CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45)
        )
        top.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                    ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                ]
            )
        )
        story += [top, Spacer(1, 8 * mm)]

        # Translators: heading of the block naming the customer on a purchase order.
        story.append(para(_("Customer"), "heading"))
        story.append(para(customer["name"], "strong"))
        for line in billing_address:
            story.append(para(line))
        story.append(para(_("Account %(code)s", code=account.code)))
        if customer["email"]:
            story.append(para(customer["email"]))
        story.append(Spacer(1, 7 * mm))

        rows = [
            [
                para(_("Description"), "head"),
                # Translators: column of a purchase order: number of units ordered.
                para(_("Quantity"), "head-amount"),
                para(_("Unit price excl. VAT"), "head-amount"),
                # Translators: column (quantity × unit price) and total row of a purchase order.
                para(_("Total excl. VAT"), "head-amount"),
            ]
        ]
        for line in invoice.lines:
            described = [para(line.description, "cell")]
            if line.period_start and line.period_end:  # what it pays for, last day included
                described.append(
                    para(
                        _(
                            "From %(start)s to %(end)s",
                            start=day(line.period_start, "medium", locale=locale),
                            end=day(line.period_end - timedelta(days=1), "medium", locale=locale),
                        ),
                        "small",
                    )
                )
            rows.append(
                [
                    described,
                    para(format_decimal(line.quantity, locale=locale), "amount"),
                    para(money(line.unit_price_excl_vat), "amount"),
                    para(money(line.total_excl_vat), "amount"),
                ]
            )
        first_total = len(rows)
        # The locale's own percent pattern ("20 %" in French, "8.1%" in Italian), with the
        # rate's decimals kept (8.1 % in Switzerland) but not its trailing zeros.
        rate = format_percent(Decimal(invoice.vat_rate), locale=locale, decimal_quantization=False)
        totals = [
            (_("Total excl. VAT"), invoice.total_excl_vat),
            # Translators: VAT amount of a purchase order; %(rate)s is e.g. "20 %".
            (_("VAT %(rate)s", rate=rate), invoice.total_vat),
            # Translators: amount to pay for a purchase order, VAT included.
            (_("Total incl. VAT"), invoice.total_incl_vat),
        ]
        for label, amount in totals:
            rows.append([para(label, "total-label"), "", "", para(money(amount), "total-amount")])
        last = len(rows) - 1
        table = Table(rows, colWidths=COLUMNS, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, GRID),
                    ("LINEBELOW", (0, 1), (-1, first_total - 1), 0.3, GRID),
                    ("BOX", (0, 0), (-1, first_total - 1), 0.5, GRID),
                    ("LINEABOVE", (0, last), (-1, last), 0.8, GRID),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
                + [("SPAN", (0, row), (2, row)) for row in range(first_total, len(rows))]
            )
        )
        story += [table, Spacer(1, 7 * mm)]

        conditions = _("The order takes effect once it is paid.")
        if invoice.terms_reference:
            # Translators: %(terms)s is the reference of the general terms of sale.
            conditions += " " + _("Terms of sale: %(terms)s.", terms=invoice.terms_reference)
        story.append(para(conditions))
        status = _status_text(getattr(invoice.status, "value", invoice.status))
        if status:
            story += [Spacer(1, 3 * mm), para(status, "strong")]

        return build_pdf(
            story,
            font=font,
            operator_name=operator["name"],
            title=title,
            subject=subject,
            locale=locale,
            invariant=invariant,
        )
