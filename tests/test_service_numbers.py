"""Service numbers (seed 003): licences and quota, the inventory and its search, a
reservation that ends on the server, acquiring, and what agents do for the customer."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers
import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError
from telephony.models import (
    Account,
    AuditEvent,
    InventoryState,
    Licence,
    NumberArea,
    NumberReservation,
    NumberType,
    ReservationStatus,
    Service,
    ServiceNumber,
    User,
    utcnow,
)
from telephony.service_numbers import inventory, licences, reservations
from telephony.service_numbers.inventory import Search
from tests.conftest import csrf_from
from tests.factories import demo_account


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _lyon() -> NumberArea:
    return db.session.scalar(select(NumberArea).where(NumberArea.city == "Lyon"))


@pytest.mark.parametrize(
    ("count", "allowed"),
    [(0, 0), (1, 5), (25, 5), (26, 10), (49, 10), (50, 20), (199, 40), (200, 65), (999, 110)],
)
def test_the_quota_grows_with_the_licences(count, allowed):
    assert licences.quota_for(count) == allowed
    assert licences.quota_for(5000) == 125


def test_the_demo_inventory_holds_valid_numbers_of_their_type(app_ctx):
    rows = db.session.execute(select(ServiceNumber.number, ServiceNumber.number_type)).all()
    assert len(rows) > 1000
    for number, kind in rows:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert inventory.classify(number)[2] == kind, number
    free = [n for n, k in rows if k == NumberType.TOLL_FREE and n.startswith("+33")]
    assert free and all(re.match(r"^\+3380[0-5]\d{6}$", n) for n in free)
    assert not any(n.startswith("+41") and k == NumberType.TOLL_FREE for n, k in rows)
    lyon = db.session.scalars(
        select(ServiceNumber.number).where(ServiceNumber.area_id == _lyon().id)
    ).all()
    assert lyon and all(n.startswith("+33472") for n in lyon)


def test_a_search_finds_free_numbers_by_digits(app_ctx):
    now = utcnow()
    lyon = _lyon()
    found = inventory.find_free(
        Search("FR", NumberType.GEOGRAPHIC, (lyon.id,), starts_with="0472"), 3, now
    )
    assert len(found) == 3 and [n for _i, n in found] == sorted(n for _i, n in found)
    digits = found[0][1][-4:]
    contains = inventory.find_free(
        Search("FR", NumberType.GEOGRAPHIC, (lyon.id,), contains=digits), 50, now
    )
    assert found[0] in contains and all(digits in n for _i, n in contains)
    assert not inventory.find_free(
        Search("FR", NumberType.GEOGRAPHIC, (lyon.id,), starts_with="0491"), 3, now
    )
    # A % or _ typed is a digit search, not a pattern.
    assert not inventory.find_free(Search("FR", NumberType.NATIONAL, contains="%"), 3, now)


def test_reserve_then_acquire_two_numbers(app_ctx):
    account, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    search = Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,))
    reservation, held = reservations.reserve(account, search, 3, actor=user)
    assert held == 3
    numbers = reservations.held_numbers(reservation)
    picked = [str(n.id) for n in numbers[:2]]
    acquired = reservations.acquire(account, reservation, picked, actor=user)
    db.session.commit()
    assert {n.state for n in acquired} == {InventoryState.TAKEN}
    assert {n.account_id for n in acquired} == {account.id}
    # The number not picked is back in the inventory; the quota counts the two.
    db.session.refresh(numbers[2])
    assert numbers[2].state == InventoryState.AVAILABLE and numbers[2].reservation_id is None
    assert licences.quota(account) == (5, 3)
    services = db.session.scalars(
        select(Service).where(Service.service_type == "service_number")
    ).all()
    assert sorted(s.name for s in services) == sorted(n.number for n in acquired)
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "service_numbers.acquired")
    )
    with pytest.raises(DomainError, match="already acquired"):
        reservations.acquire(account, reservation, picked, actor=user)


def test_a_hold_ends_on_the_server(app_ctx):
    fr, be = demo_account("vt10001-f"), demo_account("vt20002-b")
    search = Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,))
    past = utcnow() - timedelta(minutes=11)
    reservation, _held = reservations.reserve(
        fr, search, 2, actor=_user("demo-fr@example.com"), now=past
    )
    db.session.commit()
    ids = [str(n.id) for n in reservations.held_numbers(reservation)]
    # Its numbers are anybody's again: another customer's search finds and takes them.
    first = inventory.find_free(search, 2, utcnow())
    assert {str(i) for i, _n in first} == set(ids)
    with pytest.raises(DomainError, match="has ended"):
        reservations.acquire(fr, reservation, ids, actor=_user("demo-fr@example.com"))
    db.session.rollback()
    other, held = reservations.reserve(be, search, 2, actor=_user("demo-be@example.com"))
    assert held == 2 and {str(n.id) for n in reservations.held_numbers(other)} == set(ids)
    db.session.commit()
    # The tidy-up closes the ended reservation; the numbers stay with the new one.
    reservations.expire()
    db.session.commit()
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.RELEASED
    assert len(reservations.held_numbers(other)) == 2


def test_a_hold_is_kept_longer_on_request_within_its_limit(app_ctx):
    """WCAG 2.2.1: the person can extend the time limit (ten times at least), on the
    server's clock, never after the hold has ended."""
    account, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    hold = timedelta(minutes=reservations.hold_minutes())
    start = utcnow()
    reservation, _held = reservations.reserve(
        account, Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,)), 2, actor=user, now=start
    )
    db.session.commit()
    numbers = reservations.held_numbers(reservation)
    later = start + hold - timedelta(minutes=1)
    until = reservations.extend(account, reservation, actor=user, now=later)
    db.session.commit()
    assert until == later + hold and reservations.aware(reservation.expires_at) == until
    for number in numbers:
        db.session.refresh(number)
        assert reservations.aware(number.held_until) == until
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "service_numbers.hold_extended")
    )
    # Sent twice at once (a double click): held longer once.
    assert reservations.extend(account, reservation, actor=user, now=later) == until
    extended = AuditEvent.action == "service_numbers.hold_extended"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(extended)) == 1
    # Its limit: MAX_HOLDS holds from when it was made. Up to it, then no further.
    reservation.created_at = until - reservations.MAX_HOLDS * hold + timedelta(minutes=3)
    db.session.commit()
    limit = reservations.hold_limit(reservation)
    soon = later + timedelta(minutes=5)
    assert reservations.can_extend(reservation, soon)
    assert reservations.extend(account, reservation, actor=user, now=soon) == limit
    db.session.commit()
    assert not reservations.can_extend(reservation, soon + timedelta(minutes=1))
    assert reservations.extend(account, reservation, actor=user, now=soon) == limit
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(extended)) == 2
    # Once it has ended, on the server's clock, it stays ended.
    with pytest.raises(DomainError, match="has ended"):
        reservations.extend(account, reservation, actor=user, now=limit + timedelta(seconds=1))
    db.session.rollback()


