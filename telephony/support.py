"""Support agents acting on a customer's behalf: why, since when, and the trail it leaves.

An agent opens a customer's account after stating a reason; from then on the agent uses the
customer's own pages and rules (no bypass). Every page the agent views and every change
made is an audit event naming the agent, the account and the reason.
"""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from telephony import DomainError, audit
from telephony.models import Account, Role, User

REASON_MIN = 3
REASON_MAX = 300


def clean_reason(text: str | None) -> str:
    """The reason an agent gives: one line, no control characters, 3 to 300 characters."""
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text or ""
    )
    text = " ".join(text.split())
    if len(text) < REASON_MIN:
        raise DomainError(_l("Say why you act for this customer."), field="reason")
    if len(text) > REASON_MAX:
        raise DomainError(_l("Write at most %(num)d characters.", num=REASON_MAX), field="reason")
    return text


def can_act(user: User) -> bool:
    return user.role in (Role.AGENT, Role.ADMIN)


def start_acting(agent: User, account: Account, reason: str | None) -> str:
    """Check the reason and record that `agent` acts for `account` (caller's transaction)."""
    if not can_act(agent):
        raise DomainError(_l("Only support agents can act for a customer."))
    reason = clean_reason(reason)
    audit.record("agent.acting_started", account=account, actor=agent, reason=reason)
    return reason


def stop_acting(agent: User, account: Account, reason: str = "") -> None:
    audit.record("agent.acting_stopped", account=account, actor=agent, reason=reason)


def record_view(agent: User, account: Account, path: str, reason: str = "") -> None:
    """An agent saw a page of the account: that, too, is on the record."""
    audit.record(
        "agent.viewed",
        account=account,
        actor=agent,
        target_type="page",
        after={"path": path[:300]},
        reason=reason,
    )
