"""Translatable labels of the domain's codes, in one place for templates and e-mails."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_babel.speaklater import LazyString

from telephony.models import (
    AccountKind,
    AliasConfig,
    InvoiceStatus,
    LineKind,
    PaymentStatus,
    ProcedureStatus,
    TaskAction,
    TaskStatus,
)

LINE_KINDS = {
    LineKind.SIP: _l("SIP line"),
    LineKind.TRUNK: _l("Trunk"),
    LineKind.FAX: _l("Fax line"),
}
ALIAS_CONFIGS = {
    # Translators: how an alias number is configured.
    AliasConfig.NONE: _l("Not configured"),
    AliasConfig.REDIRECT: _l("Redirection"),
    AliasConfig.VOICEMAIL: _l("Voicemail"),
    AliasConfig.QUEUE: _l("Call queue"),
    AliasConfig.IVR: _l("Interactive voice response"),
    AliasConfig.CONFERENCE: _l("Conference"),
}
ACCOUNT_KINDS = {
    AccountKind.INDIVIDUAL: _l("Individual"),
    AccountKind.COMPANY: _l("Company"),
    AccountKind.ASSOCIATION: _l("Association"),
}
TASK_STATUSES = {
    # Translators: status of a requested change, shown after its name ("Offer change ·
    # Scheduled", "Termination · Cancelled"): the names differ in gender, so the status
    # should not agree with one of them.
    TaskStatus.TODO: _lp("task status", "Scheduled"),
    TaskStatus.DOING: _lp("task status", "In progress"),
    TaskStatus.DONE: _lp("task status", "Done"),
    TaskStatus.ERROR: _lp("task status", "Failed"),
    TaskStatus.CANCELLED: _lp("task status", "Cancelled"),
}
#: Why a bank returned a SEPA direct debit (the ISO 20022 reason codes seen most).
DEBIT_RETURN_REASONS = {
    "AC01": _l("the account number is wrong"),
    "AC04": _l("the account is closed"),
    "AC06": _l("the account is blocked"),
    "AM04": _l("insufficient funds"),
    "MD01": _l("no valid mandate"),
    "MD06": _l("the account holder asked for a refund"),
    "MS02": _l("refused by the account holder"),
    "MS03": _l("reason not given by the bank"),
    "SL01": _l("a service of the account holder's bank"),
}
#: An order's own status (orders are invoices: InvoiceStatus). Not INVOICE_STATUSES below,
#: which names the status the Invoices page shows (due, overdue...).
ORDER_STATUSES = {
    # Translators: status of an invoice or purchase order.
    InvoiceStatus.AWAITING_PAYMENT: _l("Awaiting payment"),
    InvoiceStatus.PAID: _l("Paid"),
    InvoiceStatus.CANCELLED: _l("Cancelled"),
    InvoiceStatus.COLLECTION_SENT: _l("Collection sent"),
    InvoiceStatus.REFUNDED: _l("Refunded"),
}
PAYMENT_STATUSES = {
    # Translators: status of a payment.
    PaymentStatus.PENDING: _l("Pending"),
    PaymentStatus.SUCCEEDED: _l("Succeeded"),
    PaymentStatus.FAILED: _l("Refused"),
}
PROCEDURE_STATUSES = {
    # Translators: status of the validation procedure (direct-debit authorization).
    ProcedureStatus.TODO: _l("To do"),
    ProcedureStatus.WAITING: _l("Waiting for your documents"),
    ProcedureStatus.RECEIVED: _l("Documents received, being checked"),
    ProcedureStatus.VALIDATED: _l("Validated"),
    ProcedureStatus.REJECTED: _l("Rejected"),
    ProcedureStatus.CANCELLED: _l("Cancelled"),
}
#: The same statuses as an agent reads them: whose documents, said plainly.
PROCEDURE_STATUSES_FOR_AGENTS = {
    # Translators: status of the validation procedure, as support agents read it.
    ProcedureStatus.WAITING: _l("Waiting for the customer's documents"),
}
PROCEDURE_TRIGGERS = {
    # Translators: why a validation procedure was started.
    "first_order": _l("Your first telephony order"),
    "billing_contact": _l("A change of billing contact"),
    "anticipated": _l("Started in advance"),
}
#: What each kind of pending change is called, listed with its date. Keyed by str: a task's
#: `action` column and an audit event's "action" are plain strings (TaskAction is a StrEnum).
TASK_ACTIONS: dict[str, LazyString] = {
    # Translators: a pending change of a line's offer.
    TaskAction.CHANGE_OFFER: _l("Offer change"),
    # Translators: a pending change: fewer simultaneous calls on a line.
    TaskAction.REMOVE_CALLS: _l("Removal of simultaneous calls"),
    # Translators: pending changes of a line or number, listed with their date.
    TaskAction.CONVERT_TO_ALIAS: _l("Conversion to alias number"),
    TaskAction.CONVERT_TO_LINE: _l("Conversion to line"),
    TaskAction.TERMINATE_LINE: _l("Termination"),
    TaskAction.TERMINATE_ALIAS: _l("Termination"),
    TaskAction.TERMINATE_POOL: _l("Termination of the number range"),
    # Translators: a pending order of a new SIP line, listed with the other pending requests.
    TaskAction.ORDER_LINE: _l("New line"),
}

HARDWARE_KINDS = {
    "plug_and_phone": _l("Plug & Phone"),
    "plug_and_fax": _l("Plug & Fax"),
}


#: The cancel button of a pending change, by action (fixed English labels: support scripts
#: and tests name them).
CANCEL_LABELS = {
    TaskAction.CHANGE_OFFER: _l("Cancel offer change"),
    # Translators: button that cancels a pending removal of simultaneous calls.
    TaskAction.REMOVE_CALLS: _l("Cancel removal of calls"),
    TaskAction.CONVERT_TO_ALIAS: _l("Cancel conversion"),
    TaskAction.CONVERT_TO_LINE: _l("Cancel conversion"),
    TaskAction.TERMINATE_LINE: _l("Cancel termination"),
    TaskAction.TERMINATE_ALIAS: _l("Cancel termination"),
    TaskAction.TERMINATE_POOL: _l("Cancel termination"),
    # Translators: button that cancels the pending order of a new line.
    TaskAction.ORDER_LINE: _l("Cancel order"),
}

#: What an audit event says happened (agents read them in the account's timeline).
AUDIT_ACTIONS = {
    "translation.saved": _l("Translation saved"),
    "faq_translation.saved": _l("FAQ answer saved"),
    "agent.acting_started": _l("Agent started acting for the customer"),
    "agent.acting_stopped": _l("Agent stopped acting for the customer"),
    "agent.viewed": _l("Agent viewed a page"),
    "agent.refused": _l("Agent's change refused"),
    "agent.note_added": _l("Call note added"),
    "agent.note_edited": _l("Call note corrected"),
    "account.billing_contact_changed": _l("Billing contact changed"),
    "alias_number.converted_to_line": _l("Alias number converted to a line"),
    "alias_number.terminated": _l("Alias number terminated"),
    "calls.added": _l("Simultaneous calls added"),
    "calls.order_cancelled": _l("Purchase order cancelled"),
    "calls.order_created": _l("Purchase order generated"),
    "calls.removed": _l("Simultaneous calls removed"),
    "line.converted_to_alias": _l("Line converted to an alias number"),
    "line.created": _l("Line created"),
    "line.terminated": _l("Line terminated"),
    "licences.changed": _l("Licences changed"),
    "credits.bought": _l("Communication credits bought"),
    "quota.requested": _l("More service numbers requested"),
    "port.created": _l("Port order created"),
    "port.details_saved": _l("Port order details saved"),
    "port.document_uploaded": _l("Port order document uploaded"),
    "port.submitted": _l("Port order submitted"),
    "port.cancelled": _l("Port order cancelled"),
    "port.number_removed": _l("Number taken out of a port order"),
    "port.processing": _l("Port order: processing"),
    "port.contacting_carrier": _l("Port order: contacting the carrier"),
    "port.date_confirmed": _l("Port order: date confirmed"),
    "port.pending": _l("Port order: pending"),
    "port.completed": _l("Port order completed"),
    "port.rejected": _l("Port order rejected by the losing carrier"),
    "credits.settings_changed": _l("Automatic recharge of the credits changed"),
    "destination.created": _l("Conference bridge, auto attendant or call queue created"),
    "service_number.assigned": _l("Service number assigned"),
    "service_number.released": _l("Service number released"),
    "number_pool.terminated": _l("Number range terminated"),
    "offer.changed": _l("Offer changed"),
    "offer.change_requested": _l("Offer change requested"),
    "payment_method.added": _l("Payment method added"),
    "payment_method.default_changed": _l("Default payment method changed"),
    "payment_method.removed": _l("Payment method removed"),
    "payment.pending": _l("Payment pending"),
    "payment.succeeded": _l("Payment received"),
    "payment.failed": _l("Payment refused"),
    "procedure.required": _l("Validation procedure required"),
    "service.aligned": _l("Renewal date aligned"),
    "service.anticipated": _l("Payment anticipated"),
    "service.deleted": _l("Service deleted (not renewed)"),
    "service.invoice_to_pay": _l("Renewal invoice left to pay"),
    "invoice.collection_sent": _l("Invoice sent for collection by direct debit"),
    "invoice.debit_returned": _l("Direct debit returned by the bank"),
    "invoice.credit_note": _l("Credit note issued"),
    "invoice.cancelled": _l("Unpaid invoice cancelled: its service ended"),
    "invoice.archive_requested": _l("ZIP of invoices requested"),
    "service.reactivated": _l("Service reactivated"),
    "service.renewal_changed": _l("Renewal changed"),
    "service.renewal_invoiced": _l("Services renewed and invoiced"),
    "service.renewed": _l("Service renewed"),
    "service.suspended": _l("Service suspended (unpaid)"),
    "service_numbers.reserved": _l("Service numbers reserved"),
    "service_numbers.released": _l("Service numbers released"),
    "service_numbers.hold_extended": _l("Service numbers held longer"),
    "service_numbers.acquired": _l("Service numbers acquired"),
    "procedure.submitted": _l("Validation procedure details filled in"),
    "procedure.status_changed": _l("Validation procedure status changed"),
    "task.cancelled": _l("Request cancelled"),
    "task.done": _l("Request carried out"),
    "task.error": _l("Request failed"),
    "task.scheduled": _l("Request scheduled"),
}
TIMELINE_KINDS = {
    # Translators: kinds of entries in an account's timeline (agent console filter).
    "change": _l("Changes"),
    "view": _l("Agent views"),
    "email": _l("Service e-mails"),
    "task": _l("Pending requests"),
    "note": _l("Call notes"),
}


def pending_change(request) -> str:
    """What a pending request (telephony.pending.PendingRequest) will change, in words:
    the offer and its monthly price, the calls before and after, what a conversion makes;
    "" for a termination (its date says it all)."""
    from flask_babel import gettext as _

    from templating import money

    action = request.task.action
    price = (
        money(request.price.excl_vat, request.price.currency) if request.price is not None else ""
    )
    offer = request.offer.name if request.offer is not None else ""
    if action == TaskAction.CHANGE_OFFER and offer:
        return _("to %(offer)s, %(price)s excl. VAT a month", offer=offer, price=price)
    if action == TaskAction.REMOVE_CALLS and request.calls_to is not None:
        return _(
            "simultaneous calls from %(before)d to %(after)d",
            before=request.calls_from,
            after=request.calls_to,
        )
    if action == TaskAction.CONVERT_TO_ALIAS:
        return _("becomes an alias number")
    if action == TaskAction.CONVERT_TO_LINE and offer:
        return _(
            "becomes a line with %(offer)s, %(price)s excl. VAT a month", offer=offer, price=price
        )
    if action == TaskAction.ORDER_LINE and offer:
        return _("with %(offer)s, %(price)s excl. VAT a month", offer=offer, price=price)
    return ""


def pending_when(request) -> str:
    from flask_babel import gettext as _

    from templating import day

    if request.waiting:
        return _("once the validation procedure is validated")
    return _("on %(date)s", date=day(request.task.execute_on, "long"))


def pending_summary(request) -> str:
    """One line for a pending request: what, on which number, what changes, when."""
    from flask_babel import gettext as _

    from templating import phone

    task = request.task
    if task.target_type == "telephony_group":
        where = _("New line in %(group)s", group=request.number)
    else:
        where = phone(request.number)
    parts = [str(TASK_ACTIONS[task.action]), where, pending_change(request), pending_when(request)]
    return " · ".join(part for part in parts if part)


def procedure_status_label(status, agent: bool = False):
    """A procedure's status in words; `agent=True`: as an agent reads it (never "your")."""
    if agent and status in PROCEDURE_STATUSES_FOR_AGENTS:
        return PROCEDURE_STATUSES_FOR_AGENTS[status]
    return PROCEDURE_STATUSES.get(status, status)