def test_the_quota_and_the_rules_refuse_beside_their_field(app_ctx):
    account, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    search = Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,))
    with pytest.raises(DomainError, match="still acquire 5 service numbers") as refused:
        reservations.reserve(account, search, 6, actor=user)
    assert refused.value.field == "quantity"
    with pytest.raises(DomainError, match="communication credits") as refused:
        reservations.reserve(account, Search("FR", NumberType.TOLL_FREE), 1, actor=user)
    assert refused.value.field == "number_type"
    with pytest.raises(DomainError, match="not sold in this country"):
        reservations.reserve(account, Search("CH", NumberType.TOLL_FREE), 1, actor=user)
    with pytest.raises(DomainError, match="No free number"):
        reservations.reserve(
            account, Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,), "0999"), 1, actor=user
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(NumberReservation.id))) == 0


def _in_english(client):
    client.get("/service-numbers/?lang=en")
    return client


def _reserve_page(client, data: dict):
    token = csrf_from(client.get("/service-numbers/new").text)
    return client.post("/service-numbers/new", data={"csrf_token": token, **data})


def test_the_pages_reserve_and_acquire_without_javascript(app, signed_in, auth):
    client = _in_english(signed_in("fr"))
    with app.app_context():
        lyon = _lyon()
    page = client.get("/service-numbers/")
    assert page.status_code == 200
    assert "Service numbers you can still acquire" in page.text
    # Each list narrows the next: the region's cities, from the query string.
    narrowed = client.get(f"/service-numbers/new?country=FR&region={lyon.region}")
    assert ">Lyon</option>" in narrowed.text and ">Paris</option>" not in narrowed.text
    # With htmx, the same address gives the form alone.
    block = client.get(
        f"/service-numbers/new?country=FR&region={lyon.region}",
        headers={"HX-Request": "true", "HX-Target": "number-places"},
    )
    assert block.status_code == 200 and '<div id="number-places">' in block.text
    assert "<form" not in block.text and 'name="quantity"' not in block.text
    assert ">Lyon</option>" in block.text and "HX-Request" in block.headers["Vary"]
    listing_block = client.get(
        "/service-numbers/", headers={"HX-Request": "true", "HX-Target": "service-number-list"}
    )
    assert listing_block.status_code == 200
    assert listing_block.text.lstrip().startswith('<div id="service-number-list">')
    reply = _reserve_page(
        client,
        {
            "action": "reserve",
            "country": "FR",
            "number_type": "geographic",
            "region": lyon.region,
            "city": str(lyon.id),
            "quantity": "2",
            "match": "starts",
        },
    )
    assert reply.status_code == 303, reply.text
    held = client.get(reply.location)
    assert "Numbers held for you" in held.text and 'role="timer"' in held.text
    # A ten-minute hold ends at a time of day, not on a date.
    assert re.search(r"Held until \d{1,2}:\d{2}(\s?[AP]M)?\. ", held.text), held.text
    ids = re.findall(r'name="numbers" value="(\d+)" checked', held.text)
    assert len(ids) == 2
    # Kept longer, from a button that needs no JavaScript; another account's: not found.
    extend = reply.location + "/extend"
    assert f'action="{extend}"' in held.text and "Hold them 10 more minutes" in held.text
    kept = client.post(extend, data={"csrf_token": csrf_from(held.text)})
    assert kept.status_code == 303 and kept.location == reply.location
    assert "The numbers are held for you until" in client.get(reply.location).text
    # The price is said beside each number, and the terms accepted before they are bought.
    assert held.text.count("€3.00 excl. VAT a month") == 2
    assert "Each number is billed from today" in held.text
    refused = client.post(reply.location, data={"csrf_token": csrf_from(held.text), "numbers": ids})
    assert refused.status_code == 422
    assert "Accept the terms of sale to acquire the numbers." in refused.text
    done = client.post(
        reply.location, data={"csrf_token": csrf_from(held.text), "numbers": ids, "terms": "y"}
    )
    assert done.status_code == 303
    listing = client.get("/service-numbers/").text
    assert "2 service numbers are yours" in listing
    assert listing.count('<th scope="row">+33 4 72') == 2
    assert re.search(r"<code>VLF10001F[A-Z0-9+]{3}</code>", listing)  # each number's RIO
    # Sent again (a double click): done already, nothing more.
    again = client.post(
        reply.location, data={"csrf_token": csrf_from(held.text), "numbers": ids, "terms": "y"}
    )
    assert again.status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Service.id)).where(Service.service_type == "service_number")
            )
            == 2
        )
    auth.logout()
    other = _in_english(signed_in("be"))  # (the same client, now another account's)
    token = csrf_from(other.get("/lines/").text)
    assert other.post(extend, data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "0"}, "Enter how many numbers you want"),
        ({"quantity": "abc"}, "Enter how many numbers you want"),
        ({"quantity": "9" * 40}, "Enter how many numbers you want"),
        ({"quantity": "6"}, "You can still acquire 5 service numbers"),
        ({"digits": "04x2"}, "Enter digits only"),
        ({"digits": "1" * 10_000}, "Enter digits only"),
        ({"digits": "04\x0072"}, "invisible control characters"),
        ({"number_type": "toll_free"}, "communication credits"),
    ],
)
def test_bad_searches_are_refused_beside_the_field(signed_in, data, message):
    client = _in_english(signed_in("fr"))
    reply = _reserve_page(
        client, {"action": "reserve", "country": "FR", "number_type": "geographic", **data}
    )
    assert reply.status_code == 422
    assert message in reply.text


