"""The language rules `flask translate check` enforces on everything a customer reads: the
catalogues (pages, e-mails, PDFs) and the FAQ content, as each locale shows them (a
regional locale: its own entries, else its base language's).

* The termbase (`translations/termbase.csv`, owned by the translators): per language and
  region the term to use and the variants never to use; brand names kept as they are.
* One register per language (TRANSLATING.md): the informal forms a program can see.
* Typography: French no-break spaces before ``: ; ! ?`` and inside « »; the space before
  % as each language wants it; one kind of apostrophe per language.

Each rule returns readable problems ("it_CH: faq/voicemail: ..."); i18n_tools.check lists
them with the catalogue's own checks."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from i18n import LOCALES, base_language

ROOT = Path(__file__).parent
TERMBASE = ROOT / "translations" / "termbase.csv"
FAQ_DIR = ROOT / "content" / "faq"

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog, Message

#: The register each language writes in (TRANSLATING.md), and the forms that break it.
REGISTERS = {
    "fr": ("vous", r"tu|toi|ton|ta|tes|tien|tienne"),
    "nl": ("u", r"je|jij|jou|jouw|jullie|jezelf"),
    "de": ("Sie", r"du|dich|dir|dein\w*|euch|euer|eure\w*"),
    "it": (
        "Lei",
        r"tu|tuo|tua|tuoi|tue|ti|te|puoi|vuoi|devi|hai|voi|vostr[oaie]|potete|dovete|avete"
        r"|siete|componete|inserisci|scegli|conosci|trovi|ricevi",
    ),
}
#: A space before % (a no-break one) in French and German; none in Dutch and Italian. The
#: rates the site shows are formatted by Babel; this is for the rates written in texts.
PERCENT_SPACE = {"fr": True, "de": True, "nl": False, "it": False}
_PERCENT = re.compile(r"\d(\s?)%(?!\()")
#: French: a no-break space (U+00A0 or the narrow U+202F) before ; ! ? and a colon that ends
#: a clause (not "https://" or "faq:slug"), and inside « ».
_NBSP = "\u00a0\u202f"
_FRENCH_BEFORE = re.compile(rf"(?:[^\s{_NBSP}]|(?<=\S) )(?:[;!?]|:(?=\s|$))")
_SPACE_TWICE = re.compile(rf"[ {_NBSP}]{{2,}}(?!\n)")
_FRENCH_GUILLEMETS = re.compile(rf"«(?![{_NBSP}])|(?<![{_NBSP}])»")
_APOSTROPHES = re.compile(r"\w(['’])\w")


@dataclass
class Term:
    """One row of the termbase: per locale, the term and its forbidden variants."""

    term: str
    kind: str  # "term" or "brand"
    note: str
    words: dict[str, str] = field(default_factory=dict)
    forbidden: dict[str, list[str]] = field(default_factory=dict)

    def forbidden_for(self, locale: str) -> list[str]:
        """The variants a locale must not use: its base language's and its own."""
        base = base_language(locale)
        found = list(self.forbidden.get(base, []))
        if locale != base:
            found += self.forbidden.get(locale, [])
        return found


def read_termbase(path: Path = TERMBASE) -> list[Term]:
    terms = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            term = Term(term=row["term"].strip(), kind=row["kind"].strip(), note=row["note"])
            for column, value in row.items():
                value = (value or "").strip()
                if not value or column in ("term", "kind", "note"):
                    continue
                if column.endswith(" forbidden"):
                    term.forbidden[column.split()[0]] = [v.strip() for v in value.split("|")]
                else:
                    term.words[column] = value
            terms.append(term)
    return terms


@cache
def _variant_pattern(variant: str) -> re.Pattern:
    """A forbidden variant as a whole word or phrase; `*` ends a word's stem (Angebot*).
    Written in lower case, it matches any case; with a capital, only as written (MwSt*
    does not forbid MWST)."""
    body = re.escape(variant).replace(r"\*", r"\w*")
    flags = re.IGNORECASE if variant == variant.lower() else 0
    return re.compile(rf"(?<!\w){body}(?!\w)", flags)


