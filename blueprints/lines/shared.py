"""What the pages of lines and numbers share: a date as the site writes it, cancelling a
pending request, and the termination form of a line or a number."""

from flask import flash, redirect
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from blueprints.common import action_reason, perform
from blueprints.lines.forms import TerminateForm
from htmx import render
from telephony import billing, lifecycle
from templating import day


def long_day(value) -> str:
    return day(value, "long")


def cancel(account, task, back: str):
    """Cancel a pending request, then back to `back` with what happened."""
    done = perform(
        lambda: billing.cancel(task, account=account, actor=current_user, reason=action_reason())
    )
    if done:
        flash(_("The request is cancelled."), "success")
    return redirect(back, 303)


def terminate(account, target, back: str, refusal):
    """The termination form of a line or a number (its whole range, for a range's number)."""
    form = TerminateForm()
    form.reason.choices = [SelectChoice(code, label) for code, label in lifecycle.REASONS.items()]
    preview = lifecycle.termination_preview(account, target)
    if refusal is None and form.validate_on_submit():
        done = perform(
            lambda: lifecycle.request_termination(
                account,
                target,
                form.reason.data,
                form.details.data,
                actor=current_user,
                note=action_reason(),
            ),
            form,
            "reason",
        )
        if done:
            flash(
                _(
                    "The termination is scheduled for %(date)s.",
                    date=long_day(done.value.execute_on),
                ),
                "success",
            )
            return redirect(back, 303)
    return render(
        "lines/terminate.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        form=form,
        preview=preview,
        details_required=lifecycle.DETAILS_REQUIRED,
        deadline=lifecycle.return_deadline(preview.effective),
        target=target,
        back=back,
        refusal=refusal,
    )
