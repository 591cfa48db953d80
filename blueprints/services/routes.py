"""My services: every service of the account and how it renews (seed 004)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.common import current_account, errors_to_form, page_arg, perform
from blueprints.services import bp
from blueprints.services.export import rows as csv_rows
from blueprints.services.forms import BatchForm, ExtendForm, PayInvoiceForm, RenewalForm
from caching import account_fragment, account_page
from htmx import render
from security import account_required
from telephony import DomainError, NotFound
from telephony.dates import local_today
from telephony.models import InvoiceStatus, PaymentStatus, RenewalMode
from telephony.payments import FAILURES, NotPayable, configured_provider
from telephony.services import batch, listing, paying, renewal
from templating import day, phones


@bp.get("/")
@account_required
@account_page
def index():
    """The table: sorted, filtered and searched through the query string (kept in the
    address, so a filtered view can be bookmarked); htmx asks for the table alone."""
    account = current_account()
    filters = listing.Filters.from_args(request.args)
    today = local_today(account.timezone)

    def table() -> str:
        services = listing.list_services(
            account, filters, page_arg(), current_app.config["PAGE_SIZE"], today
        )
        return render_template(
            "services/_table.html",
            filters=filters,
            services=services,
            tomorrow=today + timedelta(days=1),
        )

    return render(
        "services/index.html",
        blocks=("services-table",),
        account=account,
        filters=filters,
        # Kept by this process while the account's services and invoices stay the same.
        services_table=account_fragment(account, "services.table", table, today),
        choices={
            "type": listing.SERVICE_TYPES,
            "state": listing.STATES,
            "renewal": listing.RENEWAL_STATUSES,
            "expiry": listing.EXPIRY,
        },
    )


@bp.get("/export.csv")
@account_required
def export():
    """Every service the filters select (the table's query string), or the rows selected
    (`ids`, checked first: another account's id answers 404), as CSV, streamed."""
    account = current_account()
    filters = listing.Filters.from_args(request.args)
    today = local_today(account.timezone)
    ids = request.args.getlist("ids")
    try:
        chosen = [s.id for s in batch.selected(account, ids)] if ids else None
    except NotFound:
        raise
    except DomainError as error:  # too many rows selected (a 500, review): say so
        flash(str(error.message), "error")
        return redirect(url_for("services.index", **filters.args()), 303)
    response = Response(
        stream_with_context(csv_rows(account, filters, today, chosen)),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="services-{account.code}-{today.isoformat()}.csv"'
    )
    return response


@bp.route("/<int:service_id>/renewal", methods=["GET", "POST"])
@account_required
def configure_renewal(service_id: int):
    """Configure renewal: choose the mode and period (the query string, so that the choice
    shows its next debits without JavaScript, or in place with htmx), then confirm it (a
    post of exactly what was shown)."""
    account = current_account()
    service = renewal.get_service(account, service_id)
    today = local_today(account.timezone)
    status = renewal.renewal_status(service)
    form = RenewalForm()
    if request.method == "POST":
        if form.validate_on_submit():
            done = perform(
                lambda: renewal.configure(
                    account,
                    service,
                    form.mode.data,
                    form.period.data,
                    actor=current_user,
                    today=today,
                ),
                form,
                "mode",
            )
            if done:
                flash(_("The renewal of %(name)s is saved.", name=phones(service.name)), "success")
                return redirect(url_for("services.index"), 303)
        values = {"mode": form.mode.data, "period": form.period.data}
    else:
        values = {
            "mode": request.args.get("mode", service.renewal_mode.value),
            "period": request.args.get("period", str(service.period_months)),
        }
    preview = None
    try:
        mode, period = renewal.check_choice(service, values["mode"], values["period"])
        preview = renewal.preview(account, service, mode, period)
        form.mode.data, form.period.data = mode.value, str(period)
    except DomainError as error:
        errors_to_form(form, error, "mode")
    return render(
        "services/renewal.html",
        blocks=("renewal-preview",),
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        service=service,
        status_now=status,
        blocked=renewal.blocked(service, today, status),
        periods=renewal.allowed_periods(service),
        manual_allowed=renewal.manual_allowed(service),
        values=values,
        preview=preview,
        form=form,
        today=today,
    )


@bp.route("/<int:service_id>/pay", methods=["GET", "POST"])
@account_required
def pay_invoice(service_id: int):
    """Pay invoice: the service's invoice due, with one of the account's payment methods.
    Paid once, whatever arrives at the same time; a refused charge says why beside the
    method."""
    account = current_account()
    service = renewal.get_service(account, service_id)
    today = local_today(account.timezone)
    form = PayInvoiceForm()
    invoice = paying.due_invoice(account, service)
    if request.method == "POST" and form.validate_on_submit():
        if invoice is None or form.invoice.data != str(invoice.id):
            flash(_("This invoice is already paid."), "info")  # paid meanwhile
            return redirect(url_for("services.index"), 303)
        method = paying.get_method(account, form.method.data)
        if method is None:
            form.method.errors = [_("Choose a payment method.")]
        else:
            done = perform(
                lambda: paying.pay_due(
                    account,
                    service,
                    invoice,
                    method,
                    actor=current_user,
                    provider=configured_provider(),
                    today=today,
                ),
                form,
                "method",
            )
            if isinstance(done.error, NotPayable) and invoice.status == InvoiceStatus.PAID:
                flash(_("This invoice is already paid."), "info")
                return redirect(url_for("services.index"), 303)
            if done and done.value.status == PaymentStatus.SUCCEEDED:
                flash(
                    _("Thank you: the invoice %(number)s is paid.", number=invoice.number),
                    "success",
                )
                return redirect(url_for("services.index"), 303)
            if done:
                form.method.errors = [
                    FAILURES.get(done.value.failure_reason, _("The payment was refused."))
                ]
    elif request.method == "POST" and invoice is None:
        flash(_("This invoice is already paid."), "info")
        return redirect(url_for("services.index"), 303)
    methods = paying.usable_methods(account, today)
    if invoice is not None:
        form.invoice.data = str(invoice.id)
    if request.method != "POST" and methods:
        form.method.data = str(methods[0].id)  # the default comes first
    return render(
        "services/pay.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        service=service,
        invoice=invoice,
        methods=methods,
        form=form,
    )


@bp.route("/<int:service_id>/extend", methods=["GET", "POST"])
@account_required
def extend(service_id: int):
    """Anticipate payment (an automatic service) or Renew (a manual one): a period paid at
    once, added to the remaining validity."""
    account = current_account()
    service = renewal.get_service(account, service_id)
    today = local_today(account.timezone)
    form = ExtendForm()
    if form.validate_on_submit():
        method = paying.get_method(account, form.method.data)
        if method is None:
            form.method.errors = [_("Choose a payment method.")]
        else:
            done = perform(
                lambda: paying.extend(
                    account,
                    service,
                    form.period.data,
                    method,
                    token=form.token.data,
                    shown=form.shown.data,
                    actor=current_user,
                    provider=configured_provider(),
                    today=today,
                ),
                form,
                "period",
            )
            if done or isinstance(done.error, paying.AlreadyDone):
                if done:
                    flash(
                        _(
                            "Paid: %(name)s now expires on %(date)s.",
                            name=phones(service.name),
                            date=day(service.expires_on, "long"),
                        ),
                        "success",
                    )
                else:
                    form.form_errors.clear()
                    flash(_("This payment was already made."), "info")
                return redirect(url_for("services.index"), 303)
    methods = paying.usable_methods(account, today)
    if not form.token.data:
        form.token.data = paying.new_token()
    form.shown.data = paying.extension_digest(service)  # what this page shows now
    if request.method != "POST":
        form.period.data = str(service.period_months)
    if request.method != "POST" and methods:
        form.method.data = str(methods[0].id)
    return render(
        "services/extend.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        service=service,
        manual=service.renewal_mode == RenewalMode.MANUAL,
        refusal=paying.extension_refusal(service, today),
        options=paying.options(account, service),
        methods=methods,
        form=form,
    )


def _batch_done(action: str, count: int) -> str:
    """What a confirmed batch did, in the plural form the count needs."""
    if action == "renew":
        return ngettext("%(num)d service renewed.", "%(num)d services renewed.", count)
    if action == "align":
        return ngettext(
            "%(num)d service aligned; the days added are invoiced.",
            "%(num)d services aligned; the days added are invoiced.",
            count,
        )
    if action == "disable_auto":
        return ngettext(
            "Automatic payment disabled for %(num)d service.",
            "Automatic payment disabled for %(num)d services.",
            count,
        )
    return ngettext(
        "Automatic payment enabled for %(num)d service.",
        "Automatic payment enabled for %(num)d services.",
        count,
    )


@bp.route("/batch", methods=["GET", "POST"])
@account_required
def batch_action():
    """A batch action on the selected rows: the table's form asks for the preview (GET, the
    ids and the action), which groups the selection by outcome; its Confirm posts exactly
    that selection. Export goes straight to the CSV of the selection."""
    account = current_account()
    today = local_today(account.timezone)
    ids = request.values.getlist("ids")
    action = request.values.get("action", "")
    if action == "export":
        try:
            batch.selected(account, ids)  # another account's id: 404
        except NotFound:
            raise
        except DomainError as error:  # too many rows selected: say so (a 500, review)
            flash(str(error.message), "error")
            return redirect(url_for("services.index"), 303)
        return redirect(url_for("services.export", ids=ids), 303)
    form = BatchForm()
    if request.method == "POST" and form.validate_on_submit():
        done = perform(
            lambda: batch.apply(
                account,
                ids,
                form.action.data,
                actor=current_user,
                today=today,
                provider=configured_provider(),
                token=form.token.data,
                shown=form.shown.data,
                day=form.day.data,
            ),
            form,
        )
        # A refusal of the whole batch goes above it: its action is a hidden field.
        form.form_errors.extend(form.action.errors)
        form.action.errors = []
        if done or isinstance(done.error, paying.AlreadyDone):
            if done:
                changed = len(done.value.changed)
                flash(_batch_done(form.action.data, changed), "success")
            else:
                form.form_errors.clear()
                flash(str(done.error.message), "info")  # paid, or aligned, already
            return redirect(url_for("services.index"), 303)
        action = form.action.data or ""
    if not ids:
        flash(_("Select at least one service."), "error")
        return redirect(url_for("services.index"), 303)
    preview = None
    day = request.values.get("day") or str(account.renewal_day or 1)
    try:
        preview = batch.preview(account, ids, action, today, day)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        errors_to_form(form, error, "action")
    form.action.data, form.day.data = action, day
    if not form.token.data:
        form.token.data = paying.new_token()
    form.shown.data = batch.digest(preview) if preview is not None else ""
    return render(
        "services/batch.html",
        status=422 if form.errors or form.form_errors else 200,
        account=account,
        preview=preview,
        ids=ids,
        form=form,
        days=batch.ALIGN_DAYS,
    )
