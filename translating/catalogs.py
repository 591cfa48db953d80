"""A locale's entries read from the `.po` files, and the save of one entry.

* The messages that exist are the template's (`messages.pot`), in its order, with the
  developers' comments and the files each is used in.
* A base language (fr, nl...) holds every message; a regional locale (fr_BE...) holds only
  what it words differently and falls back to its base language for the rest: its entry
  shows the base language's translation, and "untranslated" there means "takes the base
  language's".
* A save writes the file atomically (a temporary file renamed over it) under a lock, in
  Babel's order and line wrapping (the diff holds only that entry), then compiles the
  catalogue the same way. It refuses a translation that would break the catalogue
  (`checks`), and one made from a version that someone else has changed since
  (`Conflict`: nothing is lost, the page shows both).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from i18n import base_language
from i18n_tools import BASES, REGIONALS
from telephony import DomainError, NotFound
from translating.checks import Problem, check_entry, read_terms

#: The locales with a catalogue to edit (English is the source).
EDITABLE = tuple(BASES + REGIONALS)
#: Where a message is used, from the files its `#:` line names.
KINDS = ("site", "emails", "pdfs")
STATES = ("untranslated", "fuzzy", "translated", "failing")


def kind_of(location: str) -> str:
    if location.startswith("templates/mail/"):
        return "emails"
    if location.startswith("documents/"):
        return "pdfs"
    return "site"


def entry_key(msgid: str | tuple[str, ...], context: str | None) -> str:
    """A short stable id for a message (its URL): from its context and singular source."""
    first = msgid[0] if isinstance(msgid, tuple) else msgid
    return hashlib.sha1(f"{context or ''}\x04{first}".encode()).hexdigest()[:12]  # noqa: S324


def version_of(strings: tuple[str, ...], fuzzy: bool) -> str:
    """What the translator started from: a save from another version is a conflict."""
    raw = "\x00".join(strings) + ("\x01fuzzy" if fuzzy else "")
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Entry:
    key: str
    msgid: str | tuple[str, ...]
    context: str | None
    #: The locale's own translation, one string per plural form ("" where none).
    strings: tuple[str, ...]
    fuzzy: bool
    #: A regional locale: what its base language says (None for a base language).
    base_strings: tuple[str, ...] | None
    comments: tuple[str, ...]
    locations: tuple[str, ...]
    python_format: bool

    @property
    def plural(self) -> bool:
        return isinstance(self.msgid, tuple)

    @property
    def sources(self) -> tuple[str, ...]:
        return self.msgid if isinstance(self.msgid, tuple) else (self.msgid,)

    @property
    def translated(self) -> bool:
        return all(self.strings) and not self.fuzzy

    @property
    def state(self) -> str:
        if self.fuzzy and any(self.strings):
            return "fuzzy"
        return "translated" if all(self.strings) else "untranslated"

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kind_of(path) for path in self.locations)) or ("site",)

    @property
    def version(self) -> str:
        return version_of(self.strings, self.fuzzy)


def po_path(directory: Path, locale: str) -> Path:
    return Path(directory) / locale / "LC_MESSAGES" / "messages.po"


def check_locale(locale: str) -> str:
    """The locale if it has a catalogue to edit, else NotFound (a URL names it)."""
    if locale not in EDITABLE:
        raise NotFound(locale)
    return locale


# ---------------------------------------------------------------------------- reading

_read_lock = threading.Lock()
_parsed: dict[Path, tuple[tuple, Catalog]] = {}
_entries: dict[tuple, list[Entry]] = {}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(path: Path, locale: str | None = None) -> Catalog:
    """The parsed file, kept while it is unchanged on disk (never modify it: shared)."""
    stamp = _stamp(path)
    kept = _parsed.get(path)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    if stamp == (0, 0, 0):
        catalog = Catalog(locale=locale, project="telephony-selfservice")
    else:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    with _read_lock:
        _parsed[path] = (stamp, catalog)
    return catalog


def _msgid(message: Message) -> str | tuple[str, ...]:
    """A message's source: one string, or its singular and plural forms as a tuple (Babel
    types a msgid as a str, tuple or list; its reader makes a tuple)."""
    return message.id if isinstance(message.id, str) else tuple(message.id)


def _strings(message: Message | None, plural: bool) -> tuple[str, ...]:
    if message is None:
        return ("", "") if plural else ("",)
    string = message.string
    if isinstance(string, tuple | list):
        return tuple(s or "" for s in string)
    return (string or "",)


def entries(directory: Path, locale: str) -> list[Entry]:
    """Every entry of `locale`, in the template's order (kept while the files are)."""
    check_locale(locale)
    directory = Path(directory)
    base = base_language(locale)
    pot_path = directory / "messages.pot"
    own_path, base_path = po_path(directory, locale), po_path(directory, base)
    key = (str(directory), locale, _stamp(pot_path), _stamp(own_path), _stamp(base_path))
    kept = _entries.get(key)
    if kept is not None:
        return kept
    template = _read(pot_path)
    own = _read(own_path, locale)
    base_catalog = _read(base_path, base) if base != locale else None
    result = []
    for message in template:
        if not message.id:
            continue
        msgid = _msgid(message)
        plural = isinstance(msgid, tuple)
        mine = own.get(msgid, context=message.context)
        strings = _strings(mine, plural)
        base_strings = (
            _strings(base_catalog.get(msgid, context=message.context), plural)
            if base_catalog is not None
            else None
        )
        if plural and mine is None:
            forms = (base_catalog or own).num_plurals
            strings = ("",) * forms
        result.append(
            Entry(
                key=entry_key(msgid, message.context),
                msgid=msgid,
                context=message.context,
                strings=strings,
                fuzzy=bool(mine is not None and mine.fuzzy),
                base_strings=base_strings,
                comments=tuple(message.auto_comments),
                locations=tuple(path for path, _line in message.locations),
                python_format="python-format" in message.flags,
            )
        )
    with _read_lock:
        for old in [k for k in _entries if k[:2] == key[:2]]:
            _entries.pop(old, None)
        _entries[key] = result
    return result


