"""FAQ content: one Markdown file per question and locale, written by translators.

    content/faq/<locale>/<slug>.md     the question (header) and its answer (Markdown)
    content/faq/<lang>/_synonyms.txt   words callers use for the same thing, per line
    content/faq/<lang>/_stopwords.txt  words too common to search for

A file starts with a small header between two `---` lines:

    ---
    question: How do I listen to my voicemail?
    keywords: messages, mailbox        (optional: more words that should find it)
    related: call-forwarding           (English only: the related questions)
    screens: lines.index               (English only: the site's screens that do it)
    ---

English (`en/`) is the source and sets which questions exist, their order (`order:`),
related questions and screens. A language directory (`fr/`, `nl/`...) translates every
question; a regional one (`fr_BE/`...) holds only the questions it words differently.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from i18n import LOCALES, base_language, fallback_chain
from telephony.faq.text import ANALYZER_VERSION, parse_list_file

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "faq"
SOURCE_LOCALE = "en"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: `source:` is the English text a translation was made from (the translators' workspace
#: writes it: a short hash; translating.faq).
TRANSLATED_KEYS = {"question", "keywords", "source"}
SOURCE_KEYS = {"question", "keywords", "related", "screens", "order"}
RAW_HTML = re.compile(r"<[a-zA-Z/!][^>]*>")
FAQ_LINK = re.compile(r"\]\(faq:([^)\s#]*)")


class ContentError(ValueError):
    """A content file that can't be read (its path and what is wrong)."""


@dataclass(frozen=True)
class Entry:
    slug: str
    locale: str  # the locale it is shown in
    source_locale: str  # the locale of the file it came from (fr for fr_BE, en if missing)
    question: str
    body: str
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    screens: tuple[str, ...] = ()
    order: int = 0


@dataclass
class Corpus:
    """Every entry of every site locale, resolved through the regional fallback."""

    entries: dict[str, dict[str, Entry]]  # locale → slug → entry, in display order
    synonyms: dict[str, list[list[str]]]  # locale → groups
    stopwords: dict[str, list[str]]  # locale → words
    content_hash: str
    problems: list[str] = field(default_factory=list)

    def entry(self, locale: str, slug: str) -> Entry | None:
        return self.entries.get(locale, {}).get(slug)

    def locale_entries(self, locale: str) -> list[Entry]:
        return list(self.entries.get(locale, {}).values())


