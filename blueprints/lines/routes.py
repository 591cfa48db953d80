from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from blueprints.common import action_reason, current_account, errors_to_form, page_arg
from blueprints.lines import bp
from blueprints.lines.forms import (
    BulkOfferForm,
    CallsForm,
    CancelForm,
    ChangeOfferForm,
    ConfirmForm,
    OrderLineForm,
    TerminateForm,
    ToLineForm,
)
from extensions import db
from htmx import render
from security import account_required, safe_local_target
from telephony import (
    DomainError,
    NotFound,
    billing,
    calls,
    inventory,
    lifecycle,
    line_orders,
    offers,
    procedure,
)
from telephony.models import ScheduledTask
from telephony.money import price_for


def _line_or_404(account, line_id):
    try:
        return inventory.get_line(account, line_id)
    except NotFound:
        abort(404)


def _number_or_404(account, alias_id):
    try:
        return inventory.get_alias(account, alias_id)
    except NotFound:
        abort(404)


@bp.get("/")
@account_required
def index():
    account = current_account()
    size = current_app.config["PAGE_SIZE"]
    lines = inventory.lines_page(account, page_arg("page"), size)
    numbers = inventory.numbers_page(account, page_arg("npage"), size)
    pending = inventory.pending_tasks_for(account, "line", [line.id for line in lines.items])
    return render(
        "lines/index.html",
        blocks=("line-list", "number-list"),
        account=account,
        groups=inventory.groups_of(account),
        lines=lines,
        numbers=numbers,
        pending=pending,
        orders=line_orders.describe(account, line_orders.pending_orders(account)),
    )


@bp.get("/<int:line_id>")
@account_required
def show(line_id: int):
    account = current_account()
    line = _line_or_404(account, line_id)
    pending = inventory.pending_tasks_for(account, "line", [line.id]).get(line.id, [])
    return render(
        "lines/show.html",
        account=account,
        line=line,
        pending=pending,
        order=calls.open_order_for(account, line),
        can_convert=lifecycle.to_alias_refusal(account, line) is None,
    )


@bp.route("/<int:line_id>/offer", methods=["GET", "POST"])
@account_required
def change_offer(line_id: int):
    """Choose the line's next offer; it applies on the 1st of next month."""
    account = current_account()
    line = _line_or_404(account, line_id)
    choices = offers.choices_for(line, account)
    form = ChangeOfferForm()
    form.offer.choices = [(choice.offer.id, choice.offer.name) for choice in choices]
    pending = offers.pending_change(account, line)
    status = 200
    if form.validate_on_submit():
        try:
            offer = offers.get_offer(account, form.offer.data)
            offers.request_change(
                account, [line], offer, actor=current_user, reason=action_reason()
            )
        except DomainError as error:
            db.session.rollback()
            form.offer.errors.append(error.message)
        else:
            db.session.commit()
            flash(
                _(
                    "The offer change is scheduled for %(date)s.",
                    date=_format_day(offers.effective_date(account)),
                ),
                "success",
            )
            return redirect(url_for("lines.show", line_id=line.id), 303)
    if form.is_submitted():
        status = 422
    selected = form.offer.data or request.args.get("offer", type=int)
    return render(
        "lines/change_offer.html",
        blocks=("offer-summary",),
        status=status,
        account=account,
        line=line,
        form=form,
        choices=choices,
        selected=next((c for c in choices if c.offer.id == selected), None),
        effective=offers.effective_date(account),
        pending=pending,
        refusal=offers.line_refusal(line, offers.pending_actions(account, [line.id])[line.id]),
    )


def _format_day(day):
    from templating import day as format_day

    return format_day(day, "long")


