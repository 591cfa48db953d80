"""Support agents acting on a customer's behalf: a reason first, the customer's own pages
and rules, a banner, and every view and change on the record."""

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, audit, support
from telephony.models import Account, AuditEvent, Line, Offer, ScheduledTask, Service, User
from tests.conftest import csrf_from
from tests.factories import ACTING_FR_BANNER, act_for, act_for_fr


def _fr_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Say why you act for this customer"),
        ("  ", "Say why you act for this customer"),
        ("ok", "Say why you act for this customer, in 3 characters at least"),
        ("\x00\x01\x02", "Say why you act for this customer"),
        ("x" * 301, "Write at most 300 characters"),
    ],
)
def test_a_reason_is_required(app_ctx, text, message):
    with pytest.raises(DomainError, match=message) as refused:
        support.clean_reason(text)
    assert refused.value.field == "reason"


def test_reasons_are_kept_on_one_line(app_ctx):
    assert support.clean_reason("  Caller\nasked\tfor  it \x07") == "Caller asked for it"


def test_customers_and_translators_cannot_act(app_ctx):
    account = db.session.scalar(select(Account))
    for email in ("demo-fr@example.com", "translator@example.com"):
        user = db.session.scalar(select(User).where(User.email == email))
        with pytest.raises(DomainError, match="Only support agents can act for a customer"):
            support.start_acting(user, account, "a good reason")


def test_agent_pages_refuse_customers_and_translators(app, signed_in):
    account_id = _fr_id(app)
    for who in ("fr", "translator"):
        client = signed_in(who)
        assert client.get("/agent/").status_code == 403
        assert client.get(f"/agent/accounts/{account_id}").status_code == 403
        html = client.get("/?lang=en", follow_redirects=True).text
        posted = client.post(
            f"/agent/accounts/{account_id}/act",
            data={"csrf_token": csrf_from(html), "reason": "let me in"},
        )
        assert posted.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_from(html)})


def test_translators_have_no_customer_pages(signed_in):
    client = signed_in("translator")
    assert client.get("/lines/").status_code == 403


def test_an_agent_must_open_an_account_before_its_pages(signed_in):
    client = signed_in("agent")
    response = client.get("/lines/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/agent/")


def test_agent_acts_with_a_reason_and_the_change_records_it(app, signed_in):
    account_id = _fr_id(app)
    client = signed_in("agent")
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "Boulangerie Dupré &amp; Fils SARL" in page
    refused = client.post(
        f"/agent/accounts/{account_id}/act", data={"csrf_token": csrf_from(page), "reason": ""}
    )
    assert refused.status_code == 422
    assert "Say why you act for this customer." in refused.text
    no_csrf = client.post(f"/agent/accounts/{account_id}/act", data={"reason": "Caller asked"})
    assert no_csrf.status_code == 400

    opened = client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(page), "reason": "Caller asked for Entreprise"},
    )
    assert opened.status_code == 303
    lines_page = client.get("/lines/").text
    assert ACTING_FR_BANNER in lines_page
    assert "Lines and numbers" in lines_page

    with app.app_context():
        line = db.session.scalar(select(Line).where(Line.description == "Atelier"))
        entreprise = db.session.scalar(
            select(Offer).where(Offer.country == "FR", Offer.code == "entreprise")
        )
        line_id, offer_id = line.id, entreprise.id
    form = client.get(f"/lines/{line_id}/offer").text
    done = client.post(
        f"/lines/{line_id}/offer", data={"csrf_token": csrf_from(form), "offer": offer_id}
    )
    assert done.status_code == 303

    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        task = db.session.scalar(select(ScheduledTask))
        assert (task.created_by_id, task.on_behalf) == (agent.id, True)
        assert task.reason == "Caller asked for Entreprise"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "task.scheduled"))
        assert (event.actor_id, event.account_id, event.on_behalf) == (agent.id, account_id, True)
        assert event.reason == "Caller asked for Entreprise"
        assert event.after["params"]["from_offer_id"] == line.offer_id
        views = db.session.scalars(
            select(AuditEvent.after).where(AuditEvent.action == "agent.viewed")
        ).all()
        assert any(view["path"].startswith("/lines/") for view in views)
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "agent.acting_started")
        )

    # Stopping ends the access, and says so.
    stopped = client.post("/agent/stop", data={"csrf_token": csrf_from(form)})
    assert "You no longer act for Boulangerie" in client.get(stopped.location + "?lang=en").text
    assert client.get("/lines/").status_code == 303


