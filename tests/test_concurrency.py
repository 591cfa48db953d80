"""Every change happens once, whatever arrives at the same time: the same form sent many
times at once (a double click, an impatient user), or two forms that exclude each other.

The requests go to a live server in parallel (tests/live.py: threads on SQLite, gunicorn
with two workers on PostgreSQL). Every state-changing route of the site has a case here or
a stated reason why parallel copies can't do harm; a new route without one fails
`test_every_state_changing_route_has_a_concurrency_case`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from telephony.dates import add_months
from telephony.models import (
    Account,
    AuditEvent,
    CallNote,
    CreditMovement,
    CreditWallet,
    FaqFeedback,
    InventoryState,
    Invoice,
    InvoiceStatus,
    Line,
    NumberArea,
    NumberDestination,
    NumberReservation,
    Offer,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PortNumber,
    PortOrder,
    PortStatus,
    QuotaRequest,
    ReservationStatus,
    ScheduledTask,
    Service,
    ServiceEmail,
    ServiceNumber,
    StoredPaymentMethod,
    TaskStatus,
    TelephonyGroup,
    User,
    ValidationProcedure,
    utcnow,
)
from telephony.service_numbers import reservations
from tests.factories import DETAILS, hidden_value, set_hold_end
from tests.live import Client, LiveSite, at_once, form_fields
from tests.workspace import SIGN_IN, workspace_settings

#: Parallel copies of each request.
N = 12

#: The test that proves each state-changing endpoint changes state once.
CASES = {
    "orders.pay": "test_a_purchase_order_is_paid_once",
    "lines.change_calls": "test_one_open_purchase_order_per_line",
    "lines.change_offer": "test_an_offer_change_and_a_termination_exclude_each_other",
    "lines.terminate_line": "test_the_customer_and_an_agent_at_once_terminate_once",
    "lines.bulk_offer": "test_a_bulk_offer_change_and_its_cancellation_happen_once",
    "lines.cancel_offer_change": "test_a_bulk_offer_change_and_its_cancellation_happen_once",
    "lines.convert_to_alias": "test_a_conversion_and_its_cancellation_happen_once",
    "lines.cancel_request": "test_a_conversion_and_its_cancellation_happen_once",
    "lines.convert_to_line": "test_an_alias_becomes_a_line_once",
    "lines.terminate_number": "test_a_number_is_terminated_once",
    "lines.order_line": "test_an_ordered_line_is_ordered_once",
    "orders.cancel": "test_a_purchase_order_is_cancelled_once",
    "procedure.change_billing_contact": "test_the_billing_contact_changes_once",
    "procedure.index": "test_the_procedure_document_is_made_once",
    "procedure.manage": "test_an_agents_work_happens_once",
    "agent.act": "test_an_agents_work_happens_once",
    "agent.add_note": "test_an_agents_work_happens_once",
    "agent.edit_note": "test_an_agents_work_happens_once",
    "agent.stop": "test_an_agents_work_happens_once",
    "faq.feedback": "test_a_faq_answer_counts_once_per_form",
    "translators.save": "test_a_translation_saved_many_times_at_once_is_saved_once",
    "translators.same_as_base": "test_a_translation_saved_many_times_at_once_is_saved_once",
    "translators.faq_save": "test_an_faq_answer_saved_many_times_at_once_is_saved_once",
    "translators.faq_same_as_base": "test_a_regional_faq_answer_removed_at_once_goes_once",
    "translators.upload": "test_a_catalogue_uploaded_many_times_at_once_changes_each_entry_once",
    "billing.add_card": "test_a_card_sent_many_times_is_kept_once",
    "billing.make_default": "test_one_default_payment_method_whatever_arrives",
    "billing.remove": "test_one_default_payment_method_whatever_arrives",
    "billing.restore_mandate": "test_a_removed_mandate_comes_back_once",
    "services.configure_renewal": "test_a_renewal_setting_changes_once",
    "services.pay_invoice": "test_a_services_invoice_is_paid_once",
    "services.extend": "test_a_payment_ahead_is_made_once",
    "services.batch_action": "test_a_batch_applies_once",
    "billing.pay_invoice": "test_an_invoice_paid_from_the_invoices_page_is_paid_once",
    "billing.pay_balance": "test_a_balance_is_paid_once",
    "billing.request_archive": "test_a_zip_of_invoices_is_queued_once",
    "service_numbers.new": "test_two_customers_never_hold_the_same_number",
    "service_numbers.reservation": "test_service_numbers_are_acquired_once",
    "service_numbers.release": "test_a_reservation_is_released_once",
    "service_numbers.extend_hold": "test_a_hold_is_kept_longer_once",
    "service_numbers.licences_page": "test_licences_are_set_once",
    "service_numbers.new_destination": "test_a_destination_is_created_and_a_number_released_once",
    "service_numbers.assign": "test_a_destination_is_created_and_a_number_released_once",
    "service_numbers.release_number": "test_a_destination_is_created_and_a_number_released_once",
    "service_numbers.credits_page": "test_credits_are_bought_once",
    "service_numbers.auto_recharge": "test_credits_are_bought_once",
    "service_numbers.ask_for_more": "test_more_numbers_are_asked_once",
    "service_numbers.port_orders": "test_a_port_order_is_made_and_submitted_once",
    "service_numbers.port_order": "test_a_port_order_is_made_and_submitted_once",
    "service_numbers.port_upload": "test_a_port_order_is_made_and_submitted_once",
    "service_numbers.port_submit": "test_a_port_order_is_made_and_submitted_once",
    "service_numbers.port_cancel": "test_a_port_order_is_made_and_submitted_once",
    "service_numbers.port_copy": "test_a_closed_port_order_is_copied_once",
    "service_numbers.port_remove_number": "test_numbers_are_taken_out_of_a_port_order_once",
}
#: State-changing endpoints whose parallel copies can do no harm, and why.
HARMLESS = {
    "translators.faq_preview": "shows what was typed; nothing is kept",
    "translators.preview": "sets which demo account the translator's own session shows",
    "translators.stop_preview": "ends the translator's own preview; copies find it ended",
    "translators.in_context": "sets one flag of the translator's own session; copies set it alike",
    "auth.login": "each sign-in opens its own session; no data changes",
    "auth.logout": "ends the session it is sent with; a copy finds it ended",
    "auth.logout_everywhere": "raises the user's session epoch; every copy ends the same sessions",
    "agent.locale": "a display preference kept in the agent's own session",
    "auth.keep_alive": "restarts the agent's idle time in their own session; twice is once",
    "procedure.check": "checks the form inline; saves nothing",
    "procedure.check_billing_contact": "checks the form inline; saves nothing",
}
#: What a copy that lost the race may answer: done already (303), or refused (422).
FINE = {303, 422}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    live = LiveSite(folder, **workspace_settings(folder))
    yield live
    live.stop()


def count(site, query) -> int:
    with site.app.app_context():
        value = db.session.scalar(query)
        db.session.remove()
        return value


def fetch(site, query):
    with site.app.app_context():
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        db.session.remove()
        return rows


def offer_id(site, country: str, code: str) -> int:
    return count(site, select(Offer.id).where(Offer.country == country, Offer.code == code))


def test_every_state_changing_route_has_a_concurrency_case(app):
    changing = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.methods - {"GET", "HEAD", "OPTIONS"}
    }
    assert changing - set(CASES) - set(HARMLESS) == set(), "add a concurrency case"
    assert set(CASES) | set(HARMLESS) <= changing, "a case for a route that is gone"
    names = set(globals())
    assert set(CASES.values()) <= names


def test_a_purchase_order_is_paid_once(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/2/calls")
    reply = customer.post("/lines/2/calls", {"csrf_token": token, "calls": "3", "terms": "y"})
    assert reply.status == 303, reply.text[:300]
    order_path = reply.location.removeprefix(site.base)
    page = customer.get(order_path).text
    fields = form_fields(page, order_path + "/pay")
    method = re.search(r'name="method" value="(\d+)" checked', page).group(1)  # the default
    data = {**fields, "method": method}

    replies = at_once(20, lambda _i: customer.post(order_path + "/pay", data))

    assert {r.status for r in replies} == {303}, [r.status for r in replies]
    order_id = int(order_path.rsplit("/", 1)[1])
    assert count(site, select(func.count(Payment.id)).where(Payment.invoice_id == order_id)) == 1
    payment = fetch(site, select(Payment).where(Payment.invoice_id == order_id))[0]
    assert payment.status == PaymentStatus.SUCCEEDED
    assert count(site, select(Line.calls_current).where(Line.id == 2)) == 3
    added = select(func.count(ServiceEmail.id)).where(ServiceEmail.template == "calls_added")
    assert count(site, added) == 1
    assert count(site, select(Invoice.status).where(Invoice.id == order_id)) == "paid"
    number = count(site, select(Invoice.number).where(Invoice.id == order_id))
    invoiced = select(func.count(Invoice.id)).where(Invoice.request_key == f"order:{number}")
    assert count(site, invoiced) == 1  # and invoiced once


def test_one_open_purchase_order_per_line(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/1/calls")
    # The same increase many times, and decreases mixed in: one change of calls in all.
    replies = at_once(
        N,
        lambda i: customer.post(
            "/lines/1/calls",
            {"csrf_token": token, "calls": "5" if i % 2 else "3", "terms": "y"},
        ),
    )
    assert {r.status for r in replies} <= FINE
    orders = count(
        site,
        select(func.count(Invoice.id)).where(
            Invoice.on_paid["line_id"].as_integer() == 1,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
        ),
    )
    removals = count(
        site,
        select(func.count(ScheduledTask.id)).where(
            ScheduledTask.target_id == 1, ScheduledTask.status == TaskStatus.TODO
        ),
    )
    assert (orders, removals) in {(1, 0), (0, 1)}, (orders, removals)


def test_an_offer_change_and_a_termination_exclude_each_other(site):
    customer = site.client().sign_in("fr")
    offer_token = customer.token("/lines/3/offer")
    enterprise = offer_id(site, "FR", "entreprise")

    def send(i):
        if i % 2:
            return customer.post("/lines/3/offer", {"csrf_token": offer_token, "offer": enterprise})
        return customer.post(
            "/lines/3/terminate", {"csrf_token": offer_token, "reason": "moving", "details": ""}
        )

    replies = at_once(N, send)
    assert {r.status for r in replies} <= FINE
    pending = fetch(
        site,
        select(ScheduledTask).where(
            ScheduledTask.target_type == "line",
            ScheduledTask.target_id == 3,
            ScheduledTask.status == TaskStatus.TODO,
        ),
    )
    assert len(pending) == 1, [task.action for task in pending]


def test_a_bulk_offer_change_and_its_cancellation_happen_once(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/offer")
    data = {"csrf_token": token, "offer": offer_id(site, "FR", "entreprise"), "lines": ["4"]}
    replies = at_once(N, lambda _i: customer.post("/lines/offer", data))
    assert {r.status for r in replies} <= FINE
    tasks = select(func.count(ScheduledTask.id)).where(
        ScheduledTask.target_id == 4, ScheduledTask.action == "change_offer"
    )
    assert count(site, tasks) == 1

    replies = at_once(N, lambda _i: customer.post("/lines/4/offer/cancel", {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    cancelled = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "task.cancelled", AuditEvent.target_id == 4
    )
    assert count(site, cancelled) == 1


def test_a_conversion_and_its_cancellation_happen_once(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/5/alias")
    replies = at_once(N, lambda _i: customer.post("/lines/5/alias", {"csrf_token": token}))
    assert {r.status for r in replies} <= FINE
    (task,) = fetch(site, select(ScheduledTask).where(ScheduledTask.target_id == 5))

    replies = at_once(
        N,
        lambda _i: customer.post(
            f"/lines/requests/{task.id}/cancel", {"csrf_token": token, "next": "/lines/5"}
        ),
    )
    assert {r.status for r in replies} == {303}
    cancelled = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "task.cancelled", AuditEvent.target_id == 5
    )
    assert count(site, cancelled) == 1


def test_an_alias_becomes_a_line_once(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/numbers/2/line")
    data = {"csrf_token": token, "offer": offer_id(site, "FR", "entreprise"), "contracts": "y"}
    replies = at_once(N, lambda _i: customer.post("/lines/numbers/2/line", data))
    assert {r.status for r in replies} <= FINE
    tasks = select(func.count(ScheduledTask.id)).where(
        ScheduledTask.target_type == "alias_number", ScheduledTask.target_id == 2
    )
    assert count(site, tasks) == 1
    procedures = select(func.count(ValidationProcedure.id)).where(
        ValidationProcedure.account_id == 1
    )
    assert count(site, procedures) == 1


def test_a_number_is_terminated_once(site):
    customer = site.client().sign_in("fr")
    token = customer.token("/lines/numbers/1/terminate")
    data = {"csrf_token": token, "reason": "other", "details": "No longer needed"}
    replies = at_once(N, lambda _i: customer.post("/lines/numbers/1/terminate", data))
    assert {r.status for r in replies} <= FINE
    tasks = select(func.count(ScheduledTask.id)).where(
        ScheduledTask.target_type == "alias_number", ScheduledTask.target_id == 1
    )
    assert count(site, tasks) == 1


def test_an_ordered_line_is_ordered_once(site):
    customer = site.client().sign_in("fr")
    fields = form_fields(customer.get("/lines/new").text, "/lines/new")
    group = count(site, select(TelephonyGroup.id).where(TelephonyGroup.account_id == 1))
    data = {
        **fields,
        "group": group,
        "offer": offer_id(site, "FR", "entreprise"),
        "contracts": "y",
        "description": "Accueil 2",
    }
    replies = at_once(N, lambda _i: customer.post("/lines/new", data))
    assert {r.status for r in replies} <= FINE
    orders = select(func.count(ScheduledTask.id)).where(ScheduledTask.action == "order_line")
    assert count(site, orders) == 1


def test_a_purchase_order_is_cancelled_once(site):
    customer = site.client().sign_in("be")
    token = customer.token("/lines/8/calls")
    reply = customer.post("/lines/8/calls", {"csrf_token": token, "calls": "2", "terms": "y"})
    order_path = reply.location.removeprefix(site.base)
    replies = at_once(N, lambda _i: customer.post(order_path + "/cancel", {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    cancelled = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "calls.order_cancelled"
    )
    assert count(site, cancelled) == 1


def test_the_billing_contact_changes_once(site):
    customer = site.client().sign_in("be")
    token = customer.token("/procedure/billing-contact")
    data = {
        "csrf_token": token,
        "contact_name": "Jan Peeters",
        "contact_email": "boekhouding@example.com",
    }
    replies = at_once(N, lambda _i: customer.post("/procedure/billing-contact", data))
    assert {r.status for r in replies} <= FINE
    changed = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "account.billing_contact_changed"
    )
    assert count(site, changed) == 1
    notices = select(func.count(ServiceEmail.id)).where(
        ServiceEmail.template == "billing_contact_changed"
    )
    assert count(site, notices) == 1


def test_the_procedure_document_is_made_once(site):
    customer = site.client().sign_in("ch")
    token = customer.token("/procedure/")
    data = {"csrf_token": token, **DETAILS["vt30003-s"]}
    replies = at_once(N, lambda _i: customer.post("/procedure/", data))
    assert {r.status for r in replies} <= FINE
    documents = select(func.count(ServiceEmail.id)).where(
        ServiceEmail.template == "procedure_document", ServiceEmail.account_id == 3
    )
    assert count(site, documents) == 1


def test_an_agents_work_happens_once(site):
    # Its own procedure to change (the test above may have run on another worker).
    customer = site.client().sign_in("ch")
    details = {"csrf_token": customer.token("/procedure/"), **DETAILS["vt30003-s"]}
    assert customer.post("/procedure/", details).status in FINE
    agent = site.client().sign_in("agent")
    token = agent.token("/agent/accounts/3")

    def events(action):
        mine = (AuditEvent.action == action) & (AuditEvent.account_id == 3)
        return count(site, select(func.count(AuditEvent.id)).where(mine))

    replies = at_once(
        N,
        lambda _i: agent.post(
            "/agent/accounts/3/act", {"csrf_token": token, "reason": "Customer on the phone"}
        ),
    )
    assert {r.status for r in replies} <= FINE
    assert events("agent.acting_started") == 1

    seen = form_fields(agent.get("/procedure/manage").text, "/procedure/manage")
    replies = at_once(
        N,
        lambda _i: agent.post("/procedure/manage", {**seen, "status": "received", "reason": ""}),
    )
    # (Once one has moved it, the procedure is no longer the one the others saw: 409.)
    assert {r.status for r in replies} <= FINE | {409}
    assert events("procedure.status_changed") == 1

    replies = at_once(
        N,
        lambda _i: agent.post(
            "/agent/accounts/3/notes", {"csrf_token": token, "body": "Asked about the PDF"}
        ),
    )
    assert {r.status for r in replies} <= FINE
    (note,) = fetch(site, select(CallNote))
    replies = at_once(
        N,
        lambda _i: agent.post(
            f"/agent/notes/{note.id}", {"csrf_token": token, "body": "Asked about the mandate"}
        ),
    )
    assert {r.status for r in replies} <= FINE
    assert events("agent.note_edited") == 1

    replies = at_once(N, lambda _i: agent.post("/agent/stop", {"csrf_token": token}))
    assert {r.status for r in replies} <= FINE
    assert events("agent.acting_stopped") == 1


def test_a_faq_answer_counts_once_per_form(site):
    visitor: Client = site.client()
    fields = form_fields(
        visitor.get("/faq/call-forwarding/feedback").text, "/faq/call-forwarding/feedback"
    )
    data = {**fields, "yes": "Yes"}
    replies = at_once(N, lambda _i: visitor.post("/faq/call-forwarding/feedback", data))
    assert {r.status for r in replies} == {303}
    assert count(site, select(func.count(FaqFeedback.id))) == 1


def test_the_customer_and_an_agent_at_once_terminate_once(site):
    customer = site.client().sign_in("be")
    agent = site.client().sign_in("agent")
    token = agent.token("/agent/accounts/2")
    reply = agent.post("/agent/accounts/2/act", {"csrf_token": token, "reason": "On the phone"})
    assert reply.status == 303
    mine = customer.token("/lines/9/terminate")
    data = {"reason": "moving", "details": ""}

    def send(i):
        who, csrf = (customer, mine) if i % 2 else (agent, token)
        return who.post("/lines/9/terminate", {**data, "csrf_token": csrf})

    replies = at_once(N, send)
    assert {r.status for r in replies} <= FINE
    tasks = select(func.count(ScheduledTask.id)).where(
        ScheduledTask.target_type == "line", ScheduledTask.target_id == 9
    )
    assert count(site, tasks) == 1


def test_the_renewal_run_and_a_cancellation_at_once(site):
    """The daily run carries out a task while the customer cancels it: one of the two
    happens, never both, and neither fails (the renewal takes the account's lock first)."""
    import threading

    from telephony.billing import run_task

    customer = site.client().sign_in("ch")
    token = customer.token("/lines/10/alias")
    assert customer.post("/lines/10/alias", {"csrf_token": token}).status == 303
    (task,) = fetch(site, select(ScheduledTask).where(ScheduledTask.target_id == 10))
    outcome = []

    def renew():
        with site.app.app_context():
            outcome.append(run_task(task.id, task.execute_on)[0])
            db.session.remove()

    runner = threading.Thread(target=renew)
    runner.start()
    replies = at_once(
        N, lambda _i: customer.post(f"/lines/requests/{task.id}/cancel", {"csrf_token": token})
    )
    runner.join(timeout=60)
    assert {r.status for r in replies} == {303}
    assert outcome and outcome[0] in ("done", "skipped"), outcome
    (after,) = fetch(site, select(ScheduledTask).where(ScheduledTask.id == task.id))
    assert after.status in (TaskStatus.DONE, TaskStatus.CANCELLED)
    assert (after.status == TaskStatus.DONE) == (outcome[0] == "done")


def test_a_card_sent_many_times_is_kept_once(site):
    customer = site.client().sign_in("ch")
    token = customer.token("/billing/payment-methods/new-card")
    data = {"csrf_token": token, "number": "4242 4242 4242 4242", "expiry": "09/31", "cvc": "123"}
    replies = at_once(N, lambda _i: customer.post("/billing/payment-methods/new-card", data))
    assert {r.status for r in replies} <= FINE and 303 in {r.status for r in replies}
    cards = select(func.count(StoredPaymentMethod.id)).where(StoredPaymentMethod.account_id == 3)
    assert count(site, cards) == 1


def test_one_default_payment_method_whatever_arrives(site):
    """Make each of the French company's cards the default, and remove the default, all at
    once: one default remains, held by the database."""
    customer = site.client().sign_in("fr")
    token = customer.token("/billing/payment-methods")
    data = {"csrf_token": token, "number": "5555 5555 5555 4444", "expiry": "10/31", "cvc": "123"}
    assert customer.post("/billing/payment-methods/new-card", data).status == 303
    ids = [
        method.id
        for method in fetch(
            site, select(StoredPaymentMethod).where(StoredPaymentMethod.account_id == 1)
        )
    ]
    default = next(
        method.id
        for method in fetch(
            site,
            select(StoredPaymentMethod).where(
                StoredPaymentMethod.account_id == 1, StoredPaymentMethod.is_default
            ),
        )
    )
    others = [i for i in ids if i != default]

    def act(i):
        if i % 3 == 0:
            return customer.post(
                f"/billing/payment-methods/{default}/remove",
                {"csrf_token": token, "new_default": others[0]},
            )
        return customer.post(
            f"/billing/payment-methods/{others[i % 2]}/default", {"csrf_token": token}
        )

    replies = at_once(N, act)
    assert {r.status for r in replies} <= FINE | {404}  # removed meanwhile
    defaults = select(func.count(StoredPaymentMethod.id)).where(
        StoredPaymentMethod.account_id == 1, StoredPaymentMethod.is_default
    )
    assert count(site, defaults) == 1
    remaining = select(func.count(StoredPaymentMethod.id)).where(
        StoredPaymentMethod.account_id == 1
    )
    assert count(site, remaining) == len(ids) - 1


def test_a_renewal_setting_changes_once(site):
    customer = site.client().sign_in("fr")
    service = fetch(
        site, select(Service).where(Service.account_id == 1, Service.service_type == "sip_line")
    )[0]
    path = f"/services/{service.id}/renewal"
    token = customer.token(path)
    data = {"csrf_token": token, "mode": "automatic", "period": "3"}
    replies = at_once(N, lambda _i: customer.post(path, data))
    assert {r.status for r in replies} == {303}
    changes = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "service.renewal_changed", AuditEvent.target_id == service.id
    )
    assert count(site, changes) == 1
    assert count(site, select(Service.period_months).where(Service.id == service.id)) == 3