def test_the_update_button_narrows_the_lists_without_reserving(app, signed_in):
    client = _in_english(signed_in("fr"))
    reply = _reserve_page(client, {"action": "update", "country": "BE", "region": "Wallonie"})
    assert reply.status_code == 200
    assert ">Namur</option>" in reply.text and ">Lyon</option>" not in reply.text
    with app.app_context():
        assert db.session.scalar(select(func.count(NumberReservation.id))) == 0


def test_another_accounts_reservation_answers_404(app, signed_in):
    with app.app_context():
        be = demo_account("vt20002-b")
        reservation, _held = reservations.reserve(
            be,
            Search("BE", NumberType.GEOGRAPHIC),
            1,
            actor=_user("demo-be@example.com"),
        )
        db.session.commit()
        reservation_id = reservation.id
    client = _in_english(signed_in("fr"))
    assert client.get(f"/service-numbers/reservations/{reservation_id}").status_code == 404
    assert client.get(f"/service-numbers/reservations/{10**30}").status_code == 404
    token = csrf_from(client.get("/service-numbers/").text)
    released = client.post(
        f"/service-numbers/reservations/{reservation_id}/release", data={"csrf_token": token}
    )
    assert released.status_code == 404


def test_without_a_licence_the_pages_say_why(app, signed_in):
    with app.app_context():
        db.session.execute(Licence.__table__.update().values(quantity=0))
        db.session.commit()
    client = _in_english(signed_in("fr"))
    page = client.get("/service-numbers/")
    assert page.status_code == 403
    assert "come with a telephony licence" in page.text
    assert client.get("/service-numbers/new").status_code == 403
    assert 'href="/service-numbers/"' not in client.get("/lines/").text


def test_an_agent_sets_the_licences_for_the_customer(app, signed_in):
    with app.app_context():
        account_id = demo_account("vt30003-s").id
    client = _in_english(signed_in("agent"))
    html = client.get(f"/agent/accounts/{account_id}").text
    acted = client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(html), "reason": "Caller wants conference numbers"},
    )
    assert acted.status_code == 303
    page = client.get("/service-numbers/")
    assert "Save the licences" in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/service-numbers/licences",
        data={"csrf_token": token, "kind": "phone_system", "quantity": "-3"},
    )
    assert bad.status_code == 422 and "Enter a whole number" in bad.text
    saved = client.post(
        "/service-numbers/licences",
        data={"csrf_token": token, "kind": "phone_system", "quantity": "30"},
    )
    assert saved.status_code == 303
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert licences.quota(account) == (10, 10)  # 30 + 2 conferencing licences
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "licences.changed"))
        assert event.on_behalf and event.reason == "Caller wants conference numbers"
        assert event.after == {"kind": "phone_system", "quantity": 30}


def test_customers_cannot_set_their_licences(signed_in):
    client = _in_english(signed_in("fr"))
    assert "Save the licences" not in client.get("/service-numbers/").text
    token = csrf_from(client.get("/service-numbers/").text)
    reply = client.post(
        "/service-numbers/licences",
        data={"csrf_token": token, "kind": "phone_system", "quantity": "999"},
    )
    assert reply.status_code == 403


