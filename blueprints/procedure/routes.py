"""The validation procedure: where it stands, the holder's details form (checked inline with
htmx, and the same without JavaScript), the PDF, and the agents' status page."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

import attempts
from blueprints.common import (
    action_reason,
    changes_nothing,
    current_account,
    inline_check,
    perform,
)
from blueprints.procedure import bp
from blueprints.procedure.forms import BillingContactForm, ProcedureForm, StatusForm
from documents.mandate import filename, procedure_pdf
from htmx import render
from i18n import display_name
from labels import ACCOUNT_KINDS, procedure_status_label
from security import account_required, agent_required, sees_full_bank_details, send_document
from telephony import contacts
from telephony import procedure as procedures

#: Each field sits in a block named like its DOM id: the inline check renders just that one.
FIELD_BLOCKS = tuple(f"{name}-field" for name in procedures.FIELDS)

ORGANISATION_HINTS = {
    "FR": "SIREN / SIRET",
    "BE": "0403.170.701",
    "CH": "CHE-123.456.789",
}
#: An IBAN of the account's country, as the hint's example (a documentation one: no
#: customer's, not even the demo's, since agents may only see a masked IBAN).
IBAN_HINTS = {
    "FR": "FR76 3000 6000 0112 3456 7890 189",
    "BE": "BE71 0961 2345 6769",
    "CH": "CH56 0483 5012 3456 7800 9",
}


def _is_agent() -> bool:
    """Whoever is not the customer sees the bank details masked (security.py decides)."""
    return not sees_full_bank_details(current_user)


def _form(account, procedure, formdata=None) -> ProcedureForm:
    country = account.country.value
    if formdata is None:
        form = ProcedureForm(data=procedures.initial_values(account, procedure))
    else:
        form = ProcedureForm(formdata=formdata)
    territories = get_locale().territories
    form.holder_country.choices = [
        (code, territories.get(code, code)) for code in procedures.HOLDER_COUNTRIES
    ]
    form.currency.choices = [(code, code) for code in procedures.CURRENCIES[country]]
    form.customer_kind.choices = [(kind.value, label) for kind, label in ACCOUNT_KINDS.items()]
    form.document_locale.choices = [
        (locale_id, display_name(locale_id)) for locale_id in procedures.DOCUMENT_LOCALES[country]
    ]
    return form


def _page(account, form, status=200):
    procedure = procedures.latest(account)
    operator = current_app.config["OPERATOR"]
    country = account.country.value
    return render(
        "procedure/index.html",
        blocks=FIELD_BLOCKS,
        status=status,
        account=account,
        procedure=procedure,
        form=form,
        can_fill=procedure is None
        or procedure.status in ("todo", "waiting_for_customer", "rejected", "cancelled"),
        waiting=procedures.waiting_orders(account),
        history=procedures.history(account),
        checklist=procedures.checklist(
            country,
            procedure.customer_kind if procedure and procedure.customer_kind else account.kind,
        ),
        route=procedures.sending(country, operator),
        organisation_hint=ORGANISATION_HINTS[country],
        iban_hint=IBAN_HINTS[country],
        is_agent=_is_agent(),
    )


@bp.route("/", methods=["GET", "POST"])
@account_required
def index():
    """Where the procedure stands, and the form that produces the document to sign."""
    account = current_account()
    procedure = procedures.latest(account)
    if request.method != "POST":
        return _page(account, _form(account, procedure))
    form = _form(account, procedure, formdata=request.form)
    if form.validate() and perform(
        lambda: procedures.submit(account, form.data, actor=current_user, reason=action_reason()),
        form,
    ):
        flash(
            _("The document is ready and e-mailed to the customer, who signs it and sends it.")
            if _is_agent()
            else _("Your document is ready: download it, sign it and send it with the documents."),
            "success",
        )
        return redirect(url_for("procedure.index"), 303)
    return _page(account, form, 422)


@bp.post("/check")
@account_required
@changes_nothing
def check():
    """Inline check (htmx): the same rules as the submit, nothing saved; answers the block of
    the field named by HX-Target (the whole page without htmx)."""
    account = current_account()
    procedure = procedures.latest(account)
    form = _form(account, procedure, formdata=request.form)
    if form.validate():
        inline_check(
            lambda: procedures.check_details(
                account, form.data, keep_iban=procedures.kept_iban(procedure)
            ),
            form,
        )
    return _page(account, form)


@bp.get("/<int:procedure_id>/pdf")
@account_required
def pdf(procedure_id: int):
    """Download PDF: the authorization to sign with the checklist (agents: IBAN masked)."""
    account = current_account()
    procedure = procedures.get(account, procedure_id)
    if not procedure.has_details:
        abort(404)
    body = procedure_pdf(
        procedure, account, operator=current_app.config["OPERATOR"], mask_iban=_is_agent()
    )
    return send_document(body, filename(procedure))


@bp.route("/manage", methods=["GET", "POST"])
@agent_required
def manage():
    """Agents only, acting for the customer: move the procedure on (audited, e-mailed)."""
    account = current_account()
    procedure = procedures.latest(account)
    form = StatusForm()
    allowed = sorted(procedures.TRANSITIONS.get(procedure.status, ()) if procedure else ())
    # Agents only: the statuses in their words.
    form.status.choices = [
        (status.value, procedure_status_label(status, agent=True)) for status in allowed
    ]
    seen = procedure is not None and form.version.data == procedures.version_of(procedure)
    conflict = False
    if procedure is not None and not form.is_submitted():
        form.version.data = procedures.version_of(procedure)
    elif procedure is not None and form.validate_on_submit() and not seen:
        conflict = True
        # (The account is locked for this request: the customer's edits wait for it.)
        form.status.errors.append(
            _("The customer changed the procedure since this page was opened: check it again.")
        )
        form.version.data = procedures.version_of(procedure)
    if (
        procedure is not None
        and seen
        and form.validate_on_submit()
        and perform(
            lambda: procedures.change_status(
                account,
                procedure,
                form.status.data,
                actor=current_user,
                reason=form.reason.data,
                note=action_reason(),
            ),
            form,
            "status",
        )
    ):
        flash(
            _(
                "The procedure is now: %(status)s.",
                status=procedure_status_label(procedure.status, agent=True),
            ),
            "success",
        )
        return redirect(url_for("procedure.manage"), 303)
    return render(
        "procedure/manage.html",
        status=409 if conflict else 422 if form.is_submitted() else 200,
        account=account,
        procedure=procedure,
        form=form,
        waiting=procedures.waiting_orders(account),
    )


#: Each field of the billing contact form sits in a block named like its DOM id.
CONTACT_BLOCKS = tuple(f"{name}-field" for name in contacts.FIELDS)


def _contact_page(account, form, status=200):
    procedure = procedures.latest(account)
    return render(
        "procedure/billing_contact.html",
        blocks=CONTACT_BLOCKS,
        status=status,
        account=account,
        form=form,
        contact=contacts.current(account),
        procedure=procedure,
        validated=procedure is not None and procedure.status == "validated",
        waiting=procedures.waiting_orders(account),
    )


@bp.route("/billing-contact", methods=["GET", "POST"])
@account_required
def change_billing_contact():
    """Who receives the invoices and service e-mails; a change requires a new procedure."""
    account = current_account()
    if request.method != "POST":
        contact = contacts.current(account)
        form = BillingContactForm(
            data={"contact_name": contact.name, "contact_email": contact.email}
        )
        return _contact_page(account, form)
    form = BillingContactForm(formdata=request.form)
    if not form.validate():
        return _contact_page(account, form, 422)
    # Each change e-mails the new address: a few a day, so that the form mails no stranger
    # again and again. A refused one (the same contact sent twice) sends nothing: given back.
    limit = current_app.config["CONTACT_CHANGE_RATE_LIMIT"]
    counted = attempts.count([(limit, f"contact:{account.id}")])
    if counted is None:
        form.contact_email.errors = [
            _("The billing contact was changed too often today: try again tomorrow, or call us.")
        ]
        return _contact_page(account, form, 429)
    if perform(
        lambda: contacts.change_billing_contact(
            account, form.data, actor=current_user, reason=action_reason()
        ),
        form,
    ):
        flash(
            _("The billing contact is changed: a new validation procedure is required."),
            "success",
        )
        return redirect(url_for("procedure.change_billing_contact"), 303)
    attempts.give_back(counted)
    return _contact_page(account, form, 422)


@bp.post("/billing-contact/check")
@account_required
@changes_nothing
def check_billing_contact():
    """Inline check (htmx): the same rules as the change, nothing saved; answers the block
    of the field named by HX-Target (the whole page without htmx)."""
    account = current_account()
    form = BillingContactForm(formdata=request.form)
    if form.validate():
        inline_check(lambda: contacts.check_contact(form.data), form)
    return _contact_page(account, form)