def test_a_services_invoice_is_paid_once(site):
    customer = site.client().sign_in("fr")
    due = fetch(site, select(Service).where(Service.name == "+33972100101"))[0]
    card = fetch(
        site,
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == 1, StoredPaymentMethod.is_default
        ),
    )[0]
    page = customer.get(f"/services/{due.id}/pay").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "invoice": hidden_value(page, "invoice"),
        "method": card.id,
    }
    replies = at_once(N, lambda _i: customer.post(f"/services/{due.id}/pay", data))
    assert {r.status for r in replies} == {303}
    invoice_id = int(data["invoice"])
    paid = (Payment.invoice_id == invoice_id) & (Payment.status == PaymentStatus.SUCCEEDED)
    assert count(site, select(func.count(Payment.id)).where(paid)) == 1  # (one failed in the demo)
    assert count(site, select(Invoice.status).where(Invoice.id == invoice_id)) == "paid"


def test_a_payment_ahead_is_made_once(site):
    """The same Anticipate payment form sent many times at once: one invoice, one payment,
    the expiry moved on once."""
    customer = site.client().sign_in("fr")
    line = fetch(site, select(Service).where(Service.name.startswith("+33972100002")))[0]
    card = fetch(
        site,
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == 1, StoredPaymentMethod.is_default
        ),
    )[0]
    page = customer.get(f"/services/{line.id}/extend").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "token": hidden_value(page, "token"),
        "shown": hidden_value(page, "shown"),
        "period": "3",
        "method": card.id,
    }
    replies = at_once(N, lambda _i: customer.post(f"/services/{line.id}/extend", data))
    assert {r.status for r in replies} == {303}
    made = select(func.count(Invoice.id)).where(Invoice.request_key == data["token"])
    assert count(site, made) == 1
    after = count(site, select(Service.expires_on).where(Service.id == line.id))
    assert after == add_months(line.expires_on, 3)


