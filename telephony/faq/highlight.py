"""Query words marked in result text: every word whose term the query searched for (typos
mended, synonyms included) is wrapped in <mark>; everything else is escaped."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from telephony.faq.text import WORD, Analyzer


class Marker:
    """Tells whether a word as written stands for one of the query's terms."""

    def __init__(self, terms: frozenset[str], analyzer: Analyzer):
        self.terms = terms
        self.analyzer = analyzer

    def __call__(self, written: str) -> bool:
        return self.analyzer.term_of(written) in self.terms


def highlight(text: str, terms: frozenset[str] | Marker, analyzer: Analyzer) -> Markup:
    wanted = terms.terms if isinstance(terms, Marker) else terms
    out: list[str] = []
    position = 0
    for start, end, term in _words(text, analyzer):
        if term in wanted:
            out.append(str(escape(text[position:start])))
            out.append(f"<mark>{escape(text[start:end])}</mark>")
            position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))  # noqa: S704 - every piece is escaped above


@lru_cache(maxsize=8192)
def _words(text: str, analyzer: Analyzer) -> tuple[tuple[int, int, str | None], ...]:
    """Where each word of `text` is and the term it stands for: the questions and the
    snippets of the answers come back from one search to the next (a profile of varying
    searches spent half of `found` finding and stemming their words again)."""
    return tuple(
        (match.start(), match.end(), analyzer.term_of(match.group()))
        for match in WORD.finditer(text)
    )


def snippet(text: str, terms: frozenset[str] | Marker, analyzer: Analyzer, words: int = 30) -> str:
    """About `words` words of `text` around its densest run of query terms."""
    tokens, token_terms = _tokens(text, analyzer)
    if len(tokens) <= words:
        return " ".join(tokens)
    wanted = terms.terms if isinstance(terms, Marker) else terms
    hits = [i for i, found in enumerate(token_terms) if not found.isdisjoint(wanted)]
    best_start, best = 0, -1
    for start in sorted({max(0, h - 3) for h in hits} | {0}):
        count = sum(1 for h in hits if start <= h < start + words)
        if count > best:
            best_start, best = start, count
    best_start = min(best_start, len(tokens) - words)
    piece = " ".join(tokens[best_start : best_start + words])
    return ("… " if best_start else "") + piece + (" …" if best_start + words < len(tokens) else "")


@lru_cache(maxsize=4096)
def _tokens(text: str, analyzer: Analyzer) -> tuple[list[str], list[frozenset[str]]]:
    """A text's tokens (split at spaces) and the terms each holds: the answers come back.
    A list item's dash is left out (run into one line, "… du téléphone : - pour …")."""
    tokens = [
        token
        for line in text.splitlines()
        for token in (line[2:] if line.startswith("- ") else line).split()
    ]
    return tokens, [
        frozenset(term for word in WORD.findall(token) if (term := analyzer.term_of(word)))
        for token in tokens
    ]
