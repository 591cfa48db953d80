"""My services: every service of the account and how it renews (seed 004)."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.common import current_account, errors_to_form, page_arg, perform
from blueprints.services import bp
from blueprints.services.export import rows as csv_rows
from blueprints.services.forms import RenewalForm
from htmx import render
from security import account_required
from telephony import DomainError
from telephony.dates import local_today
from telephony.services import listing, renewal


@bp.get("/")
@account_required
def index():
    """The table: sorted, filtered and searched through the query string (kept in the
    address, so a filtered view can be bookmarked); htmx asks for the table alone."""
    account = current_account()
    filters = listing.Filters.from_args(request.args)
    today = local_today(account.timezone)
    services = listing.list_services(
        account, filters, page_arg(), current_app.config["PAGE_SIZE"], today
    )
    return render(
        "services/index.html",
        blocks=("services-table",),
        account=account,
        filters=filters,
        services=services,
        today=today,
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
    """Every service the filters select (the table's query string), as CSV, streamed."""
    account = current_account()
    filters = listing.Filters.from_args(request.args)
    today = local_today(account.timezone)
    response = Response(
        stream_with_context(csv_rows(account, filters, today)),
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
                flash(_("The renewal of %(name)s is saved.", name=service.name), "success")
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
