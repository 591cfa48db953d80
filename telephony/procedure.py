"""The validation procedure (seed 002): the direct-debit authorization and the supporting
documents an account sends before its first VoIP order, and again after a change of its
billing contact. VoIP orders made meanwhile wait (their renewal task is kept for later).

Life of a procedure::

    todo ──(customer fills the form)──> waiting_for_customer ──> received ──> validated
      │                                   │   │                    │
      └──> cancelled <────────────────────┘   └──> rejected <──────┘   (agents decide)

Only the latest procedure of an account counts: validated means orders may proceed.
Every function here works on plain values and models; nothing reads the request.
"""

from __future__ import annotations

import secrets
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidBBANChecksum, InvalidChecksumDigits, SchwiftyException
from sqlalchemy import select
from stdnum.be import vat as be_enterprise
from stdnum.ch import uid as ch_uid
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from extensions import db
from telephony import DomainError, InvalidForm, audit, payment_methods
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

#: Languages the document can be printed in, by country (the account's country).
DOCUMENT_LOCALES = {
    "FR": ("fr_FR", "en"),
    "BE": ("fr_BE", "nl_BE", "de_BE", "en"),
    "CH": ("fr_CH", "de_CH", "it_CH", "en"),
}
#: Countries the account holder may live in (the SEPA countries around ours).
HOLDER_COUNTRIES = ("FR", "BE", "CH", "LU", "MC", "DE", "NL", "IT", "AT", "LI", "ES")
#: Currencies of the debited account: EUR everywhere (SEPA), CHF in Switzerland only.
CURRENCIES = {"FR": ("EUR",), "BE": ("EUR",), "CH": ("CHF", "EUR")}
#: IBAN countries of an account debited in CHF (LSV+/BDD).
CHF_IBAN_COUNTRIES = ("CH", "LI")

TEXT_LIMITS = {"holder_name": 70, "holder_street": 70, "holder_postcode": 16, "holder_city": 70}
#: Signs allowed in names and addresses besides letters, digits and spaces (the SEPA set,
#: plus & and the typographic apostrophe): no markup, no control characters.
ALLOWED_SIGNS = set("'’-.,/&()+:?#")
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

FIELDS = (
    "holder_name",
    "holder_street",
    "holder_postcode",
    "holder_city",
    "holder_country",
    "iban",
    "bic",
    "currency",
    "customer_kind",
    "organisation_id",
    "document_locale",
)


#: The form holds mistakes, each beside its field.
InvalidDetails = InvalidForm


@dataclass(frozen=True)
class Details:
    """The holder's details, checked and in their stored form."""

    holder_name: str
    holder_street: str
    holder_postcode: str
    holder_city: str
    holder_country: str
    iban: str
    bic: str
    currency: str
    customer_kind: AccountKind
    organisation_id: str
    document_locale: str


# --- Checking what the customer typed ----------------------------------------------------


def _clean_text(value: str | None, limit: int) -> tuple[str, object | None]:
    """Trimmed NFC text with single spaces, or a message saying what is wrong with it."""
    text = unicodedata.normalize("NFC", value or "").strip()
    for ch in text:
        if ch == " " or ch in ALLOWED_SIGNS or unicodedata.category(ch)[0] in "LMN":
            continue
        if unicodedata.category(ch)[0] in "CZ":
            return text, _l("Remove the tabs, line breaks and other invisible characters.")
        return text, _l(
            "Use only letters, digits, spaces and these signs: %(signs)s",
            signs="' - . , / & ( ) + : ? #",
        )
    text = " ".join(text.split())
    if len(text) > limit:
        return text, _l("Write at most %(num)d characters.", num=limit)
    return text, None


def _check_iban(value: str | None, errors: dict) -> IBAN | None:
    compact = "".join((value or "").split()).upper()
    if not compact:
        errors["iban"] = _l("Enter the IBAN of the account to debit.")
        return None
    if not compact.isalnum() or len(compact) > 34:
        errors["iban"] = _l("An IBAN has only letters and digits (at most 34).")
        return None
    try:
        iban = IBAN(compact, validate_bban=True)
    except InvalidChecksumDigits:
        errors["iban"] = _l("The check digits of this IBAN are wrong: check it for a typo.")
        return None
    except InvalidBBANChecksum:
        errors["iban"] = _l(
            "The national account number inside this IBAN is not valid: check it for a typo."
        )
        return None
    except SchwiftyException:
        errors["iban"] = _l("This is not a valid IBAN.")
        return None
    if not iban.in_sepa_zone:
        errors["iban"] = _l("Direct debits need an account in a country of the SEPA zone.")
        return None
    return iban


