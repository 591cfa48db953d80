"""Porting numbers in (seed 003): the numbers checked line by line, the holder, the RIO of
each French number, the date on working days, the letter of authorization, the documents,
submitting once, and the losing carrier's answers up to the numbers being the account's."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, rio
from telephony.models import (
    Account,
    InventoryState,
    NumberType,
    PortNumber,
    PortOrder,
    PortStatus,
    ServiceEmail,
    ServiceNumber,
    User,
    utcnow,
)
from telephony.payments import PROVIDERS
from telephony.service_numbers import porting
from tests.conftest import csrf_from
from tests.factories import demo_account, large_body_reply

TODAY = date(2027, 3, 1)  # a Monday
PDF = b"%PDF-1.7\n% a signed letter\n"


def _user():
    return db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))


def _rio(number: str) -> str:
    return rio.rio("AB", "F", "123456", number)


def test_each_line_is_checked_and_the_rest_kept(app_ctx):
    checked = porting.precheck(
        demo_account(),
        "number\n"
        "04 78 12 34 56\n"
        "+33 4 78 12 34 56\n"  # the same number again
        "0800 12 34 56\n"  # toll-free in a toll order
        "not a number\n"
        "+32 2 501 23 45\n"  # another country than the first
        "09 72 10 00 01\n"  # the demo company's own line
        "01 84 80 00 30\n"  # Paris: another zone than Lyon's
        "09 77 00 00 02\n",  # 09: no zone
        toll_free=False,
    )
    assert [item.number for item in checked.accepted] == ["+33478123456", "+33977000002"]
    reasons = {line: str(reason) for line, _text, reason in checked.refused}
    assert reasons == {
        3: "Twice in the list.",
        4: "A toll-free number: it goes in a toll-free order.",
        5: "Not a valid number of France, Belgium or Switzerland.",
        6: "Another country than the first number's: one order per country.",
        7: "Already with us.",
        8: "Another zone than the first number's: a geographic number is used in its zone, "
        "at the holder's address, so one order per zone.",
    }
    with pytest.raises(DomainError, match="1,000 numbers at most"):
        porting.precheck(demo_account(), "\n".join(f"0478{n:06d}" for n in range(10_000)), False)


def test_numbers_pasted_on_one_line_are_each_checked(app_ctx):
    """Commas or semicolons between numbers on one line: each is a number (two of three
    were dropped without a word); a CSV file's other columns are not."""
    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    checked = porting.precheck(be, "02 555 12 34, 02 555 12 35; 02 555 12 36", toll_free=False)
    assert [item.number for item in checked.accepted] == [
        "+3225551234",
        "+3225551235",
        "+3225551236",
    ]
    csv_file = "number;name;since\n02 555 12 34;Accueil;2019-04-01\n02 555 12 35;Fax;1234\n"
    checked = porting.precheck(be, csv_file, toll_free=False)
    assert len(checked.accepted) == 2 and checked.refused == []


def test_a_file_with_old_mac_line_ends_or_one_huge_line_is_read_or_refused_not_a_500(app_ctx):
    """A CSV file saved with CR alone between lines ("CSV (Macintosh)"), and a line longer
    than the csv module reads: both raised csv.Error, a 500 (review, fuzzing)."""
    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    checked = porting.precheck(be, "02 555 12 34\r02 555 12 35\r", toll_free=False)
    assert [item.number for item in checked.accepted] == ["+3225551234", "+3225551235"]
    with pytest.raises(DomainError, match="Paste the numbers to port"):
        porting.precheck(be, "02 555 12 34," + "x" * 200_000, toll_free=False)


def test_a_belgian_geographic_number_ports_only_within_its_zone(app_ctx):
    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    checked = porting.precheck(be, "02 501 23 45\n02 501 23 46\n04 220 12 34", toll_free=False)
    assert len(checked.accepted) == 2
    assert "only within its zone" in str(checked.refused[0][2])


def _order(numbers="04 78 12 34 56\n09 77 00 00 01", toll_free=False):
    order, _checked = porting.create(demo_account(), numbers, toll_free, actor=_user())
    return order


DETAILS = {
    "name": "Boulangerie Dupré & Fils SARL",
    "organisation_id": "732 829 320 00074",
    "contact_name": "Camille Dupré",
    "contact_mobile": "06 12 34 56 78",
    "contact_email": "camille@dupre.example",
    "street": "4 rue de la Paix",
    "building": "B",
    "postcode": "69003",
    "city": "Lyon",
    "losing_carrier": "Ancien Opérateur SA",
    "carrier_account": "C-99812",
    "billing_number": "04 78 12 34 56",
    "scope": "full",
    "when": "asap",
}


def test_a_number_is_in_one_open_order_at_a_time(app_ctx):
    _order()
    with pytest.raises(DomainError, match="No number of the list can be ported"):
        porting.create(demo_account(), "04 78 12 34 56", False, actor=_user())


