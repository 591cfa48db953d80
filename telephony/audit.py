"""Audit trail: every change of customer data records who, for whom, what, before and after."""

from __future__ import annotations

from typing import Any

from extensions import db
from telephony.models import Account, AuditEvent, User


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
    on_behalf = bool(actor is not None and account is not None and actor.account_id != account.id)
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