def test_a_payment_ahead_from_many_windows_is_made_once(site):
    """The Anticipate payment page opened in many windows (each its own form token), every
    one confirmed at once: the first pays; the others showed an expiry that is no longer
    so and pay nothing (422, the page with the new expiry)."""
    customer = site.client().sign_in("fr")
    line = fetch(site, select(Service).where(Service.name.startswith("+33972100002")))[0]
    pages = [customer.get(f"/services/{line.id}/extend").text for _ in range(N)]
    forms = [
        {
            "csrf_token": hidden_value(page, "csrf_token"),
            "token": hidden_value(page, "token"),
            "shown": hidden_value(page, "shown"),
            "period": "1",
            "method": _default_card(site),
        }
        for page in pages
    ]
    assert len({form["token"] for form in forms}) == N
    replies = at_once(N, lambda i: customer.post(f"/services/{line.id}/extend", forms[i]))
    assert sorted(r.status for r in replies) == [303] + [422] * (N - 1)
    made = select(func.count(Invoice.id)).where(
        Invoice.request_key.in_([form["token"] for form in forms])
    )
    assert count(site, made) == 1
    after = count(site, select(Service.expires_on).where(Service.id == line.id))
    assert after == add_months(line.expires_on, 1)


def _default_card(site) -> int:
    return fetch(
        site,
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == 1, StoredPaymentMethod.is_default
        ),
    )[0].id