def find(directory: Path, locale: str, key: str) -> Entry:
    for entry in entries(directory, locale):
        if entry.key == key:
            return entry
    raise NotFound(key)


def problems_of(directory: Path, locale: str, entry: Entry, strings=None) -> list[Problem]:
    """The checks of an entry's translation (or of `strings`, a proposed one)."""
    strings = entry.strings if strings is None else tuple(strings)
    if not any(strings):
        return []
    terms = termbase(directory)
    problems = check_entry(locale, entry.sources, strings, terms, apostrophe_of(directory, locale))
    if locale in BASES:  # the regions that take this text have their own words too
        problems += _regional_problems(directory, locale, entry, strings, terms)
    return problems


def _regional_problems(directory: Path, base: str, entry: Entry, strings, terms) -> list[Problem]:
    """The rules of each regional locale that shows the base language's text of `entry`
    (it has none of its own), each said with the region's name: a word a region does not
    use, saved in the base, broke that region (flask translate check found it)."""
    from flask_babel import lazy_gettext as _l

    from i18n import display_name
    from translating.checks import language_problems

    problems = []
    for regional in REGIONALS:
        if base_language(regional) != base:
            continue
        own = next((e for e in entries(directory, regional) if e.key == entry.key), None)
        if own is not None and any(own.strings):
            continue
        for form, text in enumerate(strings):
            if not text:
                continue
            for problem in language_problems(regional, form, text, entry.sources[0], terms, None):
                if problem.code != "termbase":
                    continue  # (the register and typography are the language's, checked)
                message = _l(
                    "In %(language)s, which shows this text: %(problem)s",
                    language=display_name(regional),
                    problem=problem.message,
                )
                problems.append(Problem(form, problem.code, message))
    return problems


_terms_kept: dict[str, tuple[tuple, list]] = {}


def termbase(directory: Path) -> list:
    path = Path(directory) / "termbase.csv"
    stamp = _stamp(path)
    kept = _terms_kept.get(str(path))
    if kept is None or kept[0] != stamp:
        kept = (stamp, read_terms(Path(directory)))
        _terms_kept[str(path)] = kept
    return kept[1]


_apostrophes_kept: dict[tuple, str | None] = {}


def apostrophe_of(directory: Path, locale: str) -> str | None:
    """The apostrophe the language writes most ( ' or ’ ), from its base catalogue."""
    import i18n_rules

    base = base_language(locale)
    key = (str(directory), base, _stamp(po_path(Path(directory), base)))
    if key in _apostrophes_kept:
        return _apostrophes_kept[key]
    base_entries = entries(directory, base)
    counts: dict[str, int] = {}
    for entry in base_entries:
        for text in entry.strings:
            for mark in i18n_rules.apostrophes(text):
                counts[mark] = counts.get(mark, 0) + 1
    found = max(counts, key=counts.__getitem__) if counts else None
    if len(_apostrophes_kept) > 64:
        _apostrophes_kept.clear()
    _apostrophes_kept[key] = found
    return found


