"""What to send with the signed form, by country and kind of customer, and where to send it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from telephony.models import (
    AccountKind,
)

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
        _PROOF_OF_ADDRESS,
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
