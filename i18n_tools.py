"""Translator tooling behind `flask translate ...` and the translators' page.

Catalogues: `translations/<base>/` (fr, nl, de, it) hold every message; regional ones
(`fr_BE`, `de_CH`...) hold only the messages that differ from their base language.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from i18n import LOCALES, TRANSLATIONS_DIR, base_language

ROOT = Path(__file__).parent
POT = TRANSLATIONS_DIR / "messages.pot"
BASES = sorted({base_language(loc) for loc in LOCALES if loc != "en"})
REGIONALS = [loc for loc in LOCALES if "_" in loc]

#: What holds user-visible text: the packages, the templates and the top-level modules.
#: Relative to ROOT, so that each message's `#:` line names the file it is used in.
SOURCES = ["blueprints", "documents", "telephony", "templates", "translating"] + sorted(
    path.name for path in ROOT.glob("*.py")
)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdfr]|\{\w*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def po_path(name: str) -> Path:
    return TRANSLATIONS_DIR / name / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=96, sort_output=False, omit_header=False)


def extract(output: Path = POT) -> None:
    """The template, each message with the files it is used in (no line numbers: a
    message that moves within its file changes no catalogue)."""
    with contextlib.chdir(ROOT):
        _extract(Path(output).resolve())


def _extract(output: Path) -> None:
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "_lp:1c,2",
            "-k",
            "_ln:1,2",
            "-k",
            "lazy_ngettext:1,2",
            "--add-comments=Translators:",
            "--add-location=file",
            "--sort-by-file",
            "--project=telephony-selfservice",
            "--copyright-holder=the authors",
            "-o",
            str(output),
            *SOURCES,
        ]
    )


def update() -> list[str]:
    """Merge the template into every catalogue; returns what was done, for the CLI."""
    template = read_catalog(POT)
    report = []
    for name in BASES + REGIONALS:
        path = po_path(name)
        if path.exists():
            catalog = read_catalog(path, locale=name)
        else:
            catalog = Catalog(locale=name, project="telephony-selfservice")
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        catalog.fuzzy = False  # the header; messages keep their own flags
        if name in REGIONALS:
            # Regional catalogues keep only their own translations.
            for message in list(catalog):
                if message.id and not _translated(message):
                    catalog.delete(message.id, context=message.context)
        write_catalog(path, catalog)
        report.append(f"{name}: {len([m for m in catalog if m.id])} messages")
    return report


#: Every ASCII letter and its accented look-alike: a message of the pseudo-locale holds no
#: plain English word, so one on a page has escaped translation.
_PSEUDO_LETTERS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçðéƒĝĥíĵķĺɱñóþǫŕšţúṽŵẋýžÁƁÇÐÉƑĜĤÍĴĶĹṀÑÓÞǪŔŠŢÚṼŴẊÝŽ",
)
#: What the pseudo-translation keeps: placeholders, tags, entities.
_PSEUDO_KEEP = re.compile(r"%\(\w+\)[sdfr]|%[sdfr%]|\{\w*\}|<[^>]*>|&\w+;|&#\d+;")
#: Words that lengthen a message, like the long words of German or Dutch.
_PSEUDO_FILLER = "ĺóŕéɱ íþšúɱ ðóĺóŕ šíţ áɱéţ çóñšéçţéţúŕ áðíþíšçíñĝ éĺíţ"


def pseudo_translate(text: str) -> str:
    """A message of the pseudo-locale: accented, about 40 % longer, between ⟦ ⟧ (a cut
    shows), placeholders and tags kept."""
    if not text:
        return text
    parts, last = [], 0
    for match in _PSEUDO_KEEP.finditer(text):
        parts.append(text[last : match.start()].translate(_PSEUDO_LETTERS))
        parts.append(match.group(0))
        last = match.end()
    parts.append(text[last:].translate(_PSEUDO_LETTERS))
    extra = max(1, round(len(text) * 0.4))
    filler = ((_PSEUDO_FILLER + " ") * (extra // len(_PSEUDO_FILLER) + 1))[:extra].strip()
    return f"⟦{''.join(parts)} {filler}⟧"


def compile_pseudo() -> Path:
    """The pseudo-locale's compiled catalogue, made from the .pot (never a .po to edit)."""
    from i18n import PSEUDO_LOCALE

    template = read_catalog(POT)
    catalog = Catalog(locale="en")
    for message in template:
        if not message.id:
            continue
        string: str | tuple[str, ...]
        if isinstance(message.id, str):
            string = pseudo_translate(message.id)
        else:  # the singular and plural forms
            string = tuple(pseudo_translate(part) for part in message.id)
        catalog.add(message.id, string, context=message.context)
    path = TRANSLATIONS_DIR / PSEUDO_LOCALE / "LC_MESSAGES" / "messages.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_mo(fh, catalog)
    return path


def compile_all() -> list[str]:
    from i18n import PSEUDO_LOCALE

    compile_pseudo()
    done = [PSEUDO_LOCALE]
    for name in BASES + REGIONALS:
        path = po_path(name)
        if not path.exists():
            continue
        catalog = read_catalog(path, locale=name)
        with (path.with_suffix(".mo")).open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        done.append(name)
    return done


