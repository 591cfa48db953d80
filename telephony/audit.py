"""Audit trail: every change of customer data records who, for whom, what, before and after."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from extensions import db
from telephony.models import Account, AuditEvent, User

#: Why the agent making this change acts for the customer (the reason they gave when they
#: began): the web layer sets it for a request made while acting and clears it after. A
#: change made on a customer's behalf that names no reason of its own is recorded with it.
acting_reason: ContextVar[str] = ContextVar("acting_reason", default="")


def record(
    action: str,
    *,
    account: Account | None,
    actor: User | None,
    target_type: str = "",
    target_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records)."""
    other = actor is not None and account is not None and actor.account_id != account.id
    if other and not reason:
        reason = acting_reason.get()
    # On the customer's behalf: while acting for them, which takes a reason. An agent
    # looking an account up in the console, or the end of acting, is not.
    on_behalf = bool(other and reason)
    event = AuditEvent(
        action=action,
        account_id=account.id if account else None,
        actor_id=actor.id if actor else None,
        on_behalf=on_behalf,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason,
    )
    db.session.add(event)
    return event