def test_the_rio_is_checked_with_its_number_and_the_date_on_working_days(app_ctx):
    order = _order("04 78 12 34 56\n09 77 00 00 01")
    first, second = order.numbers
    wrong = {f"rio-{first.id}": _rio(second.number), f"rio-{second.id}": _rio(second.number)}
    with pytest.raises(DomainError) as refused:
        porting.save_details(
            demo_account(),
            order,
            {**DETAILS, **wrong, "when": "date", "requested_on": "2027-03-05"},
            actor=_user(),
            today=TODAY,
        )
    assert set(refused.value.errors) == {f"rio-{first.id}", "requested_on"}
    assert "earliest date is March 10, 2027" in str(refused.value.errors["requested_on"])
    assert not order.details_saved
    good = {f"rio-{first.id}": _rio(first.number), f"rio-{second.id}": _rio(second.number)}
    for day, problem in (("2027-03-13", "weekend"), ("2027-05-06", "public holiday")):
        with pytest.raises(DomainError, match=problem):  # a Saturday; Ascension Day
            porting.save_details(
                demo_account(),
                order,
                {**DETAILS, **good, "when": "date", "requested_on": day},
                actor=_user(),
                today=TODAY,
            )
    porting.save_details(
        demo_account(),
        order,
        {**DETAILS, **good, "when": "date", "requested_on": "2027-03-10"},
        actor=_user(),
        today=TODAY,
    )
    assert order.details_saved and order.requested_on == date(2027, 3, 10)
    assert order.holder["organisation_id"] == "73282932000074"
    assert order.holder["contact_mobile"] == "+33612345678"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00 a program", "a program, not a document"),
        (b"<html>not a pdf</html>", "Upload a PDF, a PNG or a JPEG"),
        (b"%PDF-" + b"0" * (10 * 1024 * 1024), "too big"),
        (b"", "Choose the file"),
    ],
)
def test_documents_are_checked(app_ctx, data, message):
    order = _order()
    with pytest.raises(DomainError, match=message):
        porting.upload(
            demo_account(), order, "loa", "x.pdf", data, "2027-02-20", actor=_user(), today=TODAY
        )


def test_a_letter_must_be_recent(app_ctx):
    order = _order()
    for signed, message in (("2026-11-30", "within the last 3 months"), ("2027-03-02", "to come")):
        with pytest.raises(DomainError, match=message):
            porting.upload(
                demo_account(), order, "loa", "l.pdf", PDF, signed, actor=_user(), today=TODAY
            )


def test_an_order_is_submitted_once_then_moved_along_to_completed(app_ctx):
    order = _order()
    with pytest.raises(DomainError, match="Before submitting"):
        porting.submit(demo_account(), order, actor=_user())
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
    porting.upload(
        demo_account(), order, "loa", "letter.pdf", PDF, "2027-02-27", actor=_user(), today=TODAY
    )
    assert porting.submit(demo_account(), order, actor=_user()) is True
    assert porting.submit(demo_account(), order, actor=_user()) is False  # the same form again
    for status in ("processing", "contacting_carrier"):
        porting.advance(order, PortStatus(status), today=TODAY)
    with pytest.raises(DomainError, match="confirmed date"):
        porting.advance(order, PortStatus.DATE_CONFIRMED, today=TODAY)
    porting.advance(order, PortStatus.DATE_CONFIRMED, on=date(2027, 3, 10), today=TODAY)
    porting.advance(order, PortStatus.PENDING, today=TODAY)
    with pytest.raises(DomainError, match="can no longer be cancelled"):
        porting.cancel(demo_account(), order, actor=_user())
    porting.advance(order, PortStatus.COMPLETED, today=TODAY)
    db.session.commit()
    numbers = db.session.scalars(select(ServiceNumber).where(ServiceNumber.ported)).all()
    assert sorted(n.number for n in numbers) == ["+33478123456", "+33977000001"]
    assert {(n.state, n.account_id) for n in numbers} == {(InventoryState.TAKEN, 1)}
    templates = db.session.scalars(select(ServiceEmail.template)).all()
    assert "port_date_confirmed" in templates and "port_completed" in templates
    assert not db.session.scalar(select(func.count(PortNumber.id)).where(PortNumber.active))
    from telephony.service_numbers import licences

    assert licences.quota(demo_account()) == (5, 5)  # ported numbers don't use the quota
    assert PROVIDERS  # (no payment in a port)


def test_a_number_of_the_inventory_is_ours_to_sell_not_to_port(app_ctx):
    """A number the operator sells (available, held or taken) is refused; one ported in
    once and given back may come in again, and is never for sale meanwhile."""
    from telephony.service_numbers import inventory

    stock = db.session.scalars(
        select(ServiceNumber)
        .where(ServiceNumber.country == "FR", ServiceNumber.state == InventoryState.AVAILABLE)
        .order_by(ServiceNumber.id)
        .limit(2)
    ).all()
    for_sale, given_back = stock
    given_back.ported = True  # ported in once, its quarantine over: its range holder's
    db.session.flush()
    national = ["0" + number.number[3:] for number in stock]
    checked = porting.precheck(demo_account(), "\n".join(national), toll_free=False)
    assert [item.number for item in checked.accepted] == [given_back.number]
    assert [str(reason) for _line, _cell, reason in checked.refused] == ["Already with us."]
    search = inventory.Search(given_back.country, given_back.number_type, contains=national[1])
    assert inventory.find_free(search, 5, utcnow()) == []


def test_completing_an_order_never_takes_a_number_someone_holds(app_ctx):
    """A number ported in once and given back is in an order; meanwhile the operator sold
    it (a stock import, say): completing the order refuses, and changes nothing."""
    order = _submitted("04 78 12 34 56")
    for status in ("processing", "contacting_carrier"):
        porting.advance(order, PortStatus(status), today=TODAY)
    porting.advance(order, PortStatus.DATE_CONFIRMED, on=date(2027, 3, 10), today=TODAY)
    porting.advance(order, PortStatus.PENDING, today=TODAY)
    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    db.session.add(
        ServiceNumber(
            number="+33478123456",
            country="FR",
            number_type=NumberType.GEOGRAPHIC,
            state=InventoryState.TAKEN,
            account_id=be.id,
        )
    )
    db.session.commit()
    with pytest.raises(DomainError, match=r"\+33478123456 in the inventory"):
        porting.advance(order, PortStatus.COMPLETED, today=TODAY)
    db.session.rollback()
    number = db.session.scalar(select(ServiceNumber).where(ServiceNumber.number == "+33478123456"))
    assert (number.account_id, number.state) == (be.id, InventoryState.TAKEN)
    assert db.session.get(PortOrder, order.id).status == PortStatus.PENDING


