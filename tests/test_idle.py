"""An agent's idle timeout (idle.py, WCAG 2.2.1): warned before, extendable, and nothing lost
after: signing in again goes back to the page, acting for the same customer, with the unsent
form filled in. The browser side (the dialog) is in tests/browser/test_idle.py."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony.models import Account, AuditEvent, CallNote
from tests.conftest import USERS, Auth, csrf_from
from tests.factories import ACTING_FR_BANNER, act_for


def expire(app, client) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - app.config["AGENT_IDLE_TIMEOUT"] - 5


def acting_audit(app, target: int) -> list[str]:
    """What the audit says of agents acting for the account `target`, oldest first."""
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.account_id == target, AuditEvent.action.like("agent.acting_%"))
            .order_by(AuditEvent.id)
        ).all()


def account_id(app, code: str = "vt10001-f") -> int:
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.code == code))


def notes(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(CallNote.id)))


def note_sent_too_late(app, client, body: str):
    """Signed in as the agent: open an account, wait past the limit, send a note.
    Returns the account's id and the answer to the note."""
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    expire(app, client)
    reply = client.post(f"/agent/accounts/{target}/notes", data={"csrf_token": token, "body": body})
    return target, reply


def test_agent_pages_say_how_long_is_left_and_offer_to_stay(app, signed_in):
    client = signed_in("agent")
    page = client.get("/agent/?lang=en")
    left = int(page.headers["X-Idle-Seconds-Left"])
    assert app.config["AGENT_IDLE_TIMEOUT"] - 31 <= left <= app.config["AGENT_IDLE_TIMEOUT"]
    assert 'id="idle-dialog"' in page.text and f'data-seconds-left="{left}"' in page.text
    assert "you are signed out after 15 minutes without activity" in page.text
    assert "Stay signed in" in page.text


def test_asking_how_long_is_left_is_no_activity(app, signed_in):
    """app.js asks before it warns (another tab may have kept the session alive): the
    answer says the time left and does not start it again; past the limit it says 0, and
    the next request signs out (keeping what it sends)."""
    client = signed_in("agent")
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 200
    probe = client.get("/session/time-left", headers={"HX-Request": "true"})
    left = int(probe.headers["X-Idle-Seconds-Left"])
    assert probe.status_code == 204
    assert left <= app.config["AGENT_IDLE_TIMEOUT"] - 199
    with client.session_transaction() as session:
        assert int(time.time()) - session["seen_at"] >= 200  # not started again
    page = client.get("/agent/?lang=en")  # a page is activity
    assert int(page.headers["X-Idle-Seconds-Left"]) > left
    expire(app, client)
    ended = client.get("/session/time-left", headers={"HX-Request": "true"})
    assert ended.headers["X-Idle-Seconds-Left"] == "0"
    assert client.get("/agent/").status_code == 303  # signed out by the next request


def test_customers_have_no_idle_limit_to_be_warned_of(signed_in):
    page = signed_in("fr").get("/lines/?lang=en")
    assert "X-Idle-Seconds-Left" not in page.headers
    assert "idle-dialog" not in page.text and "Stay signed in" not in page.text


