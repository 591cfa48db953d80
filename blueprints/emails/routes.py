"""Service e-mails: every message the operator sent the account, newest first, with its
attachment (as it was sent, kept then; bank details masked for agents)."""

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select

from blueprints.common import current_account, page_arg
from blueprints.emails import bp
from htmx import render
from security import account_required, sees_full_bank_details, send_document
from telephony.mail import attachment_of, get_message
from telephony.models import ServiceEmail
from telephony.paging import paginate


@bp.get("/")
@account_required
def index():
    account = current_account()
    query = (
        select(ServiceEmail)
        .where(ServiceEmail.account_id == account.id)
        .order_by(ServiceEmail.created_at.desc(), ServiceEmail.id.desc())
    )
    page = paginate(query, page_arg(), current_app.config["PAGE_SIZE"])
    return render("emails/index.html", blocks=("email-list",), account=account, page=page)


@bp.get("/<int:email_id>/attachment")
@account_required
def attachment(email_id: int):
    account = current_account()
    message = get_message(account, email_id)
    attached = attachment_of(message, masked=not sees_full_bank_details(current_user))
    if attached is None:
        abort(404)
    filename, mimetype, data = attached
    return send_document(data, filename, mimetype)
