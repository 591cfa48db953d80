"""Light Platypus flowables for forms made of plain text: paragraphs, label | value grids,
checklists and a signature box.

Platypus' `Paragraph` parses markup into styled fragments and measures them fragment by
fragment; `Table` sizes every cell of a general grid. For a one-page form of plain
sentences that is most of the time spent building it. These flowables take text as it is
(no markup: nothing a user typed is ever interpreted, so nothing needs escaping), wrap it
at spaces (never at a no-break space; a word too long for its line is cut) and draw it with
one embedded face. Emphasis is that face drawn filled and outlined, so no second font file
is subset and compressed into every document.

They do not split across pages (a block that does not fit moves whole to the next one),
but for `Grid`, a table of text cells that splits between rows and repeats its header: an
invoice's lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from documents.layout import GRID, SHADE

#: Width of the outline that makes text look bold, as a share of the font size.
BOLD_OUTLINE = 0.035
#: Characters never drawn: control characters (category Cc, but the line break, which
#: breaks the line) and lone surrogates (Cs).
_DROPPED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class TextStyle:
    font: str
    size: float
    leading: float
    bold: bool = False
    color: colors.Color = colors.black
    space_before: float = 0
    space_after: float = 0
    #: "left" or "right" (figures in a column).
    align: str = "left"

    def but(self, **changes) -> TextStyle:
        return replace(self, **changes)


def clean(text: str | None) -> str:
    """Text as it will be drawn: line breaks kept ("\\n"), tabs made spaces, other control
    characters dropped."""
    if not text:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _DROPPED.sub("", text)


@lru_cache(maxsize=2048)
def wrap_lines(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """`text` broken into lines no wider than `width`: at spaces (not at no-break spaces,
    which French puts before ":"), and inside a word only when the word alone is wider than
    the line. A line break in the text is kept.

    Kept in a cache: a form's fixed sentences come back in every document."""
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for word in filter(None, paragraph.split(" ")):
            needed = stringWidth(word, font, size)
            if needed > width:
                pieces = _cut(word, font, size, width)
                word, needed = pieces[-1], stringWidth(pieces[-1], font, size)
                if line:
                    lines.append(" ".join(line))
                lines.extend(pieces[:-1])
                line, used = [], 0.0
            if line and used + space + needed > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0) + needed
            line.append(word)
        lines.append(" ".join(line))
    return tuple(lines)


def _cut(word: str, font: str, size: float, width: float) -> list[str]:
    """A word too wide for a line, in pieces that fit (at least one character each)."""
    pieces, start, used = [], 0, 0.0
    for end, ch in enumerate(word):
        needed = stringWidth(ch, font, size)
        if end > start and used + needed > width:
            pieces.append(word[start:end])
            start, used = end, 0.0
        used += needed
    pieces.append(word[start:])
    return pieces


def _draw_lines(canvas, lines, x: float, top: float, style: TextStyle) -> None:
    """Draw `lines` from `top` down (the first baseline one font size below it)."""
    _draw_blocks(canvas, ((lines, x, top),), style)


def _draw_blocks(canvas, blocks, style: TextStyle) -> None:
    """Draw blocks of lines, each `(lines, x, top)`, in one text object."""
    text = canvas.beginText()
    text.setFont(style.font, style.size, style.leading)
    text.setFillColor(style.color)
    if style.bold:
        canvas.setStrokeColor(style.color)
        canvas.setLineWidth(style.size * BOLD_OUTLINE)
        text.setTextRenderMode(2)  # fill, then outline
    for lines, x, top in blocks:
        text.setTextOrigin(x, top - style.size)
        for line in lines:
            text.textLine(line)
    if style.bold:
        # The mode outlives the text object (it is graphics state): back to plain fill.
        text.setTextRenderMode(0)
    canvas.drawText(text)


class Text(Flowable):
    """A paragraph of plain text in one style; with a `bullet`, a hanging indent."""

    def __init__(self, text: str | None, style: TextStyle, bullet: str | None = None):
        super().__init__()
        self.text = clean(text)
        self.style = style
        self.bullet = bullet
        self.spaceBefore = style.space_before
        self.spaceAfter = style.space_after

    def _indent(self) -> float:
        if not self.bullet:
            return 0.0
        return stringWidth(self.bullet + " ", self.style.font, self.style.size)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        style = self.style
        self._lines = (
            wrap_lines(self.text, style.font, style.size, avail_width - self._indent())
            if self.text
            else ()
        )
        self.width = avail_width
        self.height = len(self._lines) * style.leading
        return self.width, self.height

    def blocks(self, x: float, top: float) -> list:
        """Its wrapped lines as `_draw_blocks` blocks, placed at `x`, `top` (after `wrap`)."""
        style = self.style
        if style.align == "right":
            blocks = []
            for line in self._lines:
                right = x + self.width - stringWidth(line, style.font, style.size)
                blocks.append(((line,), right, top))
                top -= style.leading
            return blocks
        return [(self._lines, x + self._indent(), top)]

    def draw(self) -> None:
        if self.bullet:
            _draw_lines(self.canv, (self.bullet,), 0, self.height, self.style)
        _draw_blocks(self.canv, self.blocks(0, self.height), self.style)


