"""The lines: the list, one line, its offer (alone or with others), its simultaneous calls,
its conversion to an alias number, its termination."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common import action_reason, current_account, page_arg, perform
from blueprints.lines import bp
from blueprints.lines.forms import (
    BulkOfferForm,
    CallsForm,
    CancelForm,
    ChangeOfferForm,
    ConfirmForm,
)
from blueprints.lines.shared import cancel, long_day, terminate
from caching import account_fragment, account_page
from htmx import render
from security import account_required
from telephony import DomainError, calls, inventory, lifecycle, line_orders, offers
from telephony import pending as pending_view


@bp.get("/")
@account_required
@account_page
def index():
    account = current_account()
    size = current_app.config["PAGE_SIZE"]
    return render(
        "lines/index.html",
        blocks=("line-list", "number-list"),
        account=account,
        # Kept by this process while the account's lines, numbers and tasks stay the same.
        summary=account_fragment(account, "lines.summary", lambda: _summary(account)),
        line_list=account_fragment(account, "lines.line-list", lambda: _line_list(account, size)),
        number_list=account_fragment(
            account, "lines.number-list", lambda: _number_list(account, size)
        ),
    )


def _summary(account) -> str:
    """The lines on order, and the telephony groups."""
    return render_template(
        "lines/_summary.html",
        groups=inventory.groups_of(account),
        orders=line_orders.describe(account, line_orders.pending_orders(account)),
    )


def _line_list(account, size: int) -> str:
    lines = inventory.lines_page(account, page_arg("page"), size)
    found = inventory.pending_tasks_of(account, {"line": [line.id for line in lines.items]})
    pending = {target_id: tasks for (_kind, target_id), tasks in found.items()}
    return render_template("lines/_line_list.html", lines=lines, pending=pending)


def _number_list(account, size: int) -> str:
    numbers = inventory.numbers_page(account, page_arg("npage"), size)
    found = inventory.pending_tasks_of(account, inventory.number_targets(numbers.items))
    pending_numbers = {
        alias.id: tasks
        for alias in numbers.items
        if (tasks := inventory.number_pending(found, alias))
    }
    return render_template(
        "lines/_number_list.html", numbers=numbers, pending_numbers=pending_numbers
    )


@bp.get("/<int:line_id>")
@account_required
def show(line_id: int):
    account = current_account()
    line = inventory.get_line(account, line_id)
    tasks = inventory.pending_tasks_for(account, "line", [line.id]).get(line.id, [])
    pending = pending_view.describe(account, tasks)
    return render(
        "lines/show.html",
        account=account,
        line=line,
        pending=pending,
        order=calls.open_order_for(account, line),
        actions=lifecycle.line_actions(account, line),
    )


@bp.route("/<int:line_id>/offer", methods=["GET", "POST"])
@account_required
def change_offer(line_id: int):
    """Choose the line's next offer; it applies on the 1st of next month."""
    account = current_account()
    line = inventory.get_line(account, line_id)
    choices = offers.choices_for(line, account)
    form = ChangeOfferForm()
    form.offer.choices = [(choice.offer.id, choice.offer.name) for choice in choices]
    pending = offers.pending_change(account, line)
    if form.validate_on_submit():
        done = perform(
            lambda: offers.request_change(
                account,
                [line],
                offers.get_offer(account, form.offer.data),
                actor=current_user,
                reason=action_reason(),
            ),
            form,
            "offer",
        )
        if done:
            flash(
                _(
                    "The offer change is scheduled for %(date)s.",
                    date=long_day(offers.effective_date(account)),
                ),
                "success",
            )
            return redirect(url_for("lines.show", line_id=line.id), 303)
    selected = form.offer.data or request.args.get("offer", type=int)
    return render(
        "lines/change_offer.html",
        blocks=("offer-summary",),
        status=422 if form.is_submitted() else 200,
        account=account,
        line=line,
        form=form,
        choices=choices,
        selected=next((c for c in choices if c.offer.id == selected), None),
        effective=offers.effective_date(account),
        pending=pending,
        refusal=offers.line_refusal(line, offers.pending_actions(account, [line.id])[line.id]),
    )


@bp.route("/offer", methods=["GET", "POST"])
@account_required
def bulk_offer():
    """Apply one offer to several lines: see which qualify and why the others don't."""
    account = current_account()
    lines = offers.lines_for_choice(account)
    # Only offers some line can take: no fax offer for voice lines, none below them all.
    catalogue = offers.bulk_targets(account, lines)
    form = BulkOfferForm(
        request.form if request.method == "POST" else request.args,
        meta={"csrf": request.method == "POST"},
    )
    form.offer.choices = [(offer.id, offer.name) for offer in catalogue]
    form.lines.choices = [(line.id, line.number) for line in lines]
    offer = next((o for o in catalogue if o.id == form.offer.data), None)
    rows = offers.eligibility(account, lines, offer) if offer else []
    eligible_ids = {row.line.id for row in rows if row.eligible}
    chosen = [line_id for line_id in (form.lines.data or []) if line_id in eligible_ids]
    if request.method == "POST" and form.validate():
        chosen_lines = [row.line for row in rows if row.line.id in set(form.lines.data)]
        done = perform(
            lambda: offers.request_change(
                account, chosen_lines, offer, actor=current_user, reason=action_reason()
            ),
            form,
            "lines",
        )
        if done:
            flash(
                _(
                    "%(num)d offer changes are scheduled for %(date)s.",
                    num=len(done.value),
                    date=long_day(offers.effective_date(account)),
                ),
                "success",
            )
            return redirect(url_for("lines.requests"), 303)
    return render(
        "lines/bulk_offer.html",
        blocks=("bulk-lines", "bulk-count"),
        status=422 if request.method == "POST" else 200,
        account=account,
        form=form,
        offer=offer,
        rows=rows,
        chosen=chosen,
        effective=offers.effective_date(account),
    )


