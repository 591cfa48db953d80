"""What every PDF of the site shares: A4 pages, margins, the operator's footer with the page
number, the document's metadata (title, author, subject, language), reproducible output."""

from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

from i18n import bcp47

MARGIN = 18 * mm
#: Platypus frames pad their content by 6 points; the footer lines up with the text.
FRAME_PADDING = 6
#: Set on the canvas by a flowable that draws a payment part at the bottom of the page:
#: nothing else may be drawn there, not even the page number.
PAYMENT_PART = "has_payment_part"
#: The width text and tables may take on an A4 page.
CONTENT_WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
#: Rules and boxes, and the shade behind labels and table headers.
GRID = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#e8ecf0")
FOOTER_GREY = colors.HexColor("#555555")


def build_pdf(
    story: list,
    *,
    font: str,
    operator_name: str,
    title: str,
    subject: str,
    locale: str,
    invariant: bool = False,
    reference: str = "",
) -> bytes:
    """Lay `story` out on A4 pages (call it in the document's locale: the footer is
    translated as the pages are drawn). `reference` (an invoice's number) is in every
    page's footer: a second page still says what it belongs to."""
    left_text = f"{operator_name} · {reference}" if reference else operator_name

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(FOOTER_GREY)
        canvas.drawString(doc.leftMargin + FRAME_PADDING, 10 * mm, left_text)
        canvas.restoreState()

    def page_number(canvas, number: int, pages: int) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(FOOTER_GREY)
        # Translators: which page of how many: in the footer of a PDF, under a list.
        text = _("Page %(number)s of %(pages)s", number=number, pages=pages)
        # A page whose bottom is a payment part (the Swiss QR-bill: nothing else may be in
        # it) says it in its top margin.
        y = A4[1] - 10 * mm if getattr(canvas, PAYMENT_PART, False) else 10 * mm
        canvas.drawRightString(A4[0] - MARGIN - FRAME_PADDING, y, text)
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=operator_name,
        subject=subject,
        creator=operator_name,
        lang=bcp47(locale),
        displayDocTitle=True,
        invariant=1 if invariant else None,
        initialFontName=font,
    )
    doc.build(
        story,
        onFirstPage=footer,
        onLaterPages=footer,
        canvasmaker=lambda *args, **kwargs: _CountedPages(page_number, *args, **kwargs),
    )
    return buffer.getvalue()


class _CountedPages(Canvas):
    """A canvas that holds its pages back until the document ends, then writes on each
    "Page N of M" (how many pages there are is known only then): a reader of a printed
    invoice sees whether a page is missing. No second layout pass."""

    def __init__(self, page_number, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._page_number = page_number
        self._held: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._held.append(dict(self.__dict__))
        self.__dict__.pop(PAYMENT_PART, None)  # (the next page's own)
        self._startPage()

    def save(self) -> None:
        pages = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.pop(PAYMENT_PART, None)
            self.__dict__.update(state)
            self._page_number(self, number, pages)
            super().showPage()
        super().save()


def country_name(code: str, locale: str) -> str:
    """A country's name in the document's language (Babel's CLDR names)."""
    from babel import Locale

    return Locale.parse(locale).territories.get(code, code)


def localized_address(operator, country: str, locale: str) -> list[str]:
    """The operator's address for a country, its last line (the country) in the
    document's language: "Suisse" on a French form, "Schweiz" on a German one."""
    lines = list(operator.get("addresses", {}).get(country) or [operator["name"]])
    if len(lines) > 1:
        lines[-1] = country_name(country, locale)
    return lines
