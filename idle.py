"""An agent's session ends after AGENT_IDLE_TIMEOUT seconds without a request, and nothing the
agent was doing is lost with it (WCAG 2.2.1):

* every staff page knows how long is left (`seconds_left`, also sent as the
  ``X-Idle-Seconds-Left`` header of each response, so that htmx requests count); app.js
  opens a dialog AGENT_IDLE_WARNING seconds before the end, whose "Stay signed in" posts to
  the keep-alive view; without JavaScript the same button sits in the footer; before it
  warns or says the session ended, it asks the server (PROBE, no activity): another tab may
  have kept the session alive;
* when the time is up, the next request signs the agent out (the server record goes, so a
  copied cookie opens nothing) but keeps a *resume point* in the anonymous cookie: the user,
  the page they were on, whom they were acting for, and the text of the form they were
  sending (the draft), when it is small enough for a cookie;
* signing in again as the same user within AGENT_RESUME_WINDOW goes back to that page, with
  the form filled in again (`restore_draft`, called by every form) or, where no form takes
  it, its text shown; within AGENT_RESUME_ACTING_WINDOW (the caller may still be on the
  line), acting for the same customer again (audited as a new start); later, the agent
  chooses the customer again, with a reason.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, make_response, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from werkzeug.datastructures import MultiDict

import acting
import database
from extensions import db
from security import STAFF, safe_local_target

#: Session keys: the time of the last request; what to resume after signing in again; the
#: draft waiting for its form.
SEEN = "seen_at"
RESUME = "resume"
DRAFT = "draft"
#: Form fields never kept in a draft (acting.FORM_FIELD: the customer a form was opened
#: for, which the resumed page says again).
NOT_KEPT = ("csrf_token", "password", "submit", "acting_for")
#: Nor payment or bank details, whatever form holds them: a draft waits in the signed (not
#: encrypted) cookie, and a card's number or security code is never kept after its request.
SENSITIVE = re.compile(r"password|iban|bic|card|cvc|cvv|csc|expiry|instrument|secret|token")
#: The card form's field for the card's number.
CARD_NUMBER = "number"
#: A draft is kept only if the signed cookie stays under this size (browsers drop larger).
COOKIE_BUDGET = 3500
#: The header that tells app.js how long the session has left.
HEADER = "X-Idle-Seconds-Left"
#: The header of a request a page makes on its own (`hx-headers` of a polling block).
BACKGROUND = "X-Background"
#: The view app.js asks how long is left: it is no activity (the time does not start again,
#: nor does it end the session).
PROBE = "auth.time_left"


def _limit() -> int:
    return int(current_app.config["AGENT_IDLE_TIMEOUT"])


def _refresh_every() -> int:
    """The time of the last request is written at most this often (seconds)."""
    return max(0, min(30, _limit() // 10))


def is_background() -> bool:
    """A request the page makes on its own (a list polling for a ZIP): no activity of the
    agent's, so it does not keep the session alive."""
    return request.headers.get(BACKGROUND) == "1"


def applies() -> bool:
    user = current_user._get_current_object()  # (each read through the proxy costs)
    return user.is_authenticated and user.role in STAFF


def seconds_left() -> int | None:
    """Seconds before the signed-in agent's session ends without activity (None: no limit).
    Reckoned once per request, so that the page and its header say the same."""
    if not applies():
        return None
    if "idle_seconds_left" not in g:
        seen = session.get(SEEN)
        g.idle_seconds_left = (
            max(0, seen + _limit() - int(time.time())) if isinstance(seen, int) else 0
        )
    return g.idle_seconds_left


def minutes(seconds: int) -> int:
    return max(1, seconds // 60)


def start() -> None:
    """At sign-in: the clock starts."""
    if applies():
        session[SEEN] = int(time.time())
        g.pop("idle_seconds_left", None)


def keep_alive() -> None:
    """The agent asked for more time."""
    if applies():
        session[SEEN] = int(time.time())
        g.pop("idle_seconds_left", None)


def end_idle_staff_session():
    """before_request: sign out an agent idle for too long, keeping where they were."""
    if request.endpoint in ("static", PROBE) or not applies():
        # (The probe only reads: past the limit, it answers 0 and leaves the signing out to
        # the next request, which keeps what it sends.)
        return None
    now = int(time.time())
    seen = session.get(SEEN)
    limit = _limit()
    if isinstance(seen, int) and now - seen <= limit:
        if now - seen >= _refresh_every() and not is_background():
            session[SEEN] = now
        return None
    # Past the limit, or no time kept at all (every staff session gets one at sign-in).
    resume = _resume_point(now)
    stop_acting()
    logout_user()
    session.clear()
    session[RESUME] = resume
    if not _fits_in_cookie(dict(session)):
        resume.pop(DRAFT, None)
    flash(
        ngettext(
            "You were signed out after %(num)d minute without activity.",
            "You were signed out after %(num)d minutes without activity.",
            minutes(limit),
        ),
        "info",
    )
    if resume.get(DRAFT):
        flash(_kept_message(), "info")
    target = url_for("auth.login", next=resume["back"] or None)
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _kept_message() -> str:
    return _("What you were sending is kept: sign in again to find it.")


def _resume_point(now: int) -> dict:
    resume = {"user": current_user.id, "at": now, "back": _back(), "acting": acting.state()}
    draft = _draft()
    if draft:
        resume[DRAFT] = draft
    return resume


def _back() -> str:
    """The page the agent was on: the page itself for a plain GET, else the page that sent
    the request (htmx says which; a form, its Referer)."""
    if request.headers.get("HX-Request") == "true":
        candidate = request.headers.get("HX-Current-URL", "")
    elif request.method == "GET" and not (request.endpoint or "").startswith("auth."):
        candidate = request.full_path
    else:
        candidate = request.referrer or ""
    parts = urlsplit(candidate)
    if parts.netloc and parts.netloc != request.host:
        return ""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_local_target(path) or ""


def _draft() -> dict | None:
    if request.method != "POST":
        return None
    card_form = "cvc" in request.form  # (its "number" is a card's)
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in NOT_KEPT
        and not SENSITIVE.search(name.lower())
        and not (card_form and name == CARD_NUMBER)
        and value.strip()
        and "\x00" not in value
    ]
    if not fields:
        return None
    # The customer the form was made for (its acting field; None when not acting): it
    # fills again only a form of that customer (another tab may have acted for another).
    made_for = request.form.get(acting.FORM_FIELD)
    return {"action": request.path, "fields": fields, "for": made_for}


