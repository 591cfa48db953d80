"""Porting numbers in (`/service-numbers/port`): the numbers checked line by line, then the
order's page (holder, RIOs, date, the letter to sign, the documents, submitting)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from blueprints.common import current_account, errors_to_form, perform
from blueprints.forms import BaseForm
from blueprints.service_numbers import bp
from blueprints.service_numbers.forms import PortDetailsForm, PortDocumentForm, PortNumbersForm
from documents.port_loa import loa_pdf
from extensions import db
from htmx import render
from labels import organisation_id_name
from security import account_required, send_document
from telephony import DomainError, InvalidForm, NotFound
from telephony.dates import local_today
from telephony.models import Country, PortStatus
from telephony.service_numbers import licences, porting
from telephony.settings import settings

#: The largest CSV of numbers read (1,000 numbers take far less).
CSV_LIMIT = 256 * 1024


def _guard(new: bool = False):
    """The account, if it may follow its port orders (licences.may_follow) or, for a `new`
    order, has a licence; else 403."""
    account = current_account()
    if not (licences.has_licence(account) if new else licences.may_follow(account)):
        abort(403)
    return account


def _pasted(form: PortNumbersForm) -> str:
    upload = request.files.get("file")
    if upload and upload.filename:
        return upload.stream.read(CSV_LIMIT).decode("utf-8-sig", "replace")
    return form.numbers.data or ""


@bp.route("/port", methods=["GET", "POST"])
@account_required
def port_orders():
    """The account's port orders, and a new one: *Check the numbers* says line by line
    which can be ported and why the others cannot; *Create the order* keeps those."""
    account = _guard(new=request.method == "POST")
    form = PortNumbersForm()
    checked = None
    status = 200
    if form.validate_on_submit():
        toll_free = form.toll_free.data == "toll_free"
        text = _pasted(form)
        form.numbers.data = text
        if request.form.get("action") == "create":
            done = perform(
                lambda: porting.create(account, text, toll_free, actor=current_user),
                form,
                "numbers",
            )
            if done:
                order, checked = done.value
                if checked.refused:
                    # Which ones: the list they were typed in is gone from the next page.
                    typed = [text[:30] for _line, text, _reason in checked.refused]
                    shown = ", ".join(typed[:10]) + (" …" if len(typed) > 10 else "")
                    flash(
                        ngettext(
                            "%(num)d number could not be ported and is not in the order: "
                            "%(numbers)s.",
                            "%(num)d numbers could not be ported and are not in the order: "
                            "%(numbers)s.",
                            len(typed),
                            numbers=shown,
                        ),
                        "warning",
                    )
                return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)
            status = 422
        else:
            try:
                checked = porting.precheck(account, text, toll_free)
            except DomainError as error:
                errors_to_form(form, error, "numbers")
                status = 422
    elif request.method == "POST":
        status = 422
    return render(
        "service_numbers/port_orders.html",
        status=status,
        account=account,
        form=form,
        checked=checked,
        orders=porting.orders_of(account),
        in_order=porting.in_order,
        max_numbers=porting.MAX_NUMBERS,
    )


def _order_page(
    account, order, details=None, upload=None, rio_errors=None, status=200, posted=None
):
    today = local_today(account.timezone)
    if details is None:
        details = PortDetailsForm(formdata=None, data={**(order.holder or {})})
        details.losing_carrier.data = order.losing_carrier
        details.carrier_account.data = order.carrier_account
        details.billing_number.data = order.billing_number
        if order.details_saved:
            details.scope.data = "full" if order.full_port else "partial"
            details.when.data = "date" if order.requested_on else "asap"
            details.requested_on.data = order.requested_on.isoformat() if order.requested_on else ""
    # The holder's identifier by the name the order's country gives it (not "SIRET,
    # enterprise number or UID" everywhere).
    details.organisation_id.label.text = organisation_id_name(order.country.value)
    return render(
        "service_numbers/port_order.html",
        status=status,
        account=account,
        order=order,
        details=details,
        upload=upload or PortDocumentForm(formdata=None),
        rio_errors=rio_errors or {},
        rios={n.id: (posted or {}).get(f"rio-{n.id}", n.rio) for n in order.numbers},
        ranges=porting.ranges(order),
        range_choices={
            first.id: (posted or {}).get(f"range-{first.id}")
            or (order.range_scope or {}).get(first.number, "")
            for first, _last, _count in porting.ranges(order)
        },
        removable=porting.is_editable(order) and len(porting.in_order(order)) > 1,
        needs_rio=lambda number: porting.needs_rio(number, today),
        ports_with_mandate=lambda number: porting.ports_with_mandate(number, today),
        french=order.country == Country.FR,
        editable=porting.is_editable(order),
        closed=porting.is_closed(order),
        rejected=order.status == PortStatus.REJECTED,
        cancellable=porting.is_cancellable(order, today),
        in_order=porting.in_order(order),
        documents=porting.documents(order),
        kinds=porting.document_kinds(order),
        document_labels={
            choice.value: choice.label for choice in PortDocumentForm.kind.kwargs["choices"]
        },
        missing=porting.missing(order),
        earliest=porting.earliest_date(order, today),
        statuses=PortStatus,
    )


@bp.route("/port/<int:order_id>", methods=["GET", "POST"])
@account_required
def port_order(order_id: int):
    account = _guard()
    order = porting.get(account, order_id)
    if request.method != "POST":
        return _order_page(account, order)
    form = PortDetailsForm()
    rio_errors: dict[str, object] = {}
    if form.validate_on_submit():
        try:
            porting.save_details(
                account,
                order,
                request.form,
                actor=current_user,
                today=local_today(account.timezone),
            )
        except DomainError as error:
            db.session.rollback()
            found = getattr(error, "errors", None) or {error.field: error.message}
            rio_errors = {k: v for k, v in found.items() if k and k.startswith(("rio-", "range-"))}
            rest = {k: v for k, v in found.items() if k not in rio_errors}
            if rest:
                errors_to_form(form, InvalidForm(rest))
        else:
            db.session.commit()
            flash(_("The details are saved."), "success")
            return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)
    order = porting.get(account, order_id)
    return _order_page(
        account, order, details=form, rio_errors=rio_errors, status=422, posted=request.form
    )


@bp.get("/port/<int:order_id>/letter.pdf")
@account_required
def port_letter(order_id: int):
    account = _guard()
    order = porting.get(account, order_id)
    data = loa_pdf(
        order,
        account,
        operator=current_app.config["OPERATOR"],
        today=local_today(account.timezone),
    )
    return send_document(data, f"letter-of-authorization-{account.code}-{order.id}.pdf")


@bp.post("/port/<int:order_id>/documents")
@account_required
def port_upload(order_id: int):
    account = _guard()
    order = porting.get(account, order_id)
    form = PortDocumentForm()
    if form.validate_on_submit():
        upload = request.files.get("document")
        data = upload.stream.read() if upload else b""
        done = perform(
            lambda: porting.upload(
                account,
                order,
                form.kind.data or "",
                (upload.filename or "") if upload else "",
                data,
                form.signed_on.data,
                actor=current_user,
                today=local_today(account.timezone),
            ),
            form,
            "document",
        )
        if done:
            flash(_("The document is kept."), "success")
            return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)
    order = porting.get(account, order_id)
    return _order_page(account, order, upload=form, status=422)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A file over the request limit: said on the order's page, beside the upload."""
    order_id = (request.view_args or {}).get("order_id")
    if request.endpoint == "service_numbers.port_upload" and order_id:
        try:
            account = _guard()
            order = porting.get(account, order_id)
        except (HTTPException, NotFound) as refused:  # signed out, no licence, not theirs
            # Raised here, inside an error handler, it would reach no handler (a 500).
            return current_app.handle_user_exception(refused)
        form = PortDocumentForm(formdata=None)
        form.document.errors = [
            _(
                "The file is too big: %(max)s MB at most.",
                max=settings().port_document_max_bytes // 1024 // 1024,
            )
        ]
        return _order_page(account, order, upload=form, status=413)
    return _error


