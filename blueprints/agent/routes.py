from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import acting as acting_state
import database
from blueprints.agent import bp
from blueprints.agent.forms import ActForm, EditNoteForm, LocaleForm, NoteForm, StopForm
from blueprints.common import acting_account, action_reason, page_arg, perform
from blueprints.faq.panel import panel_block, panel_context
from extensions import db
from htmx import render
from security import agent_required, safe_local_target
from telephony import directory, locking, procedure, sms, support
from telephony import pending as pending_view
from telephony.models import Account, CallNote
from telephony.service_numbers import licences

TIMELINE_SIZE = 25


@bp.get("/")
@agent_required
def index():
    """Find the caller: account id, name, e-mail or any of their phone numbers."""
    block = panel_block()  # the FAQ panel's answers, asked for by htmx
    if block is not None:
        return block
    query = request.args.get("q", "")
    results = directory.search_accounts(query, page_arg(), current_app.config["PAGE_SIZE"])
    ids = [account.id for account in results.items]
    return render(
        "agent/index.html",
        blocks=("account-results",),
        q=query,
        results=results,
        open_requests=directory.open_requests(ids),
        procedures=directory.procedure_statuses(ids),
        matches=directory.matched_numbers(query, ids),
        **panel_context(),
    )


def _account_or_404(account_id: int) -> Account:
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    return account


def _timeline_kinds() -> list[str]:
    """The kinds the agent ticked, else the default (page views folded away)."""
    chosen = [kind for kind in request.args.getlist("kind") if kind in support.TIMELINE_KINDS]
    return chosen or list(support.DEFAULT_TIMELINE_KINDS)


def _account_page(account: Account, form: ActForm, note_form: NoteForm, status: int = 200):
    """The account's page, or its timeline block: whatever shows it is a view on the record
    (a refused note or reason shows it again, and is recorded too)."""
    database.use_transaction()
    support.record_view(current_user, account, request.full_path)
    db.session.commit()
    kinds = _timeline_kinds()
    requests = pending_view.pending(account)
    timeline = support.timeline(account, set(kinds), page_arg(), TIMELINE_SIZE)
    tasks = [entry.item for entry in timeline.items if entry.kind == "task"]
    return render(
        "agent/account.html",
        blocks=("timeline",),
        status=status,
        account=account,
        form=form,
        note_form=note_form,
        edit_form=EditNoteForm(formdata=None),
        pending=requests,
        waiting_ids=procedure.waiting_ids(account, tasks),
        procedure=procedure.latest(account),
        licence_counts=licences.counts(account),
        quota=licences.quota(account),
        quota_request=licences.open_request(account),
        text_messages=sms.recent(account),
        kinds=kinds,
        all_kinds=support.TIMELINE_KINDS,
        timeline=timeline,
        **panel_context(account.language),
    )


@bp.get("/accounts/<int:account_id>")
@agent_required
def account(account_id: int):
    """An account at a glance: its timeline, call notes, and acting on the customer's behalf."""
    account = _account_or_404(account_id)
    block = panel_block(account.language)  # the FAQ panel's answers: in both languages
    if block is not None:
        return block
    # Paging or filtering the timeline (htmx) reads the account too: audited like the page.
    return _account_page(account, ActForm(), NoteForm())


@bp.route("/accounts/<int:account_id>/act", methods=["GET", "POST"])
@agent_required
def act(account_id: int):
    account = _account_or_404(account_id)
    if request.method != "POST":  # reloading the page a refused form left: the account
        return redirect(url_for("agent.account", account_id=account.id), 303)
    locking.lock_account(account.id)
    form = ActForm()
    if form.validate_on_submit():
        # Acting for another customer ends acting for the previous one, on the record.
        done = perform(
            lambda: support.start_acting(
                current_user, account, form.reason.data, ending_reason=action_reason()
            ),
            form,
            "reason",
        )
        if done:
            acting_state.start(account.id, done.value)
            flash(
                _("You are acting for %(name)s (%(code)s).", name=account.name, code=account.code),
                "success",
            )
            return redirect(url_for("lines.index"), 303)
    return _account_page(account, form, NoteForm(formdata=None), 422)


@bp.route("/accounts/<int:account_id>/notes", methods=["GET", "POST"])
@agent_required
def add_note(account_id: int):
    account = _account_or_404(account_id)
    if request.method != "POST":
        return redirect(url_for("agent.account", account_id=account.id), 303)
    locking.lock_account(account.id)
    form = NoteForm()
    if form.validate_on_submit() and perform(
        lambda: support.add_note(current_user, account, form.body.data), form, "body"
    ):
        flash(_("The note is saved."), "success")
        return redirect(url_for("agent.account", account_id=account.id), 303)
    return _account_page(account, ActForm(formdata=None), form, 422)


@bp.post("/notes/<int:note_id>")
@agent_required
def edit_note(note_id: int):
    """An agent corrects their own note; another agent's note answers 403."""
    note = db.session.get(CallNote, note_id)
    if note is None:
        abort(404)
    if note.author_id != current_user.id:
        abort(403)
    locking.lock_account(note.account_id)
    form = EditNoteForm()
    if form.validate_on_submit():
        if perform(lambda: support.edit_note(current_user, note, form.body.data)):
            flash(_("The note is saved."), "success")
    else:
        for message in form.body.errors:
            flash(message, "error")
    return redirect(url_for("agent.account", account_id=note.account_id), 303)


@bp.post("/locale")
@agent_required
def locale():
    """While acting: show the customer's pages in the customer's language or the agent's."""
    form = LocaleForm()
    if form.validate_on_submit():
        acting_state.set_locale_mode(form.mode.data)
    referrer = request.referrer or ""
    back = "/" + referrer[len(request.host_url) :] if referrer.startswith(request.host_url) else ""
    return redirect(safe_local_target(back) or url_for("lines.index"), 303)


@bp.post("/stop")
@agent_required
def stop():
    if StopForm().validate_on_submit():
        account = acting_account()
        ended = support.stop_acting(current_user, action_reason())
        db.session.commit()
        if account is not None or ended:
            account = account or ended[0]
            flash(
                _(
                    "You no longer act for %(name)s (%(code)s).",
                    name=account.name,
                    code=account.code,
                ),
                "success",
            )
        acting_state.stop()
    return redirect(url_for("agent.index"), 303)