def _check_organisation_id(country: str, value: str | None) -> tuple[str, object | None]:
    value = (value or "").strip()
    validators = {
        "FR": (siren, siret),
        "BE": (be_enterprise,),
        "CH": (ch_uid,),
    }[country]
    messages = {
        # Translators: SIREN and SIRET are the French company identifiers.
        "FR": _l("Enter the SIREN (9 digits) or SIRET (14 digits) of the organisation."),
        # Translators: the Belgian enterprise number (KBO/BCE), e.g. 0403.170.701.
        "BE": _l("Enter the enterprise number of the organisation, e.g. 0403.170.701."),
        # Translators: the Swiss business identification number (UID/IDE/IDI).
        "CH": _l("Enter the UID of the organisation, e.g. CHE-100.155.212."),
    }
    if not value or len(value) > 30:
        return "", messages[country]
    checksum = False
    for module in validators:
        try:
            return module.validate(value), None
        except InvalidChecksum:
            checksum = True  # the right shape, a digit wrong: say so, not "9 digits"
        except StdnumError:
            continue
    if checksum:
        return "", _l(
            "This number has the right length but a wrong check digit: compare it with "
            "the organisation's registration."
        )
    return "", messages[country]


def check_details(
    account: Account, raw: Mapping[str, str | None], keep_iban: str | None = None
) -> Details:
    """Check every field of the form at once; raise InvalidDetails listing each mistake.

    `keep_iban`: the IBAN already on file. The form never shows it in full (the page masks it
    everywhere), so an empty IBAN field keeps it."""
    country = account.country.value
    errors: dict[str, object] = {}
    texts = {}
    required = {
        "holder_name": _l("Enter the name of the account holder."),
        "holder_street": _l("Enter the street and number."),
        "holder_postcode": _l("Enter the postcode."),
        "holder_city": _l("Enter the town or city."),
    }
    for name, limit in TEXT_LIMITS.items():
        texts[name], problem = _clean_text(raw.get(name), limit)
        if problem is None and not texts[name]:
            problem = required[name]
        if problem is not None:
            errors[name] = problem
    holder_country = (raw.get("holder_country") or "").strip().upper()
    if holder_country not in HOLDER_COUNTRIES:
        errors["holder_country"] = _l("Choose a country from the list.")

    iban_text = raw.get("iban") or ""
    if keep_iban and not iban_text.strip():
        iban_text = keep_iban
    iban = _check_iban(iban_text, errors)
    currency = (raw.get("currency") or "").strip().upper()
    if currency not in ("EUR", "CHF"):
        errors["currency"] = _l("Choose the currency of the account.")
    elif currency not in CURRENCIES[country]:
        errors["currency"] = _l("Accounts in Swiss francs can only be debited in Switzerland.")
    elif iban is not None and currency == "CHF" and iban.country_code not in CHF_IBAN_COUNTRIES:
        errors["iban"] = _l("An account in Swiss francs has a Swiss or Liechtenstein IBAN.")

    bic_text = "".join((raw.get("bic") or "").split()).upper()
    bic = ""
    if bic_text:
        try:
            parsed = BIC(bic_text)
        except SchwiftyException:
            errors["bic"] = _l("This is not a valid BIC (8 or 11 letters and digits).")
        else:
            if iban is not None and parsed.country_code != iban.country_code:
                errors["bic"] = _l("This BIC belongs to a bank of another country than the IBAN.")
            bic = str(parsed)
    elif iban is not None and iban.bic is not None:
        bic = str(iban.bic)  # best effort: not every bank is in schwifty's registry

    kind_value = raw.get("customer_kind") or ""
    kind = next((k for k in AccountKind if k.value == kind_value), None)
    organisation_id = ""
    if kind is None:
        errors["customer_kind"] = _l("Choose the kind of customer.")
    elif kind is not AccountKind.INDIVIDUAL:
        organisation_id, problem = _check_organisation_id(country, raw.get("organisation_id"))
        if problem is not None:
            errors["organisation_id"] = problem

    document_locale = raw.get("document_locale") or ""
    if document_locale not in DOCUMENT_LOCALES[country]:
        errors["document_locale"] = _l("Choose one of the languages listed.")

    if errors:
        raise InvalidDetails(errors)
    return Details(
        holder_name=texts["holder_name"],
        holder_street=texts["holder_street"],
        holder_postcode=texts["holder_postcode"],
        holder_city=texts["holder_city"],
        holder_country=holder_country,
        iban=iban.compact,
        bic=bic,
        currency=currency,
        customer_kind=kind,
        organisation_id=organisation_id,
        document_locale=document_locale,
    )


