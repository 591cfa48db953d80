"""The validation procedure (seed 002): the direct-debit authorization and the supporting
documents an account sends before its first VoIP order, and again after a change of its
billing contact. VoIP orders made meanwhile wait (their renewal task is kept for later).

Life of a procedure::

    todo ──(customer fills the form)──> waiting_for_customer ──> received ──> validated
      │                                   │   │                    │
      └──> cancelled <────────────────────┘   └──> rejected <──────┘   (agents decide)

Only the latest procedure of an account counts: validated means orders may proceed.
Every function here works on plain values and models; nothing reads the request.

The package: `details` (the form's fields, checked), `workflow` (the life of a procedure and
where an account stands), `checklist` (what to send, and where).
"""

from telephony.procedure.checklist import CHECKLISTS, Sending, checklist, sending
from telephony.procedure.details import (
    ALLOWED_SIGNS,
    CHF_IBAN_COUNTRIES,
    CURRENCIES,
    DOCUMENT_LOCALES,
    FIELDS,
    HOLDER_COUNTRIES,
    TEXT_LIMITS,
    Details,
    InvalidDetails,
    bank_code,
    bank_name,
    check_details,
    formatted_organisation_id,
    initial_values,
    kept_iban,
)
from telephony.procedure.workflow import (
    REASON_MAX,
    REASON_REQUIRED,
    REFERENCE_CHARS,
    TRANSITIONS,
    VOIP_ORDER_ACTIONS,
    billing_contact_changed,
    change_status,
    clean_reason,
    document_kind,
    generate_reference,
    get,
    history,
    is_valid_reference,
    is_validated,
    latest,
    require_for_order,
    submit,
    version_of,
    waiting_ids,
    waiting_orders,
)

__all__ = [
    "ALLOWED_SIGNS",
    "CHECKLISTS",
    "CHF_IBAN_COUNTRIES",
    "CURRENCIES",
    "DOCUMENT_LOCALES",
    "FIELDS",
    "HOLDER_COUNTRIES",
    "REASON_MAX",
    "REASON_REQUIRED",
    "REFERENCE_CHARS",
    "TEXT_LIMITS",
    "TRANSITIONS",
    "VOIP_ORDER_ACTIONS",
    "Details",
    "InvalidDetails",
    "Sending",
    "bank_code",
    "formatted_organisation_id",
    "bank_name",
    "billing_contact_changed",
    "change_status",
    "check_details",
    "checklist",
    "clean_reason",
    "version_of",
    "document_kind",
    "generate_reference",
    "get",
    "history",
    "initial_values",
    "is_valid_reference",
    "is_validated",
    "kept_iban",
    "latest",
    "require_for_order",
    "sending",
    "submit",
    "waiting_ids",
    "waiting_orders",
]