def test_a_batch_applies_once(site):
    """The same batch forms sent many times at once: the renewal mode changes once, and a
    batch renewal is paid once."""
    customer = site.client().sign_in("fr")
    services = {s.name: s.id for s in fetch(site, select(Service).where(Service.account_id == 1))}
    # The number range (automatic) and the yearly number (by hand): no other case here
    # touches them.
    pool = next(i for name, i in services.items() if name.startswith("+33 1 84 80"))
    ids = [pool, services["+33972100102"]]
    query = "&".join(f"ids={i}" for i in ids)
    page = customer.get(f"/services/batch?action=disable_auto&{query}").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "action": "disable_auto",
        "ids": ids,
        "token": hidden_value(page, "token"),
        "shown": hidden_value(page, "shown"),
    }
    replies = at_once(N, lambda _i: customer.post("/services/batch", data))
    assert {r.status for r in replies} <= FINE
    changed = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "service.renewal_changed", AuditEvent.target_id.in_(ids)
    )
    assert count(site, changed) == 1  # the range; the yearly number was already manual

    page = customer.get(f"/services/batch?action=renew&{query}").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "action": "renew",
        "ids": ids,
        "token": hidden_value(page, "token"),
        "shown": hidden_value(page, "shown"),
    }
    replies = at_once(N, lambda _i: customer.post("/services/batch", data))
    assert {r.status for r in replies} == {303}
    made = select(func.count(Invoice.id)).where(Invoice.request_key == data["token"])
    assert count(site, made) == 1
    paid = (
        select(func.count(Payment.id))
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.request_key == data["token"])
    )
    assert count(site, paid) == 1

    # The same preview opened in several windows, each confirmed: renewed once.
    pages = [customer.get(f"/services/batch?action=renew&{query}").text for _ in range(N)]
    forms = [
        {
            "csrf_token": hidden_value(page, "csrf_token"),
            "action": "renew",
            "ids": ids,
            "token": hidden_value(page, "token"),
            "shown": hidden_value(page, "shown"),
        }
        for page in pages
    ]
    replies = at_once(N, lambda i: customer.post("/services/batch", forms[i]))
    assert sorted(r.status for r in replies) == [303] + [422] * (N - 1)
    made = select(func.count(Invoice.id)).where(
        Invoice.request_key.in_([form["token"] for form in forms])
    )
    assert count(site, made) == 1