def test_an_operator_imports_ranges_from_csv(app, runner, tmp_path):
    source = tmp_path / "ranges.csv"
    source.write_text(
        "number,region,city\n"
        "+33478123456,Auvergne-Rhône-Alpes,Lyon\n"
        "+33 4 78 12 34 57,Auvergne-Rhône-Alpes,Lyon\n"
        "+33800654321,,\n"
        "+33478123456,Auvergne-Rhône-Alpes,Lyon\n"
        "not a number,,\n"
        "+33478123458,,\n"
        "+33612345678,,\n"
        "+41848123456,,\n",  # a Swiss special number: allocated to its holder, not sold
        encoding="utf-8",
    )
    result = runner.invoke(args=["service-numbers", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "3 numbers added" in result.output
    assert "line 5: twice in the file" in result.output
    assert "line 6: not a valid" in result.output
    assert "line 7: a geographic number needs its region and city" in result.output
    assert "line 8: not a valid" in result.output  # a mobile number is no service number
    assert "line 9: a Swiss special number is allocated to its holder" in result.output
    with app.app_context():
        number = db.session.scalar(
            select(ServiceNumber).where(ServiceNumber.number == "+33478123457")
        )
        assert number.area.city == "Lyon" and number.number_type == NumberType.GEOGRAPHIC
    again = runner.invoke(args=["service-numbers", "import", str(source)])
    assert "0 numbers added" in again.output


def _own(account, user, city="Lyon", quantity=2) -> list[ServiceNumber]:
    area = db.session.scalar(select(NumberArea).where(NumberArea.city == city))
    search = Search(area.country.value, NumberType.GEOGRAPHIC, (area.id,))
    reservation, _held = reservations.reserve(account, search, quantity, actor=user)
    picked = [str(n.id) for n in reservations.held_numbers(reservation)]
    numbers = reservations.acquire(account, reservation, picked, actor=user)
    db.session.commit()
    return numbers


def test_destinations_are_checked_beside_their_fields(app_ctx):
    from telephony import InvalidForm
    from telephony.service_numbers import destinations

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    be_line = db.session.scalar(
        select(ServiceNumber.id).limit(1)
    )  # any id that is not one of FR's lines
    with pytest.raises(InvalidForm) as refused:
        destinations.create(fr, "call_queue", "  ", [str(be_line + 10_000)], actor=user)
    assert set(refused.value.errors) == {"name", "lines"}
    with pytest.raises(InvalidForm) as refused:
        destinations.create(fr, "elevator", "x" * 81, [], actor=user)
    assert set(refused.value.errors) == {"kind", "name"}
    queue = destinations.create(fr, "call_queue", " Sales   queue ", ["1", "2"], actor=user)
    assert queue.name == "Sales queue" and [line.id for line in queue.lines] == [1, 2]
    with pytest.raises(InvalidForm, match="Another destination has this name"):
        destinations.create(fr, "auto_attendant", "sales QUEUE", [], actor=user)


def test_a_number_rings_somewhere_then_is_released_into_quarantine(app_ctx):
    from datetime import date

    from telephony.service_numbers import destinations

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    first, second = _own(fr, user)
    bridge = destinations.create(fr, "conference_bridge", "Weekly call", [], actor=user)
    destinations.assign(fr, first, str(bridge.id), actor=user)
    db.session.commit()
    with pytest.raises(DomainError, match="assign it to nothing first"):
        destinations.release(fr, first, actor=user, today=date(2027, 1, 10))
    until = destinations.release(fr, second, actor=user, today=date(2027, 1, 10))
    db.session.commit()
    assert until == date(2027, 4, 10)
    db.session.refresh(second)
    assert second.state == InventoryState.QUARANTINED and second.account_id is None
    service = db.session.scalar(select(Service).where(Service.target_id == second.id))
    assert service.state == "terminated"
    assert licences.quota(fr) == (5, 4)  # a released number no longer counts
    # Nobody gets it before its quarantine ends, then it is back in the inventory.
    search = Search("FR", NumberType.GEOGRAPHIC, (_lyon().id,), starts_with=second.number[3:])
    assert not inventory.find_free(search, 1, utcnow())
    assert destinations.end_quarantines(date(2027, 4, 9)) == 0
    assert destinations.end_quarantines(date(2027, 4, 10)) == 1
    assert inventory.find_free(search, 1, utcnow())[0][1] == second.number


def test_a_number_released_inside_a_paid_year_is_refunded_the_rest(app_ctx):
    """Releasing a number ended its service without the credit note a line's termination
    gives: a year paid ahead, released the same day, was kept whole (review)."""
    from telephony.invoicing.credit_notes import unused_value
    from telephony.models import Invoice, InvoiceKind, InvoiceStatus
    from telephony.service_numbers import destinations
    from tests.factories import pay_ahead

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    (number,) = _own(fr, user, quantity=1)
    service = db.session.scalar(
        select(Service).where(
            Service.target_type == "service_number", Service.target_id == number.id
        )
    )
    today = date.today()
    invoice, _payment = pay_ahead(fr, service, today)
    line = invoice.lines[0]
    destinations.release(fr, number, actor=user, today=today)
    db.session.commit()
    (note,) = db.session.scalars(
        select(Invoice).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == invoice.id
        )
    )
    assert note.total_excl_vat == unused_value(
        line.unit_price_excl_vat, max(today, line.period_start), line.period_end
    )
    assert note.status == InvoiceStatus.REFUNDED
    assert service.state == "terminated" and service.terminate_on == today


def test_a_bridge_takes_a_toll_free_number_only_beside_a_toll_number(app_ctx):
    from telephony.service_numbers import destinations

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    (toll,) = _own(fr, user, quantity=1)
    free = db.session.scalar(
        select(ServiceNumber).where(ServiceNumber.number_type == NumberType.TOLL_FREE).limit(1)
    )
    free.state, free.account_id = InventoryState.TAKEN, fr.id  # (credits come later)
    bridge = destinations.create(fr, "conference_bridge", "Board", [], actor=user)
    with pytest.raises(DomainError, match="give the bridge a toll number first"):
        destinations.assign(fr, free, str(bridge.id), actor=user)
    destinations.assign(fr, toll, str(bridge.id), actor=user)
    destinations.assign(fr, free, str(bridge.id), actor=user)
    with pytest.raises(DomainError, match="need a toll number beside them"):
        destinations.assign(fr, toll, "", actor=user)


def test_the_pages_assign_and_release_a_number(app, signed_in):
    with app.app_context():
        first, second = _own(demo_account("vt10001-f"), _user("demo-fr@example.com"))
        first_id, second_id = first.id, second.id
    client = _in_english(signed_in("fr"))
    page = client.get("/service-numbers/destinations/new")
    created = client.post(
        "/service-numbers/destinations/new",
        data={"csrf_token": csrf_from(page.text), "kind": "call_queue", "name": "Support"},
    )
    assert created.status_code == 422 and "Choose the lines the queue rings" in created.text
    created = client.post(
        "/service-numbers/destinations/new",
        data={
            "csrf_token": csrf_from(page.text),
            "kind": "call_queue",
            "name": "Support",
            "lines": ["1", "5"],
        },
    )
    assert created.status_code == 303
    form = client.get(f"/service-numbers/{first_id}/assign").text
    queue_id = re.search(r'name="destination" value="(\d+)"', form.split("Nowhere")[1]).group(1)
    assigned = client.post(
        f"/service-numbers/{first_id}/assign",
        data={"csrf_token": csrf_from(form), "destination": queue_id},
    )
    assert assigned.status_code == 303
    listing = client.get("/service-numbers/").text
    assert "Support" in listing and "+33 9 72 10 00 01, +33 9 72 10 00 05" in listing
    refused = client.get(f"/service-numbers/{first_id}/release").text
    assert "assign it to nothing first" in refused
    page = client.get(f"/service-numbers/{second_id}/release").text
    assert "kept aside until" in page
    released = client.post(
        f"/service-numbers/{second_id}/release", data={"csrf_token": csrf_from(page)}
    )
    assert released.status_code == 303
    assert client.get(f"/service-numbers/{second_id}/release").status_code == 404
    assert client.get(f"/service-numbers/{10**30}/assign").status_code == 404


# --- Communication credits and French toll-free numbers -------------------------------------


def _emails(template: str) -> list:
    from telephony.models import ServiceEmail

    return db.session.scalars(select(ServiceEmail).where(ServiceEmail.template == template)).all()


def test_credits_are_bought_once_per_form(app, signed_in):
    from telephony.models import CreditMovement, Invoice

    client = _in_english(signed_in("fr"))
    page = client.get("/service-numbers/credits")
    assert page.status_code == 200 and "€0.00" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    method = re.search(r'name="method" value="(\d+)" checked', page.text).group(1)
    data = {"csrf_token": csrf_from(page.text), "token": token, "method": method}
    refused = client.post("/service-numbers/credits", data={**data, "amount": "7"})
    assert refused.status_code == 422 and "Choose one of the amounts offered" in refused.text
    for _copy in range(2):
        bought = client.post("/service-numbers/credits", data={**data, "amount": "50"})
        assert bought.status_code == 303
    assert "€50.00" in client.get("/service-numbers/credits").text
    with app.app_context():
        (movement,) = db.session.scalars(select(CreditMovement)).all()
        assert movement.kind == "purchase" and movement.balance_after == 50
        invoice = db.session.get(Invoice, movement.invoice_id)
        assert invoice.status == "paid" and invoice.total_incl_vat == 60  # VAT 20 %
        assert invoice.lines[0].description == "Crédits de communication"


def test_toll_free_needs_credits_then_a_directory_entry(app_ctx):
    from telephony.service_numbers import credits

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    toll_free = Search("FR", NumberType.TOLL_FREE, starts_with="0800")
    with pytest.raises(DomainError, match="buy some first"):
        reservations.reserve(fr, toll_free, 2, actor=user)
    credits._move(fr, "purchase", Decimal("20.00"), None)
    reservation, held = reservations.reserve(fr, toll_free, 2, actor=user)
    first, second = reservations.held_numbers(reservation)
    assert first.number.startswith("+33800")
    with pytest.raises(DomainError, match="choose one number"):
        reservations.acquire(fr, reservation, [str(first.id), str(second.id)], actor=user)
    with pytest.raises(DomainError) as refused:
        reservations.acquire(fr, reservation, [str(first.id)], actor=user, entry={})
    assert set(refused.value.errors) == {"publisher", "service", "category"}
    entry = {"publisher": " Dupré  SARL ", "service": "Commandes", "category": "booking"}
    (number,) = reservations.acquire(fr, reservation, [str(first.id)], actor=user, entry=entry)
    assert number.directory_entry == {
        "publisher": "Dupré SARL",
        "service": "Commandes",
        "category": "booking",
        "tariff": "free",
    }


def test_an_automatic_recharge_and_the_e_mails_of_low_credits(app_ctx):
    from telephony.models import CreditMovement, StoredPaymentMethod
    from telephony.payments import PROVIDERS
    from telephony.service_numbers import credits

    fr, user = demo_account("vt10001-f"), _user("demo-fr@example.com")
    sandbox, today = PROVIDERS["sandbox"], date(2027, 1, 4)
    credits._move(fr, "purchase", Decimal("50.00"), None)
    # Without the automatic recharge: one e-mail when the balance goes below the threshold.
    assert credits.use(fr, Decimal("30"), provider=sandbox, today=today, token="r1") == 20
    assert credits.use(fr, Decimal("15"), provider=sandbox, today=today, token="r2") == 5
    assert credits.use(fr, Decimal("1"), provider=sandbox, today=today, token="r3") == 4
    assert len(_emails("credits_low")) == 1
    # With it: below 10, 20 more are bought with the default card, and an e-mail says so.
    with pytest.raises(DomainError) as refused:
        credits.configure(fr, True, "ten", "-1", actor=user)
    assert set(refused.value.errors) == {"threshold", "recharge_amount"}
    credits.configure(fr, True, "10", "20", actor=user)
    assert credits.use(fr, Decimal("2"), provider=sandbox, today=today, token="r4") == 22
    # The same report again is taken once, and recharges once.
    assert credits.use(fr, Decimal("2"), provider=sandbox, today=today, token="r4") == 22
    kinds = db.session.scalars(select(CreditMovement.kind).order_by(CreditMovement.id)).all()
    assert kinds.count("auto_recharge") == 1 and kinds.count("usage") == 4
    (recharged,) = _emails("credits_recharged")
    assert "20,00" in recharged.body
    # The card refused: an e-mail says the recharge failed.
    db.session.execute(StoredPaymentMethod.__table__.delete())
    assert credits.use(fr, Decimal("15"), provider=sandbox, today=today, token="r5") == 7
    (failed,) = _emails("credits_recharge_failed")
    assert "7,00" in failed.body


def test_the_call_platform_reports_usage_through_a_command(app, runner):
    with app.app_context():
        from telephony.service_numbers import credits

        credits._move(demo_account("vt20002-b"), "purchase", Decimal("20.00"), None)
        db.session.commit()
    result = runner.invoke(
        args=["service-numbers", "usage", "vt20002-b", "3.50", "--report", "cdr-1"]
    )
    assert result.exit_code == 0, result.output
    assert "balance 16.50 EUR" in result.output
    bad = runner.invoke(args=["service-numbers", "usage", "vt20002-b", "lots", "--report", "x"])
    assert bad.exit_code != 0 and "not an amount" in bad.output
    for cost in ("NaN", "Infinity", "0.001"):
        refused = runner.invoke(
            args=["service-numbers", "usage", "vt20002-b", cost, "--report", cost]
        )
        assert refused.exit_code == 1 and "Traceback" not in refused.output, refused.output
    # Long report ids that share their start are two reports, not one cut to the same key.
    start = "platform-eu-west-1/cdr/2027/01/04/account-vt20002-b/batch-000000000"
    for report in (start + "1", start + "2"):
        result = runner.invoke(
            args=["service-numbers", "usage", "vt20002-b", "3.50", "--report", report]
        )
    assert "balance 9.50 EUR" in result.output


def test_one_report_id_sent_for_two_accounts_recharges_both(app_ctx):
    """A report's recharge is keyed by account: invoices' keys are unique across accounts."""
    from telephony import payment_methods
    from telephony.payments import PROVIDERS
    from telephony.service_numbers import credits

    sandbox, today = PROVIDERS["sandbox"], date(2027, 1, 4)
    accounts = [demo_account("vt10001-f"), demo_account("vt20002-b")]
    for account, email in zip(
        accounts, ("demo-fr@example.com", "demo-be@example.com"), strict=True
    ):
        if payment_methods.default_method(account) is None:
            payment_methods.add_card(
                account, number="4242424242424242", exp_month=12, exp_year=2030,
                make_default=True, actor=None, provider=sandbox, today=today,
            )  # fmt: skip
        credits._move(account, "purchase", Decimal("12.00"), None)
        credits.configure(account, True, "10", "20", actor=_user(email))
    balances = [
        credits.use(account, Decimal("5"), provider=sandbox, today=today, token="usage-cdr-1")
        for account in accounts
    ]
    assert balances == [Decimal("27.00")] * 2


def test_more_numbers_are_asked_of_support_who_answer_with_licences(app, signed_in, client):
    customer = _in_english(signed_in("fr"))
    page = customer.get("/service-numbers/more")
    assert page.status_code == 200
    bad = customer.post(
        "/service-numbers/more",
        data={"csrf_token": csrf_from(page.text), "quantity": "0", "message": "x" * 501},
    )
    assert bad.status_code == 422 and "Enter how many more numbers you need" in bad.text
    for quantity in ("10", "12"):  # asked again: the same request, updated
        sent = customer.post(
            "/service-numbers/more",
            data={
                "csrf_token": csrf_from(page.text),
                "quantity": quantity,
                "message": "Hotlines <b>for</b> the sales",
            },
        )
        assert sent.status_code == 303
    with app.app_context():
        from telephony.models import QuotaRequest

        (request,) = db.session.scalars(select(QuotaRequest)).all()
        assert request.quantity == 12 and request.handled_at is None
    customer.post("/logout", data={"csrf_token": csrf_from(page.text)})
    agent = _in_english(signed_in("agent"))
    console = agent.get("/agent/accounts/1").text
    assert "The customer asks for 12 more service numbers" in console
    assert "Hotlines &lt;b&gt;for&lt;/b&gt; the sales" in console
    agent.post(
        "/agent/accounts/1/act",
        data={"csrf_token": csrf_from(console), "reason": "Customer asked for more numbers"},
    )
    assert "The customer asks for 12" in agent.get("/service-numbers/licences").text
    saved = agent.post(
        "/service-numbers/licences",
        data={"csrf_token": csrf_from(console), "kind": "phone_system", "quantity": "60"},
    )
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(QuotaRequest.handled_at)) is not None
        assert licences.quota(demo_account("vt10001-f")) == (20, 20)