def _order_action(order_id: int, act, message: str):
    """A button of the order's page (its form holds only the CSRF token): the change, once,
    then back to the page; a refusal is said there."""
    account = _guard()
    order = porting.get(account, order_id)
    if BaseForm().validate_on_submit() and perform(lambda: act(account, order)):
        flash(message, "success")
    return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)


@bp.post("/port/<int:order_id>/submit")
@account_required
def port_submit(order_id: int):
    return _order_action(
        order_id,
        lambda account, order: porting.submit(account, order, actor=current_user),
        _("The order is submitted: its page shows where it stands."),
    )


@bp.post("/port/<int:order_id>/numbers/<int:number_id>/remove")
@account_required
def port_remove_number(order_id: int, number_id: int):
    """Take one number out of an order being prepared or corrected."""
    return _order_action(
        order_id,
        lambda account, order: porting.remove_number(account, order, number_id, actor=current_user),
        _("The number is taken out of the order."),
    )


@bp.route("/port/<int:order_id>/cancel", methods=["GET", "POST"])
@account_required
def port_cancel(order_id: int):
    """Cancelling asks first: a page that says what it means, then the form."""
    if request.method != "POST":
        account = _guard()
        order = porting.get(account, order_id)
        if not porting.is_cancellable(order, local_today(account.timezone)):
            return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)
        return render("service_numbers/port_cancel.html", account=account, order=order)
    return _order_action(
        order_id,
        lambda account, order: porting.cancel(account, order, actor=current_user),
        _("The order is cancelled."),
    )


@bp.post("/port/<int:order_id>/copy")
@account_required
def port_copy(order_id: int):
    """A closed (Belgian) rejected order, made again as a new one to correct."""
    account = _guard(new=True)
    order = porting.get(account, order_id)
    if BaseForm().validate_on_submit():
        done = perform(lambda: porting.copy(account, order, actor=current_user))
        if done:
            flash(_("A copy of the order is made: correct it and submit it."), "success")
            return redirect(url_for("service_numbers.port_order", order_id=done.value.id), 303)
    return redirect(url_for("service_numbers.port_order", order_id=order.id), 303)
