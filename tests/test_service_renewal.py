"""Configure renewal, a row action of My services: what each kind of service allows, what
each state forbids, and what a choice means (next debits, payment method, expiry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from telephony import DomainError, NotFound, lifecycle
from telephony.dates import add_months
from telephony.models import AuditEvent, Line, RenewalMode, Service, User
from telephony.services import renewal
from tests.conftest import csrf_from
from tests.factories import act_for_fr, demo_account

TODAY = date(2026, 12, 2)


def _service(account, name_start: str) -> Service:
    return db.session.scalar(
        select(Service).where(Service.account_id == account.id, Service.name.startswith(name_start))
    )


def test_automatic_renewal_shows_the_next_three_debits_with_vat_and_the_default_card(app_ctx):
    account = demo_account()
    line = _service(account, "+33972100001")
    result = renewal.preview(account, line, RenewalMode.AUTOMATIC, 3)
    assert [debit.on for debit in result.debits] == [
        line.expires_on,
        add_months(line.expires_on, 3),
        add_months(line.expires_on, 6),
    ]
    price = result.debits[0].price
    assert price.excl_vat == line.monthly_price_excl_vat * 3
    assert price.incl_vat == (price.excl_vat * Decimal("1.20")).quantize(Decimal("0.01"))
    assert result.method.last4 == "4242" and not result.needs_payment_method


def test_manual_renewal_has_no_debits_but_says_what_renewing_costs(app_ctx):
    account = demo_account()
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    result = renewal.preview(account, fax, RenewalMode.MANUAL, 12)
    assert result.debits == () and result.renewal_price.excl_vat == fax.monthly_price_excl_vat * 12


def test_configure_both_ways_and_the_audit_trail_keeps_before_and_after(app_ctx):
    account = demo_account()
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    renewal.configure(account, fax, "automatic", 6, actor=None, today=TODAY)
    db.session.commit()
    assert (fax.renewal_mode, fax.period_months) == (RenewalMode.AUTOMATIC, 6)
    renewal.configure(account, fax, "manual", "1", actor=None, today=TODAY)
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "service.renewal_changed")
    ).all()
    assert [(e.before["mode"], e.after["mode"], e.after["period"]) for e in events] == [
        ("manual", "automatic", 6),
        ("automatic", "manual", 1),
    ]


@pytest.mark.parametrize(
    ("mode", "period", "field"),
    [
        ("manual", 1, "mode"),  # a SIP line renews automatically only
        ("sometimes", 1, "mode"),
        ("automatic", 2, "period"),
        ("automatic", "12\x00", "period"),
        ("automatic", "9" * 40, "period"),
    ],
)
def test_what_the_service_does_not_allow_is_refused_beside_its_field(app_ctx, mode, period, field):
    account = demo_account()
    line = _service(account, "+33972100001")
    with pytest.raises(DomainError) as refused:
        renewal.configure(account, line, mode, period, actor=None, today=TODAY)
    assert refused.value.field == field


def test_automatic_renewal_without_a_payment_method_asks_for_one_first(app_ctx):
    account = demo_account("vt20002-b")  # no payment method
    number = _service(account, "+3223001100")  # renews by hand
    with pytest.raises(renewal.NeedsPaymentMethod):
        renewal.configure(account, number, "automatic", 1, actor=None, today=TODAY)
    db.session.rollback()
    assert number.renewal_mode == RenewalMode.MANUAL


def test_the_states_that_forbid_a_change(app_ctx):
    account = demo_account()
    due = _service(account, "+33972100101")
    assert renewal.blocked(due, TODAY).reason == "invoice_to_pay"
    trunk = db.session.scalar(select(Service).where(Service.service_type == "trunk"))
    committed = renewal.blocked(trunk, TODAY)
    assert committed.reason == "committed" and committed.until == trunk.committed_until
    assert renewal.blocked(trunk, trunk.committed_until) is None  # from that day on
    user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
    lifecycle.request_termination(account, db.session.get(Line, 4), "moving", None, actor=user)
    ending = _service(account, "+33972100004")
    assert renewal.blocked(ending, TODAY).reason == "termination_requested"
    with pytest.raises(renewal.RenewalBlocked):
        renewal.configure(account, ending, "automatic", 3, actor=None, today=TODAY)


def test_another_accounts_service_is_not_found(app_ctx):
    service = _service(demo_account(), "+33972100001")
    with pytest.raises(NotFound):
        renewal.get_service(demo_account("vt20002-b"), service.id)


def test_the_page_previews_without_javascript_then_confirms(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        line_id = _service(demo_account(), "+33972100001").id
    page = client.get(f"/services/{line_id}/renewal?lang=en&mode=automatic&period=3")
    assert page.status_code == 200 and "Next debits" in page.text
    assert "Visa" in page.text and "4242" in page.text
    assert "This kind of service renews automatically only." in page.text  # no manual choice
    assert 'name="period" type="hidden" value="3"' in page.text  # confirms what it shows
    block = client.get(
        f"/services/{line_id}/renewal?mode=automatic&period=6",
        headers={"HX-Request": "true", "HX-Target": "renewal-preview"},
    )
    assert 'id="renewal-preview"' in block.text and "<html" not in block.text
    assert "HX-Request" in block.headers["Vary"]
    refused = client.get(f"/services/{line_id}/renewal?mode=manual&period=5")
    assert refused.status_code == 422 and "renews automatically only" in refused.text
    done = client.post(
        f"/services/{line_id}/renewal",
        data={"csrf_token": csrf_from(page.text), "mode": "automatic", "period": "3"},
    )
    assert done.status_code == 303 and done.headers["Location"] == "/services/"
    after = client.get("/services/?q=Accueil").text
    assert "Every 3 months" in after
    assert "The renewal of +33 9 72 10 00 01 – Accueil is saved." in after  # as people read it


def test_without_a_payment_method_the_page_leads_to_adding_one(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        number_id = _service(demo_account("vt20002-b"), "+3223001100").id
    page = client.get(f"/services/{number_id}/renewal?lang=en&mode=automatic&period=1")
    assert "Add a payment method" in page.text
    assert "/billing/payment-methods/new-card?next=" in page.text
    assert "Confirm</button>" not in page.text
    refused = client.post(
        f"/services/{number_id}/renewal",
        data={"csrf_token": csrf_from(page.text), "mode": "automatic", "period": "1"},
    )
    assert refused.status_code == 422
    assert "Add a payment method first" in refused.text


def test_a_committed_service_says_until_when(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        trunk = db.session.scalar(select(Service).where(Service.service_type == "trunk"))
        trunk_id = trunk.id
    page = client.get(f"/services/{trunk_id}/renewal?lang=en")
    assert "This service is committed until" in page.text
    assert "Confirm</button>" not in page.text


def test_an_agent_configures_it_for_the_customer_and_it_is_audited_as_theirs(
    app, client, signed_in
):
    act_for_fr(client, signed_in)
    with app.app_context():
        fax_id = db.session.scalar(select(Service.id).where(Service.service_type == "fax_line"))
    page = client.get(f"/services/{fax_id}/renewal?mode=automatic&period=12")
    assert page.status_code == 200
    done = client.post(
        f"/services/{fax_id}/renewal",
        data={"csrf_token": csrf_from(page.text), "mode": "automatic", "period": "12"},
    )
    assert done.status_code == 303
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "service.renewal_changed")
        )
        assert event.on_behalf and event.after["period"] == 12


def test_forged_ids_answer_404(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        other = _service(demo_account(), "+33972100001").id
    for url in (f"/services/{other}/renewal", "/services/99999999999999999999/renewal"):
        assert client.get(url).status_code == 404