def test_the_pages_from_the_numbers_to_a_submitted_order(app, signed_in):
    client = signed_in("fr")
    client.get("/service-numbers/port?lang=en")
    page = client.get("/service-numbers/port")
    token = csrf_from(page.text)
    checked = client.post(
        "/service-numbers/port",
        data={
            "csrf_token": token,
            "toll_free": "toll",
            "numbers": "04 78 12 34 56\nnope",
            "action": "check",
        },
    )
    assert checked.status_code == 200
    assert "1 number can be ported." in checked.text and "Not a valid number" in checked.text
    created = client.post(
        "/service-numbers/port",
        data={
            "csrf_token": token,
            "toll_free": "toll",
            "numbers": "04 78 12 34 56\nnope",
            "action": "create",
        },
    )
    assert created.status_code == 303
    order_path = created.location
    # The number left out is named on the order's page (the list typed is gone).
    left_out = "1 number could not be ported and is not in the order: nope."
    assert left_out in client.get(order_path).text
    order_id = int(order_path.rsplit("/", 1)[1])
    with app.app_context():
        (number,) = db.session.scalars(select(PortNumber).where(PortNumber.order_id == order_id))
        number_id, e164 = number.id, number.number
    refused = client.post(
        order_path, data={"csrf_token": token, **DETAILS, f"rio-{number_id}": "VL0000000000"}
    )
    assert refused.status_code == 422 and "This RIO does not match this number" in refused.text
    # Only RIOs wrong: their summary is the page's (focused by app.js), and a missing RIO is
    # asked for, not called wrong.
    assert refused.text.count('id="error-summary"') == 1
    empty = client.post(order_path, data={"csrf_token": token, **DETAILS, f"rio-{number_id}": ""})
    assert empty.status_code == 422 and "Enter the RIO of this number" in empty.text
    saved = client.post(
        order_path, data={"csrf_token": token, **DETAILS, f"rio-{number_id}": _rio(e164)}
    )
    assert saved.status_code == 303
    letter = client.get(order_path + "/letter.pdf")
    assert letter.status_code == 200 and letter.data.startswith(b"%PDF")
    from io import BytesIO

    uploaded = client.post(
        order_path + "/documents",
        data={
            "csrf_token": token,
            "kind": "loa",
            "signed_on": date.today().isoformat(),
            "document": (BytesIO(b"MZ renamed.exe"), "letter.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 422 and "a program, not a document" in uploaded.text
    uploaded = client.post(
        order_path + "/documents",
        data={
            "csrf_token": token,
            "kind": "loa",
            "signed_on": date.today().isoformat(),
            "document": (BytesIO(PDF), "letter.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    for _copy in range(2):
        assert client.post(order_path + "/submit", data={"csrf_token": token}).status_code == 303
    assert "Submitted" in client.get(order_path).text
    with app.app_context():
        assert db.session.get(PortOrder, order_id).status == PortStatus.SUBMITTED
    assert client.get("/service-numbers/port/999999").status_code == 404
    assert re.search(r"Port order \d+", client.get(order_path).text)


def test_a_file_over_the_request_limit_is_said_beside_the_upload(app, signed_in):
    from io import BytesIO

    with app.app_context():
        order = _order()
        db.session.commit()
        order_id = order.id
    client = signed_in("fr")
    client.get("/service-numbers/port?lang=en")  # (the page in English)
    token = csrf_from(client.get(f"/service-numbers/port/{order_id}").text)
    with large_body_reply(
        client.post(
            f"/service-numbers/port/{order_id}/documents",
            data={
                "csrf_token": token,
                "kind": "loa",
                "signed_on": "2027-01-01",
                "document": (BytesIO(b"%PDF-" + b"0" * (50 * 1024 * 1024)), "big.pdf"),
            },
            content_type="multipart/form-data",
        )
    ) as reply:
        assert reply.status_code == 413 and "The file is too big" in reply.text


@pytest.mark.parametrize(("who", "expected"), [("be", 404), ("ch", 404), (None, 401)])
def test_a_file_over_the_limit_for_someone_elses_order_is_refused_as_any_request(
    app, signed_in, client, who, expected
):
    """Another account's order, or no one signed in: the answer any other request gets
    (it was a 500: the refusal was raised inside the error handler for the size)."""
    from io import BytesIO

    with app.app_context():
        order = _order()
        db.session.commit()
        order_id = order.id
    visitor = signed_in(who) if who else client
    with large_body_reply(
        visitor.post(
            f"/service-numbers/port/{order_id}/documents",
            data={"document": (BytesIO(b"0" * (20 * 1024 * 1024)), "big.pdf")},
            content_type="multipart/form-data",
        )
    ) as reply:
        assert reply.status_code in (expected, 413), reply.status_code


def test_the_operator_command_moves_an_order(app, runner):
    with app.app_context():
        order = _order()
        order.status = PortStatus.SUBMITTED
        db.session.commit()
        order_id = order.id
    result = runner.invoke(args=["service-numbers", "port", str(order_id), "processing"])
    assert result.exit_code == 0 and "processing" in result.output
    wrong = runner.invoke(args=["service-numbers", "port", str(order_id), "completed"])
    assert wrong.exit_code != 0 and "cannot become completed" in wrong.output


def _submitted(numbers="04 78 12 34 56\n09 77 00 00 01"):
    order = _order(numbers)
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
    porting.upload(
        demo_account(), order, "loa", "letter.pdf", PDF, "2027-02-27", actor=_user(), today=TODAY
    )
    porting.submit(demo_account(), order, actor=_user())
    return order


def test_a_rejection_is_told_by_sms_and_e_mail_then_corrected_and_resubmitted(app, app_ctx):
    from telephony.models import SmsMessage
    from telephony.sms import send_queued

    order = _submitted()
    porting.advance(order, PortStatus.PROCESSING, today=TODAY)
    porting.reject(order, {"+33478123456": "The RIO belongs to another holder."}, today=TODAY)
    db.session.commit()
    assert order.status == PortStatus.REJECTED and porting.is_editable(order)
    reasons = {n.number: n.rejection for n in order.numbers}
    assert reasons == {"+33478123456": "The RIO belongs to another holder.", "+33977000001": ""}
    (sms,) = db.session.scalars(select(SmsMessage)).all()
    assert (
        sms.to_number == "+33612345678"
        and f"port order {order.id}" in sms.body.lower()
        or (f"{order.id}" in sms.body)
    )
    assert "rejetée" in sms.body  # in the account's language
    email = db.session.scalar(select(ServiceEmail).where(ServiceEmail.template == "port_rejected"))
    assert "The RIO belongs to another holder." in email.body
    assert send_queued() == (1, 0)
    db.session.refresh(sms)
    assert sms.status == "sent" and sms.provider_reference == f"sandbox-{sms.id}"
    # Corrected and sent again: the reasons are answered.
    assert porting.submit(demo_account(), order, actor=_user()) is True
    assert {n.rejection for n in order.numbers} == {""}
    assert order.status == PortStatus.SUBMITTED


def test_a_belgian_rejection_closes_the_order_and_a_copy_is_made(app_ctx):
    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    user = db.session.scalar(select(User).where(User.email == "demo-be@example.com"))
    order, _checked = porting.create(be, "02 501 23 45\n02 501 23 46", False, actor=user)
    order.status = PortStatus.SUBMITTED
    porting.reject(order, {}, note="Unknown customer number at the carrier.", today=TODAY)
    assert porting.is_closed(order) and not porting.is_editable(order)
    with pytest.raises(DomainError, match="closed"):
        porting.submit(be, order, actor=user)
    assert porting.cancel(be, order, actor=user) is False
    copy = porting.copy(be, order, actor=user)
    assert copy.status == PortStatus.DRAFT and [n.number for n in copy.numbers] == [
        "+3225012345",
        "+3225012346",
    ]
    with pytest.raises(DomainError, match="Only a closed order"):
        porting.copy(be, copy, actor=user)


def test_the_http_sms_provider_posts_to_the_configured_api(app, app_ctx):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from telephony.models import SmsMessage
    from telephony.sms import queue_sms, send_queued

    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server name
            received.append(
                (
                    self.headers["Authorization"],
                    json.loads(self.rfile.read(int(self.headers["Content-Length"]))),
                )
            )
            answer = b'{"id": "msg-42"}' if len(received) > 1 else b"busy"
            self.send_response(200 if len(received) > 1 else 503)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        SMS_PROVIDER="http",
        SMS_API_URL=f"http://127.0.0.1:{server.server_port}/messages",
        SMS_API_TOKEN="secret",
        SMS_SENDER="Velora",
    )
    try:
        message = queue_sms(demo_account(), "+33612345678", "Your port order was rejected.")
        db.session.commit()
        assert send_queued() == (0, 1)  # the provider was busy: tried again later
        db.session.execute(SmsMessage.__table__.update().values(next_attempt_at=date(2000, 1, 1)))
        db.session.commit()
        assert send_queued() == (1, 0)
    finally:
        server.shutdown()
        server.server_close()
    db.session.refresh(message)
    assert message.provider_reference == "msg-42" and message.attempts == 2
    token, payload = received[-1]
    assert token == "Bearer secret"
    assert payload == {
        "to": "+33612345678",
        "from": "Velora",
        "text": "Your port order was rejected.",
        "reference": f"sms-{message.id}",
    }


def test_a_swiss_toll_free_number_needs_the_proof_of_its_allocation(app_ctx):
    ch = db.session.scalar(select(Account).where(Account.code == "vt30003-s"))
    user = db.session.scalar(select(User).where(User.email == "demo-ch@example.com"))
    order, _checked = porting.create(ch, "0800 123 456", True, actor=user)
    assert porting.document_kinds(order) == ("loa", "bill", "allocation")
    assert "the proof that the regulator allocated the numbers to the holder" in [
        str(gap) for gap in porting.missing(order)
    ]
    porting.upload(ch, order, "allocation", "ofcom.pdf", PDF, "2027-02-01", actor=user, today=TODAY)
    assert "allocation" in porting.documents(order)
    french = _order()
    with pytest.raises(DomainError, match="Choose which document"):
        porting.upload(
            demo_account(),
            french,
            "allocation",
            "x.pdf",
            PDF,
            "2027-02-01",
            actor=_user(),
            today=TODAY,
        )


def test_agents_see_the_text_messages_sent_to_the_customer(app, signed_in):
    with app.app_context():
        from telephony.sms import queue_sms

        queue_sms(demo_account(), "+33612345678", "Velora Telecom: your port order 7 was rejected.")
        db.session.commit()
    agent = signed_in("agent")
    page = agent.get("/agent/accounts/1?lang=en").text
    assert "Text messages" in page and "+33 6 12 34 56 78" in page
    assert "your port order 7 was rejected" in page and "Waiting to be sent" in page


def test_long_carrier_details_are_refused_beside_their_fields(app_ctx):
    order = _order()
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    with pytest.raises(DomainError) as refused:
        porting.save_details(
            demo_account(),
            order,
            {**DETAILS, **rios, "losing_carrier": "x" * 10_000, "carrier_account": "9" * 61},
            actor=_user(),
            today=TODAY,
        )
    assert set(refused.value.errors) == {"losing_carrier", "carrier_account"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 121, "Write at most 120 characters."),
        ("street", "rue " * 40, "Write at most 120 characters."),
        ("city", "Lyon" * 31, "Write at most 120 characters."),
        ("postcode", "a b a b", "Enter a postcode of 5 digits."),
        ("postcode", "6900", "Enter a postcode of 5 digits."),
        ("postcode", "69\u00b203", "Enter a postcode of 5 digits."),
        ("postcode", "9" * 4000, "Write at most 10 characters."),
    ],
)
def test_holder_details_are_checked_not_cut_short(app_ctx, field, value, message):
    """Too long or a postcode that is none: said beside the field, nothing saved (they were
    cut to 120 characters, and any text was a postcode, printed on the port letter)."""
    order = _order()
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    with pytest.raises(DomainError) as refused:
        porting.save_details(
            demo_account(), order, {**DETAILS, **rios, field: value}, actor=_user(), today=TODAY
        )
    assert set(refused.value.errors) == {field}
    with force_locale("en"):
        assert str(refused.value.errors[field]) == message
    assert not order.holder


def test_a_postcode_typed_with_a_space_is_taken(app_ctx):
    order = _order()
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    data = {**DETAILS, **rios, "postcode": "69 003"}
    porting.save_details(demo_account(), order, data, actor=_user(), today=TODAY)
    assert order.holder["postcode"] == "69003"


def test_a_range_is_pasted_as_its_first_and_last_numbers(app_ctx):
    checked = porting.precheck(
        demo_account(),
        "04 78 12 34 00 - 04 78 12 34 09\n"  # ten numbers of a direct-dial range
        "0478123499–0478123490\n"  # backwards
        "04-78-12-35-00\n"  # dashes inside a number: not a range
        "04 78 00 00 00 .. 04 78 99 99 99\n",  # a million numbers
        toll_free=False,
    )
    assert [item.number for item in checked.accepted] == [
        *(f"+3347812340{n}" for n in range(10)),
        "+33478123500",
    ]
    assert {item.range_first for item in checked.accepted} == {"+33478123400", ""}
    reasons = {line: str(reason) for line, _text, reason in checked.refused}
    assert reasons == {
        2: "A range goes from its first number up to its last.",
        4: "An order takes 1,000 numbers at most: split the list.",
    }
    # A range ports with the signed mandate: no RIO is asked for its numbers.
    order = _order("04 78 12 34 00 - 04 78 12 34 02\n04 78 12 35 00")
    assert [porting.needs_rio(n) for n in order.numbers] == [False, False, False, True]
    ((first, last, count),) = porting.ranges(order)
    assert (first.number, last.number, count) == ("+33478123400", "+33478123402", 3)


def test_full_or_partial_port_follows_the_billing_number_and_the_ranges(app_ctx):
    order = _order("04 78 12 34 00 - 04 78 12 34 02\n04 78 12 35 00")
    first = porting.ranges(order)[0][0]
    single = order.numbers[-1]
    base = {**DETAILS, f"rio-{single.id}": _rio(single.number)}

    def refused(**changes):
        with pytest.raises(DomainError) as error:
            porting.save_details(
                demo_account(), order, {**base, **changes}, actor=_user(), today=TODAY
            )
        return {key: str(value) for key, value in error.value.errors.items()}

    # Full: every number leaves, the billing one too.
    errors = refused(**{f"range-{first.id}": "all", "billing_number": "04 78 99 00 00"})
    assert "must be one of this order's numbers" in errors["billing_number"]
    # Partial: the billing number stays, so it is not one of those leaving.
    errors = refused(
        **{f"range-{first.id}": "part", "scope": "partial", "billing_number": "0478123500"}
    )
    assert "stays with the carrier" in errors["billing_number"]
    # Part of a range staying behind makes the port partial.
    errors = refused(**{f"range-{first.id}": "part", "billing_number": "0478123500"})
    assert "the port is partial" in errors["scope"]
    errors = refused(billing_number="")
    assert set(errors) == {f"range-{first.id}", "billing_number"}
    porting.save_details(
        demo_account(),
        order,
        {
            **base,
            f"range-{first.id}": "part",
            "scope": "partial",
            "billing_number": "+33 4 78 12 34 50",
        },
        actor=_user(),
        today=TODAY,
    )
    assert order.billing_number == "+33478123450" and not order.full_port
    assert order.range_scope == {"+33478123400": "part"}


@pytest.mark.parametrize(
    ("numbers", "postcode", "refused"),
    [
        ("04 78 12 34 56", "69003", False),  # Lyon, zone 04
        ("04 78 12 34 56", "75011", True),  # Paris is zone 01
        ("04 78 12 34 56", "20000", False),  # Corsica is zone 04
        ("05 56 12 34 56", "97100", False),  # Guadeloupe is zone 05
        ("09 77 00 00 01", "75011", False),  # 09 numbers have no zone
    ],
)
def test_a_french_geographic_number_is_used_at_an_address_in_its_zone(
    app_ctx, numbers, postcode, refused
):
    order = _order(numbers)
    (number,) = order.numbers
    data = {
        **DETAILS,
        "postcode": postcode,
        "billing_number": numbers,
        f"rio-{number.id}": _rio(number.number),
    }
    if refused:
        with pytest.raises(DomainError) as error:
            porting.save_details(demo_account(), order, data, actor=_user(), today=TODAY)
        assert "outside the zone of the numbers (04)" in str(error.value.errors["postcode"])
    else:
        porting.save_details(demo_account(), order, data, actor=_user(), today=TODAY)


def test_a_belgian_address_must_be_in_the_numbers_zone(app_ctx):
    from telephony.service_numbers import zones

    be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
    user = db.session.scalar(select(User).where(User.email == "demo-be@example.com"))
    order, _checked = porting.create(be, "02 501 23 45", False, actor=user)
    data = {
        **DETAILS,
        "organisation_id": "",
        "contact_mobile": "0470 12 34 56",
        "billing_number": "02 501 23 45",
    }
    for postcode, zone in (("2000", "02"), ("9000", "02")):  # Antwerpen, Gent
        with pytest.raises(DomainError) as error:
            porting.save_details(be, order, {**data, "postcode": postcode}, actor=user, today=TODAY)
        assert f"zone of the numbers ({zone})" in str(error.value.errors["postcode"])
    for postcode in ("1050", "1640"):  # Ixelles; a postcode the table does not know
        porting.save_details(be, order, {**data, "postcode": postcode}, actor=user, today=TODAY)
    assert zones.postcode_zone("BE", "8000") == "50" and zones.zone_of("+3250123456") == "50"


def test_each_number_has_its_own_status_and_one_can_be_taken_out(app_ctx):
    order = _submitted()
    porting.advance(order, PortStatus.PROCESSING, today=TODAY)
    porting.reject(order, {"+33977000001": "Not a number of this carrier."}, today=TODAY)
    statuses = {n.number: n.status for n in order.numbers}
    assert statuses == {"+33478123456": PortStatus.PROCESSING, "+33977000001": PortStatus.REJECTED}
    rejected = order.numbers[1]
    assert porting.remove_number(demo_account(), order, rejected.id, actor=_user()) is True
    assert (
        porting.remove_number(demo_account(), order, rejected.id, actor=_user()) is False
    )  # twice
    assert (rejected.status, rejected.active) == (PortStatus.CANCELLED, False)
    with pytest.raises(DomainError, match="one number at least"):
        porting.remove_number(demo_account(), order, order.numbers[0].id, actor=_user())
    # the number taken out may go in another order at once
    assert porting.precheck(demo_account(), "09 77 00 00 01", False).accepted
    assert porting.submit(demo_account(), order, actor=_user()) is True
    for status in ("processing", "contacting_carrier", "pending", "completed"):
        if status == "pending":
            porting.advance(order, PortStatus.DATE_CONFIRMED, on=date(2027, 3, 10), today=TODAY)
        porting.advance(order, PortStatus(status), today=TODAY)
    statuses = {n.number: n.status for n in order.numbers}
    assert statuses == {"+33478123456": PortStatus.COMPLETED, "+33977000001": PortStatus.CANCELLED}
    ported = db.session.scalars(select(ServiceNumber.number).where(ServiceNumber.ported)).all()
    assert ported == ["+33478123456"]
    other = _order("04 78 12 34 57")
    with pytest.raises(DomainError, match="can no longer be changed"):
        porting.remove_number(demo_account(), order, other.numbers[0].id, actor=_user())


def test_the_letter_names_the_billing_number_and_each_numbers_range(app, app_ctx):
    from documents.port_loa import loa_pdf
    from tests.factories import pdf_text

    order = _order("04 78 12 34 00 - 04 78 12 34 02\n04 78 12 35 00")
    first = porting.ranges(order)[0][0]
    single = order.numbers[-1]
    porting.save_details(
        demo_account(),
        order,
        {
            **DETAILS,
            "scope": "partial",
            "billing_number": "04 78 12 34 50",
            f"range-{first.id}": "part",
            f"rio-{single.id}": _rio(single.number),
        },
        actor=_user(),
        today=TODAY,
    )
    with app.test_request_context():
        text = pdf_text(
            loa_pdf(order, demo_account(), operator=app.config["OPERATOR"], today=TODAY)
        )
    assert "Numéro de facturation" in text and "+33 4 78 12 34 50" in text  # (label wraps)
    assert text.count("tranche à partir du +33 4 78 12 34 00, en partie") == 3
    assert f"RIO {_rio(single.number)}" in text


def test_cancelling_an_order_asks_first_then_the_page_gives_no_more_steps(app, signed_in):
    """A click cancelled an order at once, and the cancelled order's page still said to
    print, sign and upload the letter."""
    client = signed_in("fr")
    with app.app_context():
        order = _order("04 78 12 34 56")
        rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
        porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
        db.session.commit()
        path = f"/service-numbers/port/{order.id}"
    page = client.get(path + "?lang=en").text
    assert f'href="{path}/cancel"' in page and "print it, sign it" in page
    asked = client.get(path + "/cancel")
    assert asked.status_code == 200 and f"Cancel port order {order.id}?" in asked.text
    with app.app_context():
        assert db.session.get(PortOrder, order.id).status != PortStatus.CANCELLED  # not yet
    done = client.post(path + "/cancel", data={"csrf_token": csrf_from(asked.text)})
    assert done.status_code == 303 and done.location == path
    page = client.get(path).text
    assert "The order is cancelled." in page
    assert "print it, sign it" not in page and f'href="{path}/cancel"' not in page
    assert client.get(path + "/cancel").status_code == 303  # nothing left to cancel


def test_a_belgian_order_names_the_enterprise_number_and_asks_for_no_rio(app, signed_in):
    """The RIO is French, and so is the SIRET: a Belgian customer read both."""
    client = signed_in("be")
    with app.app_context():
        be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
        order, _checked = porting.create(be, "02 555 12 34", False, actor=_user())
        db.session.commit()
        order_id = order.id
    page = client.get(f"/service-numbers/port/{order_id}?lang=en").text
    assert ">Enterprise number</label>" in page and "SIRET" not in page
    assert "add: the holder&#39;s details and the date, the signed" in page and "RIO" not in page
    numbers = client.get("/service-numbers/?lang=en").text
    assert ">RIO</th>" not in numbers


def test_a_draft_kept_for_weeks_is_checked_again_when_submitted(app_ctx):
    """The date asked for and the letter's age were checked when saved: a draft submitted
    months later, or sent again after a rejection, is checked again as of the day."""
    order = _order("04 78 12 34 56")
    (number,) = order.numbers
    then = date.today() - timedelta(days=80)
    first = porting.earliest_date(order, then)
    details = {**DETAILS, f"rio-{number.id}": _rio(number.number), "when": "date",
               "requested_on": first.isoformat()}  # fmt: skip
    porting.save_details(demo_account(), order, details, actor=_user(), today=then)
    signed = (then - timedelta(days=60)).isoformat()
    porting.upload(demo_account(), order, "loa", "l.pdf", PDF, signed, actor=_user(), today=then)
    with pytest.raises(DomainError, match="can no longer be kept"):
        porting.submit(demo_account(), order, actor=_user())
    later = porting.earliest_date(order, date.today())
    porting.save_details(
        demo_account(), order, {**details, "requested_on": later.isoformat()}, actor=_user(),
        today=date.today(),
    )  # fmt: skip
    with pytest.raises(DomainError, match="months old"):
        porting.submit(demo_account(), order, actor=_user())
    assert order.status == PortStatus.DRAFT


def test_the_porting_day_itself_may_fail_and_the_next_date_is_a_new_one(app, app_ctx):
    order = _submitted("04 78 12 34 56")
    on = date.today() + timedelta(days=30)
    for status in ("processing", "contacting_carrier", "date_confirmed", "pending"):
        porting.advance(order, PortStatus(status), on=on, today=date.today())
    porting.reject(order, {}, note="Holder does not match", today=date.today())
    assert order.status == PortStatus.REJECTED and order.confirmed_on is None


def test_no_cancelling_inside_the_day_before_the_confirmed_date(app_ctx):
    order = _submitted("04 78 12 34 56")
    for status in ("processing", "contacting_carrier"):
        porting.advance(order, PortStatus(status), today=date.today())
    # (The next working day: a confirmed date is one.)
    on = porting._working_days_after("FR", date.today(), 1)
    porting.advance(order, PortStatus.DATE_CONFIRMED, on=on, today=date.today())
    assert not porting.is_cancellable(order, on - timedelta(days=1))
    with pytest.raises(DomainError, match="cut-off"):
        porting.cancel(demo_account(), order, actor=_user(), today=on - timedelta(days=1))
    assert porting.is_cancellable(order, on - timedelta(days=2))
    assert porting.cancel(demo_account(), order, actor=_user(), today=on - timedelta(days=2))


def test_the_e_mails_count_only_the_numbers_still_in_the_order(app_ctx):
    order = _order("04 78 12 34 56\n04 78 12 34 57\n04 78 12 34 58")
    first, second, third = order.numbers
    for taken_out in (third, second):
        porting.remove_number(demo_account(), order, taken_out.id, actor=_user())
    rios = {f"rio-{first.id}": _rio(first.number)}
    porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
    porting.upload(
        demo_account(), order, "loa", "letter.pdf", PDF, "2027-02-27", actor=_user(), today=TODAY
    )
    porting.submit(demo_account(), order, actor=_user(), today=TODAY)
    for status in ("processing", "contacting_carrier", "date_confirmed", "pending", "completed"):
        porting.advance(order, PortStatus(status), on=date(2027, 3, 10), today=TODAY)
    bodies = db.session.scalars(
        select(ServiceEmail.body).where(
            ServiceEmail.template.in_(("port_date_confirmed", "port_completed"))
        )
    ).all()
    assert len(bodies) == 2 and not any(" 3 " in body for body in bodies)


def test_a_number_of_the_operators_own_block_or_in_quarantine_is_not_ported_in(app_ctx):
    """The operator gives new lines numbers from its own blocks: one of them comes in by
    no port order (nor one a deleted service gave back, in quarantine), and a new line
    is never given a number a service number holds."""
    from telephony.line_orders import free_number
    from telephony.models import NumberQuarantine

    block = free_number("FR")
    db.session.add(NumberQuarantine(number="+33478123456", until=date(2099, 1, 1)))
    checked = porting.precheck(demo_account(), f"0{block[3:]}\n04 78 12 34 56", False)
    assert checked.accepted == []
    assert [reason for _line, _cell, reason in checked.refused] == ["Already with us."] * 2
    db.session.add(
        ServiceNumber(number=block, country="FR", number_type=NumberType.NATIONAL,
                      state=InventoryState.TAKEN, account_id=demo_account().id)
    )  # fmt: skip
    db.session.flush()
    assert free_number("FR") != block


def test_the_letter_of_a_hundred_numbers_continues_on_the_next_pages(app, app_ctx):
    """One box held every number: from 43 numbers it was taller than a page, and the
    letter of a common block of a hundred could not be made (500, review)."""
    from documents.port_loa import loa_pdf
    from tests.factories import pdf_text

    order = _order("04 78 12 30 00 - 04 78 12 30 99")
    first = porting.ranges(order)[0][0]
    porting.save_details(
        demo_account(),
        order,
        {**DETAILS, "billing_number": "04 78 12 30 00", f"range-{first.id}": "all"},
        actor=_user(),
        today=TODAY,
    )
    with app.test_request_context():
        pdf = loa_pdf(order, demo_account(), operator=app.config["OPERATOR"], today=TODAY)
    text = pdf_text(pdf)
    assert "+33 4 78 12 30 00" in text and "+33 4 78 12 30 99" in text
    assert "Page 3 sur 3" in text or "Page 2 sur 2" in text or "Page 4 sur 4" in text


@pytest.mark.parametrize("day", ["2027-03-26", "2027-03-29", "2027-05-17", "2028-12-26"])
def test_a_swiss_port_is_not_on_the_cantons_common_days_off(app_ctx, day):
    """Good Friday, Easter Monday, Whit Monday and St Stephen's Day are off in nearly every
    canton; the national list has four days only, and a port was accepted on them."""
    from telephony.models import Account, User

    swiss = db.session.scalar(select(Account).where(Account.code == "vt30003-s"))
    user = db.session.scalar(select(User).where(User.email == "demo-ch@example.com"))
    order, _created = porting.create(swiss, "022 555 12 34", False, actor=user)
    raw = {
        **DETAILS,
        "organisation_id": "",
        "postcode": "1204",
        "city": "Genève",
        "contact_mobile": "+41 79 123 45 67",
        "billing_number": "022 555 12 34",
        "when": "date",
        "requested_on": day,
    }
    with pytest.raises(DomainError, match="working day"):
        porting.save_details(swiss, order, raw, actor=user, today=TODAY)


def test_a_signed_letter_goes_when_what_it_names_is_changed(app_ctx):
    """A corrected holder or carrier went again with the signed letter that named the old
    ones (the one the carrier had rejected, review): the letter must be signed again. The
    same details saved again keep it."""
    order = _order()
    rios = {f"rio-{n.id}": _rio(n.number) for n in order.numbers}
    porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
    porting.upload(
        demo_account(), order, "loa", "letter.pdf", PDF, "2027-02-27", actor=_user(), today=TODAY
    )
    porting.save_details(demo_account(), order, {**DETAILS, **rios}, actor=_user(), today=TODAY)
    assert porting.missing(order) == []
    changed = {**DETAILS, **rios, "losing_carrier": "Autre Opérateur SA"}
    porting.save_details(demo_account(), order, changed, actor=_user(), today=TODAY)
    assert "loa" not in porting.documents(order)
    with force_locale("en"):
        assert [str(gap) for gap in porting.missing(order)] == [
            "the signed letter of authorization"
        ]


@pytest.mark.parametrize("on", [date(2020, 1, 1), date(2027, 3, 14), date(2027, 5, 8)])
def test_the_carriers_confirmed_date_is_a_working_day_to_come(app_ctx, on):
    """The operator's command took a past day or a Sunday (a typo), and the e-mail told the
    customer (review)."""
    order = _submitted("04 78 12 34 56")
    for status in ("processing", "contacting_carrier"):
        porting.advance(order, PortStatus(status), today=TODAY)
    with pytest.raises(DomainError, match="working day to come"):
        porting.advance(order, PortStatus.DATE_CONFIRMED, on=on, today=TODAY)
    assert order.status == PortStatus.CONTACTING_CARRIER and order.confirmed_on is None


def test_a_toll_free_port_asks_for_communication_credits_first(app_ctx):
    """As a toll-free number acquired: its calls are paid by the holder's credits. A port
    went through at a balance of 0 (review)."""
    from decimal import Decimal

    from telephony.service_numbers import credits

    order = _order("0805 12 34 56", toll_free=True)
    details = {**DETAILS, "billing_number": "0805 12 34 56"}
    porting.save_details(demo_account(), order, details, actor=_user(), today=TODAY)
    porting.upload(
        demo_account(), order, "loa", "letter.pdf", PDF, "2027-02-27", actor=_user(), today=TODAY
    )
    with pytest.raises(DomainError, match="buy some first"):
        porting.submit(demo_account(), order, actor=_user(), today=TODAY)
    credits._move(demo_account(), "purchase", Decimal("20.00"), None)
    assert porting.submit(demo_account(), order, actor=_user(), today=TODAY) is True


@pytest.mark.parametrize("quality", ["E", "P", "7"])
def test_a_mobiles_rio_is_not_taken_for_a_fixed_number(app_ctx, quality):
    """The third character of a RIO is the customer's quality: E or P for a mobile, a
    letter other than those for a fixed line; the key alone was checked (review)."""
    order = _order("04 78 12 34 56")
    (number,) = order.numbers
    details = {**DETAILS, f"rio-{number.id}": rio.rio("AB", quality, "123456", number.number)}
    with pytest.raises(DomainError) as refused:
        porting.save_details(demo_account(), order, details, actor=_user(), today=TODAY)
    assert "mobile" in str(refused.value.errors[f"rio-{number.id}"])


def test_within_three_months_is_counted_in_months_as_the_letter_says(app_ctx):
    """Signed on 1 May, uploaded on 31 July: within three months, as the letter asks, yet
    refused by a count of 90 days (review)."""
    order = _order()
    porting.upload(
        demo_account(), order, "loa", "l.pdf", PDF, "2027-05-01", actor=_user(),
        today=date(2027, 7, 31),
    )  # fmt: skip
    assert "loa" in porting.documents(order)
    with pytest.raises(DomainError, match="within the last 3 months"):
        porting.upload(
            demo_account(), order, "loa", "l.pdf", PDF, "2027-04-30", actor=_user(),
            today=date(2027, 7, 31),
        )  # fmt: skip


def test_the_french_rules_of_july_2027_apply_from_that_day(app_ctx):
    """From 1 July 2027 a business fixed-number port takes at most 3 working days, and a
    direct-dial range needs its RIO (before: 7 days, and the signed mandate alone)."""
    order = _order("04 78 12 30 00 - 04 78 12 30 02")
    first = porting.ranges(order)[0][0]
    monday_before, monday_after = date(2027, 6, 7), date(2027, 9, 6)
    assert porting.earliest_date(order, monday_before) == date(2027, 6, 16)  # 7 working days
    assert porting.earliest_date(order, monday_after) == date(2027, 9, 9)  # 3 working days
    assert not porting.needs_rio(first, monday_before)
    assert porting.needs_rio(first, monday_after)  # one RIO a range: its first number's
    assert not any(porting.needs_rio(number, monday_after) for number in order.numbers[1:])
    details = {**DETAILS, "billing_number": "04 78 12 30 00", f"range-{first.id}": "all"}
    porting.save_details(demo_account(), order, details, actor=_user(), today=monday_before)
    with pytest.raises(DomainError) as refused:
        porting.save_details(demo_account(), order, details, actor=_user(), today=monday_after)
    assert f"rio-{first.id}" in refused.value.errors


def test_a_swiss_special_number_asks_for_the_proof_of_its_allocation(app_ctx):
    """0848 numbers, filed as national, went without the regulator's allocation proof that
    every Swiss toll-free and special number needs (review)."""
    from telephony.models import Account, User

    swiss = db.session.scalar(select(Account).where(Account.code == "vt30003-s"))
    user = db.session.scalar(select(User).where(User.email == "demo-ch@example.com"))
    order, _checked = porting.create(swiss, "0848 123 456", False, actor=user)
    assert "allocation" in porting.document_kinds(order)
    plain, _checked = porting.create(swiss, "022 555 12 34", False, actor=user)
    assert "allocation" not in porting.document_kinds(plain)
