"""Batch actions of My services: a preview grouped by outcome, then all the eligible
services change and the others are reported, or nothing changes."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony import DomainError, NotFound
from telephony.dates import add_months
from telephony.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    RenewalMode,
    Service,
    ServiceState,
)
from telephony.payments import PROVIDERS
from telephony.services import batch
from tests.conftest import csrf_from
from tests.factories import demo_account, hidden_value

TODAY = date(2026, 12, 2)


def _apply(account, ids, action, **options):
    """Confirm a batch as its preview page would: with the digest of what it showed."""
    shown = batch.digest(
        batch.preview(account, ids, action, options.get("today", TODAY), options.get("day"))
    )
    return batch.apply(account, ids, action, shown=shown, **options)


def _ids(account, *names) -> list[str]:
    return [
        str(db.session.scalar(select(Service.id).where(Service.name.startswith(name))))
        for name in names
    ]


FR_MIX = (
    "+33972100001",
    "+33972100100",
    "+33972100101",
    "+33972100102",
    "+33972100020",
    "+33972100010",
)


def test_the_preview_groups_the_selection_by_outcome(app_ctx):
    account = demo_account()
    preview = batch.preview(account, _ids(account, *FR_MIX), "disable_auto", TODAY)
    named = {k: sorted(s.name[:12] for s in v) for k, v in preview.groups.items()}
    assert named == {
        "will_change": ["+33972100100"],
        "already": ["+33972100020", "+33972100102"],  # the fax line, the yearly number
        "invoice_due": ["+33972100101"],
        "not_eligible": ["+33972100001", "+33972100010"],  # lines and trunks: automatic only
    }
    enable = batch.preview(account, _ids(account, *FR_MIX), "enable_auto", TODAY)
    assert sorted(s.name[:12] for s in enable.changing) == ["+33972100020", "+33972100102"]
    assert [s.name[:12] for s in enable.groups["already"]][0].startswith("+3397210")


def test_disable_changes_the_eligible_and_reports_the_others(app_ctx):
    account = demo_account()
    done = _apply(account, _ids(account, *FR_MIX), "disable_auto", actor=None, today=TODAY)
    db.session.commit()
    assert [s.name for s in done.changed] == ["+33972100100"]
    assert set(done.others) == {"already", "invoice_due", "not_eligible"}
    assert (
        db.session.scalar(select(Service.renewal_mode).where(Service.name == "+33972100100"))
        == RenewalMode.MANUAL
    )
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "service.renewal_changed")
        )
        == 1
    )


def test_enabling_without_a_payment_method_changes_nothing(app_ctx):
    account = demo_account("vt20002-b")
    ids = _ids(account, "+3223001100")
    with pytest.raises(DomainError, match="Add a payment method first"):
        _apply(account, ids, "enable_auto", actor=None, today=TODAY)
    db.session.rollback()
    assert (
        db.session.scalar(select(Service.renewal_mode).where(Service.name == "+3223001100"))
        == RenewalMode.MANUAL
    )


def test_a_committed_service_is_reported_with_its_date(app_ctx):
    account = demo_account()
    trunk = db.session.scalar(select(Service).where(Service.service_type == "trunk"))
    trunk.renewal_mode = RenewalMode.MANUAL  # as if it had been, before its commitment
    preview = batch.preview(account, [str(trunk.id)], "enable_auto", TODAY)
    assert [s.id for s in preview.groups["committed"]] == [trunk.id]
    with pytest.raises(DomainError, match="None of the selected services can change"):
        _apply(account, [str(trunk.id)], "enable_auto", actor=None, today=TODAY)


def test_renew_pays_one_invoice_for_every_manual_service_selected(app_ctx):
    account = demo_account()
    ids = _ids(account, "+33972100020", "+33972100102", "+33972100001")
    fax = db.session.scalar(select(Service).where(Service.name.startswith("+33972100020")))
    yearly = db.session.scalar(select(Service).where(Service.name == "+33972100102"))
    before = (fax.expires_on, yearly.expires_on)
    preview = batch.preview(account, ids, "renew", TODAY)
    assert len(preview.changing) == 2 and [s.name[:12] for s in preview.groups["not_eligible"]] == [
        "+33972100001"
    ]
    done = _apply(
        account, ids, "renew", actor=None, today=TODAY, provider=PROVIDERS["sandbox"], token="b1"
    )
    db.session.commit()
    assert len(done.changed) == 2
    assert (fax.expires_on, yearly.expires_on) == (
        add_months(before[0], 1),
        add_months(before[1], 12),
    )
    paid = Payment.status == PaymentStatus.SUCCEEDED  # the demo's due invoice failed once
    assert db.session.scalar(select(func.count(Payment.id)).where(paid)) == 1


@pytest.mark.parametrize(
    "ids", [["abc"], ["1", "x"], ["99999999999999999999"], [], ["1\x00"], ["\u00b2"], ["\u0661"]]
)
def test_odd_or_foreign_ids_are_not_found(app_ctx, ids):
    with pytest.raises(NotFound):
        batch.preview(demo_account(), ids, "disable_auto", TODAY)


def test_another_accounts_service_in_the_selection_refuses_the_whole_batch(app_ctx):
    be = demo_account("vt20002-b")
    mixed = _ids(be, "+3223001100") + _ids(demo_account(), "+33972100100")
    with pytest.raises(NotFound):
        _apply(be, mixed, "disable_auto", actor=None, today=TODAY)


def test_the_pages_preview_then_confirm_without_javascript(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        ids = _ids(demo_account(), *FR_MIX)
    table = client.get("/services/?lang=en")
    assert 'form="batch-form"' in table.text and "Disable automatic payment" in table.text
    query = "&".join(f"ids={i}" for i in ids)
    page = client.get(f"/services/batch?lang=en&action=disable_auto&{query}")
    assert page.status_code == 200
    assert "Will change (1)" in page.text and "Type not eligible (2)" in page.text
    # Renewing: an automatic service is not of a wrong type, it is paid at its expiry.
    renew = client.get(f"/services/batch?lang=en&action=renew&{query}").text
    assert "Renewed automatically: paid at its expiry" in renew and "Type not eligible" not in renew
    data = {
        "csrf_token": csrf_from(page.text),
        "action": "disable_auto",
        "ids": ids,
        "token": "t",
        "shown": hidden_value(page.text, "shown"),
    }
    done = client.post("/services/batch", data=data)
    assert done.status_code == 303
    assert "Automatic payment disabled for 1 service." in client.get("/services/?lang=en").text
    again = client.post("/services/batch", data=data)  # what it showed is no longer so
    assert again.status_code == 422 and "have changed since this page was shown" in again.text
    assert ">Action" not in again.text and 'href="#action"' not in again.text  # not a field
    # The preview as it is now: nothing left to change, nothing to confirm.
    assert "Already in that mode (3)" in again.text
    assert "None of the selected services can change." in again.text
    assert 'name="shown"' not in again.text


def test_a_preview_shown_before_a_change_charges_nothing(signed_in):
    """The renewal preview in one window; in another, the fax line becomes yearly; the first
    window's Confirm would charge a year, not the month it showed: refused, nothing paid,
    and the page shows the new amount to confirm."""
    client = signed_in("fr")
    with client.application.app_context():
        ids = _ids(demo_account(), "+33972100020", "+33972100102")
        fax = db.session.scalar(select(Service).where(Service.name.startswith("+33972100020")))
        fax_id = fax.id
    query = "&".join(f"ids={i}" for i in ids)
    page = client.get(f"/services/batch?lang=en&action=renew&{query}")
    fields = {
        "csrf_token": csrf_from(page.text),
        "action": "renew",
        "ids": ids,
        "token": hidden_value(page.text, "token"),
        "shown": hidden_value(page.text, "shown"),
    }
    other = client.get(f"/services/{fax_id}/renewal?mode=manual&period=12")
    assert other.status_code == 200
    saved = client.post(
        f"/services/{fax_id}/renewal",
        data={"csrf_token": csrf_from(other.text), "mode": "manual", "period": "12"},
    )
    assert saved.status_code == 303
    refused = client.post("/services/batch", data=fields)
    assert refused.status_code == 422 and "have changed since this page was shown" in refused.text
    with client.application.app_context():
        made = select(func.count(Invoice.id)).where(Invoice.request_key == fields["token"])
        assert db.session.scalar(made) == 0
    again = {**fields, "shown": hidden_value(refused.text, "shown")}
    assert client.post("/services/batch", data=again).status_code == 303
    with client.application.app_context():
        assert db.session.scalar(made) == 1


def test_export_the_selection_as_csv(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        ids = _ids(demo_account(), "+33972100100", "+33972100020")
    query = "&".join(f"ids={i}" for i in ids)
    moved = client.get(f"/services/batch?action=export&{query}")
    assert moved.status_code == 303
    exported = client.get(moved.headers["Location"])
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 3 and {r[0].lstrip("'")[:15] for r in rows[1:]} == {
        "+33 9 72 10 01 ",
        "+33 9 72 10 00 ",
    }


def test_forged_selections_answer_404(signed_in):
    client = signed_in("be")
    with client.application.app_context():
        fr_id = _ids(demo_account(), "+33972100100")[0]
    assert client.get(f"/services/batch?action=disable_auto&ids={fr_id}").status_code == 404
    assert client.get(f"/services/batch?action=export&ids={fr_id}").status_code == 404
    assert client.get(f"/services/export.csv?ids={fr_id}").status_code == 404
    assert client.get("/services/batch?action=disable_auto&ids=%00").status_code == 400  # NUL
    # Digits that are not ASCII ("²"): not an id of any service.
    assert client.get("/services/export.csv?ids=%C2%B2").status_code == 404
    assert client.get("/services/batch?action=export&ids=%C2%B2").status_code == 404
    token = csrf_from(client.get("/services/").text)
    assert (
        client.post(
            "/services/batch", data={"csrf_token": token, "action": "disable_auto", "ids": fr_id}
        ).status_code
        == 404
    )
    nothing = client.get("/services/batch?action=disable_auto")
    assert nothing.status_code == 303  # nothing selected: back, with a message


def test_the_aligned_date_and_the_prorata_rule():
    from decimal import Decimal

    from telephony.services.batch import aligned_expiry, prorata

    assert aligned_expiry(date(2027, 1, 1), 15) == date(2027, 1, 15)
    assert aligned_expiry(date(2027, 1, 20), 15) == date(2027, 2, 15)
    assert aligned_expiry(date(2027, 1, 15), 15) == date(2027, 1, 15)
    assert aligned_expiry(date(2027, 1, 31), 28) == date(2027, 2, 28)
    service = Service(expires_on=date(2027, 1, 1), monthly_price_excl_vat=Decimal("12.99"))
    assert prorata(service, date(2027, 1, 15)) == (14, Decimal("5.87"))  # 14 × 12.99 ÷ 31
    service.expires_on = date(2027, 2, 1)
    assert prorata(service, date(2027, 2, 15)) == (14, Decimal("6.50"))  # 14 × 12.99 ÷ 28


def test_align_moves_the_expiries_and_invoices_the_days_added(app_ctx):
    account = demo_account()
    ids = _ids(account, "+33972100001", "+33972100100", "+33972100101", "+33972100010")
    preview = batch.preview(account, ids, "align", TODAY, "15")
    assert [s.name[:12] for s in preview.groups["invoice_due"]] == ["+33972100101"]
    assert [s.name[:12] for s in preview.groups["committed"]] == ["+33972100010"]
    amounts = {a.service.name[:12]: a.amount for a in preview.alignments}
    done = _apply(
        account,
        ids,
        "align",
        actor=None,
        today=TODAY,
        provider=PROVIDERS["sandbox"],
        token="a1",
        day="15",
    )
    db.session.commit()
    assert len(done.changed) == 2 and account.renewal_day == 15
    for service in done.changed:
        assert service.expires_on.day == 15
    invoice = db.session.scalar(select(Invoice).where(Invoice.request_key == "a1"))
    assert invoice.status == InvoiceStatus.PAID  # the default card
    assert sorted(line.total_excl_vat for line in invoice.lines) == sorted(amounts.values())
    assert invoice.total_incl_vat == preview.total


def test_align_without_a_payment_method_leaves_an_invoice_to_pay(app_ctx):
    from telephony.services import paying

    account = demo_account("vt20002-b")
    ids = _ids(account, "+3223001001")
    _apply(account, ids, "align", actor=None, today=TODAY, token="a2", day="10")
    db.session.commit()
    line = db.session.scalar(select(Service).where(Service.name.startswith("+3223001001")))
    assert line.expires_on.day == 10
    assert paying.due_invoice(account, line) is not None


def test_an_expired_default_card_is_said_before_the_alignment_is_confirmed(signed_in, app):
    """The page said "paid now with your default payment method" while the card had
    expired, and the alignment was left to pay (review)."""
    from telephony import payment_methods

    with app.app_context():
        account = demo_account()
        card = payment_methods.default_method(account)
        card.exp_month, card.exp_year = 1, 2020
        db.session.commit()
        ids = _ids(account, "+33972100001")
        preview = batch.preview(account, ids, "align", TODAY, "15")
        assert preview.method is None and preview.expired.id == card.id
    client = signed_in("fr")
    query = "&".join(f"ids={i}" for i in ids)
    page = client.get(f"/services/batch?action=align&day=15&{query}&lang=en").text
    assert "Your default card has expired" in page
    assert "paid now with your default payment method" not in page


@pytest.mark.parametrize("day", ["0", "29", "", "x", "15\x00", "9" * 40, "\u00b2", "\u0661"])
def test_a_day_outside_1_to_28_is_refused_beside_its_field(app_ctx, day):
    account = demo_account()
    with pytest.raises(DomainError) as refused:
        batch.preview(account, _ids(account, "+33972100001"), "align", TODAY, day)
    assert refused.value.field == "day"


def test_a_suspended_service_is_not_aligned(app_ctx):
    """Aligning a lapsed service would bring it back for a few days' price (paying an
    invoice reactivates its services): it is listed apart, and nothing changes."""
    account = demo_account("vt20002-b")
    lapsed = db.session.scalar(select(Service).where(Service.name.startswith("+3223001001")))
    lapsed.state, lapsed.suspended_on = ServiceState.SUSPENDED, TODAY  # as the run leaves it
    preview = batch.preview(account, [str(lapsed.id)], "align", TODAY, "2")
    assert [s.id for s in preview.groups["suspended"]] == [lapsed.id]
    with pytest.raises(DomainError, match="None of the selected services can change"):
        _apply(account, [str(lapsed.id)], "align", actor=None, today=TODAY, token="s", day="2")
    assert lapsed.state == ServiceState.SUSPENDED


def test_a_wrong_alignment_day_is_said_beside_its_select(signed_in):
    client = signed_in("fr")
    with client.application.app_context():
        ids = _ids(demo_account(), "+33972100001")
    page = client.get(f"/services/batch?lang=fr_FR&action=align&ids={ids[0]}&day=abc")
    assert page.status_code == 422
    assert 'aria-describedby="align-day-error"' in page.text
    assert 'id="align-day-error"' in page.text
    assert "Jour de renouvellement dans le mois" in page.text.split('id="error-summary"')[1]
    assert ">Day" not in page.text
