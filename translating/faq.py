"""The FAQ's answers in the translators' workspace: one Markdown file per question and locale
(telephony.faq.content), edited with the checks of a catalogue entry and FAQ's own rules.

A translation made here records which English text it translates (`source:` in its header,
a short hash of the English question and answer): when the English changes, the workspace
flags the translation "the English source changed since". Files written by hand may carry
the same line (TRANSLATING.md); without it, nothing is flagged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

from i18n import base_language
from telephony import NotFound
from telephony.faq.content import (
    FAQ_LINK,
    RAW_HTML,
    SLUG,
    SOURCE_LOCALE,
    ContentError,
    parse_file,
)
from translating import catalogs
from translating.checks import Problem, has_control, language_problems

#: The longest answer accepted (the longest English one is about 1,500 characters).
MAX_ANSWER = 20_000


def source_hash(question: str, body: str) -> str:
    return hashlib.sha256(f"{question}\n{body}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class FaqText:
    slug: str
    english_question: str
    english_body: str
    #: The locale's own file (a regional locale: its own; else None).
    question: str
    keywords: str
    body: str
    own: bool
    #: Where the text shown comes from when the locale has no file of its own.
    inherited_from: str | None
    #: The English text the translation was made from (None: not recorded).
    made_from: str | None
    #: The question the locale shows from `inherited_from` ("" when it has its own).
    inherited_question: str = ""

    @property
    def source_changed(self) -> bool:
        return self.made_from is not None and self.made_from != source_hash(
            self.english_question, self.english_body
        )

    @property
    def state(self) -> str:
        if not self.own:
            return "untranslated"
        return "outdated" if self.source_changed else "translated"


def _read(path: Path) -> tuple[dict[str, str], str] | None:
    if not path.is_file():
        return None
    try:
        return parse_file(path.read_text("utf-8"), str(path))
    except (ContentError, UnicodeDecodeError):
        return None


def texts(root: Path, locale: str) -> list[FaqText]:
    """Every question of the English source, as `locale` has it, in the FAQ's order."""
    catalogs.check_locale(locale)
    root = Path(root)
    source_dir = root / SOURCE_LOCALE
    found = []
    for path in sorted(source_dir.glob("*.md")):
        english = _read(path)
        if english is None:
            continue
        found.append((int(english[0].get("order", "0") or 0), path.stem, english))
    base = base_language(locale)
    result = []
    for _order, slug, (english_header, english_body) in sorted(found):
        own = _read(root / locale / f"{slug}.md")
        inherited, inherited_question = None, ""
        if own is None and base != locale:
            from_base = _read(root / base / f"{slug}.md")
            if from_base is not None:
                inherited, inherited_question = base, from_base[0].get("question", "")
        header, body = own if own is not None else ({}, "")
        result.append(
            FaqText(
                slug=slug,
                english_question=english_header.get("question", ""),
                english_body=english_body,
                question=header.get("question", ""),
                keywords=header.get("keywords", ""),
                body=body,
                own=own is not None,
                inherited_from=inherited,
                made_from=header.get("source") or None,
                inherited_question=inherited_question,
            )
        )
    return result


def text_of(root: Path, locale: str, slug: str) -> FaqText:
    if not SLUG.match(slug or "") or len(slug) > 100:
        raise NotFound(slug)
    for item in texts(root, locale):
        if item.slug == slug:
            return item
    raise NotFound(slug)


def inherited_text(root: Path, locale: str, item: FaqText) -> tuple[str, str, str] | None:
    """(question, answer, keywords) a regional locale shows from its base language."""
    if item.inherited_from is None:
        return None
    read = _read(Path(root) / item.inherited_from / f"{item.slug}.md")
    return (read[0].get("question", ""), read[1], read[0].get("keywords", "")) if read else None


def problems(
    root: Path, locale: str, question: str, keywords: str, body: str, slug: str | None = None
) -> dict:
    """Problems by field ("question", "keywords", "body"), as `translate check` finds them:
    a base language's answer (`slug`) for the regions showing it too."""
    found: dict[str, list[Problem]] = {}
    slugs = {path.stem for path in (Path(root) / SOURCE_LOCALE).glob("*.md")}
    terms = catalogs.termbase(catalogs_dir())  # the termbase of the catalogues
    apostrophe = catalogs.apostrophe_of(catalogs_dir(), locale)
    for name, value, limit in (
        ("question", question, 300),
        ("keywords", keywords, 1000),
        ("body", body, MAX_ANSWER),
    ):
        issues: list[Problem] = []
        if name != "keywords" and not value.strip():
            issues.append(
                Problem(
                    0,
                    "empty",
                    _l("Write the question.") if name == "question" else _l("Write the answer."),
                )
            )
        elif len(value) > limit:
            issues.append(
                Problem(0, "too-long", _l("Keep it under %(max)d characters.", max=limit))
            )
        elif has_control(value) or (name != "body" and "\n" in value.strip()):
            issues.append(Problem(0, "control", _l("Remove the invisible control characters.")))
        elif RAW_HTML.search(value):
            issues.append(
                Problem(
                    0,
                    "html",
                    _l("Write Markdown, not HTML: the page would show the tags as text."),
                )
            )
        elif name != "keywords":
            for target in FAQ_LINK.findall(value):
                if target not in slugs:
                    issues.append(
                        Problem(
                            0,
                            "link",
                            _l("No question has the address “%(slug)s”.", slug=target[:100]),
                        )
                    )
            for target in _LINK.findall(value):
                if not _leads_somewhere(target):
                    issues.append(
                        Problem(
                            0,
                            "link",
                            _l(
                                "The link “%(target)s” leads nowhere: link to faq:, screen:, "
                                "https: or mailto:.",
                                target=target[:100],
                            ),
                        )
                    )
            # Keywords may hold any variant (people search with them): not checked.
            issues.extend(language_problems(locale, 0, value, "", terms, apostrophe))
            if slug is not None:
                issues.extend(_regional_problems(Path(root), locale, slug, value, terms))
        if issues:
            found[name] = issues
    return found


