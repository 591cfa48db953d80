"""The invoice PDF, in the customer's language, drawn from telephony.invoicing.document
(the same data the structured e-invoices use).

It states what French, Belgian and Swiss rules ask of an invoice: its gap-free number, the
issue and due dates, both parties with their legal identifiers, each line with its period,
quantity, unit price and VAT rate, the totals, the RIO of each French number billed, the
payment terms (and for a French business the late-payment penalties and the 40 EUR
indemnity), and how to pay: the mandate and collection date of a direct debit; else an EPC
QR code (euro transfer) or a Swiss QR-bill payment part.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO, StringIO

from babel.numbers import format_currency, format_decimal, format_percent
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from documents.flow import Columns, Grid, Text, TextStyle
from documents.fonts import register_fonts
from documents.layout import CONTENT_WIDTH, PAYMENT_PART, build_pdf, country_name
from labels import organisation_id_name
from telephony.invoicing import einvoice
from telephony.invoicing.document import FR_RECOVERY_INDEMNITY, InvoiceDocument, build
from telephony.money import round_cents
from templating import day, phones

#: Description | Quantity | Unit price | VAT | Total.
COLUMNS = tuple(CONTENT_WIDTH * share for share in (0.38, 0.12, 0.18, 0.13, 0.19))
#: The QR-bill payment part and receipt: the bottom 105 mm of an A4 page, full width.
QR_BILL_HEIGHT = 105 * mm


def _styles(font: str) -> dict[str, TextStyle]:
    """The document's text styles: one embedded face (emphasis is drawn, see
    documents.flow), so one font subset per file."""
    body = TextStyle(font=font, size=9.5, leading=12.5)
    return {
        "body": body,
        "small": body.but(size=8.5, leading=11),
        "strong": body.but(bold=True),
        "title": body.but(size=18, leading=22, bold=True, space_after=4),
        "heading": body.but(size=10.5, leading=14, bold=True, space_after=2),
        "cell": body.but(size=9, leading=11.5),
        "note": body.but(size=8, leading=10.5),
        "head": body.but(size=9, leading=11.5, bold=True),
        "head-amount": body.but(size=9, leading=11.5, bold=True, align="right"),
        "amount": body.but(size=9, leading=11.5, align="right"),
        "total-label": body.but(size=9, leading=11.5, align="right"),
        "total-amount": body.but(size=9, leading=11.5, bold=True, align="right"),
    }


class QrCode(Flowable):
    """A QR code drawn as a 1-bit image of one sample per module, scaled without smoothing
    (crisp at any zoom, and in print): a few hundred bytes written at once. (Drawn as one
    rectangle per run of dark modules, its ~400 figures took as long to write as the
    rest of the page's text.)"""

    def __init__(self, qr, size: float) -> None:
        super().__init__()
        self.qr = qr
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self) -> None:
        self.canv.addLiteral(qr_image(self.qr.matrix, self.size))


def qr_image(matrix, size: float) -> str:
    """The PDF operators of `matrix` (rows of 0/1, dark 1, without the quiet zone: the
    page is white) as an inline image `size` points wide, its lower left corner at the
    origin. Each row's samples are packed 8 to a byte, left-aligned (PDF pads rows to a
    byte); /D [1 0] reads 1 as black; /I false (no smoothing) is the default."""
    width = len(matrix[0])
    row_bytes = (width + 7) // 8
    pad = row_bytes * 8 - width
    samples = b"".join(
        (int(bytes(row).translate(_AS_DIGITS), 2) << pad).to_bytes(row_bytes, "big")
        for row in matrix
    )
    return (
        f"q {size:.3f} 0 0 {size:.3f} 0 0 cm BI /W {width} /H {len(matrix)} /BPC 1 /CS /G "
        f"/D [1 0] /F /AHx ID {samples.hex()}> EI Q"
    )


#: A QR matrix row's 0/1 bytes as the digits "0"/"1".
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