def _fits_in_cookie(data: dict) -> bool:
    signer = SecureCookieSessionInterface().get_signing_serializer(current_app)
    return signer is not None and len(signer.dumps(data)) <= COOKIE_BUDGET


def stop_acting() -> None:
    """Acting for a customer ends with the session (timed out, or signed out): the audit
    says so, as the agent's "Stop acting" would."""
    from telephony import support

    # Any agent: the record may say acting where the session does not (two tabs).
    if current_user.is_authenticated and support.can_act(current_user):
        database.use_transaction()  # (any request, a GET too, may find the agent idle)
        support.stop_acting(current_user)
        db.session.commit()


def resume(user, point: object) -> str | None:
    """After `user` signed in again: pick up what the idle timeout cut, if it was theirs and
    recent. Returns the page to go back to."""
    if not isinstance(point, dict) or point.get("user") != user.id:
        return None
    at = point.get("at")
    if not isinstance(at, int) or time.time() - at > current_app.config["AGENT_RESUME_WINDOW"]:
        return None
    was = point.get("acting")
    # Acting again without a word only while the caller may still be on the line: later,
    # the agent chooses the customer again, with a reason (the text typed is offered back).
    recent = time.time() - at <= current_app.config["AGENT_RESUME_ACTING_WINDOW"]
    if recent and isinstance(was, dict) and isinstance(was.get("account_id"), int):
        _resume_acting(user, was)
    draft = point.get(DRAFT)
    if isinstance(draft, dict) and isinstance(draft.get("fields"), list):
        session[DRAFT] = draft
    back = point.get("back")
    return safe_local_target(back) if isinstance(back, str) else None


def _resume_acting(user, was: dict) -> None:
    from telephony import DomainError, locking, support
    from telephony.models import Account

    account = db.session.get(Account, was["account_id"])
    if account is None:
        return
    locking.lock_account(account.id)
    try:
        reason = support.start_acting(user, account, was.get("reason"))
    except DomainError:  # no longer an agent, or the reason no longer passes
        db.session.rollback()
        return
    db.session.commit()
    acting.start(account.id, reason)
    acting.set_locale_mode(was.get("locale", "agent"))


def restore_draft(form) -> None:
    """A form shown (not submitted) right after signing in again takes back the draft whose
    fields it has, if it was made for the customer acted for now: the agent finds what
    they typed where they typed it."""
    draft = session.get(DRAFT)
    if not draft or request.method != "GET":
        return
    fields = draft.get("fields") or []
    names = {field.name for field in form}
    if not fields or not {name for name, _ in fields} <= names:
        return
    current = acting.state()
    now_for = str(current["account_id"]) if current else None
    if draft.get("for") != now_for:
        return  # another customer's form: its text is offered back, not filled in
    form.process(formdata=MultiDict(fields))
    session.pop(DRAFT)
    g.draft_restored = True


def unsent() -> dict:
    """For the page: whether a form took the draft back, or the text to offer back when
    none did (shown once)."""
    if g.get("draft_restored"):
        return {"restored": True, "texts": []}
    draft = session.pop(DRAFT, None)
    if not draft:
        return {"restored": False, "texts": []}
    texts = [value for _, value in draft.get("fields") or [] if isinstance(value, str)]
    return {"restored": False, "texts": texts}


def add_header(response):
    """after_request: how long the session has left, for app.js."""
    left = seconds_left()
    if left is not None:
        response.headers[HEADER] = str(left)
    return response


def context() -> dict:
    """Template context: the time left (None: no limit), the warning lead, and the draft."""
    left = seconds_left()
    return {
        "idle_left": left,
        "idle_warning": min(int(current_app.config["AGENT_IDLE_WARNING"]), _limit()),
        "unsent_draft": unsent,
    }
