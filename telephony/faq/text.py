"""Text analysis shared by the index and the queries: fold, split, drop stop words, stem.

Both sides go through the same `Analyzer`, so a query written without accents ("repondeur")
or in another inflection ("renvoyés") meets the indexed text on equal terms. Stemming is
Snowball (PyStemmer), per language. Typos are mended against the index's vocabulary
(`Vocabulary.correct`), synonyms expanded from the translators' lists (`Synonyms`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

from telephony.text import fold

#: Snowball algorithm per base language.
STEMMERS = {"en": "english", "fr": "french", "nl": "dutch", "de": "german", "it": "italian"}
WORD = re.compile(r"[^\W_]+")
#: A query longer than this is cut: nobody types more, and the work stays bounded.
MAX_QUERY_CHARS = 300
MAX_QUERY_TERMS = 24
#: Words as written whose term each analyzer remembers (a large FAQ has tens of thousands).
WRITTEN_CACHE = 200_000
#: Bump when the analysis changes: the index is rebuilt (it is part of the content hash).
ANALYZER_VERSION = "1"


class Analyzer:
    """Turns text into index terms for one language."""

    def __init__(self, language: str, stopwords: Iterable[str] = ()):
        self.language = language
        self._stemmer = Stemmer.Stemmer(STEMMERS.get(language, "english"), 50_000)
        self.stopwords = frozenset(fold(word) for word in stopwords)
        self._written: dict[str, str | None] = {}

    def term_of(self, written: str) -> str | None:
        """The index term a word as written stands for (None: a stop word or one letter).
        Remembered: the answers' words come back in every search that shows them."""
        try:
            return self._written[written]
        except KeyError:
            word = fold(written)
            term = self.stem(word) if len(word) > 1 and word not in self.stopwords else None
            if len(self._written) < WRITTEN_CACHE:  # bounded: queries bring words too
                self._written[written] = term
            return term

    def words(self, text: str) -> list[str]:
        """Folded words, stop words and single letters left out."""
        return [w for w in WORD.findall(fold(text)) if len(w) > 1 and w not in self.stopwords]

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def terms(self, text: str) -> list[str]:
        return self._stemmer.stemWords(self.words(text))

    def query_words(self, text: str) -> list[str]:
        """Like `words`, for untrusted input: bounded in length and count."""
        return self.words(text[:MAX_QUERY_CHARS])[:MAX_QUERY_TERMS]


def distance(a: str, b: str) -> int:
    """Edits from `a` to `b` (insert, delete, substitute, swap two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Vocabulary:
    """The terms of an index, to mend typos: a term the index does not know is replaced by
    the known terms one edit away (symmetric deletes: insertion, deletion, substitution,
    swap of neighbours), two edits for long words."""

    MIN_LENGTH = 4  # shorter words have too many neighbours to guess
    LONG = 8

    def __init__(self, terms: Iterable[str]):
        self.terms = set(terms)
        self._by_delete: dict[str, set[str]] = defaultdict(set)
        for term in self.terms:
            if len(term) >= self.MIN_LENGTH - 1:
                for deleted in _deletes(term):
                    self._by_delete[deleted].add(term)

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    def correct(self, term: str) -> list[str]:
        """Known terms close to `term` (itself if known; [] if nothing is close)."""
        if term in self.terms:
            return [term]
        if len(term) < self.MIN_LENGTH:
            return []
        first = _deletes(term)
        found = {t for t in first if t in self.terms}
        found |= self._by_delete.get(term, set())
        for deleted in first:
            found |= self._by_delete.get(deleted, set())
        if not found and len(term) >= self.LONG:
            for deleted in first:
                for twice in _deletes(deleted):
                    if twice in self.terms:
                        found.add(twice)
                    found |= self._by_delete.get(twice, set())
        limit = 2 if len(term) >= self.LONG else 1
        close = [(distance(term, t), t) for t in found]
        # Keep it small and stable: the closest first, then alphabetical.
        return [t for d, t in sorted(close) if d <= limit][:4]


class Synonyms:
    """Groups of words a caller may use for the same thing, one group per line of the
    translators' file: `messagerie vocale, répondeur, boîte vocale`."""

    def __init__(self, analyzer: Analyzer, groups: Iterable[Iterable[str]]):
        self.groups: list[list[tuple[str, ...]]] = []
        self._starts: dict[str, list[tuple[tuple[str, ...], int]]] = defaultdict(list)
        for group in groups:
            phrases = []
            for item in group:
                phrase = tuple(analyzer.terms(item))
                if phrase and phrase not in phrases:
                    phrases.append(phrase)
            if len(phrases) < 2:
                continue
            index = len(self.groups)
            self.groups.append(phrases)
            for phrase in phrases:
                self._starts[phrase[0]].append((phrase, index))

    def terms(self) -> set[str]:
        return {term for group in self.groups for phrase in group for term in phrase}

    def matches(self, terms: list[str]) -> list[tuple[int, int, list[tuple[str, ...]]]]:
        """Where the query's terms hold a phrase of a group: (start, length, the group's
        other phrases) for each."""
        found = []
        for position, term in enumerate(terms):
            for phrase, index in self._starts.get(term, ()):
                if tuple(terms[position : position + len(phrase)]) == phrase:
                    others = [p for p in self.groups[index] if p != phrase]
                    found.append((position, len(phrase), others))
        return found

    def expand(self, terms: list[str]) -> list[tuple[str, ...]]:
        """The phrases of every group that one of the query's phrases belongs to."""
        return [phrase for _start, _length, others in self.matches(terms) for phrase in others]


def parse_list_file(text: str) -> list[list[str]]:
    """Lines of comma-separated items; `#` starts a comment; blank lines are skipped."""
    rows = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append([item.strip() for item in line.split(",") if item.strip()])
    return rows


@lru_cache(maxsize=64)
def cached_analyzer(language: str, stopwords: frozenset[str]) -> Analyzer:
    return Analyzer(language, stopwords)


def base_language_of(locale: str) -> str:
    return locale.split("_")[0]