class PageBottom(Flowable):
    """A drawing at the very bottom of a page, across its whole width (the QR-bill payment
    part): it takes the rest of the page, or starts a new one when there is not room."""

    def __init__(self, drawing: Drawing) -> None:
        super().__init__()
        self.drawing = drawing

    def wrap(self, available_width, available_height):
        needed = QR_BILL_HEIGHT - 12 * mm  # the bottom margin is part of the 105 mm
        if available_height < needed:
            return available_width, available_height + 1  # does not fit: next page
        self._height = available_height
        return available_width, available_height

    def draw(self) -> None:
        canvas = self.canv
        x, y = canvas.absolutePosition(0, 0)
        canvas.saveState()
        canvas.translate(-x, -y)
        # The payment part stands alone: nothing of the page (its footer) shows through,
        # and the page number goes to the top.
        setattr(canvas, PAYMENT_PART, True)
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, A4[0], QR_BILL_HEIGHT, stroke=0, fill=1)
        scale = A4[0] / self.drawing.width
        canvas.scale(scale, scale)
        self.drawing.drawOn(canvas, 0, 0)
        canvas.restoreState()


def _qr_bill(document: InvoiceDocument, language: str) -> Drawing:
    """The Swiss QR-bill payment part and receipt (qrbill's SVG, as a ReportLab drawing)."""
    from qrbill import QRBill
    from svglib.svglib import svg2rlg

    seller, buyer = document.seller, document.buyer
    debtor = None
    if buyer.has_address:
        debtor = {
            "name": buyer.name[:70],
            "line1": buyer.street[:70],
            "line2": f"{buyer.postcode} {buyer.city}"[:70],
            "country": buyer.country,
        }
    bill = QRBill(
        account=document.means.iban,
        creditor={
            "name": seller.name,
            "street": seller.street,
            "pcode": seller.postcode,
            "city": seller.city,
            "country": seller.country,
        },
        amount=f"{document.total_incl_vat:.2f}",
        currency=document.currency,
        debtor=debtor,
        reference_number=document.means.reference,
        additional_information=document.number,
        language=language if language in ("de", "fr", "it", "en") else "en",
    )
    svg = StringIO()
    bill.as_svg(svg)
    drawing = svg2rlg(BytesIO(_squares(svg.getvalue()).encode()))
    if drawing is None:  # pragma: no cover - svglib read qrbill's own output
        raise ValueError("the QR-bill could not be drawn")
    return drawing


#: qrbill draws the QR code as one path of unit squares ("M3,0H4V1H3z..."), which svglib
#: lays out unevenly; the same squares as <rect> elements come out exact.
_QR_PATH = re.compile(r'<path d="((?:M\d+,\d+H\d+V\d+H\d+z)+)"([^>]*?)/>')
_SQUARE = re.compile(r"M(\d+),(\d+)H\d+V\d+H\d+z")


def _squares(svg: str) -> str:
    def as_rects(match: re.Match) -> str:
        attributes = match.group(2)
        transform = re.search(r'transform="([^"]*)"', attributes)
        rects = "".join(
            f'<rect x="{x}" y="{y}" width="1.02" height="1.02" />'
            for x, y in _SQUARE.findall(match.group(1))
        )
        where = f' transform="{transform.group(1)}"' if transform else ""
        return f'<g fill="black"{where}>{rects}</g>'

    return _QR_PATH.sub(as_rects, svg)


def _epc_qr(document: InvoiceDocument):
    """The EPC QR code of a euro transfer: the bank app fills in payee, IBAN, amount and
    reference."""
    import segno
    from segno import helpers

    reference = document.means.reference
    structured = reference.startswith("RF")
    data = helpers._make_epc_qr_data(  # type: ignore[attr-defined]  # segno's EPC payload
        document.seller.name[:70],
        document.means.iban,
        document.total_incl_vat,
        None if structured else reference,
        reference if structured else None,
        document.means.bic or None,
        None,
        None,
    )
    # Error correction M, as the EPC asks; a fixed mask spares the evaluation of all eight
    # (any mask is valid; the choice only tunes readability, and mask 0 reads well).
    return segno.make_qr(data, error="m", boost_error=False, mask=0)


