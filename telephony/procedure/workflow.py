"""The procedure's life: started by a first VoIP order or a new billing contact, filled in by
the customer, moved on by agents (`TRANSITIONS`); where an account stands, and which of
its orders wait for it."""

from __future__ import annotations

import hashlib
import secrets
import string
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from telephony import DomainError, audit, payment_methods
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AccountKind,
    ProcedureStatus,
    ScheduledTask,
    TaskAction,
    TaskStatus,
    User,
    ValidationProcedure,
    utcnow,
)
from telephony.procedure.details import FIELDS, check_details, kept_iban

REASON_MAX = 300

#: Task actions that are VoIP orders (a new line, an alias number becoming a line): they
#: wait while the procedure is not validated.
VOIP_ORDER_ACTIONS = frozenset({TaskAction.ORDER_LINE, TaskAction.CONVERT_TO_LINE})

#: Who may move a procedure from one status to another (agents; the customer's form moves
#: todo → waiting_for_customer through `submit`).
TRANSITIONS = {
    ProcedureStatus.TODO: {ProcedureStatus.CANCELLED},
    ProcedureStatus.WAITING: {
        ProcedureStatus.RECEIVED,
        ProcedureStatus.VALIDATED,
        ProcedureStatus.REJECTED,
        ProcedureStatus.CANCELLED,
    },
    ProcedureStatus.RECEIVED: {
        ProcedureStatus.VALIDATED,
        ProcedureStatus.REJECTED,
        ProcedureStatus.CANCELLED,
    },
}
REASON_REQUIRED = (ProcedureStatus.REJECTED, ProcedureStatus.CANCELLED)

REFERENCE_CHARS = set(string.ascii_letters + string.digits + "/-?:().,'+ ")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_reference(account: Account, now: datetime | None = None) -> str:
    """A new unique mandate reference: account code, date, random part (24 characters)."""
    code = "".join(ch for ch in account.code.upper() if ch.isalnum())[:12]
    day = (now or utcnow()).strftime("%y%m%d")
    while True:
        token = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{code}-{day}-{token}"
        if not db.session.scalar(
            select(ValidationProcedure.id).where(ValidationProcedure.mandate_reference == reference)
        ):
            return reference


def is_valid_reference(reference: str) -> bool:
    """At most 35 characters of the SEPA set, neither starting nor ending with a sign."""
    return (
        0 < len(reference) <= 35
        and set(reference) <= REFERENCE_CHARS
        and reference[0].isalnum()
        and reference[-1].isalnum()
    )


# --- Where an account stands ----------------------------------------------------------------


def latest(account: Account) -> ValidationProcedure | None:
    return db.session.scalar(
        select(ValidationProcedure)
        .where(ValidationProcedure.account_id == account.id)
        .order_by(ValidationProcedure.id.desc())
        .limit(1)
    )


def history(account: Account) -> list[ValidationProcedure]:
    return list(
        db.session.scalars(
            select(ValidationProcedure)
            .where(ValidationProcedure.account_id == account.id)
            .order_by(ValidationProcedure.id.desc())
        )
    )


def get(account: Account, procedure_id: int) -> ValidationProcedure:
    from telephony import NotFound

    procedure = db.session.get(ValidationProcedure, procedure_id)
    if procedure is None or procedure.account_id != account.id:
        raise NotFound(_l("This procedure does not exist."))
    return procedure


def is_validated(account: Account) -> bool:
    """May the account's VoIP orders proceed?"""
    procedure = latest(account)
    return procedure is not None and procedure.status == ProcedureStatus.VALIDATED


def waiting_ids(account: Account, tasks) -> set[int]:
    """Which of these tasks wait for the validation procedure: the VoIP orders still to do
    while it is not validated. Every page that shows a task asks this, so that none says
    "scheduled for <date>" while another says "waiting"."""
    candidates = {
        task.id
        for task in tasks
        if task.action in VOIP_ORDER_ACTIONS and task.status == TaskStatus.TODO
    }
    if not candidates or is_validated(account):
        return set()
    return candidates


def waiting_orders(account: Account) -> list[ScheduledTask]:
    """The account's VoIP orders that wait for the procedure: none once it is validated
    (they are then simply scheduled)."""
    if is_validated(account):
        return []
    return list(
        db.session.scalars(
            select(ScheduledTask)
            .where(
                ScheduledTask.account_id == account.id,
                ScheduledTask.action.in_(VOIP_ORDER_ACTIONS),
                ScheduledTask.status == TaskStatus.TODO,
            )
            .order_by(ScheduledTask.execute_on, ScheduledTask.id)
        )
    )


def version_of(procedure: ValidationProcedure) -> str:
    """What an agent's form says it was opened on (every column of the procedure): one
    sent on another version (the customer corrected the IBAN meanwhile) is refused, so an
    agent never validates details they did not see."""
    from extensions import column_keys

    values = repr(tuple(getattr(procedure, key) for key in column_keys(ValidationProcedure)))
    return hashlib.sha256(values.encode()).hexdigest()[:32]


def document_kind(procedure: ValidationProcedure, operator: Mapping) -> str:
    """ "sepa" (EUR accounts), or the Swiss CHF scheme the operator uses: "lsv" or "bdd".
    Business Direct Debit is for businesses (no right of objection): an individual signs
    an LSV+ authorization whatever the operator uses for companies."""
    if procedure.currency == "CHF":
        if procedure.customer_kind == AccountKind.INDIVIDUAL:
            return "lsv"
        return operator.get("ch_debit_scheme", "lsv")
    return "sepa"


# --- Changes --------------------------------------------------------------------------------