def test_numbers_in_use_or_in_quarantine_are_not_stock(app, runner, tmp_path):
    from telephony.models import NumberQuarantine

    with app.app_context():
        lyon = _lyon()
        stocked = db.session.scalars(
            select(ServiceNumber.number).where(ServiceNumber.area_id == lyon.id).limit(2)
        ).all()
        # A number of the stock the renewal run took back from a deleted service meanwhile.
        db.session.add(NumberQuarantine(number=stocked[0], until=date(2099, 1, 1)))
        db.session.commit()
        search = Search("FR", NumberType.GEOGRAPHIC, (lyon.id,), starts_with=stocked[0][3:])
        reservation_refused = None
        try:
            reservations.reserve(
                demo_account("vt10001-f"), search, 1, actor=_user("demo-fr@example.com")
            )
        except DomainError as refused:
            reservation_refused = refused
        assert reservation_refused is not None and "No free number" in str(reservation_refused)
        db.session.rollback()
    source = tmp_path / "numbers.csv"
    source.write_text(
        "number,region,city\n"
        "+33972100001,,\n"  # the demo company's line
        "+33972555555,,\n",
        encoding="utf-8",
    )
    with app.app_context():
        db.session.add(NumberQuarantine(number="+33972555555", until=date(2099, 1, 1)))
        db.session.commit()
    result = runner.invoke(args=["service-numbers", "import", str(source)])
    assert "line 2: in use by a customer" in result.output
    assert "line 3: in quarantine until 2099-01-01" in result.output
    assert "0 numbers added" in result.output


