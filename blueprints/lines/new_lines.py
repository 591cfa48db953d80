"""Ordering a new SIP line, and the page of one order."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common import action_reason, current_account, perform
from blueprints.lines import bp
from blueprints.lines.forms import OrderLineForm
from htmx import render
from security import account_required
from telephony import inventory, line_orders, procedure
from telephony.money import price_for


@bp.route("/new", methods=["GET", "POST"])
@account_required
def order_line():
    """Order a new SIP line: group, offer, contracts. It waits for the validation procedure
    when the account has none validated; the daily run creates it."""
    account = current_account()
    groups = inventory.groups_of(account)
    choices = [
        (offer, price_for(offer.price_excl_vat, account.country.value))
        for offer in line_orders.offers(account)
    ]
    form = OrderLineForm()
    if not form.is_submitted():
        form.token.data = line_orders.new_token()
    if groups and form.validate_on_submit():
        done = perform(
            lambda: line_orders.order_line(
                account,
                form.group.data,
                form.offer.data,
                description=form.description.data,
                contracts_accepted=form.contracts.data,
                token=form.token.data,
                actor=current_user,
                reason=action_reason(),
            ),
            form,
            "offer",
        )
        if done:
            if procedure.is_validated(account):
                flash(_("The order is placed: the line is created within a day."), "success")
            else:
                flash(
                    _("The order is placed. It waits for the validation procedure: see below."),
                    "success",
                )
            return redirect(url_for("lines.show_order", task_id=done.value.id), 303)
    selected = form.offer.data if form.is_submitted() else request.args.get("offer", type=int)
    return render(
        "lines/order_line.html",
        blocks=("offer-summary",),
        status=422 if form.is_submitted() else 200,
        account=account,
        form=form,
        groups=groups,
        choices=choices,
        selected=next(((o, p) for o, p in choices if o.id == selected), None),
        validated=procedure.is_validated(account),
        operator=current_app.config["OPERATOR"],
    )


@bp.get("/orders/<int:task_id>")
@account_required
def show_order(task_id: int):
    """One order of a new line: where it stands, what to do, the line once created."""
    account = current_account()
    (order,) = line_orders.describe(account, [line_orders.get_order(account, task_id)])
    return render(
        "lines/order.html",
        account=account,
        order=order,
        procedure=procedure.latest(account),
    )