def viewer_is_staff() -> bool:
    """Whether the page is read by an agent (acting for a customer, or in the console)."""
    from flask_login import current_user

    from security import STAFF

    return bool(current_user and current_user.is_authenticated and current_user.role in STAFF)


#: My services: the kinds of service, their state, how they renew, the expiry filters.
SERVICE_TYPES = {
    "sip_line": _l("SIP line"),
    "trunk": _l("SIP trunk"),
    "fax_line": _l("Fax line"),
    "alias_number": _l("Alias number"),
    "number_pool": _l("Number range"),
    "service_number": _l("Service number"),
}
#: Service numbers: the telephony licences that give the quota, and the types of number.
LICENCE_KINDS = {
    "phone_system": _l("Phone system add-on"),
    "audio_conferencing": _l("Conferencing add-on"),
}
#: French toll-free numbers: the categories of the public reverse directory.
SVA_CATEGORIES = {
    "customer_service": _l("Customer service"),
    "after_sales": _l("After-sales service"),
    "information": _l("Information"),
    "booking": _l("Bookings and orders"),
    "public_service": _l("Public service"),
}
#: Port orders: where each stands (the customer's words).
PORT_STATUSES = {
    "draft": _lp("port order", "Being prepared"),
    "submitted": _lp("port order", "Submitted"),
    "processing": _lp("port order", "Processing"),
    "contacting_carrier": _lp("port order", "Contacting the carrier"),
    "date_confirmed": _lp("port order", "Date confirmed"),
    "pending": _lp("port order", "Pending (no more changes)"),
    "completed": _lp("port order", "Completed"),
    "rejected": _lp("port order", "Rejected"),
    "cancelled": _lp("port order", "Cancelled"),
}
#: Where one number of a port order stands, where it differs from its order's words.
PORT_NUMBER_STATUSES = {
    **PORT_STATUSES,
    "draft": _lp("port number", "In the order"),
    "completed": _lp("port number", "Ported"),
    "cancelled": _lp("port number", "Not ported"),
}
#: Where a text message (or an e-mail) stands in its queue.
MESSAGE_STATUSES = {
    "queued": _lp("message", "Waiting to be sent"),
    "sending": _lp("message", "Being sent"),
    "sent": _lp("message", "Sent"),
    "failed": _lp("message", "Not delivered"),
}
#: The documents of a port order.
PORT_DOCUMENTS = {
    "loa": _l("The signed letter of authorization"),
    "bill": _l("A recent bill of the losing carrier"),
    "allocation": _l("The regulator's proof of allocation"),
}
#: Communication credits: what moved the balance.
CREDIT_MOVEMENTS = {
    "purchase": _l("Credits bought"),
    "auto_recharge": _l("Automatic recharge"),
    "usage": _l("Calls to your toll-free numbers"),
}
DESTINATION_KINDS = {
    "conference_bridge": _l("Conference bridge"),
    "auto_attendant": _l("Auto attendant"),
    "call_queue": _l("Call queue"),
}
NUMBER_TYPES = {
    # Translators: a number that rings in a city (its area code).
    "geographic": _l("Geographic"),
    # Translators: a non-geographic number at the national rate (FR 09, BE 078, CH 058).
    "national": _l("National"),
    # Translators: a number free for the caller (0800).
    "toll_free": _l("Toll-free"),
}
SERVICE_STATES = {
    # Translators: state of a service (My services).
    "creating": _lp("service state", "Being created"),
    "active": _lp("service state", "Active"),
    "suspended": _lp("service state", "Suspended"),
    "terminated": _lp("service state", "Terminated"),
}
RENEWAL_STATUSES = {
    # Translators: how a service renews (My services).
    "automatic": _l("Automatic renewal"),
    "manual": _l("Manual renewal"),
    "invoice_to_pay": _l("Invoice to pay"),
    "termination_requested": _l("Termination requested"),
    "terminated": _lp("renewal status", "Terminated"),
}
#: The status the Invoices page shows (telephony.invoicing.listing's `shown_status`).
INVOICE_STATUSES: dict[str, LazyString] = {
    # Translators: where an invoice stands (Invoices page).
    "due": _l("Payment due"),
    "overdue": _l("Overdue"),
    "paid": _lp("invoice status", "Paid"),
    "collection_sent": _l("Collection sent"),
    "refunded": _l("Refunded"),
    "refund_due": _l("Refund due"),
    # Translators: a credit note that cancelled an invoice the customer had not paid.
    "settled": _l("Set against the invoice"),
    "cancelled": _lp("invoice status", "Cancelled"),
}
SERVICE_EXPIRY = {
    "week": _l("Expires within a week"),
    "month": _l("Expires within a month"),
    "renewed_month": _l("Renewed within the last month"),
}

