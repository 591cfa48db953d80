"""The billing contact of an account: who receives the invoices and the service e-mails.

Rules:
* a name and an e-mail address, both required; the name at most NAME_MAX characters of
  letters, digits, spaces and a few signs, the address a valid one of at most EMAIL_MAX;
  no control characters anywhere;
* changing the contact requires a new validation procedure (`procedure.billing_contact_changed`,
  in the same transaction): a validated one no longer counts, and VoIP orders placed
  meanwhile wait; the service e-mail saying so goes to the new address (also when a
  procedure was already under way: its first e-mail went to the former one);
* the former address is told of the change (someone who did not ask for it can react);
* every change is audited, with the acting agent's reason when an agent makes it.

Nothing here reads the request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from telephony import DomainError, InvalidForm, audit, procedure
from telephony.mail import queue_email
from telephony.models import Account, User, ValidationProcedure

NAME_MAX = 100
EMAIL_MAX = 254
#: Signs allowed in a contact's name besides letters, digits and spaces: no markup.
NAME_SIGNS = set("'’-.,&()/")
FIELDS = ("contact_name", "contact_email")


#: The form holds mistakes, each beside its field.
InvalidContact = InvalidForm


@dataclass(frozen=True)
class BillingContact:
    name: str
    email: str

    def same_as(self, other: BillingContact) -> bool:
        return self.name == other.name and self.email.casefold() == other.email.casefold()


def current(account: Account) -> BillingContact:
    return BillingContact(account.billing_contact_name or "", account.billing_email or "")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "C"


def _check_name(value: str | None) -> tuple[str, object | None]:
    text = unicodedata.normalize("NFC", value or "").strip()
    if any(_invisible(ch) for ch in text):
        return text, _l("Remove the tabs, line breaks and other invisible characters.")
    for ch in text:
        if ch.isspace() or ch in NAME_SIGNS or unicodedata.category(ch)[0] in "LMN":
            continue
        return text, _l(
            "Use only letters, digits, spaces and these signs: %(signs)s", signs="' - . , & ( ) /"
        )
    text = " ".join(text.split())
    if not text:
        return text, _l("Enter the name of the billing contact.")
    if len(text) > NAME_MAX:
        return text, _l("Write at most %(num)d characters.", num=NAME_MAX)
    return text, None


def _check_email(value: str | None) -> tuple[str, object | None]:
    text = (value or "").strip()
    if not text:
        return text, _l("Enter the e-mail address of the billing contact.")
    if any(_invisible(ch) or ch.isspace() for ch in text):
        return text, _l("An e-mail address has no spaces, line breaks or invisible characters.")
    if len(text) > EMAIL_MAX:
        return text, _l("Write at most %(num)d characters.", num=EMAIL_MAX)
    try:
        # No DNS look-up: the form answers at once; a wrong address shows in the e-mails page.
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return text, _l("Enter an e-mail address in the form name@example.com.")
    address = checked.ascii_email or checked.normalized
    if len(address) > EMAIL_MAX:
        return text, _l("Write at most %(num)d characters.", num=EMAIL_MAX)
    return address, None


def check_contact(raw: Mapping[str, str | None]) -> BillingContact:
    """Check both fields at once; raise InvalidContact listing each mistake."""
    errors: dict[str, object] = {}
    name, problem = _check_name(raw.get("contact_name"))
    if problem is not None:
        errors["contact_name"] = problem
    email, problem = _check_email(raw.get("contact_email"))
    if problem is not None:
        errors["contact_email"] = problem
    if errors:
        raise InvalidContact(errors)
    return BillingContact(name, email)


def change_billing_contact(
    account: Account,
    raw: Mapping[str, str | None],
    *,
    actor: User | None,
    reason: str = "",
) -> ValidationProcedure:
    """Give the account a new billing contact, in the caller's transaction; returns the
    validation procedure now required (a new one, or the one already under way)."""
    contact = check_contact(raw)
    before = current(account)
    if contact.same_as(before):
        raise DomainError(
            _l("This is already your billing contact: change the name or the e-mail address."),
            field="contact_email",
        )
    account.billing_contact_name = contact.name
    account.billing_email = contact.email
    audit.record(
        "account.billing_contact_changed",
        account=account,
        actor=actor,
        target_type="account",
        target_id=account.id,
        before={"name": before.name, "email": before.email},
        after={"name": contact.name, "email": contact.email},
        reason=reason,
    )
    moved = before.email.casefold() != contact.email.casefold()
    if moved and before.email:
        queue_email(
            account,
            "billing_contact_changed",
            to_address=before.email,
            previous=before,
            contact=contact,
        )
    under_way = procedure.latest(account)
    required = procedure.billing_contact_changed(account, actor=actor, reason=reason)
    if required is under_way and moved:
        # The procedure already under way goes on: its e-mail went to the former address.
        queue_email(account, "procedure_awaited", procedure=required)
    return required
