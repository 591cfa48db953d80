"""The light flowables of `documents.flow`: wrapping, cleaning, drawn emphasis."""

from __future__ import annotations

from io import BytesIO

import pdfplumber
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import SimpleDocTemplate

from documents.flow import Rows, SignatureBox, Text, TextStyle, clean, wrap_lines
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
