"""The billing contact: checks of the name and address, a change requires a new validation
procedure (orders wait again), the e-mails, the audit, and the screen (no-JS, htmx, agent)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, contacts, lifecycle
from telephony import procedure as procedures
from telephony.billing import run_renewal
from telephony.models import (
    AliasNumber,
    AuditEvent,
    Offer,
    ProcedureStatus,
    ServiceEmail,
    User,
    ValidationProcedure,
)
from tests.conftest import csrf_from
from tests.factories import DETAILS, demo_account, validate_procedure

NEW = {"contact_name": "Jeanne Martin-Dupré", "contact_email": "jeanne.martin@dupre.example"}


def _mails(template: str) -> list[ServiceEmail]:
    return list(
        db.session.scalars(
            select(ServiceEmail).where(ServiceEmail.template == template).order_by(ServiceEmail.id)
        )
    )


# --- Rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"contact_name": ""}, {"contact_name"}),
        ({"contact_name": "   "}, {"contact_name"}),
        ({"contact_name": "x" * 101}, {"contact_name"}),
        ({"contact_name": "Jeanne\x00Martin"}, {"contact_name"}),
        ({"contact_name": "Jeanne\u200bMartin"}, {"contact_name"}),  # zero-width space
        ({"contact_name": "<b>Jeanne</b>"}, {"contact_name"}),
        ({"contact_email": ""}, {"contact_email"}),
        ({"contact_email": "not an address"}, {"contact_email"}),
        ({"contact_email": "jeanne@localhost"}, {"contact_email"}),
        ({"contact_email": "jeanne@@dupre.example"}, {"contact_email"}),
        ({"contact_email": "jeanne@dupre.example\r\nBcc: x@evil.example"}, {"contact_email"}),
        ({"contact_email": "jeanne\t@dupre.example"}, {"contact_email"}),
        ({"contact_email": "j" * 250 + "@dupre.example"}, {"contact_email"}),
        ({"contact_name": "", "contact_email": "nope"}, {"contact_name", "contact_email"}),
    ],
)
def test_bad_contacts_are_refused_beside_their_field_and_nothing_changes(app_ctx, changes, fields):
    account = demo_account()
    with pytest.raises(contacts.InvalidContact) as refused:
        contacts.change_billing_contact(account, {**NEW, **changes}, actor=None)
    assert set(refused.value.errors) == fields
    assert all(str(message) for message in refused.value.errors.values())
    db.session.rollback()
    account = demo_account()
    assert account.billing_email == "compta@dupre.example"
    assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 0
    assert db.session.scalar(select(func.count()).select_from(ServiceEmail)) == 0


def test_contacts_are_cleaned(app_ctx):
    contact = contacts.check_contact(
        {"contact_name": "  Jeanne \u00a0 Martin ", "contact_email": " Jeanne@Dupre.EXAMPLE "}
    )
    assert contact == contacts.BillingContact("Jeanne Martin", "Jeanne@dupre.example")
    assert contacts.check_contact({**NEW, "contact_name": "Zoë O’Brien & Co (Genève)"}).name


def test_a_change_requires_a_new_procedure_and_orders_wait_again(app_ctx):
    account = demo_account()
    validate_procedure(account)
    assert procedures.is_validated(account)
    required = contacts.change_billing_contact(account, NEW, actor=None)
    db.session.commit()
    assert (account.billing_contact_name, account.billing_email) == (
        "Jeanne Martin-Dupré",
        "jeanne.martin@dupre.example",
    )
    assert (required.status, required.trigger) == (ProcedureStatus.TODO, "billing_contact")
    assert procedures.latest(account) == required and not procedures.is_validated(account)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "account.billing_contact_changed")
    )
    assert event.before == {"name": "Camille Dupré", "email": "compta@dupre.example"}
    assert event.after == {"name": NEW["contact_name"], "email": NEW["contact_email"]}
    # The former address is told of the change; the new one that a procedure is awaited.
    (notice,) = _mails("billing_contact_changed")
    assert notice.to_address == "compta@dupre.example" and notice.locale == "fr_FR"
    assert "jeanne.martin@dupre.example" in notice.body and "support@velora.example" in notice.body
    (awaited,) = _mails("procedure_awaited")
    assert awaited.to_address == "jeanne.martin@dupre.example"
    assert "contact de facturation" in awaited.subject

    # A VoIP order placed now (a number becoming a line) waits for the new procedure.
    alias = db.session.scalar(select(AliasNumber).where(AliasNumber.number == "+33972100100"))
    offer = db.session.scalar(
        select(Offer).where(Offer.country == "FR", Offer.code == "entreprise")
    )
    task = lifecycle.request_to_line(account, alias, offer.id, contracts_accepted=True, actor=None)
    db.session.commit()
    assert run_renewal(task.execute_on).waiting
    assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 2


def test_the_same_contact_is_no_change(app_ctx):
    account = demo_account()
    with pytest.raises(DomainError, match="This is already your billing contact") as refused:
        contacts.change_billing_contact(
            account,
            {"contact_name": "Camille Dupré", "contact_email": "COMPTA@dupre.example"},
            actor=None,
        )
    assert refused.value.field == "contact_email"


def test_a_procedure_under_way_goes_on_and_the_new_address_hears_of_it(app_ctx):
    account = demo_account("vt20002-b")
    under_way = procedures.submit(account, DETAILS["vt20002-b"], actor=None)
    db.session.commit()
    required = contacts.change_billing_contact(
        account,
        {"contact_name": "Lotte Peeters", "contact_email": "kas@groenefiets.example"},
        actor=None,
    )
    db.session.commit()
    assert required.id == under_way.id and required.status == ProcedureStatus.WAITING
    (awaited,) = _mails("procedure_awaited")
    assert awaited.to_address == "kas@groenefiets.example" and awaited.locale == "nl_BE"
    assert [m.to_address for m in _mails("billing_contact_changed")] == [
        "penning@groenefiets.example"
    ]


def test_a_new_name_alone_tells_the_same_address_once(app_ctx):
    account = demo_account("vt30003-s")
    contacts.change_billing_contact(
        account,
        {"contact_name": "Marco Bernasconi", "contact_email": account.billing_email},
        actor=None,
    )
    db.session.commit()
    assert _mails("billing_contact_changed") == []
    (awaited,) = _mails("procedure_awaited")
    assert awaited.to_address == "lucia@bernasconi.example" and awaited.locale == "it_CH"


# --- The screen -------------------------------------------------------------------------


def test_change_without_javascript_shows_the_procedure_now_required(app, signed_in):
    client = signed_in("fr")
    page = client.get("/procedure/billing-contact?lang=en").get_data(as_text=True)
    assert "<h1>Billing contact</h1>" in page and "compta@dupre.example" in page
    assert 'aria-current="true">Validation procedure<' in page  # the menu entry of its area
    assert 'for="contact_name"' in page and 'for="contact_email"' in page
    response = client.post(
        "/procedure/billing-contact", data={**NEW, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/procedure/billing-contact"
    page = client.get("/procedure/billing-contact?lang=en").get_data(as_text=True)
    assert "The billing contact is changed: a new validation procedure is required." in page
    assert "A new validation procedure is required since the change of billing contact" in page
    assert 'href="/procedure/">Go to the validation procedure' in page
    assert "jeanne.martin@dupre.example" in page
    procedure_page = client.get("/procedure/?lang=en").get_data(as_text=True)
    assert "A change of billing contact" in procedure_page
    assert "Jeanne Martin-Dupré &lt;jeanne.martin@dupre.example&gt;" in procedure_page
    with app.app_context():
        assert procedures.latest(demo_account()).trigger == "billing_contact"


def test_bad_input_answers_beside_the_fields_translated_and_saves_nothing(app, signed_in):
    client = signed_in("fr")
    page = client.get("/procedure/billing-contact").get_data(as_text=True)
    response = client.post(
        "/procedure/billing-contact?lang=fr_FR",
        data={
            "contact_name": "<script>alert(1)</script>",
            "contact_email": "compta@",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert 'id="contact_name-error"' in html and 'id="contact_email-error"' in html
    assert 'aria-describedby="contact_email-hint contact_email-error"' in html
    assert "Saisissez une adresse e-mail" in html
    assert "<script>alert(1)</script>" not in html
    # Nothing changed; the same contact again is refused too.
    unchanged = client.post(
        "/procedure/billing-contact?lang=en",
        data={
            "contact_name": "Camille Dupré",
            "contact_email": "compta@dupre.example",
            "csrf_token": csrf_from(page),
        },
    )
    assert unchanged.status_code == 422
    assert "This is already your billing contact" in unchanged.get_data(as_text=True)
    with app.app_context():
        assert demo_account().billing_email == "compta@dupre.example"
        assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 0
    assert client.post("/procedure/billing-contact", data=NEW).status_code == 400


def test_inline_check_answers_only_the_field_asked(app, signed_in):
    client = signed_in("be")
    token = csrf_from(client.get("/procedure/billing-contact").get_data(as_text=True))
    response = client.post(
        "/procedure/billing-contact/check?lang=en",
        data={"contact_name": "Lotte", "contact_email": "kas@"},
        headers={"HX-Request": "true", "HX-Target": "contact_email-field", "X-CSRFToken": token},
    )
    html = response.get_data(as_text=True).strip()
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    # The field's block, and what the live region says about it (out of band).
    assert html.startswith(
        '<span hx-swap-oob="innerHTML:#announcer">E-mail address of the billing contact: Enter'
    )
    assert '</span>\n<div class="field" id="contact_email-field">' in html
    assert 'id="contact_email-error"' in html and "<html" not in html
    good = client.post(
        "/procedure/billing-contact/check",
        data={"contact_name": "Lotte", "contact_email": "kas@groenefiets.example"},
        headers={"HX-Request": "true", "HX-Target": "contact_email-field", "X-CSRFToken": token},
    ).get_data(as_text=True)
    assert "field-error" not in good
    assert '<span hx-swap-oob="innerHTML:#announcer"></span>' in good  # nothing more to say
    with app.app_context():
        assert demo_account("vt20002-b").billing_email == "penning@groenefiets.example"


def test_an_agent_changes_it_for_the_customer_on_the_record(app, signed_in):
    client = signed_in("agent")
    with app.app_context():
        account_id = demo_account("vt30003-s").id
    page = client.get(f"/agent/accounts/{account_id}?lang=en").get_data(as_text=True)
    client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(page), "reason": "Customer asked by phone"},
    )
    page = client.get("/procedure/billing-contact?lang=en").get_data(as_text=True)
    assert "lucia@bernasconi.example" in page
    response = client.post(
        "/procedure/billing-contact",
        data={
            "contact_name": "Studio Bernasconi",
            "contact_email": "studio@bernasconi.example",
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 303
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(["account.billing_contact_changed", "procedure.required"])
            )
        ).all()
        assert len(events) == 2
        assert all(
            (e.actor_id, e.account_id, e.on_behalf, e.reason)
            == (agent.id, account_id, True, "Customer asked by phone")
            for e in events
        )
        assert demo_account("vt30003-s").billing_email == "studio@bernasconi.example"


def test_each_customer_changes_only_their_own_contact(app, signed_in):
    client = signed_in("be")
    page = client.get("/procedure/billing-contact").get_data(as_text=True)
    assert "compta@dupre.example" not in page
    client.post("/procedure/billing-contact", data={**NEW, "csrf_token": csrf_from(page)})
    with app.app_context():
        assert demo_account("vt10001-f").billing_email == "compta@dupre.example"
        assert demo_account("vt20002-b").billing_email == NEW["contact_email"]
