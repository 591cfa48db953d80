from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.agent import bp
from blueprints.agent.forms import ActForm, StopForm
from blueprints.common import ACTING_KEY, acting_account, action_reason, page_arg
from extensions import db
from htmx import render
from security import agent_required
from telephony import DomainError, directory, inventory, support
from telephony.models import Account


@bp.get("/")
@agent_required
def index():
    """Find a caller's account: by account id, name or e-mail."""
    query = request.args.get("q", "")
    results = directory.search_accounts(query, page_arg(), current_app.config["PAGE_SIZE"])
    return render("agent/index.html", blocks=("account-results",), q=query, results=results)


def _account_or_404(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    return account


def _account_page(account: Account, form: ActForm, status: int = 200):
    return render(
        "agent/account.html",
        status=status,
        account=account,
        form=form,
        pending=inventory.pending_tasks(account),
    )


@bp.get("/accounts/<int:account_id>")
@agent_required
def account(account_id: int):
    """An account at a glance, and the form to act on the customer's behalf."""
    account = _account_or_404(account_id)
    support.record_view(current_user, account, request.full_path)
    db.session.commit()
    return _account_page(account, ActForm())


@bp.post("/accounts/<int:account_id>/act")
@agent_required
def act(account_id: int):
    account = _account_or_404(account_id)
    form = ActForm()
    if form.validate_on_submit():
        try:
            reason = support.start_acting(current_user, account, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, error.message]
        else:
            db.session.commit()
            session[ACTING_KEY] = {"account_id": account.id, "reason": reason}
            flash(
                _("You are acting for %(name)s (%(code)s).", name=account.name, code=account.code),
                "success",
            )
            return redirect(url_for("lines.index"), 303)
    return _account_page(account, form, 422)


@bp.post("/stop")
@agent_required
def stop():
    if StopForm().validate_on_submit():
        account = acting_account()
        if account is not None:
            support.stop_acting(current_user, account, action_reason())
            db.session.commit()
        session.pop(ACTING_KEY, None)
    return redirect(url_for("agent.index"), 303)
