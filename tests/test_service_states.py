"""What My services and the lines' pages allow a service in each state: suspended for an
unpaid invoice or lapsed, an invoice due, a termination requested, terminated (review of
My services, each a bug it found)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from config import SERVICE_DELETE_AFTER_DAYS, SERVICE_PAYMENT_DAYS
from extensions import db
from telephony import DomainError, lifecycle, payment_methods
from telephony.models import (
    Invoice,
    Line,
    RenewalMode,
    Service,
    ServiceState,
)
from telephony.payments import PROVIDERS
from telephony.services import batch, paying, renewal
from telephony.services.run import run_services
from tests.conftest import csrf_from
from tests.factories import demo_account


def _first_expiry() -> date:
    return db.session.scalar(select(func.min(Service.expires_on)))


def _belgian_line_suspended_for_debt():
    """The Belgian line's renewal left unpaid past the payment days: suspended."""
    day = _first_expiry()
    run_services(day)
    run_services(day + timedelta(days=SERVICE_PAYMENT_DAYS + 1))
    be = demo_account("vt20002-b")
    service = db.session.scalar(
        select(Service).where(Service.account_id == be.id, Service.service_type == "sip_line")
    )
    assert service.state == ServiceState.SUSPENDED
    return be, service


def _row(html: str, service_id: int) -> str:
    row = html[html.index(f"select-{service_id}") :]
    return row[: row.index("</tr>")]


def test_a_line_suspended_for_debt_cannot_be_terminated_from_its_page(app, signed_in):
    with app.app_context():
        be, service = _belgian_line_suspended_for_debt()
        assert paying.due_invoice(be, service) is not None
        line_id, service_id = service.target_id, service.id
        assert "suspended" in str(lifecycle.line_busy(be, db.session.get(Line, line_id)))
        db.session.commit()
    client = signed_in("be")
    page = client.get(f"/lines/{line_id}/terminate?lang=en")
    assert "This service is suspended" in page.text
    reply = client.post(
        f"/lines/{line_id}/terminate",
        data={"csrf_token": csrf_from(page.text), "reason": "moving", "details": ""},
    )
    assert reply.status_code in (303, 422)
    with app.app_context():
        assert db.session.get(Service, service_id).terminate_on is None


def test_an_invoice_due_keeps_pay_invoice_on_the_row_whatever_is_pending(app, signed_in):
    with app.app_context():
        fr = demo_account()
        service = db.session.get(Service, 9)  # demo: an alias number with an invoice due
        assert paying.due_invoice(fr, service) is not None
        alias_id = service.target_id
    client = signed_in("fr")
    page = client.get(f"/lines/numbers/{alias_id}/terminate?lang=en")
    reply = client.post(
        f"/lines/numbers/{alias_id}/terminate",
        data={"csrf_token": csrf_from(page.text), "reason": "moving", "details": ""},
    )
    assert reply.status_code == 303  # its unpaid days are cancelled when it ends
    row = _row(client.get("/services/?lang=en&q=0972100101").text, 9)
    assert "/services/9/pay" in row and "Immediately" in row


def test_a_lapsed_manual_service_is_renewed_before_its_mode_changes(app_ctx):
    """Made automatic while lapsed, it stayed suspended for ever: never renewed (the run
    renews active services), never deleted (only manual ones are)."""
    day = _first_expiry()
    fr = demo_account()
    run_services(day)
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    assert fax.state == ServiceState.SUSPENDED and fax.renewal_mode == RenewalMode.MANUAL
    later = day + timedelta(days=1)
    groups = batch.preview(fr, [str(fax.id)], "enable_auto", later).groups
    assert list(groups) == ["suspended"]
    try:
        renewal.configure(fr, fax, "automatic", 1, actor=None, today=later)
    except DomainError as refused:
        assert "renew it first" in str(refused.message)
    else:
        raise AssertionError("a lapsed service was made automatic")
    assert paying.extension_refusal(fax, later) is None  # renewing it is what is offered
    assert fax.renewal_mode == RenewalMode.MANUAL
    run_services(day + timedelta(days=SERVICE_DELETE_AFTER_DAYS + 1))
    assert fax.state == ServiceState.TERMINATED  # lapsed, then deleted, as the rule says


