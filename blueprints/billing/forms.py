"""The billing forms: payment methods (the card number goes to the provider and is never
stored) and paying invoices."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from blueprints.forms import BaseForm

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def parse_expiry(value: str) -> tuple[int, int] | None:
    """MM/YY or MM/YYYY as (month, year), or None."""
    match = _EXPIRY.match(value or "")
    if not match:
        return None
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    return (month, year) if 1 <= month <= 12 and 2000 <= year <= 2099 else None


class CardForm(BaseForm):
    number = StringField(
        _l("Card number"),
        validators=[
            InputRequired(_l("Enter the card number.")),
            Length(max=30, message=_l("Write at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "cc-number", "inputmode": "numeric"},
    )
    # Translators: the card's expiry date, as printed on it (MM/YY).
    expiry = StringField(
        _l("Expiry date"),
        validators=[
            InputRequired(_l("Enter the expiry date as printed on the card.")),
            Length(max=7, message=_l("Write at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "cc-exp", "inputmode": "numeric", "size": 7},
    )
    # Translators: the 3 or 4 digits on the back of a card.
    cvc = StringField(
        _l("Security code"),
        validators=[InputRequired(_l("Enter the security code."))],
        render_kw={"autocomplete": "cc-csc", "inputmode": "numeric", "size": 4},
    )
    make_default = BooleanField(_l("Use it by default"))
    submit = SubmitField(_l("Add the card"))

    def validate_number(self, field) -> None:
        """Said with the other fields' problems (the provider would say it only once they
        are right): 12 to 19 digits whose check digit holds (Luhn)."""
        from stdnum import luhn

        digits = "".join((field.data or "").replace("-", " ").split())
        if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
            raise ValidationError(_l("This card number is not valid."))
        if not luhn.is_valid(digits):
            raise ValidationError(_l("This card number is not valid."))

    def validate_expiry(self, field) -> None:
        if parse_expiry(field.data) is None:
            raise ValidationError(_l("Write the expiry date as MM/YY, e.g. 08/29."))

    def validate_cvc(self, field) -> None:
        value = (field.data or "").strip()
        if not (value.isascii() and value.isdigit() and 3 <= len(value) <= 4):
            raise ValidationError(_l("The security code has 3 or 4 digits."))

    @property
    def expiry_parts(self) -> tuple[int, int]:
        parsed = parse_expiry(self.expiry.data)
        assert parsed is not None  # validated
        return parsed


class RemoveForm(BaseForm):
    new_default = RadioField(_l("New default payment method"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Remove"))


class DefaultForm(BaseForm):
    submit = SubmitField(_l("Use by default"))


class PayInvoiceForm(BaseForm):
    """Pay one invoice (its address names it) with one of the account's payment methods."""

    method = RadioField(_l("Payment method"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Pay"))

    def validate_method(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a payment method."))


class PayBalanceForm(PayInvoiceForm):
    """Pay every invoice due: `invoices` names those the page showed (paid only if they
    are still exactly the invoices due)."""

    invoices = HiddenField()


class ArchiveForm(BaseForm):
    """Every PDF of a period as one ZIP: the period, and the form's token (sent twice, it
    queues one archive)."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])
    token = HiddenField()
    submit = SubmitField(_l("Prepare a ZIP of these PDFs"))
