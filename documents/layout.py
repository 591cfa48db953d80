"""What every PDF of the site shares: A4 pages, margins, the operator's footer with the page
number, the document's metadata (title, author, subject, language), reproducible output."""

from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

from i18n import bcp47

MARGIN = 18 * mm
#: Platypus frames pad their content by 6 points; the footer lines up with the text.
FRAME_PADDING = 6
#: The width text and tables may take on an A4 page.
CONTENT_WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
#: Rules and boxes, and the shade behind labels and table headers.
GRID = colors.HexColor("#9aa3ad")
SHADE = colors.HexColor("#e8ecf0")


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
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin + FRAME_PADDING, 10 * mm, left_text)
        # Translators: footer of each page of a PDF document.
        page = _("Page %(number)s", number=doc.page)
        right = doc.pagesize[0] - doc.rightMargin - FRAME_PADDING
        canvas.drawRightString(right, 10 * mm, page)
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
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


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