def _invoices_for(site, code: str, amounts: list[str]) -> tuple[list[int], int]:
    """Invoices due of the account `code`, and a card kept for it."""
    from tests.factories import issue_invoice

    with site.app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == code))
        ids = [issue_invoice(account, amount).id for amount in amounts]
        card = StoredPaymentMethod(
            account_id=account.id,
            kind=PaymentMethod.CARD,
            fingerprint=f"live-{code}",
            token="tok_sbx_live_4242",
            brand="visa",
            last4="4242",
            exp_month=12,
            exp_year=2099,
        )
        db.session.add(card)
        db.session.commit()
        card_id = card.id
        db.session.remove()
    return ids, card_id


def test_an_invoice_paid_from_the_invoices_page_is_paid_once(site):
    """The Swiss customer's invoice: no other case touches it."""
    (invoice_id,), card = _invoices_for(site, "vt30003-s", ["40.00"])
    customer = site.client().sign_in("ch")
    page = customer.get(f"/billing/invoices/{invoice_id}/pay").text
    data = {"csrf_token": hidden_value(page, "csrf_token"), "method": card}
    replies = at_once(N, lambda _i: customer.post(f"/billing/invoices/{invoice_id}/pay", data))
    assert {r.status for r in replies} == {303}
    paid = (Payment.invoice_id == invoice_id) & (Payment.status == PaymentStatus.SUCCEEDED)
    assert count(site, select(func.count(Payment.id)).where(paid)) == 1
    assert count(site, select(Invoice.status).where(Invoice.id == invoice_id)) == "paid"


def test_a_balance_is_paid_once(site):
    """The Belgian customer's two invoices, paid together by many copies of the form: one
    payment each, and the provider charged once."""
    ids, card = _invoices_for(site, "vt20002-b", ["10.00", "20.00"])
    customer = site.client().sign_in("be")
    page = customer.get("/billing/invoices/pay-balance").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "invoices": hidden_value(page, "invoices"),
        "method": card,
    }
    replies = at_once(N, lambda _i: customer.post("/billing/invoices/pay-balance", data))
    assert {r.status for r in replies} <= FINE
    paid = Payment.invoice_id.in_(ids) & (Payment.status == PaymentStatus.SUCCEEDED)
    assert count(site, select(func.count(Payment.id)).where(paid)) == 2
    references = select(func.count(func.distinct(Payment.provider_reference))).where(paid)
    assert count(site, references) == 1  # one charge for both


def test_a_zip_of_invoices_is_queued_once(site):
    """The same ZIP form sent many times at once: one archive queued."""
    from datetime import date, timedelta

    from telephony.models import InvoiceArchive

    customer = site.client().sign_in("ch")
    page = customer.get("/billing/invoices").text
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "token": hidden_value(page, "token"),
        "start": (date.today() - timedelta(days=300)).isoformat(),
        "end": date.today().isoformat(),
    }
    replies = at_once(N, lambda _i: customer.post("/billing/invoices/archives", data))
    assert {r.status for r in replies} <= FINE
    made = select(func.count(InvoiceArchive.id)).where(InvoiceArchive.request_key == data["token"])
    assert count(site, made) == 1


def _search(site, city: str, quantity: int) -> dict:
    (area,) = fetch(site, select(NumberArea).where(NumberArea.city == city))
    return {
        "action": "reserve",
        "country": area.country.value,
        "number_type": "geographic",
        "region": area.region,
        "city": str(area.id),
        "quantity": str(quantity),
        "match": "starts",
    }


def test_two_customers_never_hold_the_same_number(site):
    """The FR and BE customers reserve numbers of one city at once, many times: each ends
    with one reservation holding its five numbers, none held twice, none left held."""
    clients = [site.client().sign_in("fr"), site.client().sign_in("be")]
    data = _search(site, "Grenoble", 5)
    tokens = [client.token("/service-numbers/new") for client in clients]

    replies = at_once(
        N,
        lambda i: clients[i % 2].post(
            "/service-numbers/new", {**data, "csrf_token": tokens[i % 2]}
        ),
    )

    assert {r.status for r in replies} == {303}, [r.text[:300] for r in replies if r.status != 303]
    live = fetch(
        site, select(NumberReservation).where(NumberReservation.status == ReservationStatus.OPEN)
    )
    assert sorted(r.account_id for r in live) == [1, 2]
    for reservation in live:
        held = ServiceNumber.reservation_id == reservation.id
        assert count(site, select(func.count(ServiceNumber.id)).where(held)) == 5
    reserved = ServiceNumber.state == InventoryState.RESERVED
    assert count(site, select(func.count(ServiceNumber.id)).where(reserved)) == 10


def test_service_numbers_are_acquired_once(site):
    customer = site.client().sign_in("fr")
    reply = customer.post(
        "/service-numbers/new",
        {**_search(site, "Nice", 2), "csrf_token": customer.token("/service-numbers/new")},
    )
    assert reply.status == 303, reply.text[:300]
    path = reply.location.removeprefix(site.base)
    page = customer.get(path).text
    ids = re.findall(r'name="numbers" value="(\d+)" checked', page)
    assert len(ids) == 2
    data = {"csrf_token": customer.token(path), "numbers": ids, "terms": "y"}

    replies = at_once(N, lambda _i: customer.post(path, data))

    assert {r.status for r in replies} == {303}
    taken = (ServiceNumber.account_id == 1) & (ServiceNumber.state == InventoryState.TAKEN)
    assert count(site, select(func.count(ServiceNumber.id)).where(taken)) == 2
    services = (Service.account_id == 1) & (Service.service_type == "service_number")
    assert count(site, select(func.count(Service.id)).where(services)) == 2
    acquired = AuditEvent.action == "service_numbers.acquired"
    assert count(site, select(func.count(AuditEvent.id)).where(acquired)) == 1