def search(
    directory: Path,
    locale: str,
    *,
    state: str = "",
    kind: str = "",
    q: str = "",
) -> list[Entry]:
    """The entries matching the filters: a state (or "failing" a check), where the text is
    used, words in the source, the translation or the context."""
    found: Iterator[Entry] = iter(entries(directory, locale))
    if kind in KINDS:
        found = (e for e in found if kind in e.kinds)
    if state in ("untranslated", "fuzzy", "translated"):
        found = (e for e in found if e.state == state)
    needle = q.strip().casefold()
    if needle:
        found = (
            e
            for e in found
            if needle in " ".join((*e.sources, *e.strings, e.context or "")).casefold()
        )
    result = list(found)
    if state == "failing":
        failing = _failing(directory, locale)
        result = [e for e in result if e.key in failing]
    return result


_failing_kept: dict[tuple, frozenset[str]] = {}


def _failing(directory: Path, locale: str) -> frozenset[str]:
    """The keys of the entries failing a check (kept while the files are unchanged)."""
    directory = Path(directory)
    base = base_language(locale)
    key = (
        str(directory),
        locale,
        _stamp(po_path(directory, locale)),
        _stamp(po_path(directory, base)),
        _stamp(directory / "termbase.csv"),
        _stamp(directory / "messages.pot"),
    )
    kept = _failing_kept.get(key)
    if kept is None:
        kept = frozenset(
            e.key for e in entries(directory, locale) if problems_of(directory, locale, e)
        )
        if len(_failing_kept) > 32:
            _failing_kept.clear()
        _failing_kept[key] = kept
    return kept


# ---------------------------------------------------------------------------- saving


class Invalid(DomainError):
    """The translation breaks a check: `problems` say where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message)
        self.problems = problems


class Conflict(DomainError):
    """Someone saved this entry since the translator opened it: `theirs` is on disk now."""

    def __init__(self, entry: Entry):
        from flask_babel import lazy_gettext as _l

        super().__init__(
            _l("Someone else saved this entry while you were editing it. Compare both versions.")
        )
        self.entry = entry


@dataclass(frozen=True)
class Saved:
    before: Entry
    after: Entry


@contextlib.contextmanager
def locked(path: Path):
    """One writer per catalogue at a time, across threads and processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def replace_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename it over `path`: a
    reader sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_catalog(path: Path, catalog: Catalog) -> None:
    """The `.po` as `flask translate update` writes it, and its compiled `.mo`."""
    replace_atomically(path, lambda fh: write_po(fh, catalog, width=96, sort_output=False))
    replace_atomically(path.with_suffix(".mo"), lambda fh: write_mo(fh, catalog, use_fuzzy=False))


def save(
    directory: Path,
    locale: str,
    key: str,
    strings: list[str] | tuple[str, ...],
    version: str,
    *,
    same_as_base: bool = False,
) -> Saved:
    """Save one entry's translation (`same_as_base`: a regional locale drops its own and
    takes its base language's). Raises Invalid, Conflict or NotFound; writes nothing then."""
    directory = Path(directory)
    check_locale(locale)
    entry = find(directory, locale, key)
    regional = locale != base_language(locale)
    if same_as_base and not regional:
        raise NotFound(key)
    strings = tuple(s.replace("\r\n", "\n").replace("\r", "\n") for s in strings)
    if same_as_base:
        strings = ("",) * len(entry.strings)
    else:
        if len(strings) != len(entry.strings):
            raise NotFound(key)  # a form that is not this entry's
        if not any(s.strip() for s in strings):
            from flask_babel import lazy_gettext as _l

            raise Invalid([Problem(0, "empty", _l("Write the translation."))])
        problems = problems_of(directory, locale, entry, strings)
        if problems:
            raise Invalid(problems)
    path = po_path(directory, locale)
    with locked(path):
        catalog = _read_fresh(path, locale)
        message = catalog.get(entry.msgid, context=entry.context)
        on_disk = (
            _strings(message, entry.plural) if message is not None else ("",) * len(entry.strings)
        )
        current = version_of(on_disk, bool(message is not None and message.fuzzy))
        if current != version:
            _parsed.pop(path, None)
            raise Conflict(find(directory, locale, key))
        _set(catalog, entry, None if same_as_base else strings, directory)
        write_catalog(path, catalog)
    return Saved(before=entry, after=find(directory, locale, key))