def text_locales() -> list[str]:
    """The base languages, then the regional locales (en is the source)."""
    bases = sorted({base_language(locale) for locale in LOCALES if locale != "en"})
    return bases + [locale for locale in LOCALES if locale not in bases and locale != "en"]


@dataclass(frozen=True)
class Text:
    """A text a customer reads in one locale, and where it comes from."""

    locale: str
    where: str
    text: str
    source: str = ""  # the English source (catalogue entries)
    #: Taken from the base language: only the region's own rules apply here (the base
    #: language's are checked on the base language's texts).
    inherited: bool = False


def catalogue_texts(catalogs: Mapping[str, Catalog]) -> Iterator[Text]:
    """Each locale's catalogue entries as the site shows them: a regional locale's own
    translation, else its base language's."""
    for locale in text_locales():
        base = base_language(locale)
        own, fallback = catalogs.get(locale), catalogs.get(base)
        if fallback is None:
            continue
        for message in fallback:
            if not message.id:
                continue
            chosen, inherited = message, locale != base
            regional = own.get(message.id) if own is not None and locale != base else None
            if regional is not None and any(_strings(regional)):
                chosen, inherited = regional, False
            source = message.id if isinstance(message.id, str) else message.id[0]
            for text in _strings(chosen):
                if text:
                    yield Text(locale, f"“{_short(source)}”", text, source, inherited)


#: The header lines of an FAQ file that are not read by customers.
HEADER_LINES = ("keywords:", "---", "order:", "related:", "screens:", "source:")


def faq_texts(root: Path = FAQ_DIR) -> Iterator[Text]:
    """The FAQ's questions and answers per locale (a regional folder's own files, else the
    base language's); keywords and synonyms are for the search and may hold any variant."""
    for locale in text_locales():
        base = base_language(locale)
        own = {path.name for path in (root / locale).glob("*.md")} if locale != base else set()
        for path in sorted((root / base).glob("*.md")):
            inherited = locale != base and path.name not in own
            if not inherited and locale != base:
                path = root / locale / path.name
            text = "\n".join(
                line.split(":", 1)[1] if line.startswith("question:") else line
                for line in path.read_text(encoding="utf-8").splitlines()
                if not line.startswith(HEADER_LINES)
            )
            yield Text(locale, f"faq/{path.relative_to(root).as_posix()}", text, "", inherited)


def forbidden_found(text: str, locale: str, terms: list[Term], inherited: bool = False):
    """(term, variant) for each forbidden variant the text uses. A text taken from the base
    language answers only to the region's own list."""
    for term in terms:
        if term.kind == "brand":
            continue
        variants = term.forbidden.get(locale, []) if inherited else term.forbidden_for(locale)
        for variant in variants:
            if _variant_pattern(variant).search(text):
                yield term, variant


def brands_dropped(text: str, source: str, terms: list[Term]) -> list[Term]:
    """The brand names the source holds and the translation lost."""
    return [
        term
        for term in terms
        if term.kind == "brand" and term.term in source and term.term not in text
    ]


def term_word(term: Term, locale: str) -> str:
    """The word a locale writes for a term (its region's, else its base language's)."""
    return term.words.get(locale) or term.words.get(base_language(locale), "")


def register_break(text: str, locale: str) -> str | None:
    """The informal word that breaks the language's register, if any."""
    rule = REGISTERS.get(base_language(locale))
    if rule is None:
        return None
    match = re.search(rf"(?<!\w)(?:{rule[1]})(?!\w)", _without_placeholders(text), re.I)
    return match.group(0) if match else None


def typography_faults(text: str, locale: str) -> list[str]:
    """What a text breaks of its language's typography: "french-space" (no no-break space
    before : ; ! ?), "guillemets" (« » without no-break spaces), "percent-space" (none
    before %), "percent-no-space" (one before %)."""
    faults = []
    language = base_language(locale)
    text = _without_placeholders(text)
    if language == "fr":
        if _FRENCH_BEFORE.search(text):
            faults.append("french-space")
        if _FRENCH_GUILLEMETS.search(text):
            faults.append("guillemets")
    for match in _PERCENT.finditer(text):
        space = match.group(1)
        wanted = PERCENT_SPACE.get(language)
        if wanted is True and space not in ("\u00a0", "\u202f"):
            faults.append("percent-space")
        elif wanted is False and space:
            faults.append("percent-no-space")
    return list(dict.fromkeys(faults))