class Rows(Flowable):
    """Label | value rows in a box: labels on a shaded column, a rule between rows."""

    def __init__(
        self,
        rows: list[tuple[str, str]],
        *,
        label: TextStyle,
        value: TextStyle,
        label_width: float,
        padding: tuple[float, float] = (3, 6),
    ):
        super().__init__()
        self.rows = [(clean(name), clean(text)) for name, text in rows]
        self.label = label
        self.value = value
        self.label_width = label_width
        self.padding = padding

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        vertical, horizontal = self.padding
        value_width = avail_width - self.label_width
        self._cells = []
        for name, text in self.rows:
            names = wrap_lines(
                name, self.label.font, self.label.size, self.label_width - 2 * horizontal
            )
            texts = wrap_lines(text, self.value.font, self.value.size, value_width - 2 * horizontal)
            height = 2 * vertical + max(
                len(names) * self.label.leading, len(texts) * self.value.leading
            )
            self._cells.append((names, texts, height))
        self.width = avail_width
        self.height = sum(height for _names, _texts, height in self._cells)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        """The rows that fit, then the rest, each part a box of its own (a letter listing a
        hundred numbers could not be laid out: one box taller than a page)."""
        self.wrap(avail_width, avail_height)
        used, fitting = 0.0, 0
        for _names, _texts, height in self._cells:
            if used + height > avail_height:
                break
            used += height
            fitting += 1
        if fitting in (0, len(self.rows)):
            return []

        def part(rows: list[tuple[str, str]]) -> Rows:
            return Rows(
                rows,
                label=self.label,
                value=self.value,
                label_width=self.label_width,
                padding=self.padding,
            )

        return [part(self.rows[:fitting]), part(self.rows[fitting:])]

    def draw(self) -> None:
        canvas = self.canv
        vertical, horizontal = self.padding
        canvas.setFillColor(SHADE)
        canvas.rect(0, 0, self.label_width, self.height, stroke=0, fill=1)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.3)
        top = self.height
        for _names, _texts, height in self._cells[:-1]:
            top -= height
            canvas.line(0, top, self.width, top)
        canvas.setLineWidth(0.5)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        names, texts, top = [], [], self.height
        for name_lines, text_lines, height in self._cells:
            names.append((name_lines, horizontal, top - vertical))
            texts.append((text_lines, self.label_width + horizontal, top - vertical))
            top -= height
        _draw_blocks(canvas, names, self.label)
        _draw_blocks(canvas, texts, self.value)


class SignatureBox(Flowable):
    """Where the form is signed: place and date side by side, then the signature."""

    def __init__(
        self, place: str, date: str, signature: str, *, label: TextStyle, heights=(34, 72)
    ):
        super().__init__()
        self.labels = (clean(place), clean(date), clean(signature))
        self.label = label
        self.heights = heights

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = sum(self.heights)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        second = self.heights[1]
        half = self.width / 2
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.6)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        canvas.line(0, second, self.width, second)
        canvas.line(half, second, half, self.height)
        pad = 6
        place, date, signature = self.labels
        _draw_blocks(
            canvas,
            (
                ((place,), pad, self.height - 4),
                ((date,), half + pad, self.height - 4),
                ((signature,), pad, second - 4),
            ),
            self.label,
        )


def _stacked(cell, width: float) -> float:
    """Wrap the Text flowables of a cell in `width`; their height together."""
    return sum(text.wrap(width, 0)[1] for text in cell)


def _cell_blocks(cell, x: float, top: float, by_style: dict) -> None:
    """Add the lines of a cell's Text flowables, stacked from `top`, to `by_style`."""
    for text in cell:
        by_style.setdefault(text.style, []).extend(text.blocks(x, top))
        top -= text.height


def _draw_by_style(canvas, by_style: dict) -> None:
    for style, blocks in by_style.items():
        _draw_blocks(canvas, blocks, style)