def test_the_narrowed_lists_are_said_through_the_live_region(signed_in):
    """htmx draws the region and city lists again: a screen reader hears that they changed."""
    client = signed_in("fr")
    reply = client.get(
        "/service-numbers/new?lang=en&number_type=geographic&country=FR",
        headers={"HX-Request": "true", "HX-Target": "number-places"},
    )
    assert '<span hx-swap-oob="innerHTML:#announcer">The lists that follow are updated.</span>' in (
        reply.text
    )


def test_the_digits_example_is_an_area_code_of_the_country_searched(signed_in):
    """ "0472" (Lyon) was the example in every country: a Belgian mobile prefix in Belgium."""
    client = signed_in("be")
    page = client.get("/service-numbers/new?lang=en&number_type=geographic&country=BE").text
    assert "For example 092 or 1234." in page and "0472" not in page


def test_every_type_sold_anywhere_has_a_price_for_every_country(app):
    """An account may take a number of another country: its own country's table prices it
    (a missing price would have made it a number for nothing)."""
    import config

    sold = {kind for kinds in config.SERVICE_NUMBER_TYPES.values() for kind in kinds}
    for country, prices in config.SERVICE_NUMBER_PRICES.items():
        assert sold <= set(prices), country
        assert all(price > 0 for price in prices.values()), country