def _read_fresh(path: Path, locale: str) -> Catalog:
    """What is on disk now (under the lock), not the cached copy, which others share."""
    if not path.exists():
        return Catalog(locale=locale, project="telephony-selfservice")
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _set(catalog: Catalog, entry: Entry, strings: tuple[str, ...] | None, directory) -> None:
    """Put `strings` in the catalogue (None: drop a regional locale's own wording)."""
    message = catalog.get(entry.msgid, context=entry.context)
    if strings is None:
        if message is not None:
            catalog.delete(entry.msgid, context=entry.context)
    elif message is not None:
        message.string = strings if entry.plural else strings[0]
        message.flags.discard("fuzzy")
    else:
        catalog.add(
            entry.msgid,
            strings if entry.plural else strings[0],
            # No line numbers (the template has none): Babel reads and writes (path, None)
            # but hints the line number as int.
            locations=[(path_, None) for path_ in entry.locations],  # type: ignore[misc]
            flags=["python-format"] if entry.python_format else [],
            auto_comments=list(entry.comments),
            context=entry.context,
        )
        _in_template_order(catalog, _read(Path(directory) / "messages.pot"))


# ---------------------------------------------------------------------------- hand-off

#: The largest catalogue accepted in an upload (the site's are about 200 kB).
UPLOAD_MAX = 2 * 1024 * 1024


@dataclass
class Merge:
    """What an upload did, entry by entry."""

    changed: list[Saved]
    unchanged: int
    refused: list[tuple[Entry, list[Problem]]]
    skipped_fuzzy: int
    unknown: int
    #: Entries saved in the workspace since the file was downloaded, which the upload
    #: would have put back as they were: kept, with the upload's text (to look at).
    kept: list[tuple[Entry, tuple[str, ...]]] = dataclasses.field(default_factory=list)


class NotACatalogue(DomainError):
    pass


def parse_upload(data: bytes, locale: str) -> Catalog:
    """A `.po` file from Poedit or any tool; NotACatalogue if it is not one for `locale`."""
    from flask_babel import lazy_gettext as _l

    if len(data) > UPLOAD_MAX:
        raise NotACatalogue(_l("This file is too large for a catalogue."), field="file")
    if not data.strip() or b"\x00" in data:
        raise NotACatalogue(_l("Choose a .po file."), field="file")
    try:
        import io

        catalog = read_po(io.BytesIO(data), locale=locale, abort_invalid=True)
    except Exception as exc:  # noqa: BLE001 - Babel raises several kinds on a bad file
        raise NotACatalogue(
            _l("This is not a .po file Babel can read: %(reason)s", reason=str(exc)[:200]),
            field="file",
        ) from exc
    language = catalog.mime_headers and dict(catalog.mime_headers).get("Language", "")
    if language and language.replace("-", "_") != locale:
        raise NotACatalogue(
            _l(
                "This file is for %(other)s, not %(locale)s.",
                other=language[:16],
                locale=locale,
            ),
            field="file",
        )
    return catalog


def merge(
    directory: Path, locale: str, uploaded: Catalog, saved_since: set[str] | None = None
) -> Merge:
    """Each translated entry of `uploaded` that the site has and that differs is checked
    like a save; the ones that pass are written together (one file, one compile).
    `saved_since`: the entries saved in the workspace since the file was downloaded
    (`download_stamp`); the upload differs from what they say now because someone saved
    them meanwhile, not because the translator changed them: they are kept."""
    directory = Path(directory)
    check_locale(locale)
    by_id = {(e.msgid, e.context): e for e in entries(directory, locale)}
    result = Merge([], 0, [], 0, 0)
    wanted: list[tuple[Entry, tuple[str, ...]]] = []
    for message in uploaded:
        if not message.id:
            continue
        entry = by_id.get((_msgid(message), message.context))
        if entry is None:
            result.unknown += 1
            continue
        strings = _strings(message, entry.plural)
        if not any(strings):
            continue
        if message.fuzzy:
            result.skipped_fuzzy += 1
            continue
        if len(strings) != len(entry.strings):
            from flask_babel import lazy_gettext as _l

            problem = Problem(0, "forms", _l("The number of plural forms differs."))
            result.refused.append((entry, [problem]))
            continue
        if strings == entry.strings and not entry.fuzzy:
            result.unchanged += 1
            continue
        if saved_since is not None and entry.key in saved_since:
            result.kept.append((entry, strings))
            continue
        problems = problems_of(directory, locale, entry, strings)
        if problems:
            result.refused.append((entry, problems))
            continue
        wanted.append((entry, strings))
    if wanted:
        path = po_path(directory, locale)
        changed: list[tuple[Entry, tuple[str, ...]]] = []
        with locked(path):
            # Compared again with the file as it is now: an upload sent twice at once
            # changes each entry once.
            catalog = _read_fresh(path, locale)
            for entry, strings in wanted:
                on_disk = catalog.get(entry.msgid, context=entry.context)
                now = _strings(on_disk, entry.plural) if on_disk is not None else entry.strings
                fuzzy = bool(on_disk is not None and on_disk.fuzzy)
                if now == strings and not fuzzy:
                    result.unchanged += 1
                    continue
                changed.append((dataclasses.replace(entry, strings=now, fuzzy=fuzzy), strings))
                _set(catalog, entry, strings, directory)
            if changed:
                write_catalog(path, catalog)
        after = {e.key: e for e in entries(directory, locale)}
        result.changed = [Saved(before=entry, after=after[entry.key]) for entry, _ in changed]
    return result