def apostrophes(text: str) -> list[str]:
    """The apostrophes a text writes between letters (' or ’)."""
    return _APOSTROPHES.findall(text)


TYPOGRAPHY_MESSAGES = {
    "french-space": "a no-break space (U+00A0) goes before : ; ! ? in French",
    "guillemets": "no-break spaces go inside « » in French",
    "percent-space": "a no-break space goes before %",
    "percent-no-space": "no space goes before %",
    "space-twice": "one space between two words, not two (a space beside a no-break space)",
}


def check_termbase(texts: Iterable[Text], terms: list[Term]) -> list[str]:
    problems = []
    for item in texts:
        if not item.inherited and item.source:
            for term in brands_dropped(item.text, item.source, terms):
                problems.append(
                    f"{item.locale}: {item.where}: keep the name “{term.term}” as it is"
                )
        for term, variant in forbidden_found(item.text, item.locale, terms, item.inherited):
            problems.append(
                f"{item.locale}: {item.where}: “{variant}” is not used for "
                f"“{term.term}”; write “{term_word(term, item.locale)}” "
                "(translations/termbase.csv)"
            )
    return problems


def check_register(texts: Iterable[Text]) -> list[str]:
    problems = []
    for item in texts:
        if item.inherited:
            continue
        word = register_break(item.text, item.locale)
        if word:
            register = REGISTERS[base_language(item.locale)][0]
            problems.append(
                f"{item.locale}: {item.where}: “{word}” breaks the register "
                f"({register}, TRANSLATING.md)"
            )
    return problems


def check_typography(texts: Iterable[Text]) -> list[str]:
    problems = []
    marks_seen: dict[str, dict[str, list[str]]] = {}
    for item in texts:
        if item.inherited:
            continue
        for fault in typography_faults(item.text, item.locale):
            problems.append(f"{item.locale}: {item.where}: {TYPOGRAPHY_MESSAGES[fault]}")
        for mark in apostrophes(item.text):
            marks_seen.setdefault(base_language(item.locale), {}).setdefault(mark, []).append(
                item.where
            )
    for language, marks in sorted(marks_seen.items()):
        if len(marks) > 1:
            minority = min(marks, key=lambda mark: len(marks[mark]))
            majority = max(marks, key=lambda mark: len(marks[mark]))
            places = ", ".join(sorted(set(marks[minority]))[:5])
            problems.append(
                f"{language}: write the apostrophe {majority} everywhere; {minority} in {places}"
            )
    return problems


def doubled_space(text: str) -> bool:
    """Two spaces in a row, a no-break one included (a Markdown line break aside)."""
    return bool(_SPACE_TWICE.search(text))


def check_spacing(texts: Iterable[Text]) -> list[str]:
    """Two spaces in a row, a no-break one included (a Markdown line break aside), in a
    written text (a page's text is not checked so: HTML folds its spaces)."""
    return [
        f"{item.locale}: {item.where}: {TYPOGRAPHY_MESSAGES['space-twice']}"
        for item in texts
        if not item.inherited and _SPACE_TWICE.search(item.text)
    ]


def check_all(catalogs: Mapping[str, Catalog]) -> list[str]:
    """Every rule over every text a customer reads."""
    texts = [*catalogue_texts(catalogs), *faq_texts()]
    problems = check_termbase(texts, read_termbase())
    problems += check_register(texts)
    problems += check_typography(texts)
    problems += check_spacing(texts)
    return list(dict.fromkeys(problems))


def _strings(message: Message) -> tuple[str, ...]:
    """A message's translations: one, or one per plural form (none when it has no string)."""
    if message.string is None:
        return ()
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _without_placeholders(text: str) -> str:
    return re.sub(r"%\(\w+\)[sdfr]|\{\w*\}|\]\((?:faq|screen):[^)]*\)", " ", text)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "…"
