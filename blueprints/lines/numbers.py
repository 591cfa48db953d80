"""Alias numbers: one number (with its range), its conversion to a line, its termination."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common import action_reason, current_account, perform
from blueprints.lines import bp
from blueprints.lines.forms import ToLineForm
from blueprints.lines.shared import long_day, terminate
from htmx import render
from security import account_required
from telephony import inventory, lifecycle, procedure
from telephony import pending as pending_view
from telephony.money import price_for


@bp.get("/numbers/<int:alias_id>")
@account_required
def show_number(alias_id: int):
    account = current_account()
    alias = inventory.get_alias(account, alias_id)
    found = inventory.pending_tasks_of(account, inventory.number_targets([alias]))
    pending = inventory.number_pending(found, alias)
    return render(
        "lines/number.html",
        account=account,
        alias=alias,
        pending=pending_view.describe(account, pending),
        pool=lifecycle.pool_numbers(account, alias.pool_id) if alias.pool_id else [],
        actions=lifecycle.number_actions(account, alias),
    )


@bp.route("/numbers/<int:alias_id>/line", methods=["GET", "POST"])
@account_required
def convert_to_line(alias_id: int):
    account = current_account()
    alias = inventory.get_alias(account, alias_id)
    refusal = lifecycle.to_line_refusal(account, alias)
    choices = [
        (offer, price_for(offer.price_excl_vat, account.country.value))
        for offer in lifecycle.line_offers(account)
    ]
    form = ToLineForm()
    form.offer.choices = [(offer.id, offer.name) for offer, _price in choices]
    if refusal is None and form.validate_on_submit():
        done = perform(
            lambda: lifecycle.request_to_line(
                account,
                alias,
                form.offer.data,
                contracts_accepted=form.contracts.data,
                actor=current_user,
                reason=action_reason(),
            ),
            form,
            "offer",
        )
        if done:
            if procedure.waiting_ids(account, [done.value]):
                flash(
                    _(
                        "Your request to convert this number to a line is recorded. It waits "
                        "for your validation procedure: see below."
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "The conversion to a line is scheduled for %(date)s.",
                        date=long_day(done.value.execute_on),
                    ),
                    "success",
                )
            return redirect(url_for("lines.show_number", alias_id=alias.id), 303)
    return render(
        "lines/convert_to_line.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        alias=alias,
        form=form,
        choices=choices,
        refusal=refusal,
        effective=lifecycle.effective_date(account),
    )


@bp.route("/numbers/<int:alias_id>/terminate", methods=["GET", "POST"])
@account_required
def terminate_number(alias_id: int):
    account = current_account()
    alias = inventory.get_alias(account, alias_id)
    back = url_for("lines.show_number", alias_id=alias.id)
    return terminate(account, alias, back, lifecycle.alias_busy(account, alias))
