"""The FAQ's own evaluation set: queries people type (typos, synonyms, paraphrases) and the
question each should find. `flask faq eval` prints top-1 and top-3 accuracy per locale."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from i18n import LOCALES, base_language

EVAL_DIR = Path(__file__).parent / "eval"


@dataclass
class LocaleScore:
    locale: str
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def ratio(self, hits: int) -> float:
        return hits / self.total if self.total else 0.0


def load_cases(language: str, directory: Path = EVAL_DIR) -> list[tuple[str, str]]:
    """(expected slug, query) pairs of a language's file."""
    cases = []
    for line in (directory / f"{language}.tsv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        slug, query = line.split("\t", 1)
        cases.append((slug.strip(), query.strip()))
    return cases


def evaluate(service, locales=LOCALES, directory: Path = EVAL_DIR) -> list[LocaleScore]:
    scores = []
    for locale in locales:
        score = LocaleScore(locale)
        for slug, query in load_cases(base_language(locale), directory):
            found = [r.entry.slug for r in service.search(locale, query, limit=3).results]
            score.total += 1
            score.top1 += found[:1] == [slug]
            score.top3 += slug in found
            if slug not in found:
                score.misses.append((slug, query, found))
        scores.append(score)
    return scores
