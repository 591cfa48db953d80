"""Purchase orders: see one, download its PDF, pay it (sandbox provider), or cancel it."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.billing.forms import PayInvoiceForm
from blueprints.common import action_reason, current_account, perform
from blueprints.lines.forms import CancelForm
from blueprints.orders import bp
from documents.purchase_order import purchase_order_pdf
from extensions import db
from htmx import render
from security import account_required, send_document
from telephony import calls
from telephony.dates import local_today
from telephony.models import Invoice, InvoiceStatus, Line, Payment, PaymentStatus
from telephony.payments import FAILURES, NotPayable, configured_provider
from telephony.services.paying import charge_many, get_method, usable_methods


def _page(account, order, form, status=200):
    methods = usable_methods(account, local_today(account.timezone))
    if not form.is_submitted():  # the default method, checked
        default = next((m for m in methods if m.is_default), None)
        if default is not None:
            form.method.data = str(default.id)
    line_id = (order.on_paid or {}).get("line_id")
    line = db.session.get(Line, line_id) if line_id else None
    payments = db.session.scalars(
        select(Payment).where(Payment.invoice_id == order.id).order_by(Payment.id)
    ).all()
    return render(
        "orders/show.html",
        status=status,
        account=account,
        order=order,
        line=line if line is not None and line.account_id == account.id else None,
        form=form,
        methods=methods,
        payments=payments,
        failures=FAILURES,
    )


@bp.get("/<int:order_id>")
@account_required
def show(order_id: int):
    account = current_account()
    return _page(account, calls.get_order(account, order_id), PayInvoiceForm())


@bp.get("/<int:order_id>/pdf")
@account_required
def pdf(order_id: int):
    account = current_account()
    order = calls.get_order(account, order_id)
    body = purchase_order_pdf(
        order,
        operator=current_app.config["OPERATOR"],
        locale=str(get_locale()),
        invariant=current_app.config["PDF_INVARIANT"],
    )
    return send_document(body, f"{order.number}.pdf")


@bp.route("/<int:order_id>/pay", methods=["GET", "POST"])
@account_required
def pay(order_id: int):
    """Pay the order with one of the account's saved payment methods (a card kept by the
    provider, or a validated mandate), as an invoice is paid: never a number typed here."""
    account = current_account()
    order = calls.get_order(account, order_id)
    if request.method != "POST":  # reloading the page a refused payment left: the order
        return redirect(url_for("orders.show", order_id=order.id), 303)
    form = PayInvoiceForm()
    if not form.validate_on_submit():
        return _page(account, order, form, 422)
    method = get_method(account, form.method.data)
    if method is None:
        form.method.errors = [_("Choose a payment method.")]
        return _page(account, order, form, 422)
    today = local_today(account.timezone)
    provider = configured_provider()
    # A refused charge is no refusal of the rules: it is committed, payment and all.
    done = perform(
        lambda: charge_many([order], method, actor=current_user, provider=provider, today=today),
        form,
        "method",
    )
    if isinstance(done.error, NotPayable) and order.status == InvoiceStatus.PAID:
        form.form_errors.clear()  # paid meanwhile (a double click): say so, and move on
        flash(_("This order is already paid."), "info")
        return redirect(_after_payment(order), 303)
    if not done:
        return _page(account, order, form, 422)
    (payment,) = done.value
    if payment.status != PaymentStatus.SUCCEEDED:
        form.method.errors = [FAILURES.get(payment.failure_reason, _("The payment was refused."))]
        return _page(account, order, form, 422)
    flash(_("Thank you: the order is paid and the calls are added."), "success")
    return redirect(_after_payment(order), 303)


def _after_payment(order: Invoice) -> str:
    """Where a paid order leads: its line, or the order itself."""
    target = (order.on_paid or {}).get("line_id")
    if target:
        return url_for("lines.show", line_id=target)
    return url_for("orders.show", order_id=order.id)


@bp.route("/<int:order_id>/cancel", methods=["GET", "POST"])
@account_required
def cancel(order_id: int):
    """Cancelling asks first (a page of its own, with or without JavaScript)."""
    account = current_account()
    order = calls.get_order(account, order_id)
    if request.method != "POST":
        if order.status != InvoiceStatus.AWAITING_PAYMENT:
            return redirect(url_for("orders.show", order_id=order.id), 303)
        line_id = (order.on_paid or {}).get("line_id")
        line = db.session.get(Line, line_id) if line_id else None
        return render("orders/cancel.html", account=account, order=order, line=line)
    if not CancelForm().validate_on_submit():
        abort(400)
    if perform(
        lambda: calls.cancel_order(account, order, actor=current_user, reason=action_reason())
    ):
        flash(_("The purchase order is cancelled."), "success")
    return redirect(url_for("orders.show", order_id=order.id), 303)
