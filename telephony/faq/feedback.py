"""'Was this helpful?': answers stored one per row, counted per question for the operator."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from telephony.models import FaqFeedback


@dataclass(frozen=True)
class FeedbackCount:
    slug: str
    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful


TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def record(slug: str, locale: str, helpful: bool, token: str | None = None) -> bool:
    """Add one answer (the caller commits). `token` is the form's: an answer already
    recorded with it (the same form sent twice, even at once) is not added again.
    Returns whether it was added."""
    row = FaqFeedback(
        slug=slug,
        locale=locale[:8],
        helpful=helpful,
        token=token if token and TOKEN.fullmatch(token) else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the unique token: this form's answer is in already
        return False
    return True


def counts() -> list[FeedbackCount]:
    """Per question: how many found it helpful and how many did not, most answers first."""
    yes = func.sum(case((FaqFeedback.helpful.is_(True), 1), else_=0))
    no = func.sum(case((FaqFeedback.helpful.is_(False), 1), else_=0))
    rows = db.session.execute(
        select(FaqFeedback.slug, yes, no).group_by(FaqFeedback.slug).order_by(FaqFeedback.slug)
    ).all()
    result = [FeedbackCount(slug, int(y or 0), int(n or 0)) for slug, y, n in rows]
    return sorted(result, key=lambda c: (-c.total, c.slug))
