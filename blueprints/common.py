"""Helpers shared by the customer-facing blueprints: whose account a request acts on, the
hooks every customer blueprint runs before its views (an agent's view audited, a change
holding its account's lock), and a domain refusal shown on its form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

import acting as acting_state
import database
import idle
from extensions import db
from telephony import DomainError, NotFound, audit, locking, support
from telephony.models import Account, Role

#: Said when an agent's page opened for another customer sends a change.
OPENED_FOR_ANOTHER = _l(
    "This page was opened while you acted for another customer: nothing was changed. "
    "Open it again to act for the current customer."
)
#: Said beside a card's number when too many cards were refused (attempts.count_card).
TOO_MANY_CARDS = _l("Too many cards were refused: try again in a few minutes, or call us.")
#: The audit event of an acting agent's change that the rules refused.
REFUSED = "agent.refused"
#: Methods that change nothing: everything else is a change and takes the account's lock.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whose account an agent acts for lives in acting.py; the views know it by these names.
acting = acting_state.state
acting_account = acting_state.account
action_reason = acting_state.reason


def current_account() -> Account:
    """The account the request acts on: the customer's own, or the one an agent acts for."""
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role == Role.CUSTOMER and current_user.account is not None:
        return current_user.account
    if current_user.role == Role.TRANSLATOR and request.method in SAFE_METHODS:
        account = acting_state.preview_account()  # read only (security.account_required)
        if account is not None:
            return account
    if support.can_act(current_user):
        account = acting_account()
        if account is not None:
            return account
        flash(_("Find the customer's account first."), "error")
        abort(redirect(url_for("agent.index"), 303))
    abort(403)


def audit_agent_view() -> None:
    """before_request of the customer blueprints: whatever an agent reads of a customer's
    account is an audit event: a page, a block that htmx asks for, a PDF, an attachment.
    And every change the agent makes is recorded with why they act (audit.acting_reason,
    cleared when the request ends)."""
    reason = action_reason()
    if reason:
        audit.acting_reason.set(reason)
    view = current_app.view_functions.get(request.endpoint or "")
    # A form's inline check (a POST that changes nothing) answers with the page, or a
    # block of it, read as any page is.
    if request.method not in SAFE_METHODS and not getattr(view, "changes_nothing", False):
        return
    account = acting_account()
    if account is not None:
        # A block the page polls for on its own is recorded once a minute, not every time
        # (it says it is one; a request that lies is still recorded once a minute).
        # So is an inline check sent as the agent types (once a minute per page too).
        repeated = idle.is_background() or request.method not in SAFE_METHODS
        again = repeated and support.viewed_lately(current_user, account, request.full_path)
        if not again:
            database.use_transaction()
            support.record_view(current_user, account, request.full_path, action_reason())
            db.session.commit()


def changes_nothing(view):
    """Marks a view that posts but saves nothing (an inline check): it takes no lock."""
    view.changes_nothing = True
    return view


def lock_for_change() -> None:
    """before_request of the customer blueprints: a request that may change the account
    holds the account's row until it commits or rolls back (telephony.locking), so that
    two such requests for one account never interleave."""
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "changes_nothing", False):
        return
    user = current_user._get_current_object()
    if user.role == Role.CUSTOMER:
        account_id = user.account_id
    else:
        account_id = (acting() or {}).get("account_id")
    if account_id:
        locking.lock_account(account_id)


def refuse_another_customers_form():
    """before_request of the customer blueprints: an agent's form (or htmx request) opened
    while acting for another customer changes nothing (acting.py): a 409 page; for htmx,
    whose part of the page would be replaced by it, the page is reloaded (the current
    customer's) with the same message."""
    htmx = request.headers.get("HX-Request") == "true"
    # A page's htmx read too: the block would show the other customer's rows in it.
    if (request.method in SAFE_METHODS and not htmx) or not acting_state.sent_for_another():
        return None
    record_agent_refusal(str(_in_english(OPENED_FOR_ANOTHER)))
    if htmx:
        flash(OPENED_FOR_ANOTHER, "error")
        response = current_app.response_class(status=204)
        response.headers["HX-Refresh"] = "true"
        return response
    abort(409)


def customer_blueprint_hooks(bp) -> None:
    """What every blueprint of the customer's pages runs before its views."""
    bp.before_request(refuse_another_customers_form)  # (refused: not a view to record)
    bp.before_request(audit_agent_view)
    bp.before_request(lock_for_change)


def page_arg(name: str = "page") -> int:
    """A page number from the query string; anything odd means page 1."""
    value = request.args.get(name, "1")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1


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


@dataclass(frozen=True)
class Outcome:
    """What `perform` did: true when the change was committed; `value` is what it returned."""

    value: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def perform(change: Callable[[], Any], form=None, field: str | None = None) -> Outcome:
    """Run a domain change in the request's transaction: commit it, or, when a rule refuses
    it (DomainError), roll everything back and say why: beside the form's field (or
    `field`), or as a message when there is no form. NotFound goes on to the 404 page."""
    try:
        value = change()
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        record_agent_refusal(str(_in_english(error.message)), error.field)
        if form is None:
            flash(str(error.message), "error")
        else:
            errors_to_form(form, error, field)
        return Outcome(error=error)
    db.session.commit()
    return Outcome(value=value)


def _in_english(message):
    from flask_babel import force_locale

    with force_locale("en"):
        return str(message)


def record_agent_refusal(message: str, field: str | None = None) -> None:
    """An acting agent's change that the rules refused is on the customer's record too
    (a supervisor sees repeated declined cards, a form sent for another customer): in a
    transaction of its own, the refused one rolled back."""
    account = acting_account()
    if account is None:
        return
    database.use_transaction()  # (an htmx read refused writes too)
    audit.record(
        REFUSED,
        account=account,
        actor=current_user._get_current_object(),
        target_type="page",
        after={"path": request.path[:200], "field": field or "", "message": message[:300]},
    )
    db.session.commit()


def inline_check(rule: Callable[[], Any], form, field: str | None = None) -> None:
    """An inline check (htmx): the same rule as the change, its refusal beside the field;
    nothing is saved."""
    try:
        rule()
    except DomainError as error:
        errors_to_form(form, error, field)
