"""The FAQ: content per locale (files), search through a full-text index, feedback.

`FaqService` ties them together and knows nothing of requests: give it a locale and what
the person typed; it returns ranked entries and the terms to highlight.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from telephony.faq.content import CONTENT_DIR, Corpus, Entry, load_corpus
from telephony.faq.highlight import Marker, highlight, snippet
from telephony.faq.index import Document, Phrase, SearchIndex, index_for
from telephony.faq.render import to_text
from telephony.faq.text import Analyzer, Synonyms, Vocabulary, base_language_of

__all__ = ["Concept", "FaqService", "Found", "Result", "SearchResults", "service_for"]


@dataclass(frozen=True)
class Concept:
    """One thing the person asked about: a word (typo mended) or a run of words that a
    synonym list knows, with every index phrase that stands for it."""

    phrases: tuple[Phrase, ...]
    #: How many entries hold one of the phrases, at most (from the index's term counts).
    frequency: int
    #: The same, in the questions and keywords.
    head_frequency: int = 0


@dataclass(frozen=True)
class Result:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Found:
    """A result as a page shows it: the question and a snippet, query words marked."""

    entry: Entry
    question: Markup
    snippet: Markup


@dataclass
class SearchResults:
    query: str
    results: list[Result] = field(default_factory=list)
    #: Every term the query was turned into (typos mended, synonyms added): what to highlight.
    terms: frozenset[str] = frozenset()


class _LocaleSearch:
    """What a locale needs at query time: analyser, vocabulary, synonyms."""

    def __init__(
        self,
        analyzer: Analyzer,
        synonyms: Synonyms,
        words: set[str],
        frequency: Counter,
        head_frequency: Counter,
        size: int,
    ):
        self.analyzer = analyzer
        self.synonyms = synonyms
        #: Entries holding each term (anywhere; in the question or keywords), and the
        #: number of entries.
        self.frequency = frequency
        self.head_frequency = head_frequency
        self.size = size
        #: Words as written (folded) and their terms: a typo is mended on the word first
        #: ("voicemial" → "voicemail"), since stemming a misspelt word can make it unrecognisable.
        self.words = Vocabulary(words)
        self.stem_of = {word: analyzer.stem(word) for word in words}
        self.terms = Vocabulary(set(self.stem_of.values()))

    def mend(self, word: str) -> list[str]:
        """The index terms `word` stands for: its own stem if known, else the stems of the
        known words (then terms) one typo away."""
        stem = self.analyzer.stem(word)
        if stem in self.terms:
            return [stem]
        candidates = [self.stem_of[w] for w in self.words.correct(word)]
        candidates += self.terms.correct(stem)
        return list(dict.fromkeys(candidates))[:4]

    def frequency_of(self, phrases: tuple[Phrase, ...], counts: Counter | None = None) -> int:
        """Entries holding one of `phrases`, at most (a phrase is no commoner than its
        rarest term), by `counts` (anywhere by default)."""
        counts = self.frequency if counts is None else counts
        total = sum(min(counts[term] for term in phrase) for phrase in phrases)
        return min(total, self.size)

    def concept(self, phrases: tuple[Phrase, ...]) -> Concept:
        return Concept(
            phrases, self.frequency_of(phrases), self.frequency_of(phrases, self.head_frequency)
        )


class FaqService:
    #: Results scoring under this share of the best one's score are left out.
    RELATIVE_FLOOR = 0.15

    def __init__(self, corpus: Corpus, index: SearchIndex, results_cache: int = 1024):
        self.corpus = corpus
        self.index = index
        self._locales: dict[str, _LocaleSearch] = {}
        self._documents: list[Document] = []
        #: Each answer as plain text (for snippets), by (locale, slug).
        self._plain: dict[tuple[str, str], str] = {}
        #: Pages ask for the same searches again and again (popular questions, the same
        #: words typed by many): their results are kept, for as long as this content is.
        self._found = lru_cache(maxsize=results_cache)(self._find) if results_cache else self._find
        for locale, entries in corpus.entries.items():
            analyzer = Analyzer(base_language_of(locale), corpus.stopwords.get(locale, ()))
            synonyms = Synonyms(analyzer, corpus.synonyms.get(locale, ()))
            words: set[str] = set()
            frequency: Counter = Counter()
            head_frequency: Counter = Counter()
            for group in corpus.synonyms.get(locale, ()):
                words.update(analyzer.words(" ".join(group)))
            for entry in entries.values():
                plain = self._plain[locale, entry.slug] = to_text(entry.body)
                doc = Document(
                    locale=locale,
                    slug=entry.slug,
                    question=" ".join(analyzer.terms(entry.question)),
                    keywords=" ".join(analyzer.terms(" ".join(entry.keywords))),
                    body=" ".join(analyzer.terms(plain)),
                )
                self._documents.append(doc)
                frequency.update(set(f"{doc.question} {doc.keywords} {doc.body}".split()))
                head_frequency.update(set(f"{doc.question} {doc.keywords}".split()))
                words.update(analyzer.words(f"{entry.question} {' '.join(entry.keywords)} {plain}"))
            self._locales[locale] = _LocaleSearch(
                analyzer, synonyms, words, frequency, head_frequency, len(entries)
            )
        self._ensured = False
        self._lock = threading.Lock()

    # The index.
    def ensure_index(self) -> bool:
        """Rebuild the index if the content changed since it was built; True if rebuilt."""
        if self._ensured:
            return False
        with self._lock:
            if self._ensured:
                return False
            rebuilt = False
            if not self.index.is_current(self.corpus.content_hash):
                self.reindex()
                rebuilt = True
            self._ensured = True
            return rebuilt

    def reindex(self) -> int:
        count = self.index.rebuild(self._documents, self.corpus.content_hash)
        self._ensured = True
        return count

    # Reading.
    def entries(self, locale: str) -> list[Entry]:
        return self.corpus.locale_entries(locale)

    def entry(self, locale: str, slug: str) -> Entry | None:
        return self.corpus.entry(locale, slug)

    def analyzer(self, locale: str) -> Analyzer:
        return self._locales[locale].analyzer

    # Searching.
    def concepts(self, locale: str, query: str) -> list[Concept]:
        """What the query asks about, in its order: each word with its typo mendings, words
        that a synonym list joins (`messagerie vocale`) taken together, each with the
        synonyms' phrases."""
        search = self._locales[locale]
        words = search.analyzer.query_words(query)
        candidates = [search.mend(word) for word in words]
        mended = [
            found[0] if found else word for found, word in zip(candidates, words, strict=True)
        ]
        phrases: list[list[Phrase]] = [[(term,) for term in found] for found in candidates]
        owner = list(range(len(words)))  # which concept each word belongs to
        for start, length, others in search.synonyms.matches(mended):
            target = owner[start]
            if length > 1:
                # Words a synonym list joins stand together: "historique des appels" is not
                # any entry that says "appels".
                phrases[target] = [tuple(mended[start : start + length])]
            for position in range(start + 1, start + length):
                joined = owner[position]
                if joined != target:
                    phrases[joined] = []
                    owner = [target if o == joined else o for o in owner]
            phrases[target].extend(others)
        concepts = []
        for group in phrases:
            unique = tuple(dict.fromkeys(group))
            if unique:
                concepts.append(search.concept(unique))
        return concepts

    def phrases(self, locale: str, query: str) -> list[Phrase]:
        """Every index phrase the query stands for (what results highlight)."""
        unique: dict[Phrase, None] = {}
        for concept in self.concepts(locale, query):
            unique.update(dict.fromkeys(concept.phrases))
        return list(unique)

    def found(self, locale: str, query: str, limit: int = 10) -> tuple[Found, ...]:
        """`search`, ready to show: each question and a snippet of its answer with the
        query's words marked (escaped). Kept in a cache keyed by the words that count."""
        search = self._locales.get(locale)
        if search is None:
            return ()
        return self._found(locale, " ".join(search.analyzer.query_words(query or "")), limit)

    def _find(self, locale: str, words: str, limit: int) -> tuple[Found, ...]:
        results = self.search(locale, words, limit)
        analyzer = self._locales[locale].analyzer
        marks = Marker(results.terms, analyzer)
        return tuple(
            Found(
                entry=result.entry,
                question=highlight(result.entry.question, marks, analyzer),
                snippet=highlight(
                    snippet(self._plain[locale, result.entry.slug], marks, analyzer),
                    marks,
                    analyzer,
                ),
            )
            for result in results.results
        )

    #: Entries the index may rank for one query before the plan gets choosier (bm25 costs
    #: about a microsecond an entry in FTS5; a small FAQ never comes near this).
    RANKING_BUDGET = 1000
    #: The same in the questions and keywords (SQLite's heads table ranks about three times
    #: faster: it keeps no column sizes).
    HEADS_RANKING_BUDGET = 3000
    #: At most this many searches when every concept is common (see `_plan`).
    MAX_ROUNDS = 4

    def search(self, locale: str, query: str, limit: int = 10) -> SearchResults:
        results = SearchResults(query=query or "")
        search = self._locales.get(locale)
        if search is None:
            return results
        concepts = self.concepts(locale, query or "")
        results.terms = frozenset(
            term for concept in concepts for phrase in concept.phrases for term in phrase
        )
        known = [c for c in concepts if c.frequency > 0]
        if not known:
            return results
        self.ensure_index()
        seen: set[str] = set()
        for groups, questions_only in self._plan(known, search.size):
            found = self.index.search(locale, groups, limit, questions_only=questions_only)
            # Answers far weaker than the search's best share one common word with the
            # query: drop them. Each search has its own scale (the heads table scores
            # higher), so the floor is set search by search.
            floor = max((hit.score for hit in found), default=0) * self.RELATIVE_FLOOR
            for hit in found:
                entry = self.corpus.entry(locale, hit.slug)
                if hit.slug not in seen and entry is not None and hit.score >= floor:
                    seen.add(hit.slug)
                    results.results.append(Result(entry, hit.score))
            if len(results.results) >= limit:
                break
        del results.results[limit:]
        return results

    def _plan(self, concepts: list[Concept], size: int):
        """The index searches to run, in order, until `limit` entries are found: each a
        list of groups of phrases (an entry must hold a phrase of every group) and whether
        to look in the questions and keywords only.

        * Few entries hold the query's concepts: one search, any concept (the index ranks
          every entry that shares something with the query).
        * Many do (a large FAQ), but some concepts are rare: one search for any of the
          rarest, as many as the budget allows (a rare word decides what the person is
          after). A concept in more than half the entries is left out, since bm25 gives it
          no weight.
        * Every concept is common: first the questions and keywords (SQLite searches them
          in a table of their own, ranked about three times faster), for any of the
          concepts rarest there, within their own budget: a question that names what the
          person asked about is the best answer. Then anywhere, requiring the concepts of
          at most half the entries (all, if none is), then all but the commonest, and so
          on.
        """
        if sum(c.frequency for c in concepts) <= self.RANKING_BUDGET:
            yield [[phrase for c in concepts for phrase in c.phrases]], False
            return
        chosen = self._within_budget(concepts, size, lambda c: c.frequency, self.RANKING_BUDGET)
        if chosen:
            yield [[phrase for c in chosen for phrase in c.phrases]], False
            return
        heads = self._within_budget(
            concepts, size, lambda c: c.head_frequency, self.HEADS_RANKING_BUDGET
        )
        if heads:
            yield [[phrase for c in heads for phrase in c.phrases]], True
        # Requiring a concept of most entries narrows little and costs much (bm25 reads
        # every entry holding a phrase of the query to weigh it).
        ordered = sorted(concepts, key=lambda c: c.frequency)
        required = [c for c in ordered if c.frequency * 2 <= size] or ordered
        for round_ in range(self.MAX_ROUNDS):
            yield [c.phrases for c in required], False
            if len(required) == 1:
                return
            # The last round asks for the rarest concept alone.
            required = required[: len(required) - 1 if round_ < self.MAX_ROUNDS - 2 else 1]

    @staticmethod
    def _within_budget(concepts: list[Concept], size: int, frequency, budget: int) -> list[Concept]:
        """The rarest concepts by `frequency` that the index can rank within `budget`
        (none in more than half the entries, none in no entry)."""
        chosen, total = [], 0
        for concept in sorted((c for c in concepts if frequency(c)), key=frequency):
            count = frequency(concept)
            if count * 2 > size or total + count > budget:
                break
            chosen.append(concept)
            total += count
        return chosen


def service_for(app) -> FaqService:
    """The app's FAQ service, built on first use (content from `FAQ_CONTENT_DIR`)."""
    service = app.extensions.get("faq")
    if service is None:
        from extensions import db

        with app.app_context():
            engine = db.engine
        content_dir = Path(app.config.get("FAQ_CONTENT_DIR") or CONTENT_DIR)
        service = FaqService(
            load_corpus(content_dir),
            index_for(engine),
            results_cache=app.config.get("FAQ_RESULTS_CACHE", 1024),
        )
        app.extensions["faq"] = service
    return service
