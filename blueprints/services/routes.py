"""My services: every service of the account and how it renews (seed 004)."""

from __future__ import annotations

from flask import Response, current_app, request, stream_with_context

from blueprints.common import current_account, page_arg
from blueprints.services import bp
from blueprints.services.export import rows as csv_rows
from htmx import render
from security import account_required
from telephony.dates import local_today
from telephony.services import listing


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