def test_every_change_an_agent_makes_records_why_they_act(app, client, signed_in):
    """The reason given when the agent began is on every change made for the customer,
    not only on those whose code passes it (a renewal changed, here), and on nothing
    after the request."""
    account_id = act_for_fr(client, signed_in)
    with app.app_context():
        service_id = db.session.scalar(
            select(Service.id).where(
                Service.account_id == account_id, Service.name.startswith("+33972100001")
            )
        )
    path = f"/services/{service_id}/renewal"
    page = client.get(path + "?mode=automatic&period=3").text
    done = client.post(
        path, data={"csrf_token": csrf_from(page), "mode": "automatic", "period": "3"}
    )
    assert done.status_code == 303
    assert audit.acting_reason.get() == ""  # cleared when the request ended
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "service.renewal_changed")
        )
        assert (event.on_behalf, event.reason) == (True, "Customer on the phone")


def test_only_what_an_agent_does_while_acting_is_on_the_customers_behalf(app, client, signed_in):
    """A look in the console is the agent's own; the pages they open and the changes they
    make while acting (for a reason) are on the customer's behalf."""
    account_id = act_for_fr(client, signed_in)  # (opens the account in the console first)
    client.get("/lines/")
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.after, AuditEvent.on_behalf)
            .where(AuditEvent.account_id == account_id)
            .order_by(AuditEvent.id)
        ).all()
    looked_up = [e for e in events if e.action == "agent.viewed" and "/agent/" in e.after["path"]]
    assert looked_up and not any(e.on_behalf for e in looked_up)
    assert any(e.on_behalf for e in events if e.action == "agent.viewed" and e not in looked_up)


def test_an_acting_agent_follows_the_customers_rules(app, signed_in):
    """No bypass: the agent meets the same refusals (a trunk has no offer change)."""
    account_id = _fr_id(app)
    client = signed_in("agent")
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(page), "reason": "Caller on the phone"},
    )
    with app.app_context():
        trunk = db.session.scalar(select(Line).where(Line.kind == "trunk"))
        trunk_id = trunk.id
        other = db.session.scalar(select(Line).where(Line.account_id != account_id))
        other_id = other.id
    html = client.get(f"/lines/{trunk_id}/offer").text
    assert "A trunk has no offer change." in html
    assert client.get(f"/lines/{other_id}").status_code == 404


