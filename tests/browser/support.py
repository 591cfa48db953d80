"""What several browser tests share: the data the page walks need, the pages of the site
by visitor, signing in as one, and filling the validation procedure's form."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from telephony import calls, line_orders, procedure
from telephony.models import (
    Account,
    Line,
    NumberArea,
    NumberType,
    ServiceNumber,
    User,
)
from telephony.service_numbers import licences, porting, reservations
from telephony.service_numbers.inventory import Search
from tests.browser.conftest import act_for, sign_in
from tests.workspace import HELD


def _lyon_id() -> int:
    return db.session.scalar(select(NumberArea.id).where(NumberArea.city == "Lyon"))


def prepare_pages(app) -> dict:
    """A purchase order and a line order of the French company, for their pages, and its
    validation procedure's details (the masked IBAN, the folded correction form)."""
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
        line = db.session.get(Line, 2)
        order = calls.order_calls(account, line, 3, actor=user, terms_accepted=True)
        group = account.groups[0]
        offer = line_orders.offers(account)[0]
        task = line_orders.order_line(
            account,
            group.id,
            offer.id,
            description="Walk",
            contracts_accepted=True,
            token=line_orders.new_token(),
            actor=user,
        )
        procedure.submit(account, DETAILS["vt10001-f"], actor=user)
        db.session.commit()
        # Service numbers: one of the account's own (once), and two held for it.
        lyon = Search("FR", NumberType.GEOGRAPHIC, (_lyon_id(),))
        if not licences.acquired(account):
            first, _held = reservations.reserve(account, lyon, 1, actor=user)
            ids_held = [str(n.id) for n in reservations.held_numbers(first)]
            reservations.acquire(account, first, ids_held, actor=user)
        reservation, _held = reservations.reserve(account, lyon, 2, actor=user)
        made = len(porting.orders_of(account))
        port, _checked = porting.create(  # a number on its own and a direct-dial range
            account,
            f"04 78 55 00 {made:02d}\n04 78 56 {made:02d} 00 - 04 78 56 {made:02d} 03",
            False,
            actor=user,
        )
        number = db.session.scalar(
            select(ServiceNumber.id).where(ServiceNumber.account_id == account.id).limit(1)
        )
        db.session.commit()
        ids = {
            "order": order.id,
            "task": task.id,
            "reservation": reservation.id,
            "number": number,
            "port": port.id,
        }
        db.session.remove()
        return ids


def visit_as(page, live_server, who: str) -> None:
    """Start the walk as `who`: anonymous, the French company, the agent acting for it, or
    the translator."""
    if who == "customer":
        sign_in(page, live_server, "demo-fr@example.com")
    elif who == "agent":
        act_for(page, live_server, "vt10001-f")
    elif who == "translator":
        sign_in(page, live_server, "translator@example.com")