def test_a_swiss_account_pays_for_a_belgian_toll_free_number(app_ctx):
    from telephony.service_numbers import credits

    swiss, user = demo_account("vt30003-s"), _user("demo-ch@example.com")
    credits._move(swiss, "purchase", Decimal("20.00"), None)
    reservation, _ = reservations.reserve(swiss, Search("BE", NumberType.TOLL_FREE), 1, actor=user)
    (number,) = reservations.held_numbers(reservation)
    reservations.acquire(swiss, reservation, [str(number.id)], actor=user)
    service = db.session.scalar(
        select(Service).where(
            Service.target_type == "service_number", Service.target_id == number.id
        )
    )
    assert service.monthly_price_excl_vat == Decimal("9.50")


def test_a_type_without_a_price_for_the_account_is_not_offered(app_ctx, monkeypatch):
    from telephony.service_numbers import owned

    swiss, user = demo_account("vt30003-s"), _user("demo-ch@example.com")
    monkeypatch.setattr(owned, "offered_price", lambda account, kind: None)
    with pytest.raises(DomainError) as refused:
        reservations.reserve(swiss, Search("CH", NumberType.GEOGRAPHIC), 1, actor=user)
    assert refused.value.field == "number_type"


def test_a_bridges_only_toll_number_cannot_move_away_from_its_toll_free_ones(app_ctx):
    from telephony.service_numbers import destinations

    fr, user = demo_account(), _user("demo-fr@example.com")
    reservation, _ = reservations.reserve(fr, Search("FR", NumberType.NATIONAL), 1, actor=user)
    (toll,) = reservations.held_numbers(reservation)
    reservations.acquire(fr, reservation, [str(toll.id)], actor=user)
    free = db.session.scalar(
        select(ServiceNumber).where(ServiceNumber.number_type == NumberType.TOLL_FREE).limit(1)
    )
    free.state, free.account_id = InventoryState.TAKEN, fr.id
    bridge = destinations.create(fr, "conference_bridge", "Board", [], actor=user)
    attendant = destinations.create(fr, "auto_attendant", "Reception", [], actor=user)
    destinations.assign(fr, toll, str(bridge.id), actor=user)
    destinations.assign(fr, free, str(bridge.id), actor=user)
    for elsewhere in ("", str(attendant.id)):
        with pytest.raises(DomainError, match="need a toll number beside them"):
            destinations.assign(fr, toll, elsewhere, actor=user)


