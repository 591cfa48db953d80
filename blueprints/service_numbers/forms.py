"""The forms of Service numbers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.forms import BaseForm
from telephony.service_numbers.inventory import MAX_DIGITS


class SearchForm(BaseForm):
    """Where and what: each list narrows the next (the view fills the choices)."""

    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    region = SelectField(_l("Region"), choices=[], validate_choice=False)
    city = SelectField(_l("City"), choices=[], validate_choice=False)
    number_type = RadioField(_l("Type of number"), choices=[], validate_choice=False)
    quantity = StringField(_l("Quantity"), default="1")
    digits = StringField(_l("Digits (optional)"))
    match = RadioField(
        _l("The number"),
        choices=[
            SelectChoice("starts", _l("starts with these digits")),
            SelectChoice("contains", _l("contains them")),
        ],
        default="starts",
    )
    submit = SubmitField(_l("Reserve"))

    def validate_quantity(self, field) -> None:
        text = (field.data or "").strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 1000:
            raise ValidationError(_l("Enter how many numbers you want, from 1."))

    def validate_digits(self, field) -> None:
        text = "".join((field.data or "").split())
        if text and (not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS):
            raise ValidationError(_l("Enter digits only, %(max)d at most.", max=MAX_DIGITS))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AcquireForm(BaseForm):
    numbers = MultiCheckboxField(_l("Numbers held for you"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Acquire numbers"))

    def validate_numbers(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the numbers to acquire."))


class ReleaseForm(BaseForm):
    submit = SubmitField(_l("Release the numbers"))


class LicenceForm(BaseForm):
    """Agents: how many licences of a kind the customer holds."""

    kind = SelectField(_l("Licence"), choices=[], validate_choice=False)
    quantity = StringField(_l("Number of licences"))
    submit = SubmitField(_l("Save the licences"))
