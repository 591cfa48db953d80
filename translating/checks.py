"""The checks of one entry, as `flask translate check` applies them to the catalogues:
placeholders and tags as in the source, every plural form written, the termbase, the
register and the typography of the language. Each problem names the form it concerns
(0 for a message without plural) and says what to do, in the translator's language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

import i18n_rules
from i18n import base_language
from i18n_tools import PLACEHOLDER, markup, percent_signs, placeholders

#: The longest translation accepted (the longest source is about 600 characters).
MAX_LENGTH = 5000


@dataclass(frozen=True)
class Problem:
    form: int  # which msgstr (0 for a message without plural)
    code: str
    message: object  # a lazy string


#: Invisible format characters a translation may hold: the joiners some scripts need, and
#: the soft hyphen. Others (zero-width space, bidirectional overrides) hide or reverse text.
ALLOWED_FORMAT = {"\u00ad", "\u200c", "\u200d", "\u2060"}


def has_control(text: str) -> bool:
    """Control characters other than a line break or a tab, or invisible format ones."""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t")
        or (unicodedata.category(ch) == "Cf" and ch not in ALLOWED_FORMAT)
        for ch in text
    )


def check_entry(
    locale: str,
    sources: tuple[str, ...],
    strings: tuple[str, ...],
    terms: list[i18n_rules.Term],
    apostrophe: str | None = None,
) -> list[Problem]:
    """Problems of `strings` (one per plural form) as the translation of `sources`
    (msgid, msgid_plural) in `locale`. `apostrophe` is the one the language writes
    elsewhere (a catalogue writes one kind)."""
    problems: list[Problem] = []
    plural = len(sources) > 1
    for form, text in enumerate(strings):
        if not text.strip():
            if plural:
                problems.append(
                    Problem(form, "empty-form", _l("Write this plural form: every form is used."))
                )
            continue
        if len(text) > MAX_LENGTH:
            problems.append(
                Problem(
                    form,
                    "too-long",
                    _l("Keep it under %(max)d characters.", max=MAX_LENGTH),
                )
            )
            continue
        if has_control(text):
            problems.append(
                Problem(form, "control", _l("Remove the invisible control characters."))
            )
            continue
        found = placeholders(text)
        if found != placeholders(sources[0]) and (not plural or found != placeholders(sources[-1])):
            wanted = sorted({m.group(0) for s in sources for m in PLACEHOLDER.finditer(s)})
            message = (
                _l(
                    "Keep the placeholders of the source exactly, each once: %(names)s.",
                    names=" ".join(wanted),
                )
                if wanted
                else _l("The source has no placeholder: remove %(found)s.", found=" ".join(found))
            )
            problems.append(Problem(form, "placeholders", message))
        signs, source_signs = percent_signs(text), percent_signs(sources[0])
        if signs != source_signs and (not plural or signs != percent_signs(sources[-1])):
            message = (
                _l(
                    "Keep the percent signs of the source, as many as it has: %(count)d.",
                    count=source_signs,
                )
                if source_signs
                else _l("The source has no percent sign: add none (write the word).")
            )
            problems.append(Problem(form, "percent", message))
        if i18n_rules.doubled_space(text) and not i18n_rules.doubled_space(sources[0]):
            problems.append(
                Problem(form, "space-twice", _l("Put one space between two words, not two."))
            )
        if (text.startswith("\n"), text.endswith("\n")) != (
            sources[0].startswith("\n"),
            sources[0].endswith("\n"),
        ):
            problems.append(
                Problem(
                    form,
                    "line-break",
                    _l("Begin and end with a line break only where the source does."),
                )
            )
        if markup(text) != markup(sources[0]):
            problems.append(
                Problem(
                    form,
                    "tags",
                    _l('Keep the HTML tags of the source, and add none (nor <, > or ").'),
                )
            )
        problems.extend(language_problems(locale, form, text, sources[0], terms, apostrophe))
    return problems


def language_problems(locale, form, text, source, terms, apostrophe) -> list[Problem]:
    problems = []
    for term in i18n_rules.brands_dropped(text, source, terms):
        problems.append(
            Problem(form, "brand", _l("Keep the name “%(name)s” as it is.", name=term.term))
        )
    for term, variant in i18n_rules.forbidden_found(text, locale, terms):
        problems.append(
            Problem(
                form,
                "termbase",
                _l(
                    "“%(variant)s” is not the word for “%(term)s”: write “%(word)s” "
                    "(the termbase).",
                    variant=variant,
                    term=term.term,
                    word=i18n_rules.term_word(term, locale),
                ),
            )
        )
    word = i18n_rules.register_break(text, locale)
    if word:
        problems.append(
            Problem(
                form,
                "register",
                _l(
                    "“%(word)s” breaks the register: this language says “%(register)s” "
                    "to the customer.",
                    word=word,
                    register=i18n_rules.REGISTERS[base_language(locale)][0],
                ),
            )
        )
    messages = {
        "french-space": _l("Put a no-break space before : ; ! and ? in French."),
        "guillemets": _l("Put no-break spaces inside « » in French."),
        "percent-space": _l("Put a no-break space before the percent sign in this language."),
        "percent-no-space": _l("Write the percent sign right after the number in this language."),
    }
    for fault in i18n_rules.typography_faults(text, locale):
        problems.append(Problem(form, fault, messages[fault]))
    if apostrophe and any(mark != apostrophe for mark in i18n_rules.apostrophes(text)):
        problems.append(
            Problem(
                form,
                "apostrophe",
                _l(
                    "Write the apostrophe %(mark)s, as everywhere in this language.",
                    mark=apostrophe,
                ),
            )
        )
    return problems


def read_terms(directory: Path) -> list[i18n_rules.Term]:
    path = Path(directory) / "termbase.csv"
    return i18n_rules.read_termbase(path) if path.exists() else []


def terms_in(source: str, terms: list[i18n_rules.Term], locale: str):
    """The termbase's terms a source holds, with the word the locale writes for each."""
    lowered = source.lower()
    for term in terms:
        if term.term and term.term.lower() in lowered:
            yield term.term, i18n_rules.term_word(term, locale) or term.term, term.note
