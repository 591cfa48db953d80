"""Conversions (line ↔ alias number) and terminations: rules, renewal, screens, bad input."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, billing, calls, inventory, lifecycle, offers
from telephony.billing import cancel, run_renewal
from telephony.dates import first_of_next_month
from telephony.models import (
    Account,
    AliasNumber,
    AuditEvent,
    Hardware,
    InvoiceLine,
    Line,
    LineKind,
    LineStatus,
    Offer,
    ScheduledTask,
    Service,
    ServiceEmail,
    ServiceState,
    TaskStatus,
)
from tests.conftest import csrf_from
from tests.factories import demo_account, validate_procedure


def _line(description: str) -> Line:
    return db.session.scalar(select(Line).where(Line.description == description))


def _alias(number: str) -> AliasNumber:
    return db.session.scalar(select(AliasNumber).where(AliasNumber.number == number))


def _offer(account: Account, code: str) -> Offer:
    return db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == code)
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), date(2026, 2, 1)),
        (datetime(2026, 1, 31, 12, 0, tzinfo=UTC), date(2026, 2, 1)),
        # 31 January 23:30 UTC is already 1 February in Paris.
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), date(2026, 3, 1)),
        (datetime(2026, 12, 31, 12, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_changes_apply_at_the_next_billing(app_ctx, now, expected):
    account = demo_account()
    task = lifecycle.request_to_alias(account, _line("Direction"), actor=None, now=now)
    assert task.execute_on == expected


def test_a_fax_line_cannot_become_an_alias_number(app_ctx):
    account = demo_account()
    fax = _line("Fax commandes")
    assert lifecycle.to_alias_refusal(account, fax) is not None
    with pytest.raises(DomainError, match="A fax line cannot become an alias number"):
        lifecycle.request_to_alias(account, fax, actor=None)


def test_a_line_in_its_commitment_does_not_leave_it_by_becoming_an_alias_number(app_ctx):
    """The conversion ends the line's service, as a termination does: during its
    commitment it is refused, saying from when it can be asked for."""
    account = demo_account()
    trunk = db.session.scalar(
        select(Line).where(Line.kind == LineKind.TRUNK, Line.account_id == account.id)
    )
    day, committed = lifecycle.termination_date(account, [("line", trunk.id)])
    assert committed is not None
    with pytest.raises(DomainError, match="committed until"):
        lifecycle.request_to_alias(account, trunk, actor=None)
    assert lifecycle.to_alias_refusal(account, trunk) is not None


def test_line_to_alias_at_renewal_keeps_the_number_and_asks_the_hardware_back(app_ctx):
    account = demo_account()
    accueil = _line("Accueil")  # has a Plug & Phone
    number, line_id = accueil.number, accueil.id
    task = lifecycle.request_to_alias(account, accueil, actor=None)
    db.session.commit()
    # While the conversion is pending: no offer change, no change of calls, no termination.
    pending = offers.pending_actions(account, [line_id])[line_id]
    assert offers.line_refusal(accueil, pending) is not None
    assert calls.refusal(accueil, pending) is not None
    with pytest.raises(
        DomainError, match="A termination or conversion is already pending for this line"
    ):
        lifecycle.request_termination(account, accueil, "moving", "", actor=None)

    day = task.execute_on
    assert run_renewal(day).done == [task.id]
    assert run_renewal(day).done == []
    db.session.expire_all()
    line = db.session.get(Line, line_id)
    assert line.status == LineStatus.TERMINATED
    alias = _alias(number)
    assert alias is not None and alias.status == LineStatus.ACTIVE
    hardware = db.session.scalar(select(Hardware).where(Hardware.line_id == line_id))
    assert hardware.return_requested_on == day
    services = db.session.scalars(select(Service).where(Service.name.contains(number[-4:])))
    states = {(s.service_type, s.state) for s in services}
    assert ("sip_line", ServiceState.TERMINATED) in states
    assert ("alias_number", ServiceState.ACTIVE) in states
    new_service = db.session.scalar(
        select(Service).where(
            Service.service_type == "alias_number", Service.name.contains(number[-4:])
        )
    )
    assert new_service.expires_on == first_of_next_month(day)  # a month, not expired at once
    message = db.session.scalar(
        select(ServiceEmail).where(ServiceEmail.template == "converted_to_alias")
    )
    assert "Cisco SPA504G" in message.body and message.locale == "fr_FR"


def test_alias_to_line_needs_an_offer_and_the_contracts_and_not_a_pool(app_ctx):
    account = demo_account()
    alias = _alias("+33972100100")
    entreprise = _offer(account, "entreprise")
    with pytest.raises(DomainError, match="Accept the contracts to convert this number") as refused:
        lifecycle.request_to_line(
            account, alias, entreprise.id, contracts_accepted=False, actor=None
        )
    assert refused.value.field == "contracts"
    for forged in (_offer(account, "fax").id, 999999):
        with pytest.raises(DomainError, match="Choose one of the offers listed") as refused:
            lifecycle.request_to_line(account, alias, forged, contracts_accepted=True, actor=None)
        assert refused.value.field == "offer"
    swiss = db.session.scalar(select(Offer).where(Offer.country == "CH"))
    with pytest.raises(DomainError, match="Choose one of the offers listed") as refused:
        lifecycle.request_to_line(account, alias, swiss.id, contracts_accepted=True, actor=None)
    assert refused.value.field == "offer"

    pooled = _alias("+33184800012")
    assert "range" in str(lifecycle.to_line_refusal(account, pooled))
    with pytest.raises(DomainError, match="belongs to a range of numbers"):
        lifecycle.request_to_line(
            account, pooled, entreprise.id, contracts_accepted=True, actor=None
        )
    assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0


def test_a_number_goes_to_line_and_back_keeping_its_number(app_ctx):
    account = demo_account()
    alias = _alias("+33972100100")
    decouverte = _offer(account, "decouverte")
    task = lifecycle.request_to_line(
        account, alias, decouverte.id, contracts_accepted=True, actor=None
    )
    db.session.commit()
    # A first VoIP order waits for the validation procedure (tests/test_procedure.py).
    assert [task_id for task_id, _ in run_renewal(task.execute_on).waiting] == [task.id]
    validate_procedure(account)
    assert run_renewal(task.execute_on).done == [task.id]
    db.session.expire_all()
    line = db.session.scalar(
        select(Line).where(Line.number == "+33972100100", Line.status == LineStatus.ACTIVE)
    )
    assert line.offer.code == "decouverte" and line.hardware == []
    assert (line.calls_current, line.calls_max) == (1, 1)
    # Its service is billed from the conversion to the 1st (a whole month on the 1st), as
    # a new line's is: it was free until the next renewal.
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    (first,) = db.session.scalars(
        select(InvoiceLine).where(InvoiceLine.service_id == service.id)
    ).all()
    assert (first.period_start, first.period_end) == (task.execute_on, service.expires_on)
    assert first.total_excl_vat > 0
    # ... and back: the number becomes an alias again (the unique index is on active rows).
    back = lifecycle.request_to_alias(account, line, actor=None)
    db.session.commit()
    assert run_renewal(back.execute_on).done == [back.id]
    numbers = db.session.scalars(
        select(AliasNumber.status).where(AliasNumber.number == "+33972100100")
    ).all()
    assert sorted(numbers) == [LineStatus.ACTIVE, LineStatus.TERMINATED]


@pytest.mark.parametrize(
    ("reason", "details", "field", "message"),
    [
        (None, "", "reason", "Choose a reason from the list"),
        ("forged", "", "reason", "Choose a reason from the list"),
        ("missing_features", "", "details", "Tell us more about this reason"),
        ("other", "   \x00\x07 ", "details", "Tell us more about this reason"),
        ("moving", "x" * 1001, "details", "Write at most 1000 characters"),
    ],
)
def test_termination_needs_a_reason_from_the_list_and_details_where_asked(
    app_ctx, reason, details, field, message
):
    account = demo_account()
    with pytest.raises(DomainError, match=message) as refused:
        lifecycle.request_termination(account, _line("Atelier"), reason, details, actor=None)
    assert refused.value.field == field
    assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0


def test_the_fixed_list_of_reasons():
    assert list(lifecycle.REASONS) == [
        "moving",
        "billing_not_suited",
        "end_of_activity",
        "missing_features",
        "competitor",
        "hardware_problems",
        "technical_problems",
        "other",
    ]
    assert set(lifecycle.DETAILS_REQUIRED) == {"missing_features", "other"}


def test_a_pool_number_terminates_the_whole_pool(app_ctx):
    account = demo_account()
    pooled = _alias("+33184800013")
    preview = lifecycle.termination_preview(account, pooled)
    assert preview.pool and len(preview.numbers) == 10
    task = lifecycle.request_termination(
        account, pooled, "other", "Nous regroupons nos numéros", actor=None
    )
    db.session.commit()
    assert task.target_type == "number_pool" and len(task.params["numbers"]) == 10
    # Every number of the pool now shows the pending termination.
    with pytest.raises(
        DomainError, match="A termination or conversion is already pending for this number"
    ):
        lifecycle.request_termination(account, _alias("+33184800019"), "moving", "", actor=None)
    services = db.session.scalars(select(Service).where(Service.service_type == "number_pool"))
    assert all(s.terminate_on == task.execute_on for s in services)

    assert run_renewal(task.execute_on).done == [task.id]
    statuses = db.session.scalars(
        select(AliasNumber.status).where(AliasNumber.pool_id == pooled.pool_id)
    ).all()
    assert set(statuses) == {LineStatus.TERMINATED} and len(statuses) == 10
    message = db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "terminated"))
    assert message.body.count("+33 1 84 80") == 10
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "number_pool.terminated")
    )


def test_pending_changes_of_lines_numbers_and_ranges_in_one_query(app, signed_in):
    with app.app_context():
        account = demo_account()
        line, alias, pooled = _line("Atelier"), _alias("+33972100100"), _alias("+33184800013")
        for target in (line, alias, pooled):
            lifecycle.request_termination(account, target, "other", "Regroupement", actor=None)
        db.session.commit()
        found = inventory.pending_tasks_of(
            account,
            {"line": [line.id], "alias_number": [alias.id], "number_pool": [pooled.pool_id]},
        )
        assert sorted(found) == sorted(
            [("line", line.id), ("alias_number", alias.id), ("number_pool", pooled.pool_id)]
        )
        assert inventory.pending_tasks_of(account, {"line": []}) == {}
        pooled_id, alias_id = pooled.id, alias.id
    client = signed_in("fr")
    page = client.get("/lines/?lang=en").get_data(as_text=True)
    # The range's pending termination shows on each of its numbers, and on the number's page.
    numbers = page[page.index('id="number-list"') :]
    assert page.count("Termination · ") == 1  # the line's, with its date
    assert numbers.count(">Termination<") == 1  # the number's
    assert numbers.count(">Termination of the number range<") == 10  # each of the range's
    assert "Termination" in client.get(f"/lines/numbers/{pooled_id}?lang=en").get_data(as_text=True)
    assert "Termination" in client.get(f"/lines/numbers/{alias_id}?lang=en").get_data(as_text=True)


def test_cancelled_termination_leaves_everything_as_it_was(app_ctx):
    account = demo_account()
    line = _line("Comptabilité")
    now = datetime(2026, 12, 20, 10, tzinfo=UTC)  # (cancelling needs 24 h before the date)
    task = lifecycle.request_termination(account, line, "moving", "", actor=None, now=now)
    db.session.commit()
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    assert service.terminate_on == task.execute_on
    cancel(task, account=account, actor=None, now=now)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ScheduledTask, task.id).status == TaskStatus.CANCELLED
    assert db.session.get(Service, service.id).terminate_on is None
    assert run_renewal(task.execute_on).done == []
    assert db.session.get(Line, line.id).status == LineStatus.ACTIVE


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (datetime(2026, 12, 30, 22, 59, tzinfo=UTC), True),  # 23:59 in Paris, 25 h before
        (datetime(2026, 12, 30, 23, 1, tzinfo=UTC), False),  # 00:01 on the 31st in Paris
        (datetime(2026, 12, 31, 12, tzinfo=UTC), False),
    ],
)
def test_a_termination_is_cancelled_until_24_hours_before(app_ctx, now, allowed):
    account = demo_account()
    line = _line("Comptabilité")
    asked = datetime(2026, 12, 2, 10, tzinfo=UTC)
    task = lifecycle.request_termination(account, line, "moving", "", actor=None, now=asked)
    assert task.execute_on == date(2027, 1, 1)
    assert billing.cancellable(task, account, now) is allowed
    # What its form says, asked at that moment: whether it could still be cancelled.
    assert lifecycle.termination_preview(account, line, now=now).cancellable is allowed
    if allowed:
        cancel(task, account=account, actor=None, now=now)
        assert task.status == TaskStatus.CANCELLED
    else:
        with pytest.raises(DomainError, match="until 24 hours before"):
            cancel(task, account=account, actor=None, now=now)
    # Other changes have no cut-off: an offer change is cancelled on the day before.
    atelier = _line("Atelier")
    (change,) = offers.request_change(
        account, [atelier], _offer(account, "entreprise"), actor=None, now=asked
    )
    assert billing.cancellable(change, account, now)


def test_a_committed_service_terminates_once_its_commitment_has_ended(app_ctx):
    """The trunk is committed for 12 months: its termination is taken, and applies at the
    first billing once the commitment has ended, as its form says."""
    account = demo_account()
    trunk = db.session.scalar(select(Line).where(Line.kind == LineKind.TRUNK))
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == trunk.id)
    )
    asked = datetime(2026, 12, 2, 10, tzinfo=UTC)
    service.committed_until = date(2027, 11, 15)
    preview = lifecycle.termination_preview(account, trunk, now=asked)
    assert (preview.effective, preview.committed_until) == (date(2027, 12, 1), date(2027, 11, 15))
    task = lifecycle.request_termination(account, trunk, "moving", "", actor=None, now=asked)
    db.session.refresh(service)
    assert task.execute_on == date(2027, 12, 1) and service.terminate_on == date(2027, 12, 1)
    # Without a commitment, or one already over: the next billing.
    service.committed_until = date(2026, 12, 15)
    assert lifecycle.termination_preview(account, trunk, now=asked).effective == date(2027, 1, 1)


def test_line_termination_at_renewal(app_ctx):
    account = demo_account()
    fax = _line("Fax commandes")
    task = lifecycle.request_termination(account, fax, "end_of_activity", "", actor=None)
    db.session.commit()
    assert run_renewal(task.execute_on).done == [task.id]
    db.session.expire_all()
    assert db.session.get(Line, fax.id).status == LineStatus.TERMINATED
    hardware = db.session.scalar(select(Hardware).where(Hardware.line_id == fax.id))
    assert hardware.return_requested_on == task.execute_on
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == fax.id)
    )
    assert service.state == ServiceState.TERMINATED


def test_other_pending_changes_must_be_cancelled_before_a_termination(app_ctx):
    account = demo_account()
    atelier = _line("Atelier")
    offers.request_change(account, [atelier], _offer(account, "entreprise"), actor=None)
    db.session.commit()
    with pytest.raises(
        DomainError, match="Other changes are pending for this line: cancel them first"
    ) as refused:
        lifecycle.request_termination(account, atelier, "moving", "", actor=None)
    assert "cancel them first" in str(refused.value)


# --- Screens ---------------------------------------------------------------------------


@pytest.fixture
def fr_client(signed_in):
    client = signed_in("fr")
    client.get("/lines/?lang=en")
    return client


def _ids(app):
    with app.app_context():
        return {
            "accueil": _line("Accueil").id,
            "fax": _line("Fax commandes").id,
            "alias": _alias("+33972100100").id,
            "pooled": _alias("+33184800012").id,
            "be_alias": _alias("+3223001100").id,
        }


def test_convert_a_line_from_its_page_and_cancel(app, fr_client):
    ids = _ids(app)
    page = fr_client.get(f"/lines/{ids['accueil']}").text
    assert "Convert to alias number" in page and "Terminate" in page
    confirm = fr_client.get(f"/lines/{ids['accueil']}/alias").text
    assert "no longer make outgoing calls" in confirm and "within 15 days" in confirm
    done = fr_client.post(f"/lines/{ids['accueil']}/alias", data={"csrf_token": csrf_from(confirm)})
    assert done.status_code == 303
    page = fr_client.get(f"/lines/{ids['accueil']}").text
    assert "Conversion to alias number" in page and "Cancel conversion" in page
    with app.app_context():
        task_id = db.session.scalar(select(ScheduledTask.id))
    fr_client.post(f"/lines/requests/{task_id}/cancel", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(ScheduledTask, task_id).status == TaskStatus.CANCELLED


def test_fax_line_page_offers_no_conversion(app, fr_client):
    ids = _ids(app)
    assert "Convert to alias number" not in fr_client.get(f"/lines/{ids['fax']}").text
    refused = fr_client.get(f"/lines/{ids['fax']}/alias").text
    assert "A fax line cannot become an alias number." in refused
    html = fr_client.get("/lines/").text
    posted = fr_client.post(f"/lines/{ids['fax']}/alias", data={"csrf_token": csrf_from(html)})
    assert posted.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0


def test_convert_a_number_to_a_line_from_its_page(app, fr_client):
    ids = _ids(app)
    form = fr_client.get(f"/lines/numbers/{ids['alias']}/line").text
    with app.app_context():
        entreprise = _offer(demo_account(), "entreprise").id
    missing = fr_client.post(
        f"/lines/numbers/{ids['alias']}/line",
        data={"csrf_token": csrf_from(form), "offer": entreprise},
    )
    assert missing.status_code == 422
    assert "Accept the contracts" in missing.text
    done = fr_client.post(
        f"/lines/numbers/{ids['alias']}/line",
        data={"csrf_token": csrf_from(form), "offer": entreprise, "contracts": "y"},
    )
    assert done.status_code == 303
    assert "Conversion to line" in fr_client.get(f"/lines/numbers/{ids['alias']}").text


WAITING = "Waiting for the validation procedure"


def test_a_conversion_that_waits_for_the_procedure_says_so_everywhere(app, client, auth):
    """No page says "scheduled for <date>" while another says it waits; and the number's
    page offers nothing the rules would refuse."""
    ids = _ids(app)
    auth.login("demo-fr@example.com")
    form = client.get(f"/lines/numbers/{ids['alias']}/line?lang=en").text
    with app.app_context():
        entreprise = _offer(demo_account(), "entreprise").id
    done = client.post(
        f"/lines/numbers/{ids['alias']}/line",
        data={"csrf_token": csrf_from(form), "offer": entreprise, "contracts": "y"},
    )
    page = client.get(done.headers["Location"]).text
    assert "It waits for your validation procedure" in page  # the message
    assert "scheduled for" not in page
    assert WAITING in page  # the number's pending changes
    assert 'href="/lines/numbers/{}/terminate"'.format(ids["alias"]) not in page
    assert "Convert to line</a>" not in page
    assert "A termination or conversion is already pending for this number." in page
    requests_page = client.get("/lines/requests").text
    assert WAITING in requests_page and "Once the procedure is validated" in requests_page
    auth.logout()
    auth.login("agent@example.com")
    with app.app_context():
        account_id = demo_account().id
    agent_page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    pending = agent_page.split('id="requests-title"')[1].split("</section>")[0]
    assert "once the validation procedure is validated" in pending and " on " not in pending
    timeline = agent_page.split('id="timeline"')[1]
    task = timeline.split('class="timeline-task"')[1].split("</li>")[0]
    assert WAITING in task and " on " not in task


def test_after_validation_nothing_waits_any_more(app_ctx):
    from telephony import procedure

    account = demo_account()
    alias = _alias("+33972100100")
    task = lifecycle.request_to_line(
        account, alias, _offer(account, "entreprise").id, contracts_accepted=True, actor=None
    )
    db.session.commit()
    assert procedure.waiting_orders(account) == [task]
    assert procedure.waiting_ids(account, [task]) == {task.id}
    validate_procedure(account)
    assert procedure.waiting_orders(account) == []  # the manage page: not "1 order waits"
    assert procedure.waiting_ids(account, [task]) == set()


def test_pool_number_page_explains_and_its_termination_lists_the_pool(app, fr_client):
    ids = _ids(app)
    page = fr_client.get(f"/lines/numbers/{ids['pooled']}").text
    assert "Convert to line" not in page
    refused = fr_client.get(f"/lines/numbers/{ids['pooled']}/line").text
    assert "cannot be converted on its own" in refused
    form = fr_client.get(f"/lines/numbers/{ids['pooled']}/terminate").text
    assert "its 10 numbers end together" in form
    assert form.count("+33 1 84 80 00") >= 10
    missing = fr_client.post(
        f"/lines/numbers/{ids['pooled']}/terminate",
        data={"csrf_token": csrf_from(form), "reason": "missing_features"},
    )
    assert missing.status_code == 422 and "Tell us more" in missing.text
    done = fr_client.post(
        f"/lines/numbers/{ids['pooled']}/terminate",
        data={"csrf_token": csrf_from(form), "reason": "missing_features", "details": "SMS"},
    )
    assert done.status_code == 303
    requests_page = fr_client.get("/lines/requests").text
    assert "Termination of the number range" in requests_page
    assert "Cancel termination" in requests_page


def test_another_accounts_number_answers_404(app, fr_client):
    ids = _ids(app)
    html = fr_client.get("/lines/").text
    for url in ("", "/line", "/terminate"):
        assert fr_client.get(f"/lines/numbers/{ids['be_alias']}{url}").status_code == 404
    for url in ("/line", "/terminate"):
        posted = fr_client.post(
            f"/lines/numbers/{ids['be_alias']}{url}",
            data={"csrf_token": csrf_from(html), "reason": "moving"},
        )
        assert posted.status_code == 404


def test_the_line_page_offers_only_what_the_rules_accept(signed_in):
    client = signed_in("fr")
    page = client.get("/lines/1?lang=en").text
    for action in ("/lines/1/offer", "/lines/1/calls", "/lines/1/alias", "/lines/1/terminate"):
        assert f'href="{action}"' in page or action == "/lines/1/offer", action
    token = csrf_from(client.get("/lines/1/alias").text)
    assert client.post("/lines/1/alias", data={"csrf_token": token}).status_code == 303
    page = client.get("/lines/1?lang=en").text
    for action in ("/lines/1/offer", "/lines/1/calls", "/lines/1/alias", "/lines/1/terminate"):
        assert f'href="{action}"' not in page, action  # each would only be refused now
    fax = client.get("/lines/7?lang=en").text
    assert 'href="/lines/7/alias"' not in fax and 'href="/lines/7/terminate"' in fax


def test_a_refused_choice_marks_each_of_its_radio_buttons(app, signed_in):
    """aria-invalid on the group alone is not heard by every screen reader: each radio
    button says it, and names the message (an accessibility review)."""
    client = signed_in("fr")
    with app.app_context():
        line_id = _line("Atelier").id
    path = f"/lines/{line_id}/terminate?lang=en"
    page = client.get(path).text
    refused = client.post(path, data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 422
    import re

    radios = re.findall(r'<input[^>]*type="radio"[^>]*name="reason"[^>]*>', refused.text)
    radios += re.findall(r'<input[^>]*name="reason"[^>]*type="radio"[^>]*>', refused.text)
    assert len(radios) == 8
    assert all(
        'aria-invalid="true"' in r and 'aria-describedby="reason-error"' in r for r in radios
    )
