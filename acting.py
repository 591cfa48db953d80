"""While a support agent acts for a customer: whose account, why, and in whose language the
pages show. The state lives in the agent's session under one key, read and written only
here; everything else asks these functions."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user

from extensions import db
from telephony import support
from telephony.models import Account

#: Session key holding {"account_id": ..., "reason": ..., "locale": "agent" | "customer"}.
KEY = "acting_for"


def state() -> dict | None:
    """What the signed-in agent is doing for a customer (None for anyone else)."""
    if not current_user.is_authenticated or not support.can_act(current_user):
        return None
    value = session.get(KEY)
    return value if isinstance(value, dict) and "account_id" in value else None


def account() -> Account | None:
    """The account an agent acts for, loaded once per request."""
    if "acting_account" not in g:
        current = state()
        g.acting_account = db.session.get(Account, current["account_id"]) if current else None
    return g.acting_account


def reason() -> str:
    """The reason recorded with a change: the agent's, when an agent acts; else none."""
    current = state()
    return current.get("reason", "") if current else ""


def locale_mode() -> str:
    """ "customer": the pages in the customer's language; "agent": in the agent's own."""
    return (state() or {}).get("locale", "agent")


def start(account_id: int, why: str) -> None:
    session[KEY] = {"account_id": account_id, "reason": why, "locale": "agent"}
    g.pop("acting_account", None)


def set_locale_mode(mode: str) -> None:
    current = state()
    if current is not None and mode in ("agent", "customer") and current.get("locale") != mode:
        session[KEY] = {**current, "locale": mode}


def stop() -> None:
    session.pop(KEY, None)
    g.pop("acting_account", None)