def test_a_lapsed_service_renewed_later_starts_its_period_that_day_everywhere(app_ctx):
    """The page showed one new expiry, the invoice another period and the payment a
    third (from the UTC day)."""
    day = _first_expiry()
    fr = demo_account()
    run_services(day)
    fax = db.session.scalar(select(Service).where(Service.service_type == "fax_line"))
    today = day + timedelta(days=19)
    shown = {option.months: option.new_expiry for option in paying.options(fr, fax, today)}
    invoice, _payment = paying.extend(
        fr,
        fax,
        1,
        payment_methods.default_method(fr),
        token="lapsed-renewal",
        shown=paying.extension_digest(fax),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=today,
    )
    db.session.commit()
    (line,) = invoice.lines
    assert (line.period_start, line.period_end) == (today, shown[1])
    assert fax.expires_on == shown[1] and fax.state == ServiceState.ACTIVE


def test_the_batch_renewal_preview_total_is_the_invoices(app_ctx):
    """Adding each service's price incl. VAT showed 17.97; the invoice (VAT once on the
    total) charged 17.96."""
    today = date.today()
    fr = demo_account()
    ids = []
    for service_id in (7, 8, 10):
        service = db.session.get(Service, service_id)
        service.renewal_mode, service.period_months = RenewalMode.MANUAL, 1
        service.monthly_price_excl_vat = Decimal("4.99")
        ids.append(str(service_id))
    db.session.commit()
    preview = batch.preview(fr, ids, "renew", today)
    assert len(preview.changing) == 3
    batch.apply(
        fr,
        ids,
        "renew",
        actor=None,
        today=today,
        shown=batch.digest(preview),
        provider=PROVIDERS["sandbox"],
        token="batch-total",
    )
    db.session.commit()
    invoice = db.session.scalar(select(Invoice).where(Invoice.request_key == "batch-total"))
    assert preview.total == invoice.total_incl_vat == Decimal("17.96")


def test_a_terminated_service_has_no_date_of_effect_in_the_table_nor_the_csv(app, signed_in):
    with app.app_context():
        service = db.session.get(Service, 8)
        service.state, service.terminate_on = ServiceState.TERMINATED, date(2026, 11, 1)
        db.session.commit()
    client = signed_in("fr")
    assert ">–</td>" in _row(client.get("/services/?lang=en&renewal=terminated").text, 8)
    csv = client.get("/services/export.csv?lang=en&renewal=terminated").get_data(as_text=True)
    cells = csv.splitlines()[1].split(",")
    assert cells[5] == "" and cells[6] == ""  # date of effect, and its ISO column


def test_a_manual_row_offers_no_termination_it_lapses_if_not_renewed(signed_in):
    client = signed_in("fr")
    row = _row(client.get("/services/?lang=en&renewal=manual").text, 7)
    assert "/terminate" not in row and "Renew" in row


def test_too_many_rows_for_an_export_are_said_not_a_500(app, signed_in):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = signed_in("fr")
    ids = "&".join(f"ids={i}" for i in range(1, 502))
    for url in ("/services/export.csv?", "/services/batch?action=export&"):
        reply = client.get(url + ids + "&lang=en")
        assert reply.status_code == 303, url
        page = client.get(reply.headers["Location"]).text
        assert "Select at most 500 services at a time." in page


def test_a_line_suspended_for_debt_changes_neither_offer_nor_calls(app_ctx):
    """Terminations and conversions were refused while suspended; its offer and its calls
    could still change (review)."""
    from telephony import calls, offers
    from telephony.models import Offer

    be, service = _belgian_line_suspended_for_debt()
    line = db.session.get(Line, service.target_id)
    actions = lifecycle.line_actions(be, line)
    assert not (actions.change_offer or actions.change_calls or actions.terminate)
    other = db.session.scalar(
        select(Offer).where(Offer.country == be.country, Offer.id != line.offer_id, Offer.active)
    )
    if other is not None:
        try:
            offers.request_change(be, [line], other, actor=None)
        except DomainError as refused:
            assert "suspended" in str(refused.message)
        else:
            raise AssertionError("a suspended line changed its offer")
    for change in (
        lambda: calls.order_calls(
            be, line, line.calls_current + 1, actor=None, terms_accepted=True
        ),
        lambda: calls.request_removal(be, line, line.calls_basic, actor=None),
    ):
        try:
            change()
        except DomainError as refused:
            assert "suspended" in str(refused.message)
        else:
            raise AssertionError("a suspended line changed its calls")
