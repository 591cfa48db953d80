"""Payment methods: the cards and the SEPA mandate an account pays with, and its default."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import attempts
from blueprints.billing import bp
from blueprints.billing.forms import CardForm, DefaultForm, RemoveForm
from blueprints.common import TOO_MANY_CARDS, current_account, perform
from htmx import render
from security import account_required, safe_local_target
from telephony import payment_methods
from telephony.dates import local_today
from telephony.payments import configured_provider


def _next() -> str | None:
    """Where to go back after adding a card (e.g. the renewal settings that asked for one)."""
    return safe_local_target(request.values.get("next"))


@bp.get("/payment-methods")
@account_required
def payment_methods_page():
    account = current_account()
    today = local_today(account.timezone)
    methods = payment_methods.list_methods(account)
    return render(
        "billing/payment_methods.html",
        account=account,
        methods=methods,
        expiry={m.id: payment_methods.expiry(m, today) for m in methods},
        default_form=DefaultForm(),
        restorable=payment_methods.restorable_mandate(account),
    )


@bp.post("/payment-methods/mandate")
@account_required
def restore_mandate():
    """The mandate of the validated procedure, removed, a payment method again."""
    account = current_account()
    if DefaultForm().validate_on_submit() and perform(
        lambda: payment_methods.restore_mandate(account, actor=current_user)
    ):
        flash(_("The direct debit mandate is a payment method again."), "success")
    return redirect(url_for("billing.payment_methods_page"), 303)


@bp.route("/payment-methods/new-card", methods=["GET", "POST"])
@account_required
def add_card():
    account = current_account()
    form = CardForm()
    status = 200
    counted = attempts.count_card(account.id) if form.validate_on_submit() else None
    if form.is_submitted() and not form.errors and counted is None:
        form.number.errors = [TOO_MANY_CARDS]
        status = 429
    elif counted is not None:
        month, year = form.expiry_parts
        provider = configured_provider()
        done = perform(
            lambda: payment_methods.add_card(
                account,
                number=form.number.data,
                exp_month=month,
                exp_year=year,
                make_default=form.make_default.data,
                actor=current_user,
                provider=provider,
                today=local_today(account.timezone),
            ),
            form,
            "number",
        )
        if done:
            attempts.give_back(counted)  # only refused cards count
            flash(_("The card ending in %(last4)s is added.", last4=done.value.last4), "success")
            return redirect(_next() or url_for("billing.payment_methods_page"), 303)
    # The number and code are never sent back to the browser, even beside an error.
    form.number.data = form.cvc.data = ""
    return render(
        "billing/add_card.html",
        status=status if status != 200 else 422 if form.is_submitted() else 200,
        account=account,
        form=form,
        next=_next(),
    )


@bp.post("/payment-methods/<int:method_id>/default")
@account_required
def make_default(method_id: int):
    account = current_account()
    method = payment_methods.get(account, method_id)
    if DefaultForm().validate_on_submit():
        today = local_today(account.timezone)
        if perform(
            lambda: payment_methods.set_default(account, method, actor=current_user, today=today)
        ):
            flash(_("This payment method is now used by default."), "success")
    return redirect(url_for("billing.payment_methods_page"), 303)


@bp.route("/payment-methods/<int:method_id>/remove", methods=["GET", "POST"])
@account_required
def remove(method_id: int):
    """Removing asks first; removing the default asks which method takes its place."""
    account = current_account()
    method = payment_methods.get(account, method_id)
    today = local_today(account.timezone)
    others = [
        m  # (an expired card cannot become the default)
        for m in payment_methods.list_methods(account)
        if m.id != method.id and not payment_methods.expiry(m, today).expired
    ]
    form = RemoveForm()
    form.new_default.choices = [(str(m.id), m.id) for m in others]
    if form.validate_on_submit():
        chosen = next((m for m in others if str(m.id) == form.new_default.data), None)
        if perform(
            lambda: payment_methods.remove(account, method, new_default=chosen, actor=current_user),
            form,
        ):
            flash(_("The payment method is removed."), "success")
            return redirect(url_for("billing.payment_methods_page"), 303)
    return render(
        "billing/remove.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        method=method,
        others=others,
        form=form,
    )
