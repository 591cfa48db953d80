"""Finding accounts (support agents)."""

from __future__ import annotations

from sqlalchemy import exists, func, or_, select

from telephony.models import Account, User
from telephony.paging import Page, paginate

MAX_QUERY = 200


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_accounts(query: str, number: int, size: int) -> Page:
    """Accounts whose id, name, billing e-mail or a user's e-mail contains `query`."""
    text = " ".join((query or "").split())[:MAX_QUERY].lower()
    stmt = select(Account).order_by(Account.code)
    if text:
        pattern = _like_pattern(text)
        stmt = stmt.where(
            or_(
                func.lower(Account.code).like(pattern, escape="\\"),
                func.lower(Account.name).like(pattern, escape="\\"),
                func.lower(Account.billing_email).like(pattern, escape="\\"),
                exists().where(
                    User.account_id == Account.id,
                    func.lower(User.email).like(pattern, escape="\\"),
                ),
            )
        )
    return paginate(stmt, number, size)
