"""Fonts and text helpers shared by the PDF documents.

The documents print names such as "Łukasz Źródło" or "Jürg Müller-Schärer", which the 14
standard PDF fonts cannot show: every document uses the DejaVu Sans family, embedded
(subset) in the file.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

BASE_FONT = "DejaVuSans"
#: Registered name → file name, for the four faces of the family.
FACES = {
    "normal": ("DejaVuSans", "DejaVuSans.ttf"),
    "bold": ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
    "italic": ("DejaVuSans-Oblique", "DejaVuSans-Oblique.ttf"),
    "boldItalic": ("DejaVuSans-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
}
#: Where the files are looked for, in order: the project's copy, then the system's.
FONT_DIRS = (
    Path(__file__).resolve().parent.parent / "static/vendor/fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)

_registered = False


def find_font_dir() -> Path:
    """The first directory of FONT_DIRS holding all four DejaVu Sans files."""
    files = [file for _name, file in FACES.values()]
    for directory in FONT_DIRS:
        if all((directory / file).is_file() for file in files):
            return directory
    raise RuntimeError(
        "DejaVu Sans fonts not found: put "
        + ", ".join(files)
        + " in one of "
        + ", ".join(str(d) for d in FONT_DIRS)
        + " (e.g. install the fonts-dejavu-core package)."
    )


def register_fonts() -> str:
    """Register the DejaVu Sans family with ReportLab (once) and return its base name.

    Faces: "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique";
    `<b>` and `<i>` in Paragraph markup pick the matching face."""
    global _registered
    if _registered:
        return BASE_FONT
    directory = find_font_dir()
    for name, file in FACES.values():
        pdfmetrics.registerFont(TTFont(name, str(directory / file)))
    pdfmetrics.registerFontFamily(
        BASE_FONT, **{face: name for face, (name, _file) in FACES.items()}
    )
    _registered = True
    return BASE_FONT


def paragraph_text(value: str | None) -> str:
    """User text made safe for Paragraph markup: `A <b> & Co` prints literally.

    Markup characters are escaped, control characters dropped (a tab becomes a space),
    and line breaks become `<br/>`."""
    if not value:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return escape(text).replace("\n", "<br/>")