def test_a_form_opened_for_one_customer_cannot_change_the_next_one(app, signed_in):
    """Two tabs: the billing contact's form opened while acting for the French company,
    then the agent acts for the Belgian association. The old form, which says whom it was
    opened for, is refused; the switch ends acting for the first on the record."""
    client = signed_in("agent")
    with app.app_context():
        fr, be = (
            db.session.scalar(select(Account).where(Account.code == code))
            for code in ("vt10001-f", "vt20002-b")
        )
        fr_id, be_id, be_email = fr.id, be.id, be.billing_email

    act_for(client, fr_id)
    tab_a = client.get("/procedure/billing-contact?lang=en").text
    assert f'name="acting_for" value="{fr_id}"' in tab_a
    act_for(client, be_id)
    reply = client.post(
        "/procedure/billing-contact?lang=en",
        data={
            "contact_name": "Written for the other customer",
            "contact_email": "other@example.com",
            "csrf_token": csrf_from(tab_a),
            "acting_for": str(fr_id),
        },
    )
    assert reply.status_code == 409 and "opened while you acted for another" in reply.text
    # htmx says it in a header (the page's hx-headers). Refused, the old page is reloaded
    # (an error page swapped into a part of it would make no sense), the message with it;
    # also when htmx brought a form for the new customer into the old page.
    assert f'"X-Acting-For": "{be_id}"' in client.get("/lines/").text
    for field in (None, str(be_id)):
        reply = client.post(
            "/procedure/billing-contact",
            data={"contact_name": "x", "csrf_token": csrf_from(tab_a)}
            | ({"acting_for": field} if field else {}),
            headers={"HX-Request": "true", "X-Acting-For": str(fr_id)},
        )
        assert reply.status_code == 204 and reply.headers["HX-Refresh"] == "true"
    assert "opened while you acted for another" in client.get("/lines/?lang=en").text
    with app.app_context():
        assert db.session.get(Account, be_id).billing_email == be_email
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.account_id)
            .where(AuditEvent.action.like("agent.acting_%"))
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("agent.acting_started", fr_id),
        ("agent.acting_stopped", fr_id),
        ("agent.acting_started", be_id),
    ]


@pytest.mark.parametrize("path", ["/logout", "/logout/everywhere"])
def test_signing_out_while_acting_ends_the_acting_on_record(app, client, signed_in, path):
    """The customer's timeline shows when the agent stopped, however the session ended."""
    target = act_for_fr(client, signed_in)
    reply = client.post(path, data={"csrf_token": csrf_from(client.get("/lines/").text)})
    assert reply.status_code == 303
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.account_id == target, AuditEvent.action.like("agent.acting_%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["agent.acting_started", "agent.acting_stopped"]


def test_an_inline_check_an_agent_sends_is_an_audited_view(app, client, signed_in):
    """A form's inline check posts and answers with the page (without htmx): the customer's
    procedure, holder and masked IBAN; it is recorded as a view, once a minute."""
    target = act_for_fr(client, signed_in)
    token = csrf_from(client.get("/lines/").text)

    def views():
        with app.app_context():
            return db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.account_id == target, AuditEvent.action == support.VIEWED
                )
            )

    before = views()
    assert client.post("/procedure/check", data={"csrf_token": token}).status_code in (200, 422)
    assert views() == before + 1
    client.post("/procedure/check", data={"csrf_token": token})
    assert views() == before + 1


def test_an_agent_acts_for_one_customer_at_a_time_on_the_record_too(app, signed_in):
    """Two tabs sent "Act for" two customers at once: each request read no previous
    customer from the session, both starts were recorded, the session kept one, and
    "Stop acting" ended that one only: the record said the agent still acted for the
    other (review, on PostgreSQL). Starting ends every other period on the record, and
    stopping ends all of them, whatever the session holds."""
    agent = signed_in("agent")

    def act(code: str, session_client) -> None:
        with app.app_context():
            account_id = db.session.scalar(select(Account.id).where(Account.code == code))
        page = session_client.get(f"/agent/accounts/{account_id}")
        reply = session_client.post(
            f"/agent/accounts/{account_id}/act",
            data={"csrf_token": csrf_from(page.text), "reason": "Caller asks for help"},
        )
        assert reply.status_code == 303

    def still_acting() -> list[str]:
        """The accounts whose last acting event of the agent is a start."""
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == "agent@example.com"))
            last: dict[int, str] = {}
            for account_id, action in db.session.execute(
                select(AuditEvent.account_id, AuditEvent.action)
                .where(
                    AuditEvent.actor_id == user.id,
                    AuditEvent.action.in_(("agent.acting_started", "agent.acting_stopped")),
                )
                .order_by(AuditEvent.id)
            ):
                last[account_id] = action
            return sorted(
                db.session.get(Account, account_id).code
                for account_id, action in last.items()
                if action == "agent.acting_started"
            )

    # The second tab's request, as if its session were read before the first one ended.
    act("vt20002-b", agent)
    with agent.session_transaction() as session:
        session.pop("acting_for", None)
    act("vt30003-s", agent)
    assert still_acting() == ["vt30003-s"]
    # The session lost it; the record did not: Stop acting ends what the record says.
    with agent.session_transaction() as session:
        session.pop("acting_for", None)
    page = agent.get("/agent/")
    assert agent.post("/agent/stop", data={"csrf_token": csrf_from(page.text)}).status_code == 303
    assert still_acting() == []