def test_reserving_what_the_country_does_not_sell_is_refused_not_replaced(app, signed_in):
    """Without JavaScript the type checked stays as the country changes: reserving then
    says so beside the field instead of reserving another type."""
    client = signed_in("fr")
    token = csrf_from(client.get("/service-numbers/new").text)
    reply = client.post(
        "/service-numbers/new?lang=en",
        data={"csrf_token": token, "country": "CH", "number_type": "toll_free",
              "quantity": "2", "match": "starts"},
    )  # fmt: skip
    assert reply.status_code == 422
    assert "This type of number is not sold in this country." in reply.text
    with app.app_context():
        assert db.session.scalar(select(func.count(NumberReservation.id))) == 0


def test_with_licences_taken_back_the_numbers_and_orders_still_show(app, signed_in):
    """Licences back to none: the numbers still billed, their credits and a port order in
    progress are still the customer's to see, release, follow or cancel; only getting new
    numbers needs a licence."""
    from telephony.models import LicenceKind
    from telephony.service_numbers import porting

    with app.app_context():
        fr, user = demo_account(), _user("demo-fr@example.com")
        reservation, _ = reservations.reserve(fr, Search("FR", NumberType.NATIONAL), 1, actor=user)
        (number,) = reservations.held_numbers(reservation)
        reservations.acquire(fr, reservation, [str(number.id)], actor=user)
        order, _checked = porting.create(fr, "04 78 12 34 56", False, actor=user)
        for kind in LicenceKind:
            licences.set_licences(fr, kind.value, 0, actor=_user("agent@example.com"))
        db.session.commit()
        order_id, shown = order.id, number.number
    client = signed_in("fr")
    for path in ("/service-numbers/", f"/service-numbers/port/{order_id}",
                 f"/service-numbers/port/{order_id}/cancel", "/service-numbers/port",
                 "/service-numbers/credits"):  # fmt: skip
        assert client.get(path + "?lang=en").status_code == 200, path
    page = client.get("/service-numbers/?lang=en").text
    assert shown[-2:] in page and "You can still acquire 0 service numbers." not in page
    assert client.get("/service-numbers/new").status_code == 403
    token = csrf_from(client.get("/service-numbers/port").text)
    created = client.post(
        "/service-numbers/port",
        data={
            "csrf_token": token,
            "toll_free": "toll",
            "numbers": "04 78 12 34 57",
            "action": "create",
        },
    )
    assert created.status_code == 403


def test_a_number_is_billed_from_the_day_it_is_acquired(app_ctx):
    """Its first month is due the day it comes: the renewal run that night invoices it (it
    was free until a month later, and a number released before then cost nothing)."""
    from telephony.dates import add_months, local_today
    from telephony.models import InvoiceLine
    from telephony.services.run import run_services

    fr, user = demo_account(), _user("demo-fr@example.com")
    reservation, _ = reservations.reserve(fr, Search("FR", NumberType.NATIONAL), 1, actor=user)
    (number,) = reservations.held_numbers(reservation)
    reservations.acquire(fr, reservation, [str(number.id)], actor=user)
    db.session.commit()
    today = local_today(fr.timezone)
    run_services(today)
    (line,) = db.session.scalars(
        select(InvoiceLine)
        .join(Service, Service.id == InvoiceLine.service_id)
        .where(Service.target_type == "service_number", Service.target_id == number.id)
    ).all()
    assert (line.period_start, line.period_end) == (today, add_months(today, 1))
    assert line.total_excl_vat == Decimal("3.00")


def test_a_french_number_of_a_swiss_account_shows_its_rio(app, signed_in):
    """The RIO column appeared only on a French account's page: a Swiss account's French
    number had none, though it needs it to leave (review)."""
    from telephony.models import Account, NumberArea, NumberType, User
    from telephony.service_numbers import licences, owned, reservations
    from telephony.service_numbers.inventory import Search

    with app.app_context():
        swiss = db.session.scalar(select(Account).where(Account.code == "vt30003-s"))
        customer = db.session.scalar(select(User).where(User.email == "demo-ch@example.com"))
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        if not licences.has_licence(swiss):
            licences.set_licences(swiss, "phone_system", 10, actor=agent)
        lyon = db.session.scalar(select(NumberArea).where(NumberArea.city == "Lyon"))
        held, _ = reservations.reserve(
            swiss, Search("FR", NumberType.GEOGRAPHIC, (lyon.id,)), 1, actor=customer
        )
        (number,) = reservations.acquire(
            swiss, held, [str(reservations.held_numbers(held)[0].id)], actor=customer
        )
        db.session.commit()
        expected = owned.rio_of(swiss, number, app.config["OPERATOR"])
    assert expected and expected in signed_in("ch").get("/service-numbers/?lang=en").text


def test_the_menu_leads_to_the_numbers_an_account_holds_without_a_licence(app, signed_in):
    """Licences taken back to none, an account holding a number still pays for it,
    releases it and follows its port orders there: the page answered, the menu hid it
    (review). The menu follows the page; a number taken is seen at once (tracked)."""
    from telephony.models import InventoryState, ServiceNumber

    with app.app_context():
        db.session.execute(Licence.__table__.update().values(quantity=0))
        db.session.commit()
    client = _in_english(signed_in("fr"))
    assert 'href="/service-numbers/"' not in client.get("/lines/").text
    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
        number = db.session.scalar(
            select(ServiceNumber).where(ServiceNumber.state == InventoryState.AVAILABLE).limit(1)
        )
        number.state, number.account_id = InventoryState.TAKEN, account_id
        db.session.commit()
    assert 'href="/service-numbers/"' in client.get("/lines/").text
    assert client.get("/service-numbers/").status_code == 200
