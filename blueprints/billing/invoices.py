"""Invoices: the account's list, filtered and paged in SQL; paying one or the whole
balance; the list as CSV; each invoice as a PDF."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.billing import bp
from blueprints.billing.forms import ArchiveForm, PayBalanceForm, PayInvoiceForm
from blueprints.common import current_account, page_arg, perform
from htmx import render
from security import account_required
from telephony.dates import local_today
from telephony.invoicing import archives, einvoice, listing, paying
from telephony.models import InvoiceKind, InvoiceStatus, PaymentStatus
from telephony.payments import FAILURES, NotPayable, configured_provider
from telephony.services.paying import get_method, usable_methods


def _refused(payments) -> str | None:
    """Why the provider refused a charge, in words (None when it was paid)."""
    failed = next((p for p in payments if p.status != PaymentStatus.SUCCEEDED), None)
    if failed is None:
        return None
    return str(FAILURES.get(failed.failure_reason, _("The payment was refused.")))


def _preselect(form, methods) -> None:
    """A page shown for the first time offers the default method, checked."""
    if not form.is_submitted():
        default = next((m for m in methods if m.is_default), None)
        if default is not None:
            form.method.data = str(default.id)


@bp.get("/invoices")
@account_required
def invoices():
    """The list: status and period in the query string (kept in the address); htmx asks
    for the table alone, or for the archives while one is being prepared."""
    account = current_account()
    today = local_today(account.timezone)
    filters = listing.Filters.from_args(request.args)
    service = listing.service_name(account, filters.service)
    if service is None and filters.service:  # not the account's: no such filter
        filters = replace(filters, service=None)
    return render(
        "billing/invoices.html",
        blocks=("invoices-table", "invoice-archives"),
        service_name=service,
        **_page(account, filters, today, page_arg()),
    )


def _page(account, filters, today, page: int = 1, archive_form=None) -> dict:
    """What the invoices page shows."""
    einvoice_format, missing = einvoice.readiness(account)
    return {
        "account": account,
        "filters": filters,
        "invoices": listing.list_invoices(
            account, filters, page, current_app.config["PAGE_SIZE"], today
        ),
        "balance": listing.balance(account, today),
        "archive_form": _archive_form(filters, today, archive_form),
        "archives": archives.recent(account),
        "einvoice_format": einvoice_format,
        "einvoice_ready": einvoice.ready,
        "einvoice_missing": einvoice.missing_text(missing, account.country.value)
        if missing
        else "",
        "statuses": listing.STATUSES,
        "today": today,
    }


def _archive_form(filters, today, form=None) -> ArchiveForm:
    """The ZIP form, for the period the list shows (else the year so far), with a token."""
    form = form or ArchiveForm(formdata=None)
    if not form.is_submitted():
        form.start.data = filters.start or date(today.year, 1, 1)
        form.end.data = filters.end or today
        form.token.data = secrets.token_urlsafe(16)
    return form


@bp.post("/invoices/archives")
@account_required
def request_archive():
    """Queue the ZIP of every PDF of a period: built in the background, offered on the
    invoices page when ready."""
    account = current_account()
    form = ArchiveForm()
    if form.validate_on_submit():
        done = perform(
            lambda: archives.request_archive(
                account,
                form.start.data,
                form.end.data,
                token=form.token.data or "",
                actor=current_user,
            ),
            form,
            "start",
        )
        if done:
            flash(
                _("Your ZIP is being prepared: it is offered below as soon as it is ready."),
                "success",
            )
            return redirect(url_for("billing.invoices") + "#invoice-archives", 303)
    today = local_today(account.timezone)
    return render(
        "billing/invoices.html",
        status=422,
        **_page(account, listing.Filters(), today, archive_form=form),
    )


@bp.get("/invoices/archives/<int:archive_id>.zip")
@account_required
def archive_zip(archive_id: int):
    account = current_account()
    archive = archives.get_ready(account, archive_id)
    response = Response(archive.data, mimetype="application/zip")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="invoices-{account.code}-{archive.start.isoformat()}-'
        f'{archive.end.isoformat()}.zip"'
    )
    return response


@bp.get("/invoices/export.csv")
@account_required
def export_invoices():
    """The invoices the filters select, as CSV, streamed."""
    from blueprints.billing.export import rows

    account = current_account()
    today = local_today(account.timezone)
    filters = listing.Filters.from_args(request.args)
    response = Response(stream_with_context(rows(account, filters, today)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="invoices-{account.code}-{today.isoformat()}.csv"'
    )
    return response


@bp.get("/invoices/<int:invoice_id>.pdf")
@account_required
def invoice_pdf(invoice_id: int):
    """The invoice as a PDF, in the customer's language."""
    from documents.invoice import invoice_pdf as build

    account = current_account()
    invoice = listing.get_invoice(account, invoice_id)
    response = Response(build(invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


@bp.get("/invoices/<int:invoice_id>.xml")
@account_required
def invoice_ubl(invoice_id: int):
    """A Belgian business customer's invoice as a Peppol BIS Billing 3.0 UBL file; what
    the customer's details lack is said on the invoices page."""
    from telephony.invoicing.document import build

    account = current_account()
    invoice = listing.get_invoice(account, invoice_id)
    document = build(invoice, current_app.config["OPERATOR"], account.language)
    if einvoice.kind(document) != "ubl":
        abort(404)
    try:
        xml = einvoice.ubl_xml(document)
    except einvoice.MissingDetails as error:
        flash(str(error.message), "error")
        return redirect(url_for("billing.invoices"), 303)
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    return response


def _charge(form, account, charge, *, paid: str, gone: str):
    """Run `charge(method)` with the method the form names: a redirect to the invoices when
    it is paid (`paid`) or was no longer to pay (`gone`); None when the form shows why not
    (no method chosen, a refused rule, a refused card, beside the method)."""
    method = get_method(account, form.method.data)
    if method is None:
        form.method.errors = [_("Choose a payment method.")]
        return None
    done = perform(lambda: charge(method), form, "method")
    if isinstance(done.error, NotPayable):
        flash(gone, "info")
        return redirect(url_for("billing.invoices"), 303)
    if not done:
        return None
    refused = _refused(done.value)
    if refused:
        form.method.errors = [refused]
        return None
    flash(paid, "success")
    return redirect(url_for("billing.invoices"), 303)


@bp.route("/invoices/<int:invoice_id>/pay", methods=["GET", "POST"])
@account_required
def pay_invoice(invoice_id: int):
    """Pay one invoice with a saved payment method: paid once, whatever arrives at the
    same time; a refused charge says why beside the method."""
    account = current_account()
    invoice = listing.get_invoice(account, invoice_id, kinds=(InvoiceKind.INVOICE,))
    today = local_today(account.timezone)
    form = PayInvoiceForm()
    if invoice.status != InvoiceStatus.AWAITING_PAYMENT:
        if request.method == "POST":
            flash(_("This invoice is already paid."), "info")
        return redirect(url_for("billing.invoices"), 303)
    if form.validate_on_submit():
        paid = _charge(
            form,
            account,
            lambda method: [
                paying.pay_one(
                    account,
                    invoice,
                    method,
                    actor=current_user,
                    provider=configured_provider(),
                    today=today,
                )
            ],
            paid=_("Thank you: the invoice %(number)s is paid.", number=invoice.number),
            gone=_("This invoice is already paid."),
        )
        if paid is not None:
            return paid
    methods = usable_methods(account, today)
    _preselect(form, methods)
    return render(
        "billing/pay_invoice.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        invoice=invoice,
        methods=methods,
        form=form,
    )


@bp.route("/invoices/pay-balance", methods=["GET", "POST"])
@account_required
def pay_balance():
    """Pay every invoice due as one payment: the page lists them; the form confirms exactly
    those (if one was paid or issued meanwhile, the page shows the new balance)."""
    account = current_account()
    today = local_today(account.timezone)
    form = PayBalanceForm()
    if form.validate_on_submit():
        paid = _charge(
            form,
            account,
            lambda method: paying.pay_balance(
                account,
                form.invoices.data or "",
                method,
                actor=current_user,
                provider=configured_provider(),
                today=today,
            ),
            paid=_("Thank you: your balance is paid."),
            gone=_("Nothing is left to pay."),
        )
        if paid is not None:
            return paid
    due = listing.due_invoices(account)
    if not due:
        if form.is_submitted():
            flash(_("Nothing is left to pay."), "info")
        return redirect(url_for("billing.invoices"), 303)
    form.invoices.data = paying.confirmation(due)
    methods = usable_methods(account, today)
    _preselect(form, methods)
    return render(
        "billing/pay_balance.html",
        status=422 if form.is_submitted() else 200,
        account=account,
        due=due,
        balance=listing.balance(account, today),
        methods=methods,
        form=form,
    )
