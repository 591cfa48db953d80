"""A line's offer changes while its year is paid ahead at the old price: the days left are
settled at the difference, once (telephony.invoicing.repricing)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from telephony import offers
from telephony.billing import run_renewal
from telephony.dates import add_months
from telephony.invoicing.credit_notes import unused_value
from telephony.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Line,
    Offer,
    Service,
)
from telephony.payments import PROVIDERS
from telephony.services import paying
from telephony.services.run import run_services
from tests.factories import demo_account, pay_ahead

ASKED = datetime(2026, 12, 2, 10, tzinfo=UTC)


def _pay_a_year_then_change(description: str, offer_code: str):
    account = demo_account()
    line = db.session.scalar(select(Line).where(Line.description == description))
    service = db.session.scalar(
        select(Service).where(Service.target_type == "line", Service.target_id == line.id)
    )
    pay_ahead(account, service, ASKED.date(), token=f"year-{line.id}")
    old_price = service.monthly_price_excl_vat
    offer = db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == offer_code)
    )
    (task,) = offers.request_change(account, [line], offer, actor=None, now=ASKED)
    db.session.commit()
    return account, service, old_price, task


def _documents(kind: InvoiceKind, service: Service) -> list[Invoice]:
    return list(
        db.session.scalars(
            select(Invoice).where(
                Invoice.kind == kind, Invoice.request_key.like(f"reprice:{service.id}:%")
            )
        )
    )


def test_a_dearer_offer_inside_a_paid_year_invoices_the_difference_once(app_ctx):
    account, service, old_price, task = _pay_a_year_then_change("Atelier", "entreprise")
    day = task.execute_on
    assert run_renewal(day).done == [task.id]
    run_renewal(day)  # a second run settles nothing more
    db.session.expire_all()
    assert service.monthly_price_excl_vat > old_price
    (invoice,) = _documents(InvoiceKind.INVOICE, service)
    owed = unused_value(service.monthly_price_excl_vat - old_price, day, service.expires_on)
    assert invoice.total_excl_vat == owed > Decimal("0")
    assert invoice.status == InvoiceStatus.AWAITING_PAYMENT and invoice.due_on > day
    (line,) = invoice.lines
    assert (line.period_start, line.period_end) == (day, service.expires_on)
    assert paying.due_invoice(account, service) == invoice  # shown to pay in My services
    assert not _documents(InvoiceKind.CREDIT_NOTE, service)
    # The services run collects it as it collects renewals: here from the default card.
    run_services(day)
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.PAID


def test_a_lower_price_inside_a_paid_year_refunds_the_difference_once(app_ctx):
    """Offers only go up, but a price may go down (the operator lowers it): the difference
    for the days paid is given back, to the card that paid them."""
    from telephony.invoicing.repricing import settle_price_change

    _account, service, old_price, task = _pay_a_year_then_change("Atelier", "entreprise")
    day = task.execute_on
    service.monthly_price_excl_vat = old_price - Decimal("2.00")
    for _ in range(2):  # once
        settle_price_change(service, old_price, day, provider=PROVIDERS["sandbox"])
    notes = _documents(InvoiceKind.CREDIT_NOTE, service)
    given = sum((note.total_excl_vat for note in notes), Decimal("0"))
    assert given == unused_value(Decimal("2.00"), day, service.expires_on) > Decimal("0")
    assert all(note.status == InvoiceStatus.REFUNDED for note in notes)  # to the card
    assert not _documents(InvoiceKind.INVOICE, service)


def test_a_change_at_the_end_of_what_was_paid_settles_nothing(app_ctx):
    """Paid month by month: the new price simply applies from the next renewal."""
    account = demo_account()
    line = db.session.scalar(select(Line).where(Line.description == "Livraisons"))
    offer = db.session.scalar(
        select(Offer).where(Offer.country == account.country, Offer.code == "entreprise")
    )
    (task,) = offers.request_change(account, [line], offer, actor=None, now=ASKED)
    db.session.commit()
    run_renewal(task.execute_on)
    reprices = select(func.count(Invoice.id)).where(Invoice.request_key.like("reprice:%"))
    assert db.session.scalar(reprices) == 0


def test_a_termination_after_a_lowered_price_refunds_only_what_is_left(app_ctx):
    """The difference was given back already: the termination's refund takes it off (it
    gave back the whole old price again)."""
    from telephony.invoicing.credit_notes import refund_terminated
    from telephony.invoicing.repricing import settle_price_change

    _account, service, old_price, task = _pay_a_year_then_change("Atelier", "entreprise")
    lowered = task.execute_on
    new_price = old_price - Decimal("2.00")
    service.monthly_price_excl_vat = new_price
    settle_price_change(service, old_price, lowered, provider=PROVIDERS["sandbox"])
    token = f"year-{service.target_id}"
    year = db.session.scalar(select(Invoice).where(Invoice.request_key == token))
    ended = add_months(lowered, 3)  # three months later, at the lower price
    refund_terminated(service, ended, provider=PROVIDERS["sandbox"])
    given = db.session.scalar(
        select(func.sum(Invoice.total_excl_vat)).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == year.id
        )
    )
    # The difference for the year from the lowering, then the months left at the new
    # price (to the cent: each part is rounded on its own).
    expected = unused_value(Decimal("2.00"), lowered, service.expires_on) + unused_value(
        new_price, ended, service.expires_on
    )
    assert abs(given - expected) <= Decimal("0.02") and given <= year.total_excl_vat