def pages(ids) -> dict[str, list[tuple[str, str]]]:
    """(endpoint, path) of every page, per kind of visitor."""
    customer = [
        ("lines.index", "/lines/"),
        ("lines.show", "/lines/1"),
        ("lines.change_offer", "/lines/3/offer"),
        ("lines.bulk_offer", "/lines/offer?offer=2"),
        ("lines.change_calls", "/lines/1/calls"),
        ("lines.convert_to_alias", "/lines/1/alias"),
        ("lines.terminate_line", "/lines/1/terminate"),
        ("lines.show_number", "/lines/numbers/4"),
        ("lines.convert_to_line", "/lines/numbers/1/line"),
        ("lines.terminate_number", "/lines/numbers/4/terminate"),
        ("lines.requests", "/lines/requests"),
        ("services.index", "/services/?renewal=manual&q=0"),
        ("services.configure_renewal", "/services/7/renewal?mode=automatic&period=3"),
        ("services.pay_invoice", "/services/9/pay"),
        ("services.extend", "/services/1/extend"),
        ("services.batch_action", "/services/batch?action=align&day=15&ids=1&ids=6&ids=7&ids=9"),
        ("billing.invoices", "/billing/invoices"),
        ("billing.pay_invoice", "/billing/invoices/4/pay"),
        ("billing.pay_balance", "/billing/invoices/pay-balance"),
        ("billing.payment_methods_page", "/billing/payment-methods"),
        ("billing.add_card", "/billing/payment-methods/new-card"),
        ("billing.remove", "/billing/payment-methods/1/remove"),
        ("lines.order_line", "/lines/new"),
        ("lines.show_order", f"/lines/orders/{ids['task']}"),
        ("orders.show", f"/orders/{ids['order']}"),
        ("orders.cancel", f"/orders/{ids['order']}/cancel"),
        ("procedure.index", "/procedure/"),
        ("procedure.change_billing_contact", "/procedure/billing-contact"),
        ("emails.index", "/emails/"),
        ("service_numbers.index", "/service-numbers/"),
        ("service_numbers.new", "/service-numbers/new?country=FR&region=Auvergne-Rh%C3%B4ne-Alpes"),
        ("service_numbers.reservation", f"/service-numbers/reservations/{ids['reservation']}"),
        ("service_numbers.new_destination", "/service-numbers/destinations/new"),
        ("service_numbers.assign", f"/service-numbers/{ids['number']}/assign"),
        ("service_numbers.release_number", f"/service-numbers/{ids['number']}/release"),
        ("service_numbers.credits_page", "/service-numbers/credits"),
        ("service_numbers.auto_recharge", "/service-numbers/credits/auto-recharge"),
        ("service_numbers.ask_for_more", "/service-numbers/more"),
        ("service_numbers.port_orders", "/service-numbers/port"),
        ("service_numbers.port_order", f"/service-numbers/port/{ids['port']}"),
        ("service_numbers.port_cancel", f"/service-numbers/port/{ids['port']}/cancel"),
    ]
    return {
        "anonymous": [
            ("auth.login", "/login"),
            ("faq.index", "/faq?q=voicemail"),
            ("faq.show", "/faq/call-forwarding"),
            ("faq.feedback", "/faq/call-forwarding/feedback"),
        ],
        "customer": customer,
        "agent": [
            ("agent.index", "/agent/?q=vt"),
            ("agent.account", "/agent/accounts/1"),
            ("faq.panel", "/faq/panel?q=voicemail"),
            ("faq.feedback_counts", "/faq/feedback"),
            ("procedure.manage", "/procedure/manage"),
            ("service_numbers.licences_page", "/service-numbers/licences"),
            *customer,
        ],
        "translator": [
            ("translators.index", "/translations/"),
            ("translators.entries", "/translations/nl_BE/?state=untranslated"),
            ("translators.entry", f"/translations/it/{HELD}"),
            ("translators.handoff", "/translations/fr_BE/files"),
            ("translators.faq_list", "/translations/it_CH/faq"),
            ("translators.faq_edit", "/translations/it_CH/faq/voicemail"),
        ],
    }


CUSTOMERS = {
    "fr": (
        "demo-fr@example.com",
        "FR14 2004 1010 0505 0001 3M02 606",
        "EUR",
        "Company",
        "732829320",
    ),
    "be": ("demo-be@example.com", "BE68 5390 0754 7034", "EUR", "Association", "0403.170.701"),
    "ch": ("demo-ch@example.com", "CH93 0076 2011 6238 5295 7", "CHF", "Individual", ""),
}


def fill_procedure(page, iban, currency, kind, organisation_id):
    page.get_by_label("Name of the account holder").fill("Jürg Müller-Schärer")
    page.get_by_label("Street and number").fill("Bahnhofstrasse 1")
    page.get_by_label("Postcode").fill("8001")
    page.get_by_label("Town or city").fill("Zürich")
    page.get_by_label("Country", exact=True).select_option("CH")  # (its postcode's digits)
    page.get_by_label("IBAN", exact=True).fill(iban)
    page.get_by_label(currency, exact=True).check()
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Organisation identifier").fill(organisation_id)
