"""The FAQ: content per locale (files), search through a full-text index, feedback.

`FaqService` ties them together and knows nothing of requests: give it a locale and what
the person typed; it returns ranked entries and the terms to highlight.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from telephony.faq.content import CONTENT_DIR, Corpus, Entry, load_corpus
from telephony.faq.index import Document, SearchIndex, index_for
from telephony.faq.render import to_text
from telephony.faq.text import Analyzer, Synonyms, Vocabulary, base_language_of

__all__ = ["FaqService", "Result", "SearchResults", "service_for"]


@dataclass(frozen=True)
class Result:
    entry: Entry
    score: float


@dataclass
class SearchResults:
    query: str
    results: list[Result] = field(default_factory=list)
    #: Every term the query was turned into (typos mended, synonyms added): what to highlight.
    terms: frozenset[str] = frozenset()


class _LocaleSearch:
    """What a locale needs at query time: analyser, vocabulary, synonyms."""

    def __init__(self, analyzer: Analyzer, synonyms: Synonyms, words: set[str]):
        self.analyzer = analyzer
        self.synonyms = synonyms
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


class FaqService:
    #: Results scoring under this share of the best one's score are left out.
    RELATIVE_FLOOR = 0.15

    def __init__(self, corpus: Corpus, index: SearchIndex):
        self.corpus = corpus
        self.index = index
        self._locales: dict[str, _LocaleSearch] = {}
        self._documents: list[Document] = []
        for locale, entries in corpus.entries.items():
            analyzer = Analyzer(base_language_of(locale), corpus.stopwords.get(locale, ()))
            synonyms = Synonyms(analyzer, corpus.synonyms.get(locale, ()))
            words: set[str] = set()
            for group in corpus.synonyms.get(locale, ()):
                words.update(analyzer.words(" ".join(group)))
            for entry in entries.values():
                plain = to_text(entry.body)
                doc = Document(
                    locale=locale,
                    slug=entry.slug,
                    question=" ".join(analyzer.terms(entry.question)),
                    keywords=" ".join(analyzer.terms(" ".join(entry.keywords))),
                    body=" ".join(analyzer.terms(plain)),
                )
                self._documents.append(doc)
                words.update(analyzer.words(f"{entry.question} {' '.join(entry.keywords)} {plain}"))
            self._locales[locale] = _LocaleSearch(analyzer, synonyms, words)
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
            if self.index.stored_hash() != self.corpus.content_hash:
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
    def phrases(self, locale: str, query: str) -> list[tuple[str, ...]]:
        """The query as index phrases: its terms (typos mended), then their synonyms."""
        search = self._locales[locale]
        mended: list[str] = []
        alternatives: list[tuple[str, ...]] = []
        for word in search.analyzer.query_words(query):
            candidates = search.mend(word)
            mended.append(candidates[0] if candidates else word)
            alternatives.extend((c,) for c in candidates)
        alternatives.extend(search.synonyms.expand(mended))
        unique: list[tuple[str, ...]] = []
        for phrase in alternatives:
            if phrase not in unique:
                unique.append(phrase)
        return unique

    def search(self, locale: str, query: str, limit: int = 10) -> SearchResults:
        if locale not in self._locales:
            return SearchResults(query=query or "")
        phrases = self.phrases(locale, query or "")
        results = SearchResults(query=query or "")
        if not phrases:
            return results
        self.ensure_index()
        hits = self.index.search(locale, phrases, limit)
        # Answers far weaker than the best share one common word with the query: drop them.
        floor = hits[0].score * self.RELATIVE_FLOOR if hits else 0
        for hit in hits:
            if hit.score < floor:
                break
            entry = self.corpus.entry(locale, hit.slug)
            if entry is not None:
                results.results.append(Result(entry, hit.score))
        results.terms = frozenset(term for phrase in phrases for term in phrase)
        return results


def service_for(app) -> FaqService:
    """The app's FAQ service, built on first use (content from `FAQ_CONTENT_DIR`)."""
    service = app.extensions.get("faq")
    if service is None:
        from extensions import db

        with app.app_context():
            engine = db.engine
        content_dir = app.config.get("FAQ_CONTENT_DIR") or CONTENT_DIR
        service = FaqService(load_corpus(content_dir), index_for(engine))
        app.extensions["faq"] = service
    return service


def _drop_index_with_tables() -> None:
    from extensions import db
    from telephony.faq.index import drop_with_metadata

    drop_with_metadata(db.metadata)


_drop_index_with_tables()