def parse_file(text: str, where: str = "") -> tuple[dict[str, str], str]:
    """(header, body) of a content file."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(f"{where}: must start with a '---' header line")
    header: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            body = "\n".join(lines[number:]).strip()
            return header, body
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ContentError(f"{where}:{number}: expected 'key: value'")
        header[key.strip().lower()] = value.strip()
    raise ContentError(f"{where}: the header has no closing '---' line")


def _items(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _read_dir(directory: Path) -> dict[str, tuple[dict[str, str], str]]:
    found = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.md")):
            found[path.stem] = parse_file(path.read_text("utf-8"), str(path))
    return found


def _read_list(directory: Path, name: str) -> list[list[str]]:
    path = directory / name
    return parse_list_file(path.read_text("utf-8")) if path.is_file() else []


def content_hash(root: Path) -> str:
    digest = hashlib.sha256(ANALYZER_VERSION.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".txt"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load_corpus(root: Path = CONTENT_DIR) -> Corpus:
    """Read every file under `root`; resolve each site locale (regional → base → English)."""
    files = {
        directory.name: _read_dir(directory)
        for directory in sorted(root.iterdir())
        if directory.is_dir() and not directory.name.startswith(("_", "."))
    }
    source = files.get(SOURCE_LOCALE, {})
    if not source:
        raise ContentError(f"{root}: no English source questions in {SOURCE_LOCALE}/")
    ordered = sorted(source, key=lambda s: (int(source[s][0].get("order", "0") or 0), s))
    entries: dict[str, dict[str, Entry]] = {}
    synonyms: dict[str, list[list[str]]] = {}
    stopwords: dict[str, list[str]] = {}
    for locale in LOCALES:
        chain = fallback_chain(locale)
        resolved = {}
        for slug in ordered:
            src_header, src_body = source[slug]
            origin = next((name for name in chain if slug in files.get(name, {})), SOURCE_LOCALE)
            header, body = files.get(origin, {}).get(slug, source[slug])
            resolved[slug] = Entry(
                slug=slug,
                locale=locale,
                source_locale=origin,
                question=header.get("question", "") or src_header.get("question", slug),
                body=body,
                keywords=_items(header.get("keywords", "")),
                related=_items(src_header.get("related", "")),
                screens=_items(src_header.get("screens", "")),
                order=int(src_header.get("order", "0") or 0),
            )
        entries[locale] = resolved
        # Synonyms add up along the chain (fr_BE's own words and French ones);
        # stop words are the base language's.
        synonyms[locale] = [
            group for name in reversed(chain) for group in _read_list(root / name, "_synonyms.txt")
        ]
        stopwords[locale] = [
            w for row in _read_list(root / base_language(locale), "_stopwords.txt") for w in row
        ]
    return Corpus(entries, synonyms, stopwords, content_hash(root))


def check_content(root: Path = CONTENT_DIR) -> list[str]:
    """What a translator must fix: missing questions, unknown slugs and keys, raw HTML."""
    problems: list[str] = []
    try:
        files = {
            directory.name: _read_dir(directory)
            for directory in sorted(root.iterdir())
            if directory.is_dir() and not directory.name.startswith(("_", "."))
        }
    except ContentError as error:
        return [f"FAQ: {error}"]
    source = files.get(SOURCE_LOCALE, {})
    known_dirs = {base_language(loc) for loc in LOCALES} | set(LOCALES)
    for name in sorted(files):
        if name not in known_dirs:
            problems.append(f"FAQ {name}/: not a locale of the site")
    for name, found in sorted(files.items()):
        allowed = SOURCE_KEYS if name == SOURCE_LOCALE else TRANSLATED_KEYS
        for slug, (header, body) in sorted(found.items()):
            label = f"FAQ {name}/{slug}.md"
            if not SLUG.match(slug):
                problems.append(f"{label}: file name must be a slug (a-z, 0-9, -)")
            if name != SOURCE_LOCALE and slug not in source:
                problems.append(f"{label}: no English question has this slug")
            if not header.get("question"):
                problems.append(f"{label}: the header has no question")
            if not body:
                problems.append(f"{label}: the answer is empty")
            for key in sorted(set(header) - allowed):
                problems.append(f"{label}: unknown header key {key!r}")
            if RAW_HTML.search(body) or RAW_HTML.search(header.get("question", "")):
                problems.append(f"{label}: raw HTML is not allowed (it would show as text)")
            for target in FAQ_LINK.findall(body):
                if target not in source:
                    problems.append(f"{label}: links to unknown question {target!r}")
            if name == SOURCE_LOCALE:
                for target in _items(header.get("related", "")):
                    if target not in source:
                        problems.append(f"{label}: related question {target!r} does not exist")
    for language in sorted({base_language(loc) for loc in LOCALES} - {SOURCE_LOCALE}):
        for slug in sorted(set(source) - set(files.get(language, {}))):
            problems.append(f"FAQ {language}: question {slug!r} missing ({language}/{slug}.md)")
    return problems


def completeness(root: Path = CONTENT_DIR) -> dict[str, tuple[int, int]]:
    """Per site locale: (questions written in the locale or its base language, total)."""
    corpus = load_corpus(root)
    result = {}
    for locale, entries in corpus.entries.items():
        own = sum(1 for e in entries.values() if locale == "en" or e.source_locale != "en")
        result[locale] = (own, len(entries))
    return result