#: My services' sortable columns, in the table's order (telephony.services.listing.SORTS).
SERVICE_SORTS = {
    "name": _l("Name"),
    "type": _l("Type"),
    "state": _l("State"),
    "renewal": _l("Renewal"),
    "frequency": _l("Frequency"),
    # Translators: "Date of effect" of a service: what happens when (My services).
    "effect": _l("Date of effect"),
}


def renewal_frequency(months: int) -> str:
    """How often a service renews: "Every month", "Every 3 months"."""
    from flask_babel import ngettext

    return ngettext("Every month", "Every %(num)d months", months)


#: The fields an audit event keeps before and after a change, as agents read them in the
#: timeline (a request's details, `params`, are listed field by field).
AUDIT_FIELDS = {
    "locale": _l("Language"),
    "key": _l("Entry"),
    "context": _l("Context"),
    "source": _l("English source"),
    "translation": _l("Translation"),
    "slug": _l("Question address"),
    "question": _l("Question"),
    "answer": _l("Answer"),
    "action": _l("Change"),
    "alias_number": _l("Alias number"),
    "amount": _l("Amount"),
    "body": _l("Note"),
    "calls_current": _l("Simultaneous calls"),
    "calls_max": _l("Maximum calls"),
    "card": _l("Card"),
    "config": _l("Configuration"),
    "contracts_accepted": _l("Contracts accepted"),
    "currency": _l("Currency"),
    "days": _l("Days added"),
    "default": _l("Default"),
    "description": _l("Description"),
    "details": _l("Details"),
    "email": _l("E-mail"),
    "error": _l("Error"),
    "expires": _l("Expiry date"),
    "from": _l("Before the change"),
    "group": _l("Telephony group"),
    "hardware_return": _l("Hardware to send back"),
    "holder_name": _l("Account holder"),
    "iban": _l("IBAN"),
    "invoice": _l("Invoice"),
    "line": _l("Line"),
    "line_id": _l("Line"),
    "method": _l("Payment method"),
    "mode": _l("Renewal"),
    "name": _l("Name"),
    "number": _l("Number"),
    "numbers": _l("Numbers"),
    "offer": _l("Offer"),
    "offer_id": _l("Offer"),
    "order": _l("Purchase order"),
    "path": _l("Page"),
    "period": _l("Period (months)"),
    "reason": _l("Reason"),
    "reference": _l("Mandate reference"),
    "remove": _l("Calls to remove"),
    "result": _l("Result"),
    "services": _l("Services"),
    "status": _l("Status"),
    "task": _l("Request"),
    "terms_accepted": _l("Terms accepted"),
    "trigger": _l("Why"),
    # Service numbers and porting.
    "asked": _l("Numbers asked for"),
    "held": _l("Numbers held"),
    "type": _l("Type"),
    "kind": _l("Kind"),
    "quantity": _l("Quantity"),
    "credits": _l("Credits"),
    "balance": _l("Balance"),
    "auto_recharge": _l("Automatic recharge"),
    "threshold": _l("When the balance falls below"),
    "recharge_amount": _l("Buy this amount of credits"),
    "holder": _l("Holder"),
    "date": _l("Date"),
    "size": _l("Size in bytes"),
    "reasons": _l("Reasons"),
    "note": _l("Note"),
    "copy_of": _l("Copy of order"),
    "toll_free": _l("Toll-free numbers"),
    "destination": _l("Where the number rings"),
    "quarantine_until": _l("Kept aside until"),
    "lines": _l("Lines"),
}


