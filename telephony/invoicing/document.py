"""What an invoice states, gathered once from the database and the operator's settings:
the PDF (documents.invoice) draws it, and the structured e-invoices will be built from the
same data, so that the two never disagree.

The customer's address and company identifier come from their validation procedure (the
form where they typed them); a customer without one gets an invoice with their name only,
and `missing` says what a structured format would lack and where to fill it in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from stdnum.be import ogm_vcs
from stdnum.ch import esr
from stdnum.fr import siren as fr_siren
from stdnum.iso7064 import mod_97_10

from extensions import db
from telephony import rio as rios
from telephony.dates import local_today
from telephony.invoicing.buyer import of as buyer_of
from telephony.models import (
    AccountKind,
    AliasNumber,
    Debit,
    DebitCollection,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Line,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProcedureStatus,
    Service,
    StoredPaymentMethod,
    ValidationProcedure,
    mask_iban,
)

#: A Swiss VAT number is the UID followed by the VAT's name in the document's language.
SWISS_VAT_SUFFIX = {"de": "MWST", "fr": "TVA", "it": "IVA", "en": "MWST"}
#: The fixed indemnity for recovery costs a French business owes on a late payment
#: (Code de commerce, D441-5), in euros.
FR_RECOVERY_INDEMNITY = Decimal("40.00")


@dataclass(frozen=True)
class Party:
    name: str
    #: Street, then postcode and city (empty when unknown).
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    #: Company registration (SIREN/SIRET, enterprise number, UID), as printed.
    registration: str = ""
    vat_id: str = ""
    legal_form: str = ""
    share_capital: str = ""
    email: str = ""

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postcode and self.city and self.country)


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    period_start: date | None = None
    period_end: date | None = None
    #: The number this line bills (E.164), and its RIO for a French number.
    number: str = ""
    rio: str = ""


@dataclass(frozen=True)
class Means:
    """How the invoice is (to be) paid.

    kind: "paid" (paid_on, paid_by), "debit" (to be collected from a SEPA mandate: mandate,
    signed_on, debtor account, collection_on, creditor_id) or "transfer" (iban, bic and a
    structured reference: RF (France), +++…+++ (Belgium), a QR reference (Switzerland));
    "cancelled" (by the credit note numbered `reference`): nothing due. A credit note:
    "refunded", "refund_due", or "settled" (set against an invoice never paid)."""

    kind: str
    paid_on: date | None = None
    paid_by: str = ""
    mandate: str = ""
    signed_on: date | None = None
    debtor_account: str = ""
    collection_on: date | None = None
    creditor_id: str = ""
    iban: str = ""
    bic: str = ""
    reference: str = ""


@dataclass(frozen=True)
class InvoiceDocument:
    invoice_id: int
    number: str
    status: str
    issued_on: date
    due_on: date | None
    account_code: str
    customer_kind: str
    country: str
    currency: str
    vat_rate: Decimal
    seller: Party
    buyer: Party
    lines: list[DocumentLine]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    means: Means
    #: French business customer: the late-payment penalties and the 40 EUR indemnity.
    late_payment_terms: bool = False
    #: A credit note: the number and issue date of the invoice it refunds.
    credited_number: str = ""
    credited_issued_on: date | None = None
    notes: list[str] = field(default_factory=list)
    #: The language it is written in (its e-invoice's terms and notes too).
    locale: str = "en"

    @property
    def is_credit_note(self) -> bool:
        return bool(self.credited_number)

    @property
    def is_business(self) -> bool:
        return self.customer_kind != AccountKind.INDIVIDUAL.value

    def missing(self) -> list[str]:
        """What a structured e-invoice of a business customer needs and this one lacks
        (fields of the validation procedure: its address, its company identifier)."""
        lacking = []
        if not self.buyer.has_address:
            lacking.append("address")
        if self.is_business and not self.buyer.registration:
            lacking.append("organisation_id")
        return lacking


def latest_details(account_id: int) -> ValidationProcedure | None:
    """The procedure whose details the invoice uses: the validated one, else the latest
    with an address."""
    return db.session.scalar(
        select(ValidationProcedure)
        .where(
            ValidationProcedure.account_id == account_id,
            ValidationProcedure.status != ProcedureStatus.CANCELLED,
            ValidationProcedure.holder_street != "",
        )
        .order_by(
            case((ValidationProcedure.status == ProcedureStatus.VALIDATED, 0), else_=1),
            ValidationProcedure.id.desc(),
        )
        .limit(1)
    )


def customer_ids(country: str, kind: str, organisation_id: str, language: str) -> tuple[str, str]:
    """(registration, VAT number) of a business customer from its compact identifier."""
    value = "".join(ch for ch in organisation_id or "" if ch.isalnum()).upper()
    if not value or kind == AccountKind.INDIVIDUAL.value:
        return "", ""
    if country == "FR":
        siren = value[:9]
        vat = "FR" + fr_siren.to_tva(siren) if fr_siren.is_valid(siren) else ""
        label = f"SIRET {value}" if len(value) == 14 else f"SIREN {value}"
        return label, vat
    if country == "BE":
        digits = value.removeprefix("BE").rjust(10, "0")
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}", "BE" + digits
    if country == "CH":
        digits = value.removeprefix("CHE")
        uid = f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:9]}"
        return uid, f"{uid} {SWISS_VAT_SUFFIX.get(language.split('_')[0], 'MWST')}"
    return value, ""


def seller_party(operator: dict, country: str, locale: str) -> Party:
    address = list(operator.get("addresses", {}).get(country) or [operator["name"]])
    legal = operator.get("legal_ids", {}).get(country, {})
    form = operator.get("company_forms", {}).get(country, {})
    postcode, _, city = (address[2] if len(address) > 2 else "").partition(" ")
    vat = legal.get("vat", "")
    if country == "CH" and vat:
        vat += " " + SWISS_VAT_SUFFIX.get(locale.split("_")[0], "MWST")
    return Party(
        name=address[0],
        street=address[1] if len(address) > 1 else "",
        postcode=postcode,
        city=city,
        country=country,
        registration=legal.get("registration", ""),
        vat_id=vat,
        legal_form=form.get("legal_form", ""),
        share_capital=form.get("share_capital", ""),
        email=operator.get("support_email", ""),
    )


def _numbers(invoice: Invoice) -> dict[int, str]:
    """The number each service line bills (a line's, or an alias number's), by service id:
    one query. (A range ports with a mandate: no RIO before July 2027, so none here.)"""
    ids = [line.service_id for line in invoice.lines if line.service_id]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Service.id, func.coalesce(Line.number, AliasNumber.number))
        .outerjoin(Line, and_(Service.target_type == "line", Line.id == Service.target_id))
        .outerjoin(
            AliasNumber,
            and_(Service.target_type == "alias_number", AliasNumber.id == Service.target_id),
        )
        .where(Service.id.in_(ids))
    )
    return {service_id: number for service_id, number in rows if number}


def serial(number: str) -> str:
    """The digits of an invoice number (FR-2026-000042 → 2026000042)."""
    return "".join(ch for ch in number if ch.isdigit())


def transfer_reference(country: str, number: str) -> str:
    """The structured reference a transfer for this invoice carries."""
    digits = serial(number)[-10:].rjust(10, "0")
    if country == "BE":  # the Belgian structured communication
        return "+++" + ogm_vcs.format(digits + ogm_vcs.calc_check_digits(digits)) + "+++"
    if country == "CH":  # a QR reference (27 digits) for the QR-IBAN
        body = digits.rjust(26, "0")
        return body + esr.calc_check_digit(body)
    compact = "".join(ch for ch in number if ch.isalnum()).upper()  # ISO 11649 RF…
    return "RF" + mod_97_10.calc_check_digits(compact + "RF") + compact


def _local_day(invoice: Invoice, moment: datetime | None) -> date | None:
    """The customer's calendar day of `moment` (stored in UTC): paid at 23:30 UTC on
    31 December is paid on 1 January in Paris."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local_today(invoice.account.timezone, moment)


