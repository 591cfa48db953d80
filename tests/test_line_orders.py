"""Ordering a new SIP line: the rules, the wait for the validation procedure, the line made by
the daily run, and the screens (customer, agent, other account, bad input, htmx)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from config import NEW_LINE_NUMBERS
from extensions import db
from telephony import DomainError, line_orders
from telephony import procedure as procedures
from telephony.billing import cancel, run_renewal
from telephony.models import (
    Account,
    AuditEvent,
    InvoiceLine,
    Line,
    LineStatus,
    Offer,
    ProcedureStatus,
    ScheduledTask,
    Service,
    ServiceEmail,
    TaskStatus,
    TelephonyGroup,
    User,
    ValidationProcedure,
)
from tests.conftest import csrf_from
from tests.factories import ACTING_FR_BANNER, demo_account, validate_procedure

TOKEN = "a-form-token-0123456789"


def _offer(account: Account, code: str) -> Offer:
    return db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == code)
    )


def _group(account: Account) -> TelephonyGroup:
    return db.session.scalar(select(TelephonyGroup).where(TelephonyGroup.account_id == account.id))


def _order(account, offer_code="entreprise", **changes):
    values = {
        "description": "Accueil 2",
        "contracts_accepted": True,
        "token": None,
        "actor": None,
    }
    values.update(changes)
    group_id = values.pop("group_id", _group(account).id)
    return line_orders.order_line(account, group_id, _offer(account, offer_code).id, **values)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Rules ------------------------------------------------------------------------------


def test_a_first_order_waits_for_the_procedure_then_the_daily_run_creates_the_line(app_ctx):
    account = demo_account()
    now = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # already 11 March in Paris
    task = _order(account, now=now)
    db.session.commit()
    assert (task.action, task.status, task.execute_on) == (
        "order_line",
        TaskStatus.TODO,
        date(2026, 3, 11),
    )
    assert task.target_type == "telephony_group" and task.target_id == _group(account).id
    # Placing the order started the validation procedure and told the customer by e-mail.
    procedure = procedures.latest(account)
    assert (procedure.status, procedure.trigger) == (ProcedureStatus.TODO, "first_order")
    awaited = db.session.scalar(
        select(ServiceEmail).where(ServiceEmail.template == "procedure_awaited")
    )
    assert awaited.locale == "fr_FR" and awaited.to_address == "compta@dupre.example"
    assert procedures.waiting_orders(account) == [task]
    (order,) = line_orders.describe(account, [task])
    assert order.waiting and order.offer.code == "entreprise" and order.line is None

    lines_before = _count(Line)
    report = run_renewal(task.execute_on)
    assert [task_id for task_id, _ in report.waiting] == [task.id] and not report.done
    assert _count(Line) == lines_before

    validate_procedure(account)
    assert run_renewal(task.execute_on).done == [task.id]
    assert run_renewal(task.execute_on).done == []  # exactly once
    db.session.expire_all()
    task = db.session.get(ScheduledTask, task.id)
    line = db.session.get(Line, task.params["line_id"])
    first, last = NEW_LINE_NUMBERS["FR"]
    assert first <= line.number <= last and len(line.number) == len(first)
    assert (line.kind, line.status, line.offer.code) == ("sip", LineStatus.ACTIVE, "entreprise")
    assert (line.calls_current, line.calls_max) == (1, 99)
    assert line.description == "Accueil 2" and line.group_id == task.target_id
    assert line.hardware == []
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    assert service.service_type == "sip_line" and service.expires_on == date(2026, 4, 1)
    assert str(service.monthly_price_excl_vat) == "9.99"
    # Billed from the day it came to the 1st (21 days of March's 31), collected as a
    # renewal is: a line ordered then terminated is not free.
    (first_period,) = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.service_id == service.id)
    ).all()
    assert (first_period.period_start, first_period.period_end) == (
        date(2026, 3, 11),
        date(2026, 4, 1),
    )
    assert str(first_period.total_excl_vat) == "6.77"  # 9.99 × 21 / 31
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "line.created"))
    assert created.after["number"] == line.number and created.actor_id is None
    message = db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "line_created"))
    assert "Entreprise" in message.body and message.locale == "fr_FR"
    assert "11,99" in message.body  # 9.99 + 20 % VAT, in French
    (order,) = line_orders.describe(account, [task])
    assert order.line.id == line.id and not order.waiting


def test_a_line_of_an_aligned_account_renews_on_its_day_not_the_1st(app_ctx):
    """An account that aligned its services on the 15th got new lines renewing on the
    1st: the alignment undone by the next order (review: renewal_day unused). The first
    period runs to the 15th, billed by the same rule."""
    account = demo_account()
    validate_procedure(account)
    account.renewal_day = 15
    task = _order(account, now=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    db.session.commit()
    assert run_renewal(task.execute_on).done == [task.id]
    db.session.expire_all()
    line_id = db.session.get(ScheduledTask, task.id).params["line_id"]
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line_id)
    )
    assert service.expires_on == date(2026, 3, 15)
    (first_period,) = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.service_id == service.id)
    ).all()
    assert (first_period.period_start, first_period.period_end) == (
        date(2026, 3, 10),
        date(2026, 3, 15),
    )
    assert str(first_period.total_excl_vat) == "1.61"  # 9.99 x 5 / 31


def test_a_validated_account_orders_without_waiting_nor_a_new_procedure(app_ctx):
    account = demo_account("vt30003-s")
    validate_procedure(account)
    task = _order(account, "decouverte", description="")
    db.session.commit()
    assert procedures.latest(account).status == ProcedureStatus.VALIDATED
    assert _count(ServiceEmail.__table__) == 2  # the procedure's document and its status
    assert run_renewal(task.execute_on).done == [task.id]
    line = db.session.get(Line, db.session.get(ScheduledTask, task.id).params["line_id"])
    assert line.number.startswith("+41912009") and line.offer.code == "decouverte"
    assert line.offer.currency == "CHF"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"contracts_accepted": False}, {"contracts"}),
        ({"description": "x" * 81}, {"description"}),
        ({"description": "Accueil\x00"}, {"description"}),
        ({"description": "<script>"}, {"description"}),
        ({"group_id": 999999}, {"group"}),
        ({"group_id": 999999, "contracts_accepted": False}, {"group", "contracts"}),
    ],
)
def test_bad_orders_are_refused_beside_their_field_and_save_nothing(app_ctx, changes, fields):
    account = demo_account()
    with pytest.raises(line_orders.InvalidOrder) as refused:
        _order(account, **changes)
    assert set(refused.value.errors) == fields
    db.session.rollback()
    assert _count(ScheduledTask) == 0 and procedures.latest(account) is None


def test_only_the_accounts_groups_and_its_countrys_sip_offers(app_ctx):
    account = demo_account()
    other_group = _group(demo_account("vt20002-b"))
    with pytest.raises(line_orders.InvalidOrder) as refused:
        _order(account, group_id=other_group.id)
    assert set(refused.value.errors) == {"group"}
    for forged in (
        _offer(account, "fax").id,
        _offer(account, "trunk").id,
        _offer(demo_account("vt30003-s"), "entreprise").id,
        999999,
        None,
    ):
        with pytest.raises(line_orders.InvalidOrder) as refused:
            line_orders.order_line(
                account,
                _group(account).id,
                forged,
                description="",
                contracts_accepted=True,
                token=None,
                actor=None,
            )
        assert set(refused.value.errors) == {"offer"}
    assert _count(ScheduledTask) == 0


def test_the_only_group_is_taken_when_none_is_given(app_ctx):
    account = demo_account("vt20002-b")
    task = _order(account, group_id=None)
    assert task.target_id == _group(account).id


def test_the_same_form_sent_twice_places_one_order_but_two_forms_two(app_ctx):
    account = demo_account()
    tasks_before = _count(ScheduledTask)
    first = _order(account, token=TOKEN)
    again = _order(account, token=TOKEN)
    other = _order(account, token="another-form-token-987654")
    forged = _order(account, token="bad token!")  # not a token: a fresh one is used
    db.session.commit()
    assert again.id == first.id and len({first.id, other.id, forged.id}) == 3
    assert len(procedures.waiting_orders(account)) == 3
    assert _count(ValidationProcedure) == 1  # one procedure for every order
    validate_procedure(account)
    done = run_renewal(first.execute_on).done
    assert sorted(done) == sorted([first.id, other.id, forged.id])
    numbers = db.session.scalars(select(Line.number).where(Line.description == "Accueil 2")).all()
    assert len(set(numbers)) == 3
    # The form sent once more after the run (the browser's history): still that order.
    assert _order(account, token=TOKEN).id == first.id
    db.session.commit()
    assert _count(ScheduledTask) == tasks_before + 3


def test_a_pending_order_is_cancelled_and_never_carried_out(app_ctx):
    account = demo_account()
    task = _order(account)
    db.session.commit()
    cancel(task, account=account, actor=None)
    db.session.commit()
    validate_procedure(account)
    assert run_renewal(task.execute_on).done == []
    assert db.session.get(ScheduledTask, task.id).status == TaskStatus.CANCELLED
    with pytest.raises(DomainError, match="This request can no longer be cancelled"):
        cancel(task, account=account, actor=None)


def test_new_numbers_are_never_ones_already_used(app_ctx):
    account = demo_account()
    first, _last = NEW_LINE_NUMBERS["FR"]
    start = int(first[1:])
    # The block's first number was a line once (terminated), the second is an alias number.
    db.session.add(
        Line(
            account_id=account.id,
            group_id=_group(account).id,
            number=first,
            kind="sip",
            offer_id=_offer(account, "decouverte").id,
            status=LineStatus.TERMINATED,
        )
    )
    from telephony.models import AliasNumber

    db.session.add(
        AliasNumber(account_id=account.id, group_id=_group(account).id, number=f"+{start + 1}")
    )
    db.session.flush()
    assert line_orders.free_number("FR") == f"+{start + 2}"


def test_an_agent_orders_for_the_customer_on_the_record(app_ctx):
    account = demo_account()
    agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
    task = _order(account, actor=agent, reason="Caller wants a line for the shop")
    db.session.commit()
    assert (task.created_by_id, task.on_behalf) == (agent.id, True)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["task.scheduled", "procedure.required"]))
    ).all()
    assert len(events) == 2
    assert all(e.actor_id == agent.id and e.on_behalf for e in events)
    assert all(e.reason == "Caller wants a line for the shop" for e in events)


def test_an_order_whose_offer_went_away_fails_instead_of_waiting(app_ctx):
    account = demo_account()
    task = _order(account)
    db.session.commit()
    task.params = {**task.params, "offer_id": _offer(account, "fax").id}
    db.session.commit()
    report = run_renewal(task.execute_on)
    assert [task_id for task_id, _ in report.errors] == [task.id]
    assert db.session.get(ScheduledTask, task.id).status == TaskStatus.ERROR


# --- Screens ----------------------------------------------------------------------------


def _ids(app, code="vt10001-f"):
    with app.app_context():
        account = demo_account(code)
        return {
            "group": _group(account).id,
            "decouverte": _offer(account, "decouverte").id,
            "entreprise": _offer(account, "entreprise").id,
        }


def _form(client):
    html = client.get("/lines/new?lang=en").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    return html, {"csrf_token": csrf_from(html), "token": token}


def test_the_order_form_shows_offers_with_prices_and_the_procedure_notice(signed_in):
    client = signed_in("fr")
    html, _fields = _form(client)
    assert "<h1>Order a line</h1>" in html
    assert "€2.99 excl. VAT (€3.59 incl. VAT) a month" in html
    assert "€9.99 excl. VAT (€11.99 incl. VAT) a month" in html
    assert "Fax" not in re.sub(r"Fax (line|commandes)", "", html.split("<h1>")[1])
    assert "validation procedure is not validated yet" in html
    assert 'href="/procedure/"' in html
    # One group: no choice to make, the group is named.
    assert "Telephony group: vt10001-f-1 – Siège Lyon" in html
    # Reached from the lines page: the menu marks that area, the breadcrumb this page.
    assert 'aria-current="true">Lines and numbers<' in html
    assert html.count('aria-current="page"') == 1
    assert '<li aria-current="page">Order a line</li>' in html
    # Swiss prices in CHF with Swiss VAT.
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    swiss = signed_in("ch").get("/lines/new?lang=en").get_data(as_text=True)
    assert "CHF3.50 excl. VAT (CHF3.78 incl. VAT) a month" in swiss


def test_order_without_javascript_then_see_it_wait_and_cancel_it(app, signed_in):
    ids = _ids(app)
    client = signed_in("fr")
    _html, fields = _form(client)
    data = {
        **fields,
        "group": ids["group"],
        "offer": ids["entreprise"],
        "description": "Boutique",
        "contracts": "y",
    }
    response = client.post("/lines/new", data=data)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/lines/orders/\d+", location)
    # The same form sent again (a double click): the same order.
    assert client.post("/lines/new", data=data).headers["Location"] == location
    page = client.get(location + "?lang=en").get_data(as_text=True)
    assert "The order is placed. It waits for the validation procedure" in page
    assert "Waiting for the validation procedure" in page
    assert "Go to the validation procedure" in page and 'href="/procedure/"' in page
    assert "Boutique" in page and "€11.99 incl. VAT" in page
    assert "Validation procedure: To do." in page

    lines = client.get("/lines/?lang=en").get_data(as_text=True)
    assert "Lines on order" in lines and location in lines
    requests = client.get("/lines/requests?lang=en").get_data(as_text=True)
    assert "New line in vt10001-f-1" in requests
    assert "Waiting for the validation procedure" in requests
    assert "Once the procedure is validated" in requests  # no date while it waits
    procedure_page = client.get("/procedure/?lang=en").get_data(as_text=True)
    assert "1 order waits for this procedure" in procedure_page and location in procedure_page
    assert "Your first telephony order" in procedure_page

    task_id = int(location.rsplit("/", 1)[1])
    cancelled = client.post(
        f"/lines/requests/{task_id}/cancel",
        data={"csrf_token": csrf_from(page), "next": location},
    )
    assert cancelled.status_code == 303 and cancelled.headers["Location"] == location
    page = client.get(location + "?lang=en").get_data(as_text=True)
    assert "This order is cancelled" in page and "Cancel order" not in page
    with app.app_context():
        assert db.session.get(ScheduledTask, task_id).status == TaskStatus.CANCELLED


def test_bad_input_is_answered_beside_each_field_and_saves_nothing(app, signed_in):
    ids = _ids(app)
    other = _ids(app, "vt20002-b")
    client = signed_in("fr")
    _html, fields = _form(client)
    response = client.post(
        "/lines/new",
        data={
            **fields,
            "group": other["group"],  # another account's group
            "offer": "abc",
            "description": "x\x07" * 50,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    # Each link goes to a control: the first radio of a group. (One telephony group is not
    # a choice: its link goes to the sentence that names it.)
    for target in ("group", "offer-0", "description", "contracts"):
        assert f'href="#{target}"' in html and f'id="{target}"' in html, target
    assert 'id="offer-error"' in html and 'id="contracts-error"' in html
    assert "Accept the contracts to order the line." in html
    assert "Choose one of your telephony groups." in html
    # French messages for a French page.
    french = client.post(
        "/lines/new?lang=fr_FR", data={**fields, "group": ids["group"], "offer": ids["decouverte"]}
    ).get_data(as_text=True)
    assert "Acceptez les contrats" in french
    with app.app_context():
        assert _count(ScheduledTask) == 0 and procedures.latest(demo_account()) is None
    assert client.post("/lines/new", data={"offer": ids["decouverte"]}).status_code == 400


def test_htmx_asks_for_the_price_summary_only(app, signed_in):
    ids = _ids(app)
    client = signed_in("fr")
    response = client.get(
        f"/lines/new?offer={ids['entreprise']}&lang=en",
        headers={"HX-Request": "true", "HX-Target": "offer-summary"},
    )
    html = response.get_data(as_text=True).strip()
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.startswith('<div id="offer-summary"') and "<html" not in html
    assert "Entreprise: €11.99 incl. VAT a month (€9.99 excl. VAT, VAT 20%)." in html


def test_another_accounts_order_answers_404(app, signed_in):
    with app.app_context():
        task = _order(demo_account())
        db.session.commit()
        task_id = task.id
    client = signed_in("be")
    assert client.get(f"/lines/orders/{task_id}").status_code == 404
    html = client.get("/lines/new").get_data(as_text=True)
    response = client.post(
        f"/lines/requests/{task_id}/cancel", data={"csrf_token": csrf_from(html)}
    )
    assert response.status_code == 404
    assert client.get("/lines/orders/999999").status_code == 404
    # An order id that is another kind of request is not an order either.
    with app.app_context():
        from telephony import lifecycle

        line = db.session.scalar(select(Line).where(Line.number == "+3223001002"))
        other_task = lifecycle.request_to_alias(demo_account("vt20002-b"), line, actor=None)
        db.session.commit()
        other_id = other_task.id
    assert client.get(f"/lines/orders/{other_id}").status_code == 404


def test_an_agent_acting_for_the_customer_orders_a_line(app, signed_in):
    ids = _ids(app)
    client = signed_in("agent")
    with app.app_context():
        account_id = demo_account().id
    page = client.get(f"/agent/accounts/{account_id}?lang=en").get_data(as_text=True)
    client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(page), "reason": "Caller orders a line"},
    )
    _html, fields = _form(client)
    response = client.post(
        "/lines/new",
        data={**fields, "group": ids["group"], "offer": ids["decouverte"], "contracts": "y"},
    )
    assert response.status_code == 303
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        task = db.session.scalar(select(ScheduledTask))
        assert (task.created_by_id, task.on_behalf, task.reason) == (
            agent.id,
            True,
            "Caller orders a line",
        )
        views = db.session.scalars(
            select(AuditEvent.after).where(AuditEvent.action == "agent.viewed")
        ).all()
        assert any(view["path"].startswith("/lines/new") for view in views)
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert ACTING_FR_BANNER in page
    assert "Waiting for the validation procedure" in page


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/lines/new", "/lines/orders/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