@bp.post("/<int:line_id>/offer/cancel")
@account_required
def cancel_offer_change(line_id: int):
    account = current_account()
    line = inventory.get_line(account, line_id)
    task = offers.pending_change(account, line)
    if CancelForm().validate_on_submit() and task is not None:
        return cancel(account, task, url_for("lines.show", line_id=line.id))
    flash(_("There is no pending offer change to cancel."), "error")
    return redirect(url_for("lines.show", line_id=line.id), 303)


@bp.route("/<int:line_id>/calls", methods=["GET", "POST"])
@account_required
def change_calls(line_id: int):
    """More calls: a purchase order, added once paid. Fewer: a task at the next renewal."""
    account = current_account()
    line = inventory.get_line(account, line_id)
    form = CallsForm()
    refusal = calls.refusal(line, calls.pending_line_actions(account, line)) or calls.suspended(
        account, line
    )
    if refusal is None and form.validate_on_submit():
        intent = request.form.get("intent")
        increase = intent == "increase" or (
            intent != "decrease" and form.calls.data > line.calls_current
        )
        if increase:
            done = perform(
                lambda: calls.order_calls(
                    account,
                    line,
                    form.calls.data,
                    actor=current_user,
                    terms_accepted=form.terms.data,
                    reason=action_reason(),
                ),
                form,
                "calls",
            )
            if done:
                flash(_("The purchase order is ready: pay it to add the calls."), "success")
                return redirect(url_for("orders.show", order_id=done.value.id), 303)
        else:
            done = perform(
                lambda: calls.request_removal(
                    account, line, form.calls.data, actor=current_user, reason=action_reason()
                ),
                form,
                "calls",
            )
            if done:
                flash(
                    _(
                        "The removal of simultaneous calls is scheduled for %(date)s.",
                        date=long_day(lifecycle.effective_date(account)),
                    ),
                    "success",
                )
                return redirect(url_for("lines.show", line_id=line.id), 303)
    wanted = form.calls.data if form.is_submitted() else request.args.get("calls", type=int)
    if not form.is_submitted():
        # The form starts from the line's count; a live preview keeps the box ticked.
        form.calls.data = wanted if wanted is not None else line.calls_current
        form.terms.data = request.args.get("terms") == "y"
    preview = None
    if wanted is not None and refusal is None:
        try:
            preview = calls.quote(account, line, calls.check_total(line, wanted))
        except DomainError as error:
            if request.args.get("calls") is not None and not form.is_submitted():
                form.calls.errors = [error.message]
    return render(
        "lines/calls.html",
        blocks=("calls-summary",),
        status=422 if form.is_submitted() else 200,
        account=account,
        line=line,
        form=form,
        refusal=refusal,
        preview=preview,
        order=calls.open_order_for(account, line),
        removal=calls.pending_removal(account, line),
        effective=lifecycle.effective_date(account),
        extra_unit=calls.quote(account, line, line.calls_current).unit,
        # The offer that allows more calls, while the offer may change (not once a change
        # is pending: its link would only be refused).
        upgrade=None
        if line.calls_adjustable or not lifecycle.line_actions(account, line).change_offer
        else calls.upgrade_for_calls(account, line),
        operator=current_app.config["OPERATOR"],
    )


@bp.route("/<int:line_id>/alias", methods=["GET", "POST"])
@account_required
def convert_to_alias(line_id: int):
    account = current_account()
    line = inventory.get_line(account, line_id)
    form = ConfirmForm()
    refusal = lifecycle.to_alias_refusal(account, line)
    if refusal is None and form.validate_on_submit():
        done = perform(
            lambda: lifecycle.request_to_alias(
                account, line, actor=current_user, reason=action_reason()
            )
        )
        if done:
            flash(
                _(
                    "The conversion to an alias number is scheduled for %(date)s.",
                    date=long_day(done.value.execute_on),
                ),
                "success",
            )
        return redirect(url_for("lines.show", line_id=line.id), 303)
    return render(
        "lines/convert_to_alias.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        line=line,
        form=form,
        refusal=refusal,
        effective=lifecycle.effective_date(account),
        deadline=lifecycle.return_deadline(lifecycle.effective_date(account)),
    )


@bp.route("/<int:line_id>/terminate", methods=["GET", "POST"])
@account_required
def terminate_line(line_id: int):
    account = current_account()
    line = inventory.get_line(account, line_id)
    back = url_for("lines.show", line_id=line.id)
    return terminate(account, line, back, lifecycle.line_busy(account, line))