def _means(invoice: Invoice, operator: dict, country: str) -> Means:
    if invoice.is_credit_note:  # refunded through the provider, or by transfer later
        if invoice.status == InvoiceStatus.REFUNDED:
            return Means(kind="refunded", paid_on=invoice.issued_on)
        if invoice.status == InvoiceStatus.PAID:  # set against an invoice never paid
            return Means(kind="settled")
        return Means(kind="refund_due")
    if invoice.status == InvoiceStatus.CANCELLED:  # by a credit note (credit_notes.cancel_unpaid)
        note = db.session.scalar(
            select(Invoice.number)
            .where(
                Invoice.kind == InvoiceKind.CREDIT_NOTE, Invoice.credited_invoice_id == invoice.id
            )
            .order_by(Invoice.id)
            .limit(1)
        )
        return Means(kind="cancelled", reference=note or "")
    if invoice.status == InvoiceStatus.COLLECTION_SENT:  # in a debit file: as it was sent
        debit = db.session.scalar(
            select(Debit).where(Debit.invoice_id == invoice.id).order_by(Debit.id.desc()).limit(1)
        )
        if debit is not None:
            procedure = db.session.scalar(
                select(ValidationProcedure)
                .where(ValidationProcedure.mandate_reference == debit.mandate_reference)
                .order_by(ValidationProcedure.id.desc())
                .limit(1)
            )
            signed = (procedure.submitted_at or procedure.created_at) if procedure else None
            collection = db.session.get_one(DebitCollection, debit.collection_id)
            return Means(
                kind="debit",
                mandate=debit.mandate_reference,
                signed_on=_local_day(invoice, signed),
                debtor_account=mask_iban(procedure.iban) if procedure else "",
                collection_on=collection.collection_on,
                creditor_id=operator.get("creditor_ids", {}).get(country, ""),
            )
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED):
        # (Refunded: it was paid; the credit note says what came back. Nothing is due.)
        payment = db.session.scalar(
            select(Payment)
            .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED)
            .order_by(Payment.id.desc())
            .limit(1)
        )
        return Means(
            kind="paid",
            paid_on=_local_day(invoice, invoice.paid_at),
            paid_by=payment.method.value if payment else "",
        )
    default = db.session.scalar(
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == invoice.account_id,
            StoredPaymentMethod.is_default,
        )
    )
    if (
        default is not None
        and default.kind == PaymentMethod.SEPA_DEBIT
        and default.procedure
        and default.procedure.status == ProcedureStatus.VALIDATED
        # What `collection.collect` takes: euro invoices, by a euro mandate. A Swiss
        # account's francs authorization (LSV+) was named a SEPA debit that no file ever
        # collected, and its invoice had no QR-bill.
        and default.procedure.currency == invoice.currency == "EUR"
    ):
        procedure = default.procedure
        signed = procedure.submitted_at or procedure.created_at
        return Means(
            kind="debit",
            mandate=procedure.mandate_reference or "",
            signed_on=_local_day(invoice, signed),
            debtor_account=mask_iban(procedure.iban),
            collection_on=invoice.due_on,
            creditor_id=operator.get("creditor_ids", {}).get(country, ""),
        )
    bank = operator.get("bank_accounts", {}).get(country, {})
    return Means(
        kind="transfer",
        iban=bank.get("iban", ""),
        bic=bank.get("bic", ""),
        reference=transfer_reference(country, invoice.number),
    )