def test_a_session_acts_for_no_one_once_the_agent_acts_for_another_elsewhere(app, signed_in):
    """One agent, two browsers: the first acts for the French company, the second then
    acts for the Belgian association, which ends the first period on the record. The first
    browser's session acted on, its changes recorded as on behalf of a customer the record
    said the agent no longer acted for (review). It now acts for no one."""
    from tests.conftest import Auth

    first = signed_in("agent")
    fr_id = _fr_id(app)
    with app.app_context():
        be_id = db.session.scalar(select(Account.id).where(Account.code == "vt20002-b"))
        fr_email = db.session.get(Account, fr_id).billing_email
    act_for(first, fr_id)
    form = first.get("/procedure/billing-contact?lang=en").text
    second = app.test_client()
    assert Auth(second).login("agent@example.com").status_code == 303
    act_for(second, be_id)

    reply = first.post(
        "/procedure/billing-contact?lang=en",
        data={
            "contact_name": "Sent from the first browser",
            "contact_email": "first@example.com",
            "csrf_token": csrf_from(form),
            "acting_for": str(fr_id),
        },
    )
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/agent/")
    assert first.get("/lines/").headers["Location"].endswith("/agent/")
    assert "acting was stopped or moved" in first.get("/agent/?lang=en").text
    with app.app_context():
        assert db.session.get(Account, fr_id).billing_email == fr_email
    # The second browser acts on.
    assert second.get("/lines/").status_code == 200


def test_an_htmx_read_for_another_customer_reloads_the_page(app, signed_in):
    """A page opened while acting for one customer asks for a block (sorting My services)
    after the agent began acting for another: it got the other customer's rows under the
    first one's heading (review). The page is reloaded instead, as for a form."""
    client = signed_in("agent")
    fr_id = _fr_id(app)
    with app.app_context():
        be_id = db.session.scalar(select(Account.id).where(Account.code == "vt20002-b"))
    act_for(client, fr_id)
    act_for(client, be_id)
    reply = client.get(
        "/services/?sort=name",
        headers={"HX-Request": "true", "HX-Target": "services-table", "X-Acting-For": str(fr_id)},
    )
    assert reply.status_code == 204 and reply.headers["HX-Refresh"] == "true"
    same = client.get(
        "/services/?sort=name",
        headers={"HX-Request": "true", "HX-Target": "services-table", "X-Acting-For": str(be_id)},
    )
    assert same.status_code == 200


def test_an_acting_agents_refused_change_is_on_the_customers_record(app, signed_in):
    """A change the rules refused left no trace: a supervisor could not see an agent's
    repeated declined cards or forms sent for another customer (review)."""
    client = signed_in("agent")
    fr_id = _fr_id(app)
    act_for(client, fr_id)
    path = "/billing/payment-methods/new-card"
    page = client.get(path + "?lang=en").text
    declined = client.post(
        path + "?lang=en",
        data={
            "csrf_token": csrf_from(page),
            "acting_for": str(fr_id),
            "number": "4000 0000 0000 0002",
            "expiry": "12/30",
            "cvc": "123",
        },
    )
    assert declined.status_code == 422
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "agent.refused")
        ).all()
        assert [(e.account_id, e.on_behalf) for e in events] == [(fr_id, True)]
        assert events[0].after["path"] == path and events[0].after["message"]