def _regional_problems(root: Path, base: str, slug: str, value: str, terms) -> list[Problem]:
    """The words of each region that shows the base language's answer (it has no file of
    its own): a word a region does not use, saved in the base, broke that region."""
    from i18n import base_language, display_name
    from i18n_tools import REGIONALS

    found = []
    for regional in REGIONALS:
        if base_language(regional) != base or (root / regional / f"{slug}.md").is_file():
            continue
        for problem in language_problems(regional, 0, value, "", terms, None):
            if problem.code == "termbase":
                message = _l(
                    "In %(language)s, which shows this text: %(problem)s",
                    language=display_name(regional),
                    problem=problem.message,
                )
                found.append(Problem(0, problem.code, message))
    return found


#: The target of every Markdown link.
_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)")


def _leads_somewhere(target: str) -> bool:
    """A link the answer's page shows as a link (render._link_href): to another question
    (its address checked above), a screen of the site, https or mailto."""
    from blueprints.faq.answers import SCREENS

    kind, _sep, name = target.partition(":")
    if kind == "screen":
        return name in SCREENS
    return kind == "faq" or target.startswith(("https://", "mailto:"))


def catalogs_dir() -> Path:
    from flask import current_app

    return Path(current_app.config["TRANSLATIONS_DIR"])


class Invalid(Exception):
    def __init__(self, problems: dict):
        super().__init__("invalid FAQ text")
        self.problems = problems


class Conflict(Exception):
    """Someone saved the answer since the form was opened: `current` is their text."""

    def __init__(self, current: FaqText):
        super().__init__("the FAQ answer changed meanwhile")
        self.current = current


def version_of(item: FaqText) -> str:
    """What the edit form says it was opened on: a save of another version is a conflict
    (two translators on one answer: the second would silently replace the first)."""
    text = "\x00".join((str(item.own), item.question, item.keywords, item.body))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SavedText:
    before: FaqText
    after: FaqText
    changed: bool = True


def save(
    root: Path,
    locale: str,
    slug: str,
    question: str,
    keywords: str,
    body: str,
    version: str | None = None,
) -> SavedText:
    """Write the locale's file of `slug` atomically (under a lock), recording the English
    text it translates. Raises Invalid (nothing written), NotFound, or Conflict when
    `version` (the form's) is no longer the answer's."""
    root = Path(root)
    before = text_of(root, locale, slug)
    question, keywords = question.strip(), " ".join(keywords.split())
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    found = problems(root, locale, question, keywords, body, slug)
    inherited = inherited_text(root, locale, before) if not before.own else None
    if not found and inherited is not None and _same(inherited, question, keywords, body):
        # A region's copy of its base language's answer would stop taking its corrections.
        message = _l(
            "This is the answer the region shows already: change what differs in the "
            "region, or leave it."
        )
        found = {"body": [Problem(0, "same-as-base", message)]}
    if found:
        raise Invalid(found)
    header = [
        "---",
        f"question: {question}",
        *([f"keywords: {keywords}"] if keywords else []),
        f"source: {source_hash(before.english_question, before.english_body)}",
        "---",
    ]
    text = "\n".join(header) + "\n" + body + "\n"
    path = root / locale / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with catalogs.locked(root / locale / ".faq"):
        if path.is_file() and path.read_text("utf-8") == text:  # the same save, sent twice
            return SavedText(before, before, changed=False)
        current = text_of(root, locale, slug)
        if version is not None and version != version_of(current):
            raise Conflict(current)
        catalogs.replace_atomically(path, lambda fh: fh.write(text.encode("utf-8")))
    return SavedText(before, text_of(root, locale, slug))


def _same(inherited: tuple[str, str, str], question: str, keywords: str, body: str) -> bool:
    base_question, base_body, base_keywords = inherited
    return (
        base_question.strip() == question
        and " ".join(base_keywords.split()) == keywords
        and base_body.replace("\r\n", "\n").strip() == body
    )


def remove_regional(root: Path, locale: str, slug: str) -> SavedText | None:
    """A region's own answer goes: the region shows its base language's again (None:
    it had none, or `locale` is not a region)."""
    root = Path(root)
    from i18n import base_language

    before = text_of(root, locale, slug)
    if base_language(locale) == locale or not before.own:
        return None
    path = root / locale / f"{slug}.md"
    with catalogs.locked(root / locale / ".faq"):
        if not path.is_file():
            return None
        path.unlink()
    return SavedText(before, text_of(root, locale, slug))


def content_stamp(root: Path) -> str:
    """The modification of the FAQ's folders: a file saved here (a rename) changes its
    folder's."""
    parts = []
    for directory in sorted(Path(root).iterdir()):
        if directory.is_dir():
            st = directory.stat()
            parts.append(f"{directory.name}:{st.st_mtime_ns}")
    return "|".join(parts)