def test_stay_signed_in_starts_the_time_again(app, signed_in):
    client = signed_in("agent")
    token = csrf_from(client.get("/agent/").text)
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - app.config["AGENT_IDLE_TIMEOUT"] + 60
    reply = client.post(
        "/session/keep-alive", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 204
    assert int(reply.headers["X-Idle-Seconds-Left"]) >= app.config["AGENT_IDLE_TIMEOUT"] - 1
    # Without JavaScript: back to the page, never to another site.
    plain = client.post("/session/keep-alive", data={"csrf_token": token, "next": "/agent/?q=x"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/agent/?q=x"
    away = client.post("/session/keep-alive", data={"csrf_token": token, "next": "//evil.example"})
    assert away.headers["Location"] == "/"


def test_stay_signed_in_needs_the_csrf_token(app, signed_in):
    client = signed_in("agent")
    with client.session_transaction() as session:
        session["seen_at"] = before = int(time.time()) - 100
    client.post("/session/keep-alive", headers={"HX-Request": "true"})
    with client.session_transaction() as session:
        assert session["seen_at"] == before


def test_a_note_sent_after_the_limit_comes_back_after_signing_in(app, client, signed_in):
    signed_in("agent")
    target = account_id(app)
    page = f"/agent/accounts/{target}"
    token = csrf_from(client.get(f"{page}?lang=en").text)
    expire(app, client)
    before = notes(app)
    note = "Caller wants two more lines «before Friday» — call back at 14:00"
    reply = client.post(
        f"{page}/notes",
        data={"csrf_token": token, "body": note},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == f"/login?next=/agent/accounts/{target}"
    assert notes(app) == before  # nothing saved
    login = client.get(reply.headers["Location"]).text
    assert "signed out after 15 minutes" in login
    assert "What you were sending is kept: sign in again to find it." in login
    again = client.post(
        reply.headers["Location"],
        data={"email": USERS["agent"], "password": "demo", "csrf_token": csrf_from(login)},
    )
    assert again.headers["Location"] == page
    shown = client.get(again.headers["Location"]).text
    assert "is back in its form below" in shown
    assert note in shown.split('name="body"', 1)[1].split("</textarea>")[0]
    assert "is back in its form below" not in client.get(page).text  # once


def test_acting_for_a_customer_resumes_with_the_draft_offered_back(app, client, signed_in):
    signed_in("agent")
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})
    assert "as agent" in client.get("/lines/?lang=en").text
    expire(app, client)
    # An htmx request: the page it came from is where the agent goes back to.
    reply = client.post(
        "/lines/offer",
        data={
            "csrf_token": token,
            "lines": "1",
            "offer": "x",
            "comment": "Move to Entreprise",
            "acting_for": str(target),  # (as every form of an acting agent's page)
        },
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/lines/?lang=en"},
    )
    assert reply.status_code == 204
    assert reply.headers["HX-Redirect"] == "/login?next=/lines/?lang%3Den"
    assert client.get("/lines/").status_code == 302  # signed out, acting with it
    Auth(client).login(USERS["agent"])
    page = client.get("/lines/?lang=en").text
    assert ACTING_FR_BANNER in page
    assert "Reason: Caller" in page
    # No form of that page has those fields: the text is offered back to copy.
    assert "You were signed out before this was sent" in page
    assert ">Move to Entreprise</textarea>" in page
    # Their three fields, not whom the form was for (acting_for).
    assert page.count('<label for="unsent-') == 3
    assert acting_audit(app, target) == [
        "agent.acting_started",
        "agent.acting_stopped",
        "agent.acting_started",
    ]


@pytest.mark.parametrize("path", ["/lines/", "/faq", "/agent/"])
def test_an_agent_idle_while_acting_is_signed_out_by_any_page(app, client, signed_in, path):
    """The timeout found on a GET ends the acting too, which the audit records: a write
    in a request that otherwise only reads (database.use_transaction)."""
    signed_in("agent")
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})
    expire(app, client)
    reply = client.get(path)
    assert reply.status_code in (302, 303) and "/login" in reply.headers["Location"]
    assert client.get("/agent/").status_code == 302  # signed out for good
    assert acting_audit(app, target) == ["agent.acting_started", "agent.acting_stopped"]


def test_someone_else_signing_in_gets_nothing_of_it(app, client, signed_in):
    signed_in("agent")
    note_sent_too_late(app, client, "Secret")
    reply = Auth(client).login(USERS["fr"])
    assert reply.headers["Location"] == "/"
    assert "Secret" not in client.get("/lines/").text


def test_an_old_resume_point_is_dropped(app, client, signed_in):
    signed_in("agent")
    target, _reply = note_sent_too_late(app, client, "Late")
    with client.session_transaction() as session:
        point = session["resume"]
        session["resume"] = {**point, "at": point["at"] - app.config["AGENT_RESUME_WINDOW"] - 1}
    reply = Auth(client).login(USERS["agent"])
    assert reply.headers["Location"] == "/"
    assert "Late" not in client.get(f"/agent/accounts/{target}").text


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_a_draft_too_big_for_a_cookie_is_not_kept(app, client, signed_in, size):
    signed_in("agent")
    body = "".join(random.Random(size).choices("абвгдежзийклмнопрстуфхцчшщ ", k=size))
    _target, reply = note_sent_too_late(app, client, body)
    assert reply.status_code == 303
    cookie = client.get_cookie("session")
    assert cookie is not None and len(cookie.value) < 4000
    page = client.get(reply.headers["Location"]).text
    assert "What you were sending is kept" not in page
    assert Auth(client).login(USERS["agent"]).status_code == 303


def test_passwords_are_never_kept(app, client, signed_in):
    signed_in("agent")
    token = csrf_from(client.get("/agent/").text)
    expire(app, client)
    client.post("/logout/everywhere", data={"csrf_token": token, "password": "hunter2"})
    with client.session_transaction() as session:
        assert "hunter2" not in repr(dict(session))