@bp.route("/offer", methods=["GET", "POST"])
@account_required
def bulk_offer():
    """Apply one offer to several lines: see which qualify and why the others don't."""
    account = current_account()
    catalogue = [o for o in offers.catalogue(account) if o.line_kind.value != "trunk"]
    form = BulkOfferForm(
        request.form if request.method == "POST" else request.args,
        meta={"csrf": request.method == "POST"},
    )
    form.offer.choices = [(offer.id, offer.name) for offer in catalogue]
    lines = offers.lines_for_choice(account)
    form.lines.choices = [(line.id, line.number) for line in lines]
    offer = next((o for o in catalogue if o.id == form.offer.data), None)
    rows = offers.eligibility(account, lines, offer) if offer else []
    eligible_ids = {row.line.id for row in rows if row.eligible}
    chosen = [line_id for line_id in (form.lines.data or []) if line_id in eligible_ids]
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                chosen_lines = [row.line for row in rows if row.line.id in set(form.lines.data)]
                tasks = offers.request_change(
                    account, chosen_lines, offer, actor=current_user, reason=action_reason()
                )
            except DomainError as error:
                db.session.rollback()
                (getattr(form, error.field or "lines", form.lines)).errors.append(error.message)
            else:
                db.session.commit()
                flash(
                    _(
                        "%(num)d offer changes are scheduled for %(date)s.",
                        num=len(tasks),
                        date=_format_day(offers.effective_date(account)),
                    ),
                    "success",
                )
                return redirect(url_for("lines.requests"), 303)
        status = 422
    return render(
        "lines/bulk_offer.html",
        blocks=("bulk-lines", "bulk-count"),
        status=status,
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
    line = _line_or_404(account, line_id)
    form = CancelForm()
    task = offers.pending_change(account, line)
    if form.validate_on_submit() and task is not None:
        return _cancel(account, task, url_for("lines.show", line_id=line.id))
    flash(_("There is no pending offer change to cancel."), "error")
    return redirect(url_for("lines.show", line_id=line.id), 303)


@bp.get("/requests")
@account_required
def requests():
    """Every pending request of the account, each cancellable."""
    account = current_account()
    tasks = inventory.pending_tasks(account)
    return render(
        "lines/requests.html",
        account=account,
        tasks=tasks,
        voip_orders=procedure.VOIP_ORDER_ACTIONS,
        procedure_validated=procedure.is_validated(account) if tasks else True,
    )


@bp.post("/requests/<int:task_id>/cancel")
@account_required
def cancel_request(task_id: int):
    account = current_account()
    task = db.session.get(ScheduledTask, task_id)
    if task is None or task.account_id != account.id:
        abort(404)
    if not CancelForm().validate_on_submit():
        abort(400)
    return _cancel(account, task, _local_next() or url_for("lines.requests"))


def _local_next() -> str | None:
    """The page a form came from (`next`), when it is one of this blueprint's pages."""
    return safe_local_target(request.form.get("next"), bp.url_prefix + "/")


def _cancel(account, task, back: str):
    try:
        billing.cancel(task, account=account, actor=current_user, reason=action_reason())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The request is cancelled."), "success")
    return redirect(back, 303)


@bp.route("/<int:line_id>/calls", methods=["GET", "POST"])
@account_required
def change_calls(line_id: int):
    """More calls: a purchase order, added once paid. Fewer: a task at the next renewal."""
    account = current_account()
    line = _line_or_404(account, line_id)
    form = CallsForm()
    refusal = calls.refusal(line, calls.pending_line_actions(account, line))
    status = 200
    if refusal is None and form.validate_on_submit():
        try:
            intent = request.form.get("intent")
            if intent == "increase" or (
                intent != "decrease" and form.calls.data > line.calls_current
            ):
                order = calls.order_calls(
                    account,
                    line,
                    form.calls.data,
                    actor=current_user,
                    terms_accepted=form.terms.data,
                    reason=action_reason(),
                )
            else:
                calls.request_removal(
                    account, line, form.calls.data, actor=current_user, reason=action_reason()
                )
                order = None
        except DomainError as error:
            db.session.rollback()
            errors_to_form(form, error, "calls")
        else:
            db.session.commit()
            if order is not None:
                flash(_("Your purchase order is ready: pay it to add the calls."), "success")
                return redirect(url_for("orders.show", order_id=order.id), 303)
            flash(
                _(
                    "The removal of simultaneous calls is scheduled for %(date)s.",
                    date=_format_day(lifecycle.effective_date(account)),
                ),
                "success",
            )
            return redirect(url_for("lines.show", line_id=line.id), 303)
    if form.is_submitted():
        status = 422
    wanted = form.calls.data if form.is_submitted() else request.args.get("calls", type=int)
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
        status=status,
        account=account,
        line=line,
        form=form,
        refusal=refusal,
        preview=preview,
        order=calls.open_order_for(account, line),
        removal=calls.pending_removal(account, line),
        effective=lifecycle.effective_date(account),
        extra_unit=calls.quote(account, line, line.calls_current).unit,
        operator=current_app.config["OPERATOR"],
    )