def _reserve(site, customer, city: str, quantity: int) -> int:
    reply = customer.post(
        "/service-numbers/new",
        {**_search(site, city, quantity), "csrf_token": customer.token("/service-numbers/new")},
    )
    assert reply.status == 303, reply.text[:300]
    return int(reply.location.rsplit("/", 1)[1])


def test_a_reservation_is_released_once(site):
    customer = site.client().sign_in("be")
    reservation_id = _reserve(site, customer, "Namur", 3)
    path = f"/service-numbers/reservations/{reservation_id}/release"
    token = customer.token(f"/service-numbers/reservations/{reservation_id}")

    replies = at_once(N, lambda _i: customer.post(path, {"csrf_token": token}))

    assert {r.status for r in replies} == {303}
    held = ServiceNumber.reservation_id == reservation_id
    assert count(site, select(func.count(ServiceNumber.id)).where(held)) == 0
    released = (AuditEvent.action == "service_numbers.released") & (
        AuditEvent.target_id == reservation_id
    )
    assert count(site, select(func.count(AuditEvent.id)).where(released)) == 1


def test_a_hold_is_kept_longer_once(site):
    """A hold two minutes from its end, "Hold them longer" sent many times at once: held
    longer once (one audit event), its numbers with it."""
    customer = site.client().sign_in("be")
    reservation_id = _reserve(site, customer, "Namur", 2)
    soon = utcnow() + timedelta(minutes=2)
    set_hold_end(site.app, reservation_id, soon)
    path = f"/service-numbers/reservations/{reservation_id}/extend"
    token = customer.token(f"/service-numbers/reservations/{reservation_id}")

    replies = at_once(N, lambda _i: customer.post(path, {"csrf_token": token}))

    assert {r.status for r in replies} == {303}
    extended = (AuditEvent.action == "service_numbers.hold_extended") & (
        AuditEvent.target_id == reservation_id
    )
    assert count(site, select(func.count(AuditEvent.id)).where(extended)) == 1
    (reservation,) = fetch(
        site, select(NumberReservation).where(NumberReservation.id == reservation_id)
    )
    until = reservations.aware(reservation.expires_at)
    assert until > soon + timedelta(minutes=5)
    numbers = fetch(
        site, select(ServiceNumber).where(ServiceNumber.reservation_id == reservation_id)
    )
    assert len(numbers) == 2
    assert all(reservations.aware(number.held_until) == until for number in numbers)
    customer.post(f"/service-numbers/reservations/{reservation_id}/release", {"csrf_token": token})


def test_licences_are_set_once(site):
    agent = site.client().sign_in("agent")
    token = agent.token("/agent/accounts/2")
    reply = agent.post("/agent/accounts/2/act", {"csrf_token": token, "reason": "Licences ordered"})
    assert reply.status == 303
    data = {"csrf_token": token, "kind": "phone_system", "quantity": "40"}

    replies = at_once(N, lambda _i: agent.post("/service-numbers/licences", data))

    assert {r.status for r in replies} == {303}
    changed = (AuditEvent.action == "licences.changed") & (AuditEvent.account_id == 2)
    assert count(site, select(func.count(AuditEvent.id)).where(changed)) == 1
    agent.post("/agent/stop", {"csrf_token": token})


def test_a_destination_is_created_and_a_number_released_once(site):
    """The same forms sent many times at once: one queue, one assignment recorded, one
    release (the service ended once)."""
    customer = site.client().sign_in("fr")
    token = customer.token("/service-numbers/destinations/new")
    data = {"csrf_token": token, "kind": "call_queue", "name": "Hotline", "lines": ["1"]}
    replies = at_once(N, lambda _i: customer.post("/service-numbers/destinations/new", data))
    assert {r.status for r in replies} <= FINE
    (queue,) = fetch(site, select(NumberDestination).where(NumberDestination.name == "Hotline"))
    reply = customer.post(
        "/service-numbers/new",
        {**_search(site, "Lille", 2), "csrf_token": customer.token("/service-numbers/new")},
    )
    path = reply.location.removeprefix(site.base)
    page = customer.get(path).text
    ids = re.findall(r'name="numbers" value="(\d+)" checked', page)
    assert customer.post(path, {"csrf_token": token, "numbers": ids, "terms": "y"}).status == 303
    first, second = ids

    data = {"csrf_token": token, "destination": str(queue.id)}
    replies = at_once(N, lambda _i: customer.post(f"/service-numbers/{first}/assign", data))
    assert {r.status for r in replies} == {303}
    rings = ServiceNumber.destination_id == queue.id
    assert count(site, select(func.count(ServiceNumber.id)).where(rings)) == 1

    path = f"/service-numbers/{second}/release"
    replies = at_once(N, lambda _i: customer.post(path, {"csrf_token": token}))
    assert {r.status for r in replies} <= {303, 404}, [r.status for r in replies]
    released = AuditEvent.action == "service_number.released"
    assert count(site, select(func.count(AuditEvent.id)).where(released)) == 1
    (number,) = fetch(site, select(ServiceNumber).where(ServiceNumber.id == int(second)))
    assert number.state == InventoryState.QUARANTINED


def test_credits_are_bought_once(site):
    """The same Buy credits form sent many times at once: one invoice, one payment, the
    credits added once; the automatic recharge set once."""
    customer = site.client().sign_in("fr")
    page = customer.get("/service-numbers/credits").text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    method = re.search(r'name="method" value="(\d+)" checked', page).group(1)
    data = {
        "csrf_token": customer.token("/service-numbers/credits"),
        "token": token,
        "method": method,
        "amount": "100",
    }
    replies = at_once(N, lambda _i: customer.post("/service-numbers/credits", data))
    assert {r.status for r in replies} == {303}, [r.text[:200] for r in replies]
    (wallet,) = fetch(site, select(CreditWallet).where(CreditWallet.account_id == 1))
    assert wallet.balance == 100
    bought = select(func.count(CreditMovement.id)).where(CreditMovement.account_id == 1)
    assert count(site, bought) == 1
    settings = {
        "csrf_token": data["csrf_token"],
        "auto_recharge": "y",
        "threshold": "15",
        "recharge_amount": "40",
    }
    replies = at_once(
        N, lambda _i: customer.post("/service-numbers/credits/auto-recharge", settings)
    )
    assert {r.status for r in replies} == {303}
    changed = (AuditEvent.action == "credits.settings_changed") & (AuditEvent.account_id == 1)
    assert count(site, select(func.count(AuditEvent.id)).where(changed)) == 1