def audit_details(details: dict | None) -> list[tuple[str, str]]:
    """An audit event's before or after as (label, value) rows an agent can read: IBANs
    masked, a request's details one row each, yes/no for flags, lists joined."""
    from flask_babel import gettext

    from telephony.support import for_agents

    rows: list[tuple[str, str]] = []
    for key, value in for_agents(details).items():
        if key == "params" and isinstance(value, dict):
            rows.extend(audit_details(value))
            continue
        label = str(AUDIT_FIELDS.get(key, key))
        if key == "action" and isinstance(value, str):
            value = TASK_ACTIONS.get(value, value)
        if isinstance(value, bool):
            value = gettext("Yes") if value else gettext("No")
        elif isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value) or "–"
        elif isinstance(value, dict):
            value = ", ".join(f"{AUDIT_FIELDS.get(k, k)}: {v}" for k, v in value.items())
        rows.append((label, "–" if value is None or value == "" else str(value)))
    return rows


#: Card schemes are brand names, the same in every language; an unknown one is "Card".
CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}


def card_brand_label(brand: str) -> str:
    return CARD_BRANDS.get(brand) or str(_l("Card"))


def label_helpers() -> dict:
    return {
        "line_kind_label": LINE_KINDS.get,
        "alias_config_label": ALIAS_CONFIGS.get,
        "account_kind_label": ACCOUNT_KINDS.get,
        "task_status_label": TASK_STATUSES.get,
        "order_status_label": ORDER_STATUSES.get,
        "payment_status_label": PAYMENT_STATUSES.get,
        "procedure_status_label": procedure_status_label,
        "procedure_trigger_label": lambda trigger: PROCEDURE_TRIGGERS.get(trigger, trigger),
        "hardware_kind_label": lambda kind: HARDWARE_KINDS.get(kind, kind),
        "card_brand_label": card_brand_label,
        # Every action has its labels (telephony.wiring checks it): a missing one is an error.
        "task_action_label": TASK_ACTIONS.__getitem__,
        "cancel_label": CANCEL_LABELS.__getitem__,
        "audit_action_label": lambda action: AUDIT_ACTIONS.get(action, action),
        "timeline_kind_label": TIMELINE_KINDS.get,
        "pending_change": pending_change,
        "pending_when": pending_when,
        "pending_summary": pending_summary,
        "viewer_is_staff": viewer_is_staff,
        "audit_details": audit_details,
        "service_type_label": lambda kind: SERVICE_TYPES.get(kind, kind),
        "service_state_label": lambda state: SERVICE_STATES.get(str(state), state),
        "renewal_status_label": lambda status: RENEWAL_STATUSES.get(status, status),
        "invoice_status_label": lambda status: INVOICE_STATUSES.get(status, status),
        "debit_return_reason": lambda code: DEBIT_RETURN_REASONS.get(code, code),
        "service_expiry_label": lambda key: SERVICE_EXPIRY.get(key, key),
        "service_sorts": SERVICE_SORTS,
        "renewal_frequency": renewal_frequency,
        "number_type_label": lambda kind: NUMBER_TYPES.get(str(kind), kind),
        "licence_kind_label": lambda kind: LICENCE_KINDS.get(str(kind), kind),
        "destination_kind_label": lambda kind: DESTINATION_KINDS.get(str(kind), kind),
        "sva_category_label": lambda code: SVA_CATEGORIES.get(code, code),
        "credit_movement_label": lambda kind: CREDIT_MOVEMENTS.get(kind, kind),
        "port_status_label": lambda status: PORT_STATUSES.get(str(status), status),
        "port_number_status_label": lambda status: PORT_NUMBER_STATUSES.get(str(status), status),
        "port_document_label": lambda kind: PORT_DOCUMENTS.get(kind, kind),
        "message_status_label": lambda status: MESSAGE_STATUSES.get(str(status), status),
    }


#: What an organisation's identifier is called in each country (mandates, port letters).
ORGANISATION_ID_NAMES = {
    "FR": _l("SIREN or SIRET"),
    # Translators: the Belgian company number (KBO/BCE).
    "BE": _l("Enterprise number"),
    # Translators: the Swiss company identification number (UID/IDE/IDI).
    "CH": _l("UID number"),
}


def organisation_id_name(country: str):
    return ORGANISATION_ID_NAMES.get(country, _l("Organisation identifier"))
