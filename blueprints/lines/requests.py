"""Every pending request of the account, each cancellable."""

from flask import abort, request, url_for

from blueprints.common import current_account
from blueprints.lines import bp
from blueprints.lines.forms import CancelForm
from blueprints.lines.shared import cancel
from caching import account_page
from htmx import render
from security import account_required, safe_local_target
from telephony import billing, calls, pending


@bp.get("/requests")
@account_required
@account_page
def requests():
    account = current_account()
    return render(
        "lines/requests.html",
        account=account,
        requests=pending.pending(account),
        # A purchase order awaiting payment is pending too (it holds its line's changes).
        orders=calls.open_orders(account),
    )


@bp.post("/requests/<int:task_id>/cancel")
@account_required
def cancel_request(task_id: int):
    account = current_account()
    task = billing.get_task(account, task_id)
    if not CancelForm().validate_on_submit():
        abort(400)
    # The page the form came from, when it is one of this blueprint's pages.
    back = safe_local_target(request.form.get("next"), f"{bp.url_prefix}/")
    return cancel(account, task, back or url_for("lines.requests"))