#: The header a downloaded file carries: when it was taken (`merge` keeps what was saved
#: in the workspace since). Tools keep a header they don't know (Poedit does).
STAMP_HEADER = b"X-Workspace-Downloaded"
_STAMP = re.compile(rb'^"X-Workspace-Downloaded: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\\n"$', re.M)


def download_stamp(data: bytes) -> datetime | None:
    """When an uploaded file was downloaded from the workspace (None: not from there)."""
    found = _STAMP.search(data[:8192])
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1).decode(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _stamped(data: bytes, moment: datetime) -> bytes:
    """`data` (a .po file) with the download stamp at the end of its header entry."""
    line = b'"%s: %s\\n"\n' % (STAMP_HEADER, moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode())
    start = data.find(b'msgid ""\nmsgstr ""\n')
    end = data.find(b"\n\n", start)
    if start < 0 or end < 0:
        return data
    return data[: end + 1] + line + data[end + 1 :]


def export(
    directory: Path, locale: str, keys: set[str] | None = None, at: datetime | None = None
) -> bytes:
    """The locale's `.po` as it is on disk, or (`keys`) a patch holding only those entries,
    stamped with the moment it was taken (`at`, now by default)."""
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    return _stamped(_export(directory, locale, keys), moment)


def _export(directory: Path, locale: str, keys: set[str] | None) -> bytes:
    import io

    directory = Path(directory)
    check_locale(locale)
    path = po_path(directory, locale)
    if keys is None:
        return path.read_bytes() if path.exists() else b""
    patch = Catalog(locale=locale, project="telephony-selfservice")
    for entry in entries(directory, locale):
        if entry.key in keys and any(entry.strings):
            patch.add(
                entry.msgid,
                entry.strings if entry.plural else entry.strings[0],
                # No line numbers (the template has none): Babel reads and writes
                # (path, None) but hints the line number as int.
                locations=[(p, None) for p in entry.locations],  # type: ignore[misc]
                flags=["python-format"] if entry.python_format else [],
                auto_comments=list(entry.comments),
                context=entry.context,
            )
    out = io.BytesIO()
    write_po(out, patch, width=96, sort_output=False)
    return out.getvalue()


def _in_template_order(catalog: Catalog, template: Catalog) -> None:
    """A message added to a regional catalogue goes where `translate update` would put it."""
    order = {
        (m.id if isinstance(m.id, str) else m.id[0], m.context): index
        for index, m in enumerate(template)
    }
    messages = catalog._messages  # Babel keeps them in an OrderedDict; there is no API
    items = sorted(
        messages.items(),
        key=lambda item: order.get(
            (
                item[1].id if isinstance(item[1].id, str) else item[1].id[0],
                item[1].context,
            ),
            len(order),
        ),
    )
    catalog._messages = OrderedDict(items)


def plural_examples(directory: Path, locale: str, entry: Entry) -> list[str]:
    """For each form of a plural entry, the numbers it is used for ("1", "0, 2, 3…"), from
    the language's plural rule; [""] for a message without plural."""
    if not entry.plural:
        return [""]
    import gettext

    catalog = _read(po_path(Path(directory), base_language(locale)), base_language(locale))
    rule = gettext.c2py(catalog.plural_expr)
    examples: list[list[int]] = [[] for _ in entry.strings]
    for number in range(0, 1001):
        form = rule(number)
        if form < len(examples) and len(examples[form]) < 4:
            examples[form].append(number)
    return [
        ", ".join(str(n) for n in found[:3]) + ("…" if len(found) > 3 else "") for found in examples
    ]


def terms_of(directory: Path, locale: str, entry: Entry) -> list[tuple[str, str, str]]:
    """The termbase's terms in the entry's source: (term, the locale's word, note)."""
    from translating.checks import terms_in

    return list(terms_in(" ".join(entry.sources), termbase(directory), locale))