@bp.route("/<int:line_id>/alias", methods=["GET", "POST"])
@account_required
def convert_to_alias(line_id: int):
    account = current_account()
    line = _line_or_404(account, line_id)
    form = ConfirmForm()
    refusal = lifecycle.to_alias_refusal(account, line)
    if refusal is None and form.validate_on_submit():
        try:
            task = lifecycle.request_to_alias(
                account, line, actor=current_user, reason=action_reason()
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "The conversion to an alias number is scheduled for %(date)s.",
                    date=_format_day(task.execute_on),
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


def _terminate(account, target, back: str, refusal):
    form = TerminateForm()
    form.reason.choices = [SelectChoice(code, label) for code, label in lifecycle.REASONS.items()]
    preview = lifecycle.termination_preview(account, target)
    status = 200
    if refusal is None and form.validate_on_submit():
        try:
            task = lifecycle.request_termination(
                account,
                target,
                form.reason.data,
                form.details.data,
                actor=current_user,
                note=action_reason(),
            )
        except DomainError as error:
            db.session.rollback()
            errors_to_form(form, error, "reason")
        else:
            db.session.commit()
            flash(
                _("The termination is scheduled for %(date)s.", date=_format_day(task.execute_on)),
                "success",
            )
            return redirect(back, 303)
    if form.is_submitted():
        status = 422
    return render(
        "lines/terminate.html",
        status=status,
        account=account,
        form=form,
        preview=preview,
        details_required=lifecycle.DETAILS_REQUIRED,
        deadline=lifecycle.return_deadline(preview.effective),
        target=target,
        back=back,
        refusal=refusal,
    )


@bp.route("/<int:line_id>/terminate", methods=["GET", "POST"])
@account_required
def terminate_line(line_id: int):
    account = current_account()
    line = _line_or_404(account, line_id)
    back = url_for("lines.show", line_id=line.id)
    refusal = lifecycle.line_busy(account, line)
    return _terminate(account, line, back, refusal)


@bp.get("/numbers/<int:alias_id>")
@account_required
def show_number(alias_id: int):
    account = current_account()
    alias = _number_or_404(account, alias_id)
    pending = inventory.pending_tasks_for(account, "alias_number", [alias.id]).get(alias.id, [])
    if alias.pool_id:
        pending += inventory.pending_tasks_for(account, "number_pool", [alias.pool_id]).get(
            alias.pool_id, []
        )
    voip = [
        t.id for t in pending if t.action in procedure.VOIP_ORDER_ACTIONS and t.status == "todo"
    ]
    return render(
        "lines/number.html",
        account=account,
        alias=alias,
        pending=pending,
        waiting_ids=voip if voip and not procedure.is_validated(account) else [],
        pool=lifecycle.pool_numbers(account, alias.pool_id) if alias.pool_id else [],
        to_line_refusal=lifecycle.to_line_refusal(account, alias),
    )


@bp.route("/numbers/<int:alias_id>/line", methods=["GET", "POST"])
@account_required
def convert_to_line(alias_id: int):
    account = current_account()
    alias = _number_or_404(account, alias_id)
    refusal = lifecycle.to_line_refusal(account, alias)
    choices = [
        (offer, price_for(offer.price_excl_vat, account.country.value))
        for offer in lifecycle.line_offers(account)
    ]
    form = ToLineForm()
    form.offer.choices = [(offer.id, offer.name) for offer, _price in choices]
    status = 200
    if refusal is None and form.validate_on_submit():
        try:
            task = lifecycle.request_to_line(
                account,
                alias,
                form.offer.data,
                contracts_accepted=form.contracts.data,
                actor=current_user,
                reason=action_reason(),
            )
        except DomainError as error:
            db.session.rollback()
            errors_to_form(form, error, "offer")
        else:
            db.session.commit()
            flash(
                _(
                    "The conversion to a line is scheduled for %(date)s.",
                    date=_format_day(task.execute_on),
                ),
                "success",
            )
            return redirect(url_for("lines.show_number", alias_id=alias.id), 303)
    if form.is_submitted():
        status = 422
    return render(
        "lines/convert_to_line.html",
        status=status,
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
    alias = _number_or_404(account, alias_id)
    back = url_for("lines.show_number", alias_id=alias.id)
    refusal = lifecycle.alias_busy(account, alias)
    return _terminate(account, alias, back, refusal)


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
        try:
            task = line_orders.order_line(
                account,
                form.group.data,
                form.offer.data,
                description=form.description.data,
                contracts_accepted=form.contracts.data,
                token=form.token.data,
                actor=current_user,
                reason=action_reason(),
            )
        except DomainError as error:
            db.session.rollback()
            errors_to_form(form, error, "offer")
        else:
            db.session.commit()
            if procedure.is_validated(account):
                flash(_("Your order is placed: the line is created within a day."), "success")
            else:
                flash(
                    _("Your order is placed. It waits for your validation procedure: see below."),
                    "success",
                )
            return redirect(url_for("lines.show_order", task_id=task.id), 303)
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
    try:
        task = line_orders.get_order(account, task_id)
    except NotFound:
        abort(404)
    (order,) = line_orders.describe(account, [task])
    return render(
        "lines/order.html",
        account=account,
        order=order,
        procedure=procedure.latest(account),
    )
