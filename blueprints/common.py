"""Helpers shared by the customer-facing blueprints: whose account a request acts on, and
a domain refusal shown on its form."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from telephony import support
from telephony.models import Account, Role

#: Session key holding {"account_id": ..., "reason": ...} while an agent acts for a customer.
ACTING_KEY = "acting_for"


def acting() -> dict | None:
    """What the signed-in agent is doing for a customer (None for anyone else)."""
    if not current_user.is_authenticated or not support.can_act(current_user):
        return None
    value = session.get(ACTING_KEY)
    return value if isinstance(value, dict) and "account_id" in value else None


def acting_account() -> Account | None:
    """The account an agent acts for, loaded once per request."""
    if "acting_account" not in g:
        state = acting()
        g.acting_account = db.session.get(Account, state["account_id"]) if state else None
    return g.acting_account


def current_account() -> Account:
    """The account the request acts on: the customer's own, or the one an agent acts for."""
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role == Role.CUSTOMER and current_user.account is not None:
        return current_user.account
    if support.can_act(current_user):
        account = acting_account()
        if account is not None:
            return account
        flash(_("Find the customer's account first."), "error")
        abort(redirect(url_for("agent.index"), 303))
    abort(403)


def action_reason() -> str:
    """The reason recorded with a change: the agent's, when an agent acts; else none."""
    state = acting()
    return state.get("reason", "") if state else ""


def audit_agent_view() -> None:
    """before_request of the customer blueprints: an agent's page view is an audit event."""
    if request.method != "GET" or request.headers.get("HX-Request") == "true":
        return
    account = acting_account()
    if account is not None:
        support.record_view(current_user, account, request.full_path, action_reason())
        db.session.commit()


def page_arg(name: str = "page") -> int:
    """A page number from the query string; anything odd means page 1."""
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def errors_to_form(form, error, default: str | None = None) -> None:
    """Put a domain refusal beside the field it concerns (else the `default` field, else at
    the top of the form); a refusal listing several mistakes (`errors`) puts each beside
    its own field."""
    for name, message in (getattr(error, "errors", None) or {error.field: error.message}).items():
        field = getattr(form, name or "", None) or (getattr(form, default) if default else None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
