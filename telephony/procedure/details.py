"""The holder's bank details and identifiers on the procedure's form: what the customer
typed, checked field by field (IBAN and BIC with schwifty, SIREN/SIRET, enterprise number and
UID with python-stdnum) and stored in their canonical form."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidBBANChecksum, InvalidChecksumDigits, SchwiftyException
from stdnum.be import vat as be_enterprise
from stdnum.ch import uid as ch_uid
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from telephony import InvalidForm
from telephony.models import (
    Account,
    AccountKind,
    ValidationProcedure,
)

#: Languages the document can be printed in, by country (the account's country).
DOCUMENT_LOCALES = {
    "FR": ("fr_FR", "en"),
    "BE": ("fr_BE", "nl_BE", "de_BE", "en"),
    "CH": ("fr_CH", "de_CH", "it_CH", "en"),
}
#: Countries the account holder may live in (the SEPA countries around ours).
HOLDER_COUNTRIES = ("FR", "BE", "CH", "LU", "MC", "DE", "NL", "IT", "AT", "LI", "ES")
#: The digits of a postcode in those countries whose postcodes are digits alone (a Dutch
#: one has letters: "1012 AB").
POSTCODE_DIGITS = {
    "FR": 5, "BE": 4, "CH": 4, "LU": 4, "MC": 5, "DE": 5, "IT": 5, "AT": 4, "LI": 4, "ES": 5,
}  # fmt: skip
#: Currencies of the debited account: EUR everywhere (SEPA), CHF in Switzerland only.
CURRENCIES = {"FR": ("EUR",), "BE": ("EUR",), "CH": ("CHF", "EUR")}
#: IBAN countries of an account debited in CHF (LSV+/BDD).
CHF_IBAN_COUNTRIES = ("CH", "LI")
#: The European Economic Area: a SEPA debit from an account outside it (Switzerland,
#: Monaco, San Marino, the United Kingdom...) names the debtor's bank by its BIC.
EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
    "IS LI NO".split()
)
#: The bank codes (IID) of Swiss QR-IBANs: accounts that only receive QR-bill payments.
QR_IID = range(30000, 32000)

TEXT_LIMITS = {"holder_name": 70, "holder_street": 70, "holder_postcode": 16, "holder_city": 70}
#: Signs allowed in names and addresses besides letters, digits and spaces (the SEPA set,
#: plus & and the typographic apostrophe): no markup, no control characters.
ALLOWED_SIGNS = set("'’-.,/&()+:?#")

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


#: A BIC as the pain.008 schema writes it (ISO 9362: the 7th character is no 0 or 1, the
#: 8th no O).
SEPA_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")


def _clean_text(value: str | None, limit: int) -> tuple[str, object | None]:
    """Trimmed NFC text with single spaces, or a message saying what is wrong with it."""
    text = unicodedata.normalize("NFC", value or "").strip()
    for ch in text:
        kind = unicodedata.category(ch)[0]
        if kind in "LN" and not (ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")):
            # The mandate's PDF has no glyphs or shaping for other scripts (boxes, or Hebrew
            # backwards), and the bank's file carries Latin letters only.
            return text, _l("Write it in Latin letters, as the bank writes it.")
        if ch == " " or ch in ALLOWED_SIGNS or kind in "LMN":
            continue
        if kind in "CZ":
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
    if iban.country_code in CHF_IBAN_COUNTRIES and iban.bank_code.isdigit():
        if int(iban.bank_code) in QR_IID:
            errors["iban"] = _l(
                "This is a QR-IBAN, which only receives QR-bill payments: enter the "
                "account's ordinary IBAN."
            )
            return None
    return iban


def check_organisation_id(country: str, value: str | None) -> tuple[str, object | None]:
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
    if country == "CH":  # the UID as its VAT number is written too: CHE-… MWST/TVA/IVA
        value = re.sub(r"\s*(MWST|TVA|IVA|VAT)\s*$", "", value, flags=re.IGNORECASE)
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
    digits = POSTCODE_DIGITS.get(holder_country)
    if digits and "holder_postcode" not in errors:
        # "69 003" is 69003, "L-1234" is 1234: the invoices and the mandate print them so.
        compact = texts["holder_postcode"].replace(" ", "").upper().removeprefix("L-")
        if len(compact) == digits and compact.isascii() and compact.isdigit():
            texts["holder_postcode"] = compact
        else:
            errors["holder_postcode"] = _l("Enter a postcode of %(num)d digits.", num=digits)

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
            # (What the direct-debit file's schema accepts: schwifty takes G3BABEBB too.)
            if not SEPA_BIC.fullmatch(str(parsed)):
                raise SchwiftyException(bic_text)
        except SchwiftyException:
            errors["bic"] = _l("This is not a valid BIC (8 or 11 letters and digits).")
        else:
            if iban is not None and parsed.country_code != iban.country_code:
                errors["bic"] = _l("This BIC belongs to a bank of another country than the IBAN.")
            bic = str(parsed)
    elif iban is not None and iban.bic is not None:
        bic = str(iban.bic)  # best effort: not every bank is in schwifty's registry
    if (
        not bic
        and "bic" not in errors
        and iban is not None
        and currency == "EUR"
        and iban.country_code not in EEA
    ):
        # A SEPA debit from outside the EEA names the bank: the mandate printed it empty.
        errors["bic"] = _l(
            "A direct debit from an account outside the European Economic Area needs "
            "the bank's BIC: enter it."
        )

    kind_value = raw.get("customer_kind") or ""
    kind = next((k for k in AccountKind if k.value == kind_value), None)
    organisation_id = ""
    if kind is None:
        errors["customer_kind"] = _l("Choose the kind of customer.")
    elif kind is not AccountKind.INDIVIDUAL:
        organisation_id, problem = check_organisation_id(country, raw.get("organisation_id"))
        if problem is not None:
            errors["organisation_id"] = problem

    document_locale = raw.get("document_locale") or ""
    if document_locale not in DOCUMENT_LOCALES[country]:
        errors["document_locale"] = _l("Choose one of the languages listed.")

    if errors or iban is None or kind is None:  # a missing IBAN or kind left its message
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


def bank_name(procedure: ValidationProcedure) -> str:
    """The debtor's bank, when schwifty's registry knows it (best effort)."""
    try:
        return IBAN(procedure.iban).bank_name or ""
    except SchwiftyException:
        return ""


def formatted_organisation_id(country: str, value: str | None) -> str:
    """A stored (compact) identifier as it is written in its country: 732 829 320 00074,
    0403.170.701, CHE-100.155.212."""
    value = value or ""
    if not value:
        return ""
    if country == "FR":
        return (siret if len(value) == 14 else siren).format(value)
    if country == "BE":
        digits = value.removeprefix("BE").rjust(10, "0")
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if country == "CH":
        return ch_uid.format(value)
    return value


def bank_code(procedure: ValidationProcedure) -> str:
    """The bank's code inside the IBAN (in Switzerland its clearing number, the IID), which
    names the bank when the registry does not."""
    try:
        return IBAN(procedure.iban).bank_code or ""
    except SchwiftyException:
        return ""
