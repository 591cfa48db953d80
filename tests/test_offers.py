"""Offer changes: rules (domain) and screens (one line, several lines, cancel, renewal)."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, offers
from telephony.billing import run_renewal
from telephony.models import (
    Account,
    AuditEvent,
    Line,
    LineKind,
    Offer,
    ScheduledTask,
    Service,
    ServiceEmail,
    TaskStatus,
)
from tests.conftest import csrf_from


def _fr():
    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    lines = {line.description: line for line in offers.lines_for_choice(account)}
    catalogue = {o.code: o for o in offers.catalogue(account)}
    return account, lines, catalogue


def test_decouverte_may_move_up_entreprise_never_down(app_ctx):
    account, lines, catalogue = _fr()
    assert [c.offer.code for c in offers.choices_for(lines["Atelier"], account)] == ["entreprise"]
    assert offers.choices_for(lines["Accueil"], account) == []
    assert offers.offer_refusal(lines["Accueil"], catalogue["decouverte"], account) is not None


def test_trunks_have_no_offer_change(app_ctx):
    account, lines, catalogue = _fr()
    trunk = lines["Standard IPBX"]
    assert trunk.kind == LineKind.TRUNK
    assert offers.line_refusal(trunk, set()) is not None
    with pytest.raises(DomainError, match="A trunk has no offer change") as refused:
        offers.request_change(account, [trunk], catalogue["trunk"], actor=None)
    assert refused.value.field == "offer"


def test_offers_of_another_country_or_kind_are_refused(app_ctx):
    account, lines, catalogue = _fr()
    swiss = db.session.scalar(
        select(Offer).where(Offer.country == "CH", Offer.code == "entreprise")
    )
    with pytest.raises(DomainError, match="Choose one of the offers listed") as refused:
        offers.get_offer(account, swiss.id)
    assert refused.value.field == "offer"
    with pytest.raises(DomainError, match="Choose one of the offers listed") as refused:
        offers.get_offer(account, 999999)
    assert refused.value.field == "offer"
    with pytest.raises(  # a fax offer for a SIP line
        DomainError, match="This offer is not available for this kind of line"
    ) as refused:
        offers.request_change(account, [lines["Atelier"]], catalogue["fax"], actor=None)
    assert refused.value.field == "offer"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 1, 1, 8, tzinfo=UTC), date(2027, 2, 1)),
        (datetime(2027, 1, 31, 12, tzinfo=UTC), date(2027, 2, 1)),
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), date(2027, 3, 1)),  # Paris: Feb 1
        (datetime(2027, 12, 31, 12, tzinfo=UTC), date(2028, 1, 1)),
    ],
)
def test_change_applies_on_the_first_of_next_month(app_ctx, now, expected):
    account, lines, catalogue = _fr()
    [task] = offers.request_change(
        account, [lines["Atelier"]], catalogue["entreprise"], actor=None, now=now
    )
    assert task.execute_on == expected


def test_one_pending_change_at_a_time(app_ctx):
    account, lines, catalogue = _fr()
    offers.request_change(account, [lines["Atelier"]], catalogue["entreprise"], actor=None)
    db.session.commit()
    with pytest.raises(
        DomainError, match="An offer change is already pending for this line"
    ) as refused:
        offers.request_change(account, [lines["Atelier"]], catalogue["entreprise"], actor=None)
    assert refused.value.field == "offer"


def test_several_lines_all_or_nothing(app_ctx):
    account, lines, catalogue = _fr()
    with pytest.raises(  # Accueil is already Entreprise
        DomainError, match="^1 of the chosen lines cannot move to this offer"
    ) as refused:
        offers.request_change(
            account, [lines["Atelier"], lines["Accueil"]], catalogue["entreprise"], actor=None
        )
    assert refused.value.field == "lines"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0
    tasks = offers.request_change(
        account, [lines["Atelier"], lines["Livraisons"]], catalogue["entreprise"], actor=None
    )
    db.session.commit()
    assert len(tasks) == 2
    # Scheduled like every change (billing.schedule_many): one audit event per line.
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.scheduled")
    ).all()
    assert len(events) == 2
    assert {e.after["params"]["offer_id"] for e in events} == {catalogue["entreprise"].id}


def test_renewal_applies_the_change_once_and_emails_the_customer(app_ctx):
    account, lines, catalogue = _fr()
    line_id = lines["Atelier"].id
    [task] = offers.request_change(account, [lines["Atelier"]], catalogue["entreprise"], actor=None)
    db.session.commit()
    day = task.execute_on
    assert run_renewal(day).done == [task.id]
    assert run_renewal(day).done == []
    db.session.expire_all()
    line = db.session.get(Line, line_id)
    assert line.offer.code == "entreprise"
    assert line.calls_max == catalogue["entreprise"].max_calls
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line_id)
    )
    assert service.monthly_price_excl_vat == catalogue["entreprise"].price_excl_vat
    message = db.session.scalar(select(ServiceEmail))
    assert message.locale == "fr_FR" and "Entreprise" in message.body
    assert db.session.get(ScheduledTask, task.id).status == TaskStatus.DONE


def test_the_query_count_of_a_bulk_request_does_not_grow_with_lines(app, count_queries):
    from telephony.demo import create_scale_account

    counts = []
    with app.app_context():
        for size in (20, 200):
            code = create_scale_account(size)
            account = db.session.scalar(select(Account).where(Account.code == code))
            chosen = [
                line for line in offers.lines_for_choice(account) if line.offer.code == "decouverte"
            ]
            entreprise = next(o for o in offers.catalogue(account) if o.code == "entreprise")
            with count_queries() as counter:
                offers.request_change(account, chosen, entreprise, actor=None)
            db.session.commit()
            counts.append(counter.count)
    assert counts[0] == counts[1]


# --- the screens ---------------------------------------------------------------------------


def _ids(app):
    with app.app_context():
        account, lines, catalogue = _fr()
        return (
            {name: line.id for name, line in lines.items()},
            {code: offer.id for code, offer in catalogue.items()},
        )


def test_change_offer_page_shows_prices_and_date_then_schedules(app, signed_in):
    lines, catalogue = _ids(app)
    client = signed_in("fr")
    page = client.get(f"/lines/{lines['Atelier']}/offer?lang=en").get_data(as_text=True)
    assert "€9.99 excl. VAT (€11.99 incl. VAT) a month" in page
    assert "applies from" in page
    token = csrf_from(page)
    response = client.post(
        f"/lines/{lines['Atelier']}/offer",
        data={"offer": catalogue["entreprise"], "csrf_token": token},
    )
    assert response.status_code == 303
    shown = client.get(f"/lines/{lines['Atelier']}?lang=en").get_data(as_text=True)
    assert "The offer change is scheduled for" in shown and "Offer change" in shown
    # A second submission of the same form: a message, no second task.
    again = client.post(
        f"/lines/{lines['Atelier']}/offer?lang=en",
        data={"offer": catalogue["entreprise"], "csrf_token": token},
    )
    assert again.status_code == 422
    assert "already pending" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 1


def test_htmx_summary_block(app, signed_in):
    lines, catalogue = _ids(app)
    response = signed_in("fr").get(
        f"/lines/{lines['Atelier']}/offer?offer={catalogue['entreprise']}&lang=en",
        headers={"HX-Request": "true", "HX-Target": "offer-summary"},
    )
    text = response.get_data(as_text=True).strip()
    assert text.startswith('<div id="offer-summary"') and "€11.99 incl. VAT" in text
    # Said through the page's live region (a live region htmx puts in anew is not read).
    assert '<span hx-swap-oob="innerHTML:#announcer">Entreprise from ' in text


@pytest.mark.parametrize("offer", ["decouverte", "fax", "forged"])
def test_forged_offers_get_a_message_and_save_nothing(app, signed_in, offer):
    lines, catalogue = _ids(app)
    client = signed_in("fr")
    token = csrf_from(client.get("/lines/").get_data(as_text=True))
    value = catalogue.get(offer, "abc")
    response = client.post(
        f"/lines/{lines['Atelier']}/offer?lang=en", data={"offer": value, "csrf_token": token}
    )
    assert response.status_code == 422
    assert 'class="field-error" id="offer-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScheduledTask)) == 0


def test_another_accounts_line_answers_404_on_every_offer_url(app, signed_in):
    lines, _catalogue = _ids(app)
    client = signed_in("be")
    token = csrf_from(client.get("/lines/").get_data(as_text=True))
    assert client.get(f"/lines/{lines['Atelier']}/offer").status_code == 404
    assert (
        client.post(
            f"/lines/{lines['Atelier']}/offer", data={"offer": 1, "csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/lines/{lines['Atelier']}/offer/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_bulk_shows_eligibility_and_creates_one_task_per_line(app, signed_in):
    lines, catalogue = _ids(app)
    client = signed_in("fr")
    page = client.get(f"/lines/offer?offer={catalogue['entreprise']}&lang=en").text
    assert page.count(">Eligible<") == 2  # Atelier and Livraisons
    # People know their lines by name; the live count shows only where it can follow.
    assert '<td data-label="Description">Atelier</td>' in page
    assert '<p id="bulk-count" class="js-only"' in page
    assert "This line already has this offer." in page
    assert "A trunk has no offer change." in page
    count = client.get(
        f"/lines/offer?offer={catalogue['entreprise']}&lines={lines['Atelier']}",
        headers={"HX-Request": "true", "HX-Target": "bulk-count"},
    ).text
    assert "1 line chosen" in count
    assert '<span hx-swap-oob="innerHTML:#announcer">1 line chosen</span>' in count
    token = csrf_from(page)
    refused = client.post(
        "/lines/offer?lang=en",
        data={
            "offer": catalogue["entreprise"],
            "lines": [lines["Atelier"], lines["Accueil"]],
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "1 of the chosen lines cannot move to this offer." in refused.text
    done = client.post(
        "/lines/offer",
        data={
            "offer": catalogue["entreprise"],
            "lines": [lines["Atelier"], lines["Livraisons"]],
            "csrf_token": token,
        },
    )
    assert done.status_code == 303 and done.headers["Location"] == "/lines/requests"
    requests_page = client.get("/lines/requests?lang=en").text
    assert requests_page.count("Offer change") == 2
    # Now no line can take it: the page says so, and offers no button to be refused.
    again = client.get(f"/lines/offer?offer={catalogue['entreprise']}&lang=en").text
    assert "None of these lines can move to Entreprise" in again
    assert "Apply to the chosen lines" not in again


def test_cancel_from_the_line_and_from_the_requests_page(app, signed_in):
    lines, catalogue = _ids(app)
    client = signed_in("fr")
    token = csrf_from(client.get("/lines/").text)
    for name in ("Atelier", "Livraisons"):
        client.post(
            f"/lines/{lines[name]}/offer",
            data={"offer": catalogue["entreprise"], "csrf_token": token},
        )
    assert (
        client.post(
            f"/lines/{lines['Atelier']}/offer/cancel", data={"csrf_token": token}
        ).status_code
        == 303
    )
    with app.app_context():
        task = db.session.scalar(
            select(ScheduledTask).where(ScheduledTask.status == TaskStatus.TODO)
        )
        task_id = task.id
    assert (
        client.post(f"/lines/requests/{task_id}/cancel", data={"csrf_token": token}).status_code
        == 303
    )
    assert "No request is pending." in client.get("/lines/requests?lang=en").text
    # Cancelling twice: a message, not an error page.
    again = client.post(
        f"/lines/requests/{task_id}/cancel", data={"csrf_token": token}, follow_redirects=True
    )
    assert again.status_code == 200
    # Another account cannot cancel it.
    from tests.conftest import Auth

    other = app.test_client()
    Auth(other).login("demo-be@example.com")
    assert (
        other.post(
            f"/lines/requests/{task_id}/cancel",
            data={"csrf_token": csrf_from(other.get("/lines/").text)},
        ).status_code
        == 404
    )


def test_bulk_offers_only_what_some_line_can_take(app_ctx):
    """Voice lines never see the fax offer; the fax line alone brings it."""
    account, by_name, _catalogue = _fr()
    lines = list(by_name.values())
    voice = [line for line in lines if line.kind == LineKind.SIP]
    kinds = {offer.line_kind for offer in offers.bulk_targets(account, voice)}
    assert kinds == {LineKind.SIP}
    fax = [line for line in lines if line.kind == LineKind.FAX]
    assert fax and {o.line_kind for o in offers.bulk_targets(account, fax)} <= {LineKind.FAX}
    assert offers.bulk_targets(account, []) == []


def test_pending_changes_say_what_will_change_everywhere(app, signed_in):
    """The new offer and its price on the requests page and the line's page; the kind of
    change and its date in the list of lines; the e-mail acknowledges it."""
    lines, catalogue = _ids(app)
    client = signed_in("fr")
    page = client.get(f"/lines/{lines['Atelier']}/offer?lang=en").text
    client.post(
        f"/lines/{lines['Atelier']}/offer",
        data={"offer": catalogue["entreprise"], "csrf_token": csrf_from(page)},
    )
    said = "to Entreprise, €9.99 excl. VAT a month"
    requests = client.get("/lines/requests").text
    assert "What changes" in requests and said in requests
    line_page = client.get(f"/lines/{lines['Atelier']}").text
    assert said in line_page
    # Its cancel button comes back to the line's page.
    assert f'<input type="hidden" name="next" value="/lines/{lines["Atelier"]}">' in line_page
    listing = client.get("/lines/").text
    atelier = listing.split("+33 9 72 10 00 03", 1)[1].split("</tr>", 1)[0]
    assert "Offer change · Jan 1, 2027" in atelier or "Offer change · " in atelier
    with app.app_context():
        from telephony.models import ServiceEmail

        body = db.session.scalar(
            select(ServiceEmail.body).where(ServiceEmail.template == "request_received")
        )
    assert "Entreprise" in body