class Columns(Flowable):
    """Flowables side by side, each column stacked from the top (e.g. the seller's and the
    invoice's blocks): one row of a borderless table, without its general machinery. One
    column is a stack: texts that always go together, drawn at once."""

    def __init__(self, columns: list[list[Flowable]], widths: tuple[float, ...], gap: float = 6):
        super().__init__()
        self.columns = [[item for item in column if item is not None] for column in columns]
        self.widths = widths
        self.gap = gap

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._placed = []  # per column: (item, space before, height, space after)
        for column, width in zip(self.columns, self.widths, strict=True):
            self._placed.append(
                [
                    (
                        item,
                        item.getSpaceBefore(),
                        item.wrap(width - self.gap, avail_height)[1],
                        item.getSpaceAfter(),
                    )
                    for item in column
                ]
            )
        self.width = sum(self.widths)
        self.height = max(
            (sum(sum(sizes) for _item, *sizes in column) for column in self._placed), default=0
        )
        return self.width, self.height

    def draw(self) -> None:
        by_style: dict = {}  # the texts, drawn together: one text object per style
        x = 0.0
        for index, (column, width) in enumerate(zip(self._placed, self.widths, strict=True)):
            left = x + (self.gap if index else 0)  # the gap is on the left of later columns
            top = self.height
            for item, before, height, after in column:
                top -= before
                if isinstance(item, Text) and not item.bullet:
                    _cell_blocks((item,), left, top, by_style)
                else:
                    item.drawOn(self.canv, left, top - height)
                top -= height + after
            x += width
        _draw_by_style(self.canv, by_style)


class Grid(Flowable):
    """A table of text cells: a shaded header row, body rows with a rule between them in a
    box, and total rows under it (a label across all columns but the last, then the
    amount). Each cell is a list of `Text` flowables stacked; figures use a right-aligned
    style. It splits between body rows, repeating the header on the next page; the total
    rows stay with the last body row.
    """

    def __init__(
        self,
        header: list[list[Text]],
        body: list[list[list[Text]]],
        totals: list[tuple[list[Text], list[Text]]],
        *,
        widths: tuple[float, ...],
        padding: tuple[float, float] = (4, 6),
    ):
        super().__init__()
        self.header, self.body, self.totals = header, body, totals
        self.widths = widths
        self.padding = padding

    def _row_height(self, cells, widths) -> float:
        vertical, horizontal = self.padding
        inner = [width - 2 * horizontal for width in widths]
        return 2 * vertical + max(
            _stacked(cell, width) for cell, width in zip(cells, inner, strict=True)
        )

    def _measure(self) -> None:
        spanned = (sum(self.widths[:-1]), self.widths[-1])
        self._header = self._row_height(self.header, self.widths)
        self._body = [self._row_height(row, self.widths) for row in self.body]
        self._totals = [self._row_height(row, spanned) for row in self.totals]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._measure()
        self.width = sum(self.widths)
        self.height = self._header + sum(self._body) + sum(self._totals)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        if self.height <= avail_height:
            return [self]
        used, fits = self._header, 0
        for height in self._body:
            if used + height > avail_height:
                break
            used += height
            fits += 1
        if fits == len(self.body):  # only the totals don't fit: the last row goes with them
            fits -= 1
        if fits == 0:
            return []
        first = Grid(self.header, self.body[:fits], [], widths=self.widths, padding=self.padding)
        rest = Grid(
            self.header, self.body[fits:], self.totals, widths=self.widths, padding=self.padding
        )
        return [first, rest]

    def draw(self) -> None:
        canvas = self.canv
        vertical, horizontal = self.padding
        width, height = self.width, self.height
        boxed = self._header + sum(self._body)  # header and body, above the totals
        canvas.setFillColor(SHADE)
        canvas.rect(0, height - self._header, width, self._header, stroke=0, fill=1)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.3)
        top = height - self._header
        for row_height in self._body[:-1]:
            top -= row_height
            canvas.line(0, top, width, top)
        canvas.setLineWidth(0.8)
        canvas.line(0, height - self._header, width, height - self._header)
        if len(self._totals) > 1:  # above the grand total
            canvas.line(0, self._totals[-1], width, self._totals[-1])
        canvas.setLineWidth(0.5)
        canvas.rect(0, height - boxed, width, boxed, stroke=1, fill=0)

        by_style: dict = {}
        top = height
        rows = [(self.header, self._header), *zip(self.body, self._body, strict=True)]
        for cells, row_height in rows:
            x = 0.0
            for cell, column in zip(cells, self.widths, strict=True):
                _cell_blocks(cell, x + horizontal, top - vertical, by_style)
                x += column
            top -= row_height
        label_width = sum(self.widths[:-1])
        for (label, amount), row_height in zip(self.totals, self._totals, strict=True):
            _cell_blocks(label, horizontal, top - vertical, by_style)
            _cell_blocks(amount, label_width + horizontal, top - vertical, by_style)
            top -= row_height
        _draw_by_style(canvas, by_style)