def placeholders(text: str) -> list[str]:
    """The placeholders of `text`, whole ("%(num)d": its conversion counts, a `%(num)s`
    or a `%(num)d` given a name fails at run time), sorted."""
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def markup(text: str) -> list[str]:
    """The HTML tags of `text`, whole, and every angle bracket and double quote outside
    them, sorted. A translation keeps its source's: Jinja marks a translation safe, so a
    stray "<img" in one would be markup on the page, and a stray `"` would end the
    attribute holding it (`aria-label="{{ _('Main') }}"`) and begin others."""
    return sorted(match.group(0) for match in TAG.finditer(text)) + sorted(
        ch for ch in TAG.sub("", text) if ch in '<>"'
    )


def percent_signs(text: str) -> int:
    """The percent signs of `text` outside its placeholders. A template formats every
    translation (Jinja's gettext: `text % variables`, even with none), so a literal one is
    written "%%" there, and a stray "%" breaks the page; elsewhere a source's literal "%"
    is kept as it is. Either way a translation has as many as its source."""
    return PLACEHOLDER.sub("", text).count("%")


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(strict: bool = True) -> CheckResult:
    """Placeholders and tags as in the source, no fuzzy entry, the .pot up to date,
    (strict) every message translated in every base catalogue, and the language rules
    (i18n_rules: termbase, register, typography) over the catalogues and the FAQ."""
    result = CheckResult()
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "fresh.pot"
        extract(fresh_path)
        fresh = {m.id for m in read_catalog(fresh_path) if m.id}
    committed = {m.id for m in read_catalog(POT) if m.id} if POT.exists() else set()
    if fresh != committed:
        added, gone = len(fresh - committed), len(committed - fresh)
        result.problems.append(
            f"messages.pot is stale ({added} new, {gone} removed): run `flask translate update`"
        )
    for name in BASES + REGIONALS:
        path = po_path(name)
        if not path.exists():
            result.problems.append(f"{name}: catalogue missing")
            continue
        catalog = read_catalog(path, locale=name)
        for message in catalog:
            if not message.id:
                continue
            label = f"{name}: {_short(message.id)}"
            if message.fuzzy:
                result.problems.append(f"{label}: marked fuzzy, review it")
            sources = (message.id,) if isinstance(message.id, str) else tuple(message.id)
            strings = _strings(message)
            if not any(strings):
                if strict and name in BASES:
                    result.problems.append(f"{label}: not translated")
                continue
            for text in strings:
                if not text:
                    continue
                if placeholders(sources[0]) != placeholders(text) and (
                    len(sources) == 1 or placeholders(sources[-1]) != placeholders(text)
                ):
                    result.problems.append(f"{label}: placeholders differ from the source")
                if markup(sources[0]) != markup(text):
                    result.problems.append(f"{label}: HTML tags differ from the source")
    # The termbase, the register and the typography, over the catalogues and the FAQ.
    import i18n_rules

    catalogs = {
        name: read_catalog(po_path(name), locale=name)
        for name in BASES + REGIONALS
        if po_path(name).exists()
    }
    result.problems.extend(i18n_rules.check_all(catalogs))
    # The FAQ's content files (content/faq/): every question in every language, sound headers.
    from telephony.faq.content import check_content

    result.problems.extend(check_content())
    return result


def _short(msgid: str | tuple[str, ...] | list[str]) -> str:
    text = msgid if isinstance(msgid, str) else msgid[0]
    return repr(text if len(text) < 50 else text[:47] + "...")


def _strings(message: Message) -> tuple[str, ...]:
    """A message's translations: one, or one per plural form (none when it has no string)."""
    if message.string is None:
        return ()
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


@dataclass
class LocaleStats:
    locale: str
    translated: int
    total: int
    own: int  # messages the regional catalogue itself overrides
    missing: list[str]

    @property
    def ratio(self) -> float:
        return self.translated / self.total if self.total else 1.0


def stats(directory: Path | None = None) -> list[LocaleStats]:
    """Completeness of every supported locale, counting what falls back to the base, in
    `directory` (the app's TRANSLATIONS_DIR; the checkout's by default)."""
    root = Path(directory) if directory is not None else TRANSLATIONS_DIR
    pot = root / "messages.pot"
    template_ids = [m.id for m in read_catalog(pot) if m.id] if pot.exists() else []
    loaded: dict[str, dict] = {}
    for name in BASES + REGIONALS:
        path = root / name / "LC_MESSAGES" / "messages.po"
        loaded[name] = (
            {m.id: m for m in read_catalog(path, locale=name) if m.id} if path.exists() else {}
        )
    result = []
    for loc in LOCALES:
        if loc == "en":
            result.append(LocaleStats(loc, len(template_ids), len(template_ids), 0, []))
            continue
        chain = [loaded.get(loc, {}), loaded.get(base_language(loc), {})]
        missing = []
        for msgid in template_ids:
            if not any(_translated(cat.get(msgid)) for cat in chain):
                missing.append(msgid if isinstance(msgid, str) else msgid[0])
        own = sum(1 for m in chain[0].values() if _translated(m))
        result.append(
            LocaleStats(loc, len(template_ids) - len(missing), len(template_ids), own, missing)
        )
    return result


def _translated(message) -> bool:
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)