def test_usage_reports_and_purchases_of_credits_at_once(site):
    """The call platform reports usage (the operator command) while the customer buys
    credits: each purchase and each report is taken once, a report sent twice too, and
    neither side fails (the report takes the account's lock first, as a purchase does:
    without it, PostgreSQL found them waiting for each other and ended one, a purchase
    already charged to the card answering 500)."""
    from decimal import Decimal

    from telephony.payments import configured_provider
    from telephony.service_numbers import credits

    customer = site.client().sign_in("fr")
    csrf = customer.token("/service-numbers/credits")
    recharge = {
        "csrf_token": csrf,
        "auto_recharge": "y",
        "threshold": "9999",
        "recharge_amount": "1",
    }
    assert customer.post("/service-numbers/credits/auto-recharge", recharge).status == 303
    pages = [customer.get("/service-numbers/credits").text for _ in range(N // 2)]
    forms = [
        {
            "csrf_token": csrf,
            "token": re.search(r'name="token" value="([^"]+)"', page).group(1),
            "method": re.search(r'name="method" value="(\d+)" checked', page).group(1),
            "amount": "100",
        }
        for page in pages
    ]
    before = count(site, select(CreditWallet.balance).where(CreditWallet.account_id == 1)) or 0
    last = count(site, select(func.coalesce(func.max(CreditMovement.id), 0)))

    def report(i):
        with site.app.app_context():
            account = db.session.get(Account, 1)
            credits.use(
                account,
                Decimal("2"),
                provider=configured_provider(),
                today=date.today(),
                token=f"usage-conc-{i % 3}",  # three reports, each sent twice
            )
            db.session.commit()
            db.session.remove()
            return "taken"

    replies = at_once(
        N,
        lambda i: customer.post("/service-numbers/credits", forms[i // 2]) if i % 2 else report(i),
    )
    assert [r for r in replies if r != "taken" and r.status != 303] == []
    moves = fetch(
        site,
        select(CreditMovement).where(CreditMovement.account_id == 1, CreditMovement.id > last),
    )
    kinds = [move.kind for move in moves]
    assert (kinds.count("purchase"), kinds.count("usage"), kinds.count("auto_recharge")) == (
        N // 2,
        3,
        3,
    )
    (wallet,) = fetch(site, select(CreditWallet).where(CreditWallet.account_id == 1))
    assert wallet.balance == before + sum(move.amount for move in moves)


def test_more_numbers_are_asked_once(site):
    customer = site.client().sign_in("be")
    data = {
        "csrf_token": customer.token("/service-numbers/more"),
        "quantity": "25",
        "message": "Conference lines",
    }
    replies = at_once(N, lambda _i: customer.post("/service-numbers/more", data))
    assert {r.status for r in replies} == {303}
    assert count(site, select(func.count(QuotaRequest.id))) == 1
    asked = (AuditEvent.action == "quota.requested") & (AuditEvent.account_id == 2)
    assert count(site, select(func.count(AuditEvent.id)).where(asked)) == 1


def test_a_port_order_is_made_and_submitted_once(site):
    """Port orders: the same numbers sent in many orders at once go in one; the details,
    the letter and Submit sent many times change the order once; Cancel cancels once."""
    from datetime import date

    from telephony import rio

    customer = site.client().sign_in("fr")
    token = customer.token("/service-numbers/port")
    data = {
        "csrf_token": token,
        "toll_free": "toll",
        "numbers": "04 78 44 00 01",
        "action": "create",
    }
    replies = at_once(N, lambda _i: customer.post("/service-numbers/port", data))
    assert {r.status for r in replies} <= FINE
    (order,) = fetch(site, select(PortOrder).where(PortOrder.account_id == 1))
    path = f"/service-numbers/port/{order.id}"
    (number,) = fetch(site, select(PortNumber).where(PortNumber.order_id == order.id))
    details = {
        "csrf_token": token,
        "name": "Dupré SARL",
        "contact_name": "Camille Dupré",
        "contact_mobile": "0612345678",
        "contact_email": "c@dupre.example",
        "street": "4 rue de la Paix",
        "postcode": "69003",
        "city": "Lyon",
        "losing_carrier": "Ancien SA",
        "carrier_account": "C-1",
        "billing_number": "04 78 44 00 01",
        "scope": "full",
        "when": "asap",
        f"rio-{number.id}": rio.rio("AB", "F", "123456", number.number),
    }
    replies = at_once(N, lambda _i: customer.post(path, details))
    assert {r.status for r in replies} == {303}
    saved = (AuditEvent.action == "port.details_saved") & (AuditEvent.target_id == order.id)
    assert count(site, select(func.count(AuditEvent.id)).where(saved)) == N  # each a save
    letter = {
        "csrf_token": token,
        "kind": "loa",
        "signed_on": date.today().isoformat(),
    }
    reply = customer.request(
        "POST",
        path + "/documents",
        data=None,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
        body=_multipart(letter, "document", "letter.pdf", b"%PDF-1.7 signed"),
    )
    assert reply.status == 303, reply.text[:300]
    replies = at_once(N, lambda _i: customer.post(path + "/submit", {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    submitted = (AuditEvent.action == "port.submitted") & (AuditEvent.target_id == order.id)
    assert count(site, select(func.count(AuditEvent.id)).where(submitted)) == 1
    replies = at_once(N, lambda _i: customer.post(path + "/cancel", {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    cancelled = (AuditEvent.action == "port.cancelled") & (AuditEvent.target_id == order.id)
    assert count(site, select(func.count(AuditEvent.id)).where(cancelled)) == 1


def _multipart(fields: dict, name: str, filename: str, content: bytes) -> bytes:
    parts = [
        f'--XyZ\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--XyZ\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + b"--XyZ--\r\n"


def test_a_closed_port_order_is_copied_once(site):
    """A Belgian order the carrier rejected: Copy as a new order sent many times at once
    makes one copy (its numbers may be in one open order only)."""
    from telephony.service_numbers import porting

    with site.app.app_context():
        be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
        user = db.session.scalar(select(User).where(User.email == "demo-be@example.com"))
        order, _checked = porting.create(be, "02 501 77 01", False, actor=user)
        order.status = PortStatus.SUBMITTED
        porting.reject(order, {}, note="Name does not match", today=date.today())
        db.session.commit()
        order_id = order.id
    customer = site.client().sign_in("be")
    path = f"/service-numbers/port/{order_id}/copy"
    token = customer.token(f"/service-numbers/port/{order_id}")
    replies = at_once(N, lambda _i: customer.post(path, {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    copies = select(func.count(PortOrder.id)).where(PortOrder.account_id == 2)
    assert count(site, copies) == 2  # the rejected one and one copy


def test_numbers_are_taken_out_of_a_port_order_once(site):
    """*Take out* sent many times at once takes the number out once; two numbers taken out
    at once of an order of three: one goes, the other is refused (an order keeps one
    number at least: the account's lock makes the count right)."""
    from telephony.service_numbers import porting

    with site.app.app_context():
        fr = db.session.get(Account, 1)
        user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
        order, _checked = porting.create(
            fr, "04 78 55 00 01\n04 78 55 00 02\n04 78 55 00 03", False, actor=user
        )
        db.session.commit()
        order_id, ids = order.id, [number.id for number in order.numbers]
    customer = site.client().sign_in("fr")
    path = f"/service-numbers/port/{order_id}"
    token = customer.token(path)
    replies = at_once(
        N, lambda _i: customer.post(f"{path}/numbers/{ids[0]}/remove", {"csrf_token": token})
    )
    assert {r.status for r in replies} == {303}
    removed = (AuditEvent.action == "port.number_removed") & (AuditEvent.target_id == order_id)
    assert count(site, select(func.count(AuditEvent.id)).where(removed)) == 1
    replies = at_once(
        2,
        lambda i: customer.post(f"{path}/numbers/{ids[1 + i]}/remove", {"csrf_token": token}),
    )
    assert {r.status for r in replies} == {303}
    assert count(site, select(func.count(AuditEvent.id)).where(removed)) == 2
    left = select(func.count(PortNumber.id)).where(
        PortNumber.order_id == order_id, PortNumber.status != PortStatus.CANCELLED
    )
    assert count(site, left) == 1


def test_a_translation_saved_many_times_at_once_is_saved_once(site):
    """The same save sent many times at once: one is written (and audited), the others
    were made from the version it replaced and are told so; every worker shows it next."""
    translator = site.client().sign_in("translator")
    path = f"/translations/fr_CH/{SIGN_IN}"
    page = translator.get(path)
    fields = form_fields(page.text, path)
    replies = at_once(N, lambda _i: translator.post(path, {**fields, "strings-0": "Connexion"}))
    assert sorted(r.status for r in replies).count(303) == 1, [r.status for r in replies]
    assert {r.status for r in replies} == {303, 409}
    saves = select(func.count(AuditEvent.id)).where(AuditEvent.action == "translation.saved")
    assert count(site, saves) == 1
    visitor = site.client()
    for _ in range(6):  # both workers of gunicorn, on PostgreSQL
        assert "Connexion" in visitor.get("/login?lang=fr_CH").text
    # Same as French again, many times at once: once.
    fields = form_fields(translator.get(path).text, path + "/same-as-base")
    replies = at_once(N, lambda _i: translator.post(path + "/same-as-base", fields))
    assert sorted(r.status for r in replies).count(303) == 1
    assert count(site, saves) == 2
    for _ in range(6):
        assert "Se connecter" in visitor.get("/login?lang=fr_CH").text


def test_a_catalogue_uploaded_many_times_at_once_changes_each_entry_once(site):
    saves = select(func.count(AuditEvent.id)).where(AuditEvent.action == "translation.saved")
    before = count(site, saves)
    translator = site.client().sign_in("translator")
    catalogue = translator.get("/translations/it_CH/download").text
    catalogue += '\nmsgid "Sign out everywhere"\nmsgstr "Esci da tutti i dispositivi"\n'
    token = form_fields(
        translator.get("/translations/it_CH/files").text, "/translations/it_CH/files"
    )
    body = _multipart(token, "file", "it_CH.po", catalogue.encode())
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    replies = at_once(
        N,
        lambda _i: translator.request(
            "POST", "/translations/it_CH/files", headers=headers, body=body
        ),
    )
    assert {r.status for r in replies} == {303}
    assert count(site, saves) == before + 1
    assert "Esci da tutti i dispositivi" in translator.get("/translations/it_CH/download").text


def test_an_faq_answer_saved_many_times_at_once_is_saved_once(site):
    saves = select(func.count(AuditEvent.id)).where(AuditEvent.action == "faq_translation.saved")
    translator = site.client().sign_in("translator")
    path = "/translations/de_CH/faq/voicemail"
    fields = form_fields(translator.get(path).text, path)
    data = {**fields, "question": "Wie nutze ich meine Combox?", "keywords": "Combox"}
    data["body"] = "Wählen Sie **123** auf der Leitung selbst."
    replies = at_once(N, lambda _i: translator.post(path, data))
    assert {r.status for r in replies} == {303}
    assert count(site, saves) == 1
    for _ in range(6):  # both workers of gunicorn, on PostgreSQL
        assert "Combox" in site.client().get("/faq/voicemail?lang=de_CH").text


def test_a_regional_faq_answer_removed_at_once_goes_once(site):
    removals = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "faq_translation.saved", AuditEvent.after["answer"].as_string() == ""
    )
    translator = site.client().sign_in("translator")
    path = "/translations/fr_CH/faq/call-forwarding"
    fields = form_fields(translator.get(path).text, path)
    data = {**fields, "question": "Comment renvoyer mes appels\u00a0?", "keywords": ""}
    data["body"] = "En Suisse aussi, composez le **21** puis le numéro."
    assert translator.post(path, data).status == 303
    token = translator.token(path)
    replies = at_once(N, lambda _i: translator.post(path + "/same-as-base", {"csrf_token": token}))
    assert {r.status for r in replies} == {303}
    assert count(site, removals) == 1


def test_a_removed_mandate_comes_back_once(site):
    """The customer removed the mandate of their validated procedure (a new one cannot be
    filled while it stands): "Use the mandate again", sent many times at once, makes one
    payment method."""
    from telephony import payment_methods
    from tests.factories import demo_account, mandate_method, validate_procedure

    with site.app.app_context():
        account = demo_account("vt20002-b")
        validate_procedure(account)
        mandate = mandate_method(account)
        # (Another test may have given the account a card: it becomes the default.)
        others = [m for m in payment_methods.list_methods(account) if m.id != mandate.id]
        usable = [m for m in others if not payment_methods.expiry(m, date.today()).expired]
        instead = usable[0] if mandate.is_default and usable else None
        payment_methods.remove(account, mandate, new_default=instead, actor=None)
        db.session.commit()
        account_id = account.id
        db.session.remove()
    customer = site.client().sign_in("be")
    page = customer.get("/billing/payment-methods?lang=en").text
    assert "Use the mandate again" in page
    token = customer.token("/billing/payment-methods")
    replies = at_once(
        N, lambda _i: customer.post("/billing/payment-methods/mandate", {"csrf_token": token})
    )
    assert {r.status for r in replies} <= FINE
    mandates = select(func.count(StoredPaymentMethod.id)).where(
        StoredPaymentMethod.account_id == account_id,
        StoredPaymentMethod.kind == PaymentMethod.SEPA_DEBIT,
    )
    assert count(site, mandates) == 1
    assert "Use the mandate again" not in customer.get("/billing/payment-methods?lang=en").text
