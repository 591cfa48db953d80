"""While a support agent acts for a customer: whose account, why, and in whose language the
pages show. The state lives in the agent's session under one key, read and written only
here; everything else asks these functions."""

from __future__ import annotations

import re

from flask import flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from telephony import audit, support
from telephony.models import Account

#: Session key holding {"account_id": ..., "reason": ..., "locale": "agent" | "customer"}.
KEY = "acting_for"


def state() -> dict | None:
    """What the signed-in agent is doing for a customer (None for anyone else). The record
    decides: a session acting for a customer the agent no longer acts for (they stopped,
    or began acting for another, in another browser) acts for no one, and forgets it."""
    user = current_user._get_current_object()  # (each read through the proxy costs)
    if not user.is_authenticated or not support.can_act(user):
        return None
    value = session.get(KEY)
    if not isinstance(value, dict) or "account_id" not in value:
        return None
    if value["account_id"] != user.acting_for_id:
        session.pop(KEY, None)
        g.pop("acting_account", None)
        flash(
            _(
                "You no longer act for this customer: acting was stopped or moved to another "
                "customer in another window."
            ),
            "info",
        )
        return None
    return value


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


def forget_reason(_error=None) -> None:
    """teardown_request: the next request this thread serves is not the acting agent's."""
    audit.acting_reason.set("")


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


# A translator's read-only preview of a demo customer's pages (the translators' workspace:
# customer-only screens to see in context). Not an agent's acting: nothing can be changed.

#: Session key holding the account id a translator previews.
PREVIEW_KEY = "previewing"
#: The demo customers a translator may preview (one per country): never a real account.
PREVIEW_USERS = ("demo-fr@example.com", "demo-be@example.com", "demo-ch@example.com")


def preview_accounts() -> list[Account]:
    """The accounts a translator may preview, where the workspace is on."""
    from flask import current_app
    from sqlalchemy import select

    from telephony.models import User

    if not current_app.config.get("TRANSLATION_EDITOR"):
        return []
    return list(
        db.session.scalars(
            select(Account)
            .join(User, User.account_id == Account.id)
            .where(User.email.in_(PREVIEW_USERS))
            .order_by(Account.id)
        ).unique()
    )


def preview_account() -> Account | None:
    """The demo account a signed-in translator previews (None for anyone else)."""
    if "preview_account" not in g:
        from telephony.models import Role

        found = None
        chosen = session.get(PREVIEW_KEY)
        if (
            isinstance(chosen, int)
            and current_user.is_authenticated
            and current_user.role == Role.TRANSLATOR
        ):
            found = next((a for a in preview_accounts() if a.id == chosen), None)
        g.preview_account = found
    return g.preview_account


def start_preview(account_id: int) -> bool:
    """Preview one of the demo accounts; False if it is not one of them."""
    if account_id not in {a.id for a in preview_accounts()}:
        return False
    session[PREVIEW_KEY] = account_id
    g.pop("preview_account", None)
    return True


def stop_preview() -> None:
    session.pop(PREVIEW_KEY, None)
    g.pop("preview_account", None)


# Forms are bound to the customer they were opened for. A form says nothing of the account
# it changes (the billing contact, a new line...): the one acted for when it is sent is the
# one changed. An agent with two tabs, who acts for another customer in the second, must not
# change that customer with the first tab's form: each form, and each htmx request, says
# whom it was opened for, and a change for anyone else is refused (blueprints.common).

#: The hidden field every form of an acting agent's pages carries, and the htmx header.
FORM_FIELD = "acting_for"
HEADER = "X-Acting-For"
_POST_FORM = re.compile(rb"<form\b[^>]*\bmethod=\"post\"[^>]*>", re.IGNORECASE)


def mark_forms(response):
    """after_request: while an agent acts for a customer, every form of the page says for
    whom (a hidden field after its opening tag)."""
    current = state()
    if (
        current is None
        or response.mimetype != "text/html"
        or response.direct_passthrough
        or response.is_streamed
    ):
        return response
    field = f'<input type="hidden" name="{FORM_FIELD}" value="{int(current["account_id"])}">'
    body = response.get_data()
    marked = _POST_FORM.sub(lambda opening: opening.group(0) + field.encode(), body)
    if marked != body:
        response.set_data(marked)
    return response


def sent_for_another() -> bool:
    """Whether this request says it was made for another customer than the one acted for
    now: its form's field, or its page's htmx header (a form that htmx brought into an
    older page says the new customer, the page the old one: either refuses). One that
    says nothing was not made by a page of ours."""
    current = state()
    if current is None:
        return False
    said = [request.form.get(FORM_FIELD), request.headers.get(HEADER)]
    return any(value is not None and value != str(current["account_id"]) for value in said)


def htmx_headers() -> dict:
    """Template global: what every htmx request of a signed-in page sends (its CSRF token,
    and for an acting agent the customer the page was opened for)."""
    from flask_wtf.csrf import generate_csrf

    headers = {"X-CSRFToken": generate_csrf()}
    current = state()
    if current is not None:
        headers[HEADER] = str(current["account_id"])
    return headers