def test_card_and_bank_details_are_never_kept(app, client, signed_in):
    """A draft waits in the signed (readable) cookie: a card's number and security code,
    an IBAN, are not in it; the rest of the form is."""
    signed_in("agent")
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})
    for path, data in [
        (
            "/billing/payment-methods/new-card",
            {"number": "4000 0000 0000 0077", "expiry": "09/30", "cvc": "737"},
        ),
        ("/procedure/", {"holder_name": "Dupré", "iban": "FR7630006000011234567890189"}),
    ]:
        token = csrf_from(client.get(path).text)
        expire(app, client)
        reply = client.post(path, data={"csrf_token": token, "acting_for": str(target), **data})
        assert reply.status_code == 303 and "/login" in reply.headers["Location"]
        with client.session_transaction() as session:
            draft = session["resume"].get("draft") or {"fields": []}
        kept = dict(draft["fields"])
        assert not {"number", "expiry", "cvc", "iban"} & set(kept), (path, kept)
        assert not any(secret in repr(draft) for secret in ("4000 0000", "FR7630006"))
        if "holder_name" in data:
            assert kept["holder_name"] == "Dupré"  # the rest of the form is kept
        Auth(client).login(USERS["agent"])
        token = csrf_from(client.get(f"/agent/accounts/{target}").text)
        client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})


def test_a_block_polling_on_its_own_keeps_no_session_alive_nor_fills_the_audit(
    app, client, signed_in
):
    """The invoices page polls for a ZIP every 4 s: that is no activity of the agent's, and
    it is recorded once a minute, not 900 times an hour."""
    from telephony.support import VIEWED

    signed_in("agent")
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})
    poll = {
        "HX-Request": "true",
        "HX-Target": "invoice-archives",
        "X-Background": "1",
        "X-Acting-For": str(target),
    }
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - 200
    for _ in range(3):
        assert client.get("/billing/invoices", headers=poll).status_code == 200
    with client.session_transaction() as session:
        assert int(time.time()) - session["seen_at"] >= 200  # not kept alive
    with app.app_context():
        views = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == VIEWED, AuditEvent.account_id == target
            )
        )
    client.get("/billing/invoices", headers=poll)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == VIEWED, AuditEvent.account_id == target
                )
            )
            == views
        )
        paths = db.session.scalars(
            select(AuditEvent.after).where(AuditEvent.action == VIEWED)
        ).all()
    assert sum(1 for p in paths if p["path"].startswith("/billing/invoices")) == 1  # once


def test_a_draft_of_one_customers_form_never_fills_anothers(app, client, signed_in):
    """Tab 1 acts for A, tab 2 then for B; after the timeout, tab 1's form for A is sent.
    Signed in again, acting for B, the agent gets A's text offered back, not B's form
    filled with it (one click would have written A's contact into B's account)."""
    import re

    from telephony import contacts

    signed_in("agent")
    with app.app_context():
        fr = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
        be = db.session.scalar(select(Account.id).where(Account.country == "BE"))

    act_for(client, fr)
    token = csrf_from(client.get("/procedure/billing-contact").text)
    act_for(client, be)
    expire(app, client)
    client.post(
        "/procedure/billing-contact",
        data={
            "csrf_token": token,
            "acting_for": str(fr),
            "contact_name": "Alice of A",
            "contact_email": "alice@customer-a.example",
        },
        headers={"Referer": "http://localhost/procedure/billing-contact"},
    )
    back = Auth(client).login(USERS["agent"]).headers["Location"]
    page = client.get(back).text
    assert f'name="acting_for" value="{be}"' in page
    assert not re.search(r'value="alice@customer-a\.example"', page)
    assert "alice@customer-a.example" in page  # offered back as text, to copy if meant
    with app.app_context():
        assert contacts.current(db.session.get(Account, be)).email != "alice@customer-a.example"


def test_acting_is_not_resumed_hours_later_without_a_new_reason(app, client, signed_in):
    """Signing in again up to eight hours after the timeout started acting for the same
    customer again, on the old reason, without the agent choosing to (review): past the
    acting window the agent chooses again; the text typed is still offered back."""
    signed_in("agent")
    target = account_id(app)
    token = csrf_from(client.get(f"/agent/accounts/{target}").text)
    client.post(f"/agent/accounts/{target}/act", data={"csrf_token": token, "reason": "Caller"})
    note_sent_too_late(app, client, "Late but kept")
    with client.session_transaction() as session:
        point = session["resume"]
        session["resume"] = {
            **point,
            "at": point["at"] - app.config["AGENT_RESUME_ACTING_WINDOW"] - 1,
        }
    Auth(client).login(USERS["agent"])
    assert acting_audit(app, target) == ["agent.acting_started", "agent.acting_stopped"]
    assert client.get("/lines/").headers["Location"].endswith("/agent/")
    assert "Late but kept" in client.get("/agent/?lang=en").text