def initial_values(account: Account, procedure: ValidationProcedure | None) -> dict[str, str]:
    """What the form shows first: the procedure's details, else guesses from the account."""
    if procedure is not None and procedure.has_details:
        return {
            name: getattr(getattr(procedure, name), "value", getattr(procedure, name))
            for name in FIELDS
            if name != "iban"  # masked on the page; left empty, the field keeps it
        }
    country = account.country.value
    return {
        "holder_name": account.name[: TEXT_LIMITS["holder_name"]],
        "holder_country": country,
        "currency": CURRENCIES[country][0],
        "customer_kind": account.kind.value,
        "document_locale": account.language
        if account.language in DOCUMENT_LOCALES[country]
        else DOCUMENT_LOCALES[country][0],
    }


def kept_iban(procedure: ValidationProcedure | None) -> str | None:
    """The IBAN an empty IBAN field keeps: the one of the procedure's details, if any."""
    if procedure is not None and procedure.has_details:
        return procedure.iban
    return None


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


def document_kind(procedure: ValidationProcedure, operator: Mapping) -> str:
    """ "sepa" (EUR accounts), or the Swiss CHF scheme the operator uses: "lsv" or "bdd"."""
    if procedure.currency == "CHF":
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
        procedure = ValidationProcedure(account_id=account.id, trigger="anticipated")
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


# --- What to send, and where ----------------------------------------------------------------

_SIGNED_FORM = _l("This form, dated and signed by the account holder.")
_CHEQUE = _l(
    "An original voided cheque of the account, or a certificate from your bank saying "
    "that the account is in good standing."
)
_PROOF_OF_ADDRESS = _l(
    "A proof of address in the country: a recent gas, water, electricity or telephone bill."
)
_ID_HOLDER = _l("A copy of both sides of the account holder's identity document.")
_ID_MANAGER = _l(
    "A copy of both sides of the identity document of the manager or a director of the company."
)
_ID_PRESIDENT = _l("A copy of both sides of the identity document of the association's president.")
_AUTHORITY_COMPANY = _l(
    "A letter on the company's letterhead confirming that the person sending the file may "
    "act on its behalf."
)
_AUTHORITY_OR_REGISTER = _l(
    "A letter on the company's letterhead confirming that the person sending the file may "
    "act on its behalf, or an official document identifying the company."
)
# Translators: the K-bis is the French extract of the trade and companies register.
_KBIS = _l("An extract of the trade register (K-bis) less than 3 months old.")
_STATUTES = _l("A copy of the official publication of the association's statutes.")
_AUTHORITY_ASSOCIATION = _l(
    "A statement of the president confirming that the person sending the file may act on "
    "behalf of the association."
)

CHECKLISTS = {
    ("FR", AccountKind.INDIVIDUAL): (_SIGNED_FORM, _CHEQUE, _ID_HOLDER),
    ("FR", AccountKind.COMPANY): (_SIGNED_FORM, _CHEQUE, _ID_MANAGER, _AUTHORITY_COMPANY, _KBIS),
    ("FR", AccountKind.ASSOCIATION): (
        _SIGNED_FORM,
        _CHEQUE,
        _ID_PRESIDENT,
        _STATUTES,
        _AUTHORITY_ASSOCIATION,
    ),
    ("*", AccountKind.INDIVIDUAL): (_SIGNED_FORM, _ID_HOLDER, _PROOF_OF_ADDRESS),
    ("*", AccountKind.COMPANY): (
        _SIGNED_FORM,
        _ID_MANAGER,
        _AUTHORITY_OR_REGISTER,
        _PROOF_OF_ADDRESS,
    ),
    ("*", AccountKind.ASSOCIATION): (
        _SIGNED_FORM,
        _ID_PRESIDENT,
        _STATUTES,
        _AUTHORITY_ASSOCIATION,
    ),
}


def checklist(country: str, kind: AccountKind | str, *, with_form: bool = True) -> tuple:
    """The supporting documents for a country and kind of customer (lazy strings).
    `with_form=False`: without the form itself (the list printed on the form)."""
    kind = AccountKind(kind)
    items = CHECKLISTS.get((country, kind)) or CHECKLISTS[("*", kind)]
    return items if with_form else tuple(item for item in items if item is not _SIGNED_FORM)


@dataclass(frozen=True)
class Sending:
    """How the file reaches the operator: by post (address lines) or by e-mail."""

    by_post: bool
    address: tuple[str, ...] = ()
    email: str = ""


def sending(country: str, operator: Mapping) -> Sending:
    """France: originals by post; Belgium and Switzerland: by e-mail (configured per country)."""
    if country == "FR":
        address = operator["procedure_postal_address"]["FR"]
        return Sending(by_post=True, address=tuple(address))
    return Sending(by_post=False, email=operator["procedure_emails"][country])


def bank_name(procedure: ValidationProcedure) -> str:
    """The debtor's bank, when schwifty's registry knows it (best effort)."""
    try:
        return IBAN(procedure.iban).bank_name or ""
    except SchwiftyException:
        return ""