def invoice_pdf(invoice, *, locale: str | None = None, invariant: bool = False) -> bytes:
    """The PDF of `invoice` (a telephony.models.Invoice) in `locale` (the customer's
    language by default): for a French business customer whose details are complete, a
    Factur-X PDF (its EN 16931 XML embedded). Needs an app context."""
    operator = current_app.config["OPERATOR"]
    locale = locale or invoice.account.language
    document = build(invoice, operator, locale)
    pdf = render(document, operator_name=operator["name"], locale=locale, invariant=invariant)
    if einvoice.kind(document) == "factur-x" and not document.missing():
        with force_locale(locale):  # its file properties in the PDF's language too
            title = (
                _("Credit note %(number)s", number=document.number)
                if document.is_credit_note
                else _("Invoice %(number)s", number=document.number)
            )
        # The same invoice, with its CII XML.
        return einvoice.factur_x_pdf(pdf, document, subject=title)
    return pdf


def render(document: InvoiceDocument, *, operator_name: str, locale: str, invariant=False):
    font = register_fonts()
    styles = _styles(font)
    language = locale.split("_")[0]

    def money(amount) -> str:
        return format_currency(Decimal(amount), document.currency, locale=locale)

    def para(text: str, style: str = "body") -> Text:
        """Plain text (never markup: what a customer typed prints as typed)."""
        return Text(text, styles[style])

    def when(value) -> str:
        return day(value, "long", locale=locale)

    seller, buyer, means = document.seller, document.buyer, document.means
    with force_locale(locale):
        if document.is_credit_note:
            # Translators: title of a credit note PDF (file properties).
            title = _("Credit note %(number)s", number=document.number)
        else:
            # Translators: title of the invoice PDF (file properties); %(number)s is its number.
            title = _("Invoice %(number)s", number=document.number)
        subject = _("Invoice for account %(code)s", code=document.account_code)

        seller_block = [para(seller.name, "strong"), para(seller.street)]
        seller_block.append(para(f"{seller.postcode} {seller.city}"))
        seller_block.append(para(country_name(seller.country, locale)))
        if seller.legal_form and seller.share_capital:
            amount, _space, currency = seller.share_capital.partition(" ")
            capital = format_currency(Decimal(amount), currency, locale=locale)
            seller_block.append(
                para(
                    # Translators: the operator's legal form and share capital on an invoice.
                    _(
                        "%(form)s with a share capital of %(capital)s",
                        form=seller.legal_form,
                        capital=capital,
                    ),
                    "small",
                )
            )
        elif seller.legal_form:
            seller_block.append(para(seller.legal_form, "small"))
        if seller.registration:
            seller_block.append(para(registration(seller.country, seller.registration), "small"))
        if seller.vat_id:
            seller_block.append(para(_("VAT number: %(id)s", id=seller.vat_id), "small"))
        if seller.email:
            seller_block.append(para(seller.email, "small"))

        # Translators: heading of the invoice PDF.
        heading = [para(_("Credit note") if document.is_credit_note else _("Invoice"), "title")]
        heading.append(para(_("Number: %(number)s", number=document.number), "strong"))
        if document.is_credit_note:
            # Translators: on a credit note, the invoice it refunds.
            heading.append(para(_("Refunds invoice %(number)s", number=document.credited_number)))
        # Translators: date the invoice was issued, on the invoice PDF.
        heading.append(para(_("Issued on %(date)s", date=when(document.issued_on))))
        if document.due_on and not document.is_credit_note:  # a credit note is not paid
            # Translators: date by which the invoice is to be paid, on the invoice PDF.
            heading.append(para(_("Due on %(date)s", date=when(document.due_on))))
        heading.append(para(_("Account %(code)s", code=document.account_code)))
        top = Columns([seller_block, heading], (CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45))
        story: list = [top, Spacer(1, 7 * mm)]

        # Translators: heading of the block naming the customer on an invoice.
        customer = [para(_("Customer"), "heading"), para(buyer.name, "strong")]
        if buyer.has_address:
            customer.append(para(buyer.street))
            customer.append(para(f"{buyer.postcode} {buyer.city}"))
            customer.append(para(country_name(buyer.country, locale)))
        if buyer.registration:
            customer.append(para(registration(buyer.country, buyer.registration), "small"))
        if buyer.vat_id:
            customer.append(para(_("VAT number: %(id)s", id=buyer.vat_id), "small"))
        story += [Columns([customer], (CONTENT_WIDTH,)), Spacer(1, 6 * mm)]

        rate = format_percent(document.vat_rate, locale=locale, decimal_quantization=False)
        header = [
            [para(_("Description"), "head")],
            [para(_("Quantity"), "head-amount")],
            # Translators: column of an invoice: the price of one unit, VAT excluded.
            [para(_("Unit price excl. VAT"), "head-amount")],
            # Translators: column of an invoice: the VAT rate of the line.
            [para(_("VAT rate"), "head-amount")],
            [para(_("Total excl. VAT"), "head-amount")],
        ]
        rows = []
        for line in document.lines:
            described = [para(phones(line.description, unbroken=True), "cell")]
            if line.period_start and line.period_end:
                last = line.period_end - timedelta(days=1)
                # Translators: the period an invoice line pays for, first and last day.
                described.append(
                    para(
                        _(
                            "From %(start)s to %(end)s",
                            start=day(line.period_start, "medium", locale=locale),
                            end=day(last, "medium", locale=locale),
                        ),
                        "note",
                    )
                )
            if line.rio:
                # Translators: the RIO of a French number (what porting it out needs).
                described.append(para(_("RIO: %(rio)s", rio=line.rio), "note"))
            rows.append(
                [
                    described,
                    [para(format_decimal(line.quantity, locale=locale), "amount")],
                    [para(money(line.unit_price), "amount")],
                    [para(rate, "amount")],
                    [para(money(line.total), "amount")],
                ]
            )
        totals = [
            ([para(label, "total-label")], [para(money(amount), "total-amount")])
            for label, amount in (
                (_("Total excl. VAT"), document.total_excl_vat),
                (_("VAT %(rate)s", rate=rate), document.total_vat),
                (_("Total incl. VAT"), document.total_incl_vat),
            )
        ]
        story += [Grid(header, rows, totals, widths=COLUMNS), Spacer(1, 2 * mm)]
        story.append(
            para(
                # Translators: the rounding rule, under the totals of the credit note that
                # completes an invoice's refund (its VAT is what the earlier ones left).
                _(
                    "Amounts are rounded to the cent on each line; the VAT is what is left of "
                    "the invoice's VAT after its earlier credit notes, so that together they "
                    "give back exactly the VAT invoiced."
                )
                if document.is_credit_note
                and document.total_vat != round_cents(document.total_excl_vat * document.vat_rate)
                # Translators: the rounding rule, under an invoice's totals.
                else _(
                    "Amounts are rounded to the cent on each line; the VAT is computed on the "
                    "total excluding VAT and rounded to the cent."
                ),
                "note",
            )
        )
        story.append(Spacer(1, 6 * mm))

        # Translators: heading of the payment section of an invoice.
        payment = [para(_("Payment"), "heading")]
        if means.kind == "refunded":
            payment.append(
                para(
                    _(
                        "Refunded on %(date)s to the payment method that paid the invoice.",
                        date=when(means.paid_on),
                    )
                )
            )
        elif means.kind == "refund_due":
            payment.append(para(_("We will refund this amount by transfer.")))
        elif means.kind == "settled":
            payment.append(
                para(
                    # Translators: a credit note that cancels an invoice the customer had
                    # not paid (its service ended before).
                    _(
                        "Set against invoice %(number)s, which was not paid: nothing is due "
                        "and nothing is refunded.",
                        number=document.credited_number,
                    )
                )
            )
        elif means.kind == "cancelled":
            payment.append(
                para(
                    # Translators: an invoice cancelled by a credit note before it was paid.
                    _(
                        "Cancelled by credit note %(number)s: nothing is due.",
                        number=means.reference,
                    )
                )
            )
        elif means.kind == "paid":
            paid_on = when(means.paid_on) if means.paid_on else when(document.issued_on)
            if means.paid_by == "card":
                paid = _("Paid on %(date)s by card.", date=paid_on)
            elif means.paid_by == "sepa_debit":
                paid = _("Paid on %(date)s by SEPA direct debit.", date=paid_on)
            else:
                paid = _("Paid on %(date)s.", date=paid_on)
            payment.append(para(paid))
        elif means.kind == "debit":
            payment.append(
                para(
                    _(
                        "This invoice will be collected by SEPA direct debit on or after "
                        "%(date)s from the account %(account)s.",
                        date=when(means.collection_on or document.issued_on),
                        account=means.debtor_account,
                    )
                )
            )
            payment.append(
                para(
                    _(
                        "Mandate reference: %(mandate)s, signed on %(date)s. Creditor "
                        "identifier: %(creditor)s.",
                        mandate=means.mandate,
                        date=when(means.signed_on) if means.signed_on else "–",
                        creditor=means.creditor_id,
                    ),
                    "small",
                )
            )
        else:
            due = when(document.due_on) if document.due_on else when(document.issued_on)
            payment.append(
                para(
                    _("To pay by %(date)s, online in your customer area or by transfer.", date=due)
                )
            )
            if document.currency == "EUR":
                details = [
                    para(_("IBAN: %(iban)s", iban=_spaced(means.iban)), "small"),
                    para(_("BIC: %(bic)s", bic=means.bic), "small") if means.bic else None,
                    # Translators: the reference a transfer must carry, on an invoice.
                    para(_("Reference: %(reference)s", reference=means.reference), "strong"),
                    para(_("Scan the code with your bank's app to pay by transfer."), "note"),
                ]
                payment.append(
                    Columns(
                        [details, [QrCode(_epc_qr(document), 32 * mm)]],
                        (CONTENT_WIDTH - 36 * mm, 36 * mm),
                    )
                )
            else:
                payment.append(para(_("The payment part is at the bottom of the page."), "small"))
        story.append(KeepTogether(payment))
        story.append(Spacer(1, 5 * mm))

        terms = []
        if document.due_on and not document.is_credit_note and means.kind != "cancelled":
            terms.append(
                _(
                    "Payable by %(date)s, without discount for early payment.",
                    date=when(document.due_on),
                )
            )
        if document.late_payment_terms:
            terms.append(
                _(
                    "Late payment: penalties at the European Central Bank's refinancing "
                    "rate plus 10 points, and a fixed indemnity of %(amount)s for recovery "
                    "costs (French Commercial Code, articles L441-10 and D441-5).",
                    amount=format_currency(FR_RECOVERY_INDEMNITY, "EUR", locale=locale),
                )
            )
        if terms:  # (none on a credit note: no heading over nothing)
            # Translators: heading of the payment terms on an invoice.
            # The heading with its first paragraph: it ended a page, its text on the next.
            heading = para(_("Terms"), "heading")
            texts = [para(text, "small") for text in terms]
            story.append(KeepTogether([heading, texts[0]]))
            story += texts[1:]
        if means.kind == "transfer" and document.currency == "CHF":
            story.append(PageBottom(_qr_bill(document, language)))

        return build_pdf(
            story,
            font=font,
            operator_name=operator_name,
            title=title,
            subject=subject,
            locale=locale,
            invariant=invariant,
            reference=title,
        )


def registration(country: str, value: str) -> str:
    """A registration as its country names it: the enterprise number in Belgium, the UID in
    Switzerland; in France the register and its number ("RCS Lyon 912..."). Invoices and
    purchase orders alike."""
    if country in ("BE", "CH"):
        # Translators: an identifier's name and value, e.g. "Enterprise number: 0598.765.459".
        return _("%(name)s: %(id)s", name=organisation_id_name(country), id=value)
    return _("Registration: %(id)s", id=value)


def _spaced(iban: str) -> str:
    compact = "".join(iban.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