def build(invoice: Invoice, operator: dict, locale: str) -> InvoiceDocument:
    """Everything the invoice states. Needs an app context (the database)."""
    account = invoice.account
    country = account.country.value
    kind = account.kind.value
    details = buyer_of(invoice)  # as it was made
    registration, vat_id = customer_ids(country, kind, details["organisation_id"], locale)
    buyer = Party(
        name=details["name"],
        street=details["street"],
        postcode=details["postcode"],
        city=details["city"],
        country=(details["country"] or country) if details["street"] else "",
        registration=registration,
        vat_id=vat_id,
        email=details["email"],
    )
    numbers = _numbers(invoice)
    rio_reference = rios.contract_reference(account.code)
    lines = []
    for line in invoice.lines:
        number = numbers.get(line.service_id or 0, "")  # (no service: no number)
        rio = ""
        if number.startswith("+33") and operator.get("rio_operator"):
            rio = rios.rio(
                operator["rio_operator"], operator.get("rio_quality", "F"), rio_reference, number
            )
        lines.append(
            DocumentLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=Decimal(line.unit_price_excl_vat),
                total=Decimal(line.total_excl_vat),
                period_start=line.period_start,
                period_end=line.period_end,
                number=number,
                rio=rio,
            )
        )
    created = invoice.created_at
    issued = invoice.issued_on or (created.date() if created else date.today())
    return InvoiceDocument(
        invoice_id=invoice.id,
        number=invoice.number,
        status=invoice.status.value,
        issued_on=issued,
        due_on=invoice.due_on,
        account_code=account.code,
        customer_kind=kind,
        country=country,
        currency=invoice.currency,
        vat_rate=Decimal(invoice.vat_rate),
        seller=seller_party(operator, country, locale),
        buyer=buyer,
        lines=lines,
        total_excl_vat=Decimal(invoice.total_excl_vat),
        total_vat=Decimal(invoice.total_vat),
        total_incl_vat=Decimal(invoice.total_incl_vat),
        means=_means(invoice, operator, country),
        late_payment_terms=country == "FR"
        and kind != AccountKind.INDIVIDUAL.value
        and not invoice.is_credit_note,
        credited_number=invoice.credited.number if invoice.credited else "",
        credited_issued_on=invoice.credited.issued_on if invoice.credited else None,
        locale=locale,
    )