def _start(account: Account, trigger: str, actor: User | None, reason: str = ""):
    procedure = ValidationProcedure(
        account_id=account.id, status=ProcedureStatus.TODO, trigger=trigger
    )
    db.session.add(procedure)
    db.session.flush()
    audit.record(
        "procedure.required",
        account=account,
        actor=actor,
        target_type="validation_procedure",
        target_id=procedure.id,
        after={"status": procedure.status.value, "trigger": trigger},
        reason=reason,
    )
    queue_email(account, "procedure_awaited", procedure=procedure)
    return procedure


def require_for_order(account: Account, *, actor: User | None, reason: str = ""):
    """A VoIP order was placed: unless validated or already under way, start a procedure
    (todo) and tell the customer by e-mail. Returns the procedure that decides."""
    procedure = latest(account)
    if procedure is not None and (procedure.is_open or procedure.status == "validated"):
        return procedure
    return _start(account, "first_order", actor, reason)


def billing_contact_changed(account: Account, *, actor: User | None, reason: str = ""):
    """The billing contact changed: a validated procedure no longer counts, a new one is
    required (an open one simply goes on)."""
    procedure = latest(account)
    if procedure is not None and procedure.is_open:
        return procedure
    return _start(account, "billing_contact", actor, reason)


def submit(
    account: Account,
    raw: Mapping[str, str | None],
    *,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> ValidationProcedure:
    """The customer filled the form: store the details, give the mandate its reference and
    wait for the signed document (status waiting_for_customer). A service e-mail carries
    the PDF."""
    procedure = latest(account)
    details = check_details(account, raw, keep_iban=kept_iban(procedure))
    if procedure is not None and procedure.status == ProcedureStatus.RECEIVED:
        raise DomainError(
            _l("We have received your documents and are checking them: wait for our answer.")
        )
    if procedure is not None and procedure.status == ProcedureStatus.VALIDATED:
        raise DomainError(_l("Your procedure is already validated."))
    if procedure is None or not procedure.is_open:
        # Filled again after a rejection: still why it was asked for (a change of billing
        # contact, a first order), not "started in advance".
        trigger = procedure.trigger if procedure is not None else "anticipated"
        procedure = ValidationProcedure(account_id=account.id, trigger=trigger)
        db.session.add(procedure)
    elif procedure.status == ProcedureStatus.WAITING and all(
        getattr(procedure, name) == getattr(details, name) for name in FIELDS
    ):
        return procedure  # the same details again (a double click): the PDF is already sent
    before = _snapshot(procedure)
    for name in FIELDS:
        setattr(procedure, name, getattr(details, name))
    procedure.mandate_reference = procedure.mandate_reference or generate_reference(account, now)
    procedure.status = ProcedureStatus.WAITING
    procedure.submitted_at = now or utcnow()
    db.session.flush()
    audit.record(
        "procedure.submitted",
        account=account,
        actor=actor,
        target_type="validation_procedure",
        target_id=procedure.id,
        before=before,
        after=_snapshot(procedure),
        reason=reason,
    )
    queue_email(
        account,
        "procedure_document",
        procedure=procedure,
        attachment=("procedure", procedure.id),
    )
    return procedure


def _snapshot(procedure: ValidationProcedure) -> dict:
    """What the audit trail keeps: never the full IBAN."""
    return {
        "status": getattr(procedure.status, "value", procedure.status),
        "holder_name": procedure.holder_name,
        "iban": procedure.masked_iban,
        "currency": procedure.currency,
        "reference": procedure.mandate_reference,
    }


def clean_reason(text: str | None) -> str:
    text = " ".join(
        "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text or "").split()
    )
    if len(text) > REASON_MAX:
        raise DomainError(_l("Write at most %(num)d characters.", num=REASON_MAX), field="reason")
    return text


def change_status(
    account: Account,
    procedure: ValidationProcedure,
    status: ProcedureStatus | str,
    *,
    actor: User | None,
    reason: str | None = "",
    note: str = "",
    now: datetime | None = None,
) -> ValidationProcedure:
    """An agent moves the procedure on; audited, and the customer gets an e-mail.

    `reason` is for the customer (required to reject or cancel); `note` is the acting
    agent's reason, kept in the audit trail."""
    if procedure.account_id != account.id:
        raise DomainError(_l("This procedure does not exist."))
    try:
        status = ProcedureStatus(status)
    except ValueError:
        raise DomainError(_l("Choose a status from the list."), field="status") from None
    if status not in TRANSITIONS.get(procedure.status, set()):
        raise DomainError(
            _l("The procedure cannot go to this status from its current one."), field="status"
        )
    reason = clean_reason(reason)
    if status in REASON_REQUIRED and not reason:
        raise DomainError(_l("Give the reason: the customer will read it."), field="reason")
    before = procedure.status.value
    now = now or utcnow()
    procedure.status = status
    procedure.status_reason = reason if status in REASON_REQUIRED else ""
    if status == ProcedureStatus.RECEIVED:
        procedure.received_at = now
    elif status in (ProcedureStatus.VALIDATED, *REASON_REQUIRED):
        procedure.closed_at = now
        if status == ProcedureStatus.VALIDATED and procedure.received_at is None:
            procedure.received_at = now
    audit.record(
        "procedure.status_changed",
        account=account,
        actor=actor,
        target_type="validation_procedure",
        target_id=procedure.id,
        before={"status": before},
        after={"status": status.value, "reason": procedure.status_reason},
        reason=note,
    )
    if status == ProcedureStatus.VALIDATED and procedure.iban:
        payment_methods.add_mandate(account, procedure, actor=actor)
    queue_email(account, "procedure_status", procedure=procedure)
    return procedure
