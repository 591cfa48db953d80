"""Paging done in SQL: LIMIT/OFFSET on the query, one COUNT for the total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from extensions import db


@dataclass
class Page:
    items: list[Any]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(query: Select, number: int, size: int, rows: bool = False) -> Page:
    """Run `query` for page `number` (1-based, clamped to the existing pages); `rows`: the
    items are whole result rows (a query of several columns), not their first column."""
    total = (
        db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    page = query.limit(size).offset((number - 1) * size)
    if rows:
        items = list(db.session.execute(page).all())
    else:
        items = list(db.session.scalars(page).unique())
    return Page(items, total, number, size)
