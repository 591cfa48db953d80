"""The light flowables of `documents.flow`: wrapping, cleaning, drawn emphasis."""

from __future__ import annotations

from io import BytesIO

import pdfplumber
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, SimpleDocTemplate

from documents.flow import Columns, Grid, Rows, SignatureBox, Text, TextStyle, clean, wrap_lines
from documents.fonts import register_fonts

FONT = register_fonts()


def test_lines_break_at_spaces_within_the_width():
    text = "one two three four five six seven eight nine ten " * 3
    lines = wrap_lines(text.strip(), FONT, 10, 120)
    assert len(lines) > 1
    assert " ".join(lines) == text.strip()
    assert all(stringWidth(line, FONT, 10) <= 120 for line in lines)


def test_a_word_wider_than_the_line_is_cut_and_line_breaks_are_kept():
    word = "x" * 80
    lines = wrap_lines(f"before {word} after\nnext", FONT, 10, 100)
    assert lines[0] == "before" and lines[-1] == "next" and len(lines) > 3
    assert "".join(lines).replace(" ", "") == f"before{word}afternext"
    assert all(stringWidth(line, FONT, 10) <= 100 for line in lines)
    assert wrap_lines("", FONT, 10, 100) == ("",)
    assert Text("", TextStyle(FONT, 9, 11)).wrap(100, 100) == (100, 0)


def test_no_break_spaces_hold_words_together():
    text = "Référence unique du mandat\u00a0: VT10001F-261124-T7BZ5SFH"
    for width in range(60, 300, 7):
        lines = wrap_lines(text, FONT, 10, width)
        assert not any(line.startswith(":") for line in lines)
        assert "".join(lines).count("\u00a0") == 1


def test_control_characters_are_dropped_and_tabs_are_spaces():
    assert clean("bell\x07\x00 tab\there\r\nnext") == "bell tab here\nnext"
    assert clean("A <b> & Co") == "A <b> & Co"
    assert clean(None) == ""


def _build(story) -> bytes:
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def test_text_prints_as_typed_and_emphasis_does_not_leak():
    body = TextStyle(FONT, 9, 11)
    data = _build(
        [
            Text("Heading <b>", body.but(bold=True)),
            Text("plain & <i>text</i>", body, bullet="☐"),
            Rows(
                [("Label", "value\x00 one")], label=body.but(bold=True), value=body, label_width=90
            ),
            SignatureBox("Place", "Date", "Signature", label=body),
        ]
    )
    with pdfplumber.open(BytesIO(data)) as document:
        text = document.pages[0].extract_text()
    for expected in ("Heading <b>", "plain & <i>text</i>", "Label value one", "Place", "Date"):
        assert expected in text, expected
    content = PdfReader(BytesIO(data)).pages[0].get_contents().get_data()
    # Bold is drawn filled and outlined (mode 2) and set back to plain fill (mode 0) before
    # the next text.
    assert content.count(b"2 Tr") == 2 and content.count(b"0 Tr") == 2


def test_a_grid_splits_between_rows_repeats_its_header_and_ends_with_its_totals():
    body = TextStyle(FONT, 9, 11)
    right = body.but(align="right")
    widths = (250, 90, 90)
    rows = [
        [[Text(f"Line {n:03}", body), Text("a note", body.but(size=7))], [Text("1", right)]]
        + [[Text(f"{n},00 €", right)]]
        for n in range(120)
    ]
    totals = [([Text("Total", right)], [Text("7 140,00 €", right)])]
    header = [[Text("Description", body)], [Text("Qty", right)], [Text("Amount", right)]]
    data = _build([Grid(header, rows, totals, widths=widths)])
    with pdfplumber.open(BytesIO(data)) as document:
        pages = [page.extract_text() for page in document.pages]
        first = document.pages[0]
        words = first.extract_words()
        heading = next(w for w in words if w["text"] == "Amount")
        euro = next(w for w in words if w["text"] == "€")
        last = document.pages[-1].extract_words()
    assert len(pages) > 2
    assert all(text.startswith("Description Qty Amount") for text in pages)
    drawn = [int(line[5:8]) for text in pages for line in text.splitlines() if line[:5] == "Line "]
    assert drawn == list(range(120))  # each row once, in order, none cut
    assert "Total 7 140,00 €" in pages[-1] and not any("Total" in text for text in pages[:-1])
    # Figures line up on the right, under their heading; the grid's box encloses them.
    assert abs(euro["x1"] - heading["x1"]) < 0.5 and abs(last[-1]["x1"] - heading["x1"]) < 0.5
    assert heading["x1"] < first.width - 72


def test_columns_stack_texts_and_other_flowables_from_the_top():
    body = TextStyle(FONT, 9, 11)
    drawn = []

    class Box(Flowable):  # sized by wrap() only, as a QR code is
        def wrap(self, *_available):
            return 40, 40

        def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 (Platypus' name)
            drawn.append((x, y))

    box = Box()
    columns = Columns([[Text("left", body.but(space_after=4))], [box]], (200, 100))
    assert columns.wrap(300, 500) == (300, 40)  # the taller column: the box
    _build([columns])
    assert drawn == [(206, 0)]  # after the gap, its bottom at the columns' bottom
