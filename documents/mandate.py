"""The validation procedure PDF: the direct-debit authorization to sign, the checklist of
supporting documents and how to send them.

* EUR accounts (France, Belgium, and EUR accounts in Switzerland): a SEPA Core mandate with
  every element the EPC rulebook asks for (and the contract reference in Belgium);
* CHF accounts in Switzerland: an authorization addressed to the debtor's bank, for LSV+
  (right of objection) or BDD (business, none) as `OPERATOR["ch_debit_scheme"]` says.

Printed in `procedure.document_locale` with the embedded DejaVu Sans (one face, see
`documents.flow`), as plain text: what a user typed prints as typed. `invariant=True` gives
the same bytes for the same input (tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from documents.flow import Rows, SignatureBox, Text, TextStyle
from documents.fonts import register_fonts
from documents.layout import CONTENT_WIDTH, build_pdf, localized_address
from documents.layout import country_name as _country_name
from extensions import db
from labels import ACCOUNT_KINDS, organisation_id_name
from telephony import procedure as procedures
from telephony.models import Account, ValidationProcedure
from telephony.wiring import Plug
from templating import day

LABEL_WIDTH = CONTENT_WIDTH * 0.32


def _styles(font: str) -> dict[str, TextStyle]:
    body = TextStyle(font, 9, 11.5)
    return {
        "body": body,
        "small": body.but(size=8, leading=10),
        "strong": body.but(bold=True),
        "title": body.but(size=16, leading=20, bold=True, space_after=4),
        "heading": body.but(size=10.5, leading=14, bold=True, space_before=6, space_after=3),
        "label": body.but(size=8.5, leading=11, bold=True),
        "cell": body.but(size=8.5, leading=11),
    }


def format_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def procedure_pdf(
    procedure: ValidationProcedure,
    account: Account,
    *,
    operator: Mapping,
    invariant: bool = False,
    today: date | None = None,
    mask_iban: bool = False,
) -> bytes:
    """The PDF of `procedure` (its details filled in) for `account`. Needs an app context.

    `mask_iban=True` hides all but the last four characters of the IBAN (agents' copy)."""
    customer_kind = procedure.customer_kind
    if customer_kind is None:  # stored with the details, which every caller checks first
        raise ValueError(f"procedure {procedure.id} has no details to print")
    font = register_fonts()
    styles = _styles(font)
    locale = procedure.document_locale or "en"
    country = account.country.value
    kind = procedures.document_kind(procedure, operator)
    today = today or date.today()

    def para(text: str, style: str = "body") -> Text:
        return Text(text, styles[style])

    def rows_table(rows: list[tuple[str, str | list[str]]]) -> Rows:
        """Label | value rows; a value may have several parts (an address: one line, the
        parts separated by commas)."""
        return Rows(
            [
                (label, ", ".join(part for part in value if part))
                if isinstance(value, list)
                else (label, value)
                for label, value in rows
            ],
            label=styles["label"],
            value=styles["cell"],
            label_width=LABEL_WIDTH,
        )

    holder_address = [
        procedure.holder_street,
        f"{procedure.holder_postcode} {procedure.holder_city}",
        _country_name(procedure.holder_country, locale),
    ]
    operator_address = localized_address(operator, country, locale)
    bic = procedure.bic or ""

    with force_locale(locale):
        story: list = []
        if kind == "sepa":
            # Translators: title of the SEPA direct-debit mandate (PDF).
            title = _("SEPA Direct Debit Mandate")
        elif kind == "bdd":
            # Translators: title of the Swiss business direct debit form (PDF), CHF accounts.
            title = _("Business direct debit authorization (BDD)")
        else:
            # Translators: title of the Swiss LSV+ direct debit form (PDF), CHF accounts.
            title = _("Direct debit authorization with right of objection (LSV+)")
        story.append(para(title, "title"))
        # Translators: the unique mandate reference, printed under the title.
        story.append(
            para(_("Mandate reference: %(reference)s", reference=procedure.mandate_reference))
        )
        story.append(
            para(_("Account %(code)s", code=account.code) + " · " + operator["name"], "small")
        )
        story.append(Spacer(1, 4 * mm))

        if kind == "sepa":
            creditor_id = operator["creditor_ids"][country]
            story.append(
                para(
                    # Translators: authorization text of the SEPA mandate.
                    _(
                        "By signing this form, you allow %(creditor)s to send instructions to "
                        "your bank to debit your account, and your bank to debit your account "
                        "as %(creditor)s instructs.",
                        creditor=operator["name"],
                    )
                )
            )
            story.append(Spacer(1, 2 * mm))
            story.append(
                para(
                    # Translators: the debtor's rights on the SEPA mandate (EPC rulebook).
                    _(
                        "Your rights: you may have your bank refund a debit within 8 weeks of "
                        "the date your account was debited, under the terms of your agreement "
                        "with your bank. A debit you did not authorise can be refunded within "
                        "13 months. Your bank can give you a statement of these rights."
                    ),
                    "small",
                )
            )
            # Translators: heading of the creditor block of the SEPA mandate.
            story.append(para(_("Creditor"), "heading"))
            story.append(
                rows_table(
                    [
                        (_("Name"), operator["name"]),
                        (_("Address"), operator_address),
                        # Translators: the SEPA creditor identifier (ICS/SCI).
                        (_("Creditor identifier"), creditor_id),
                    ]
                )
            )
        else:
            # Translators: the Swiss authorization is addressed to the debtor's bank.
            story.append(para(_("To the bank of the account holder"), "strong"))
            story.append(Spacer(1, 2 * mm))
            if kind == "bdd":
                text = _(
                    "I authorise my bank, until revoked, to debit my account with the amounts "
                    "the payee below charges me. A business direct debit cannot be objected "
                    "to once it is debited: check each notice the payee sends."
                )
            else:
                text = _(
                    "I authorise my bank, until revoked, to debit my account with the amounts "
                    "the payee below charges me. My bank is not obliged to pay when the "
                    "account lacks funds. I am told of each debit and may object to it within "
                    "30 days of the notice, by writing to my bank; the amount is then credited "
                    "back."
                )
            story.append(para(text))
            # Translators: heading of the payee (creditor) block of the Swiss authorization.
            story.append(para(_("Payee"), "heading"))
            story.append(
                rows_table(
                    [
                        (_("Name"), operator["name"]),
                        (_("Address"), operator_address),
                        # Translators: the identifier the Swiss banks give the payee (LSV ID).
                        (_("Payee identifier"), operator["ch_payee_id"]),
                    ]
                )
            )

        debtor_rows: list[tuple[str, str | list[str]]] = [
            (_("Name"), procedure.holder_name),
            (_("Address"), holder_address),
            (_("IBAN"), procedure.masked_iban if mask_iban else format_iban(procedure.iban)),
        ]
        if kind == "sepa":
            debtor_rows.append((_("BIC"), bic))
        else:
            # Translators: the debtor's bank on the Swiss authorization.
            bank = procedures.bank_name(procedure) or bic
            if not bank and procedures.bank_code(procedure):
                # Translators: names the debtor's bank by its Swiss clearing number (IID).
                bank = _("Clearing number (IID) %(iid)s", iid=procedures.bank_code(procedure))
            debtor_rows.append((_("Bank"), bank))
        debtor_rows.append(
            (
                # Translators: individual, company or association.
                _("Kind of customer"),
                str(ACCOUNT_KINDS[customer_kind]),
            )
        )
        if procedure.organisation_id:
            # Its name in the country: SIREN or SIRET, enterprise number, UID.
            debtor_rows.append(
                (
                    str(organisation_id_name(country)),
                    procedures.formatted_organisation_id(country, procedure.organisation_id),
                )
            )
        # Translators: heading of the debtor block (the holder of the debited account).
        story.append(para(_("Account holder (debtor)"), "heading"))
        story.append(rows_table(debtor_rows))

        terms_rows = []
        if kind == "sepa":
            # Translators: SEPA payment type; the mandate is for recurrent payments.
            terms_rows.append((_("Type of payment"), "☒ " + _("Recurrent payment")))
        if kind == "sepa":  # required in Belgium, useful everywhere: the mandate's contract
            terms_rows.append(
                (
                    # Translators: reference of the underlying contract (required in Belgium).
                    _("Contract reference"),
                    f"{account.code} – {operator.get('terms_reference', '')}".strip(" –"),
                )
            )
        if terms_rows:
            story.append(Spacer(1, 3 * mm))
            story.append(rows_table(terms_rows))

        if kind != "sepa":
            story.append(Spacer(1, 3 * mm))
            story.append(
                para(
                    # Translators: LSV+ and BDD end; what replaces them.
                    _(
                        "The Swiss banks end LSV+ and BDD on 30 September 2028. Before that "
                        "date, %(operator)s will ask you to move this debit to the eBill direct "
                        "debit offered in your e-banking (PostFinance customers: CH-DD, which "
                        "continues). Until then, nothing changes for you.",
                        operator=operator["name"],
                    ),
                    "small",
                )
            )

        signature = SignatureBox(
            # Translators: where the form is signed (a town).
            _("Place"),
            _("Date"),
            _("Signature of the account holder"),
            label=styles["label"],
            heights=(13 * mm, 25 * mm),
        )
        story += [Spacer(1, 5 * mm), signature]

        # Translators: heading of the checklist printed after the authorization.
        story.append(para(_("Documents to send with the signed form"), "heading"))
        story += [
            Text(str(item), styles["body"], bullet="☐")
            for item in procedures.checklist(country, customer_kind, with_form=False)
        ]
        # Where to send them, kept together: at the longest details, the address's last
        # line and the reminder went alone onto a second page.
        sending: list = []
        # Translators: heading of the instructions saying where to send the file.
        sending.append(para(_("How to send them"), "heading"))
        route = procedures.sending(country, operator)
        if route.by_post:
            sending.append(
                para(
                    _(
                        "Send the signed original and the original documents by post "
                        "(copies are not accepted for the form and the cheque) to:"
                    )
                )
            )
            sending += [para(line, "strong") for line in route.address]
        else:
            sending.append(
                para(
                    _(
                        "Scan the signed form and the documents and send them by e-mail "
                        "to %(email)s.",
                        email=route.email,
                    )
                )
            )
        if kind != "sepa":
            sending.append(para(_("We forward the signed authorization to your bank.")))
        # One channel per country: the letter (France) or the e-mail (Belgium, Switzerland).
        if route.by_post:
            reminder = _(
                "Write the reference %(reference)s in your letter.",
                reference=procedure.mandate_reference,
            )
        else:
            reminder = _(
                "Write the reference %(reference)s in your e-mail.",
                reference=procedure.mandate_reference,
            )
        sending.append(para(reminder, "small"))
        # Translators: date the document was printed, at the bottom of the procedure PDF.
        sending.append(
            para(
                _("Printed on %(date)s", date=day(today, "long", locale=locale)),
                "small",
            )
        )

        story.append(KeepTogether(sending))

        # Translators: subject of the procedure PDF (file properties).
        subject = _("Validation procedure of account %(code)s", code=account.code)
        return build_pdf(
            story,
            font=font,
            operator_name=operator["name"],
            title=title,
            subject=subject,
            locale=locale,
            invariant=invariant,
        )


def filename(procedure: ValidationProcedure) -> str:
    return f"procedure-{procedure.mandate_reference}.pdf"


def procedure_attachment(procedure_id: int, *, masked: bool = False):
    """The PDF attached to the procedure's service e-mail (built when the mail is sent)."""
    procedure = db.session.get(ValidationProcedure, procedure_id)
    if procedure is None or not procedure.has_details:
        return None
    pdf = procedure_pdf(
        procedure, procedure.account, operator=current_app.config["OPERATOR"], mask_iban=masked
    )
    return filename(procedure), "application/pdf", pdf


PLUG = Plug(attachments={"procedure": procedure_attachment})
