"""The forms of Service numbers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.forms import BaseForm
from labels import PORT_DOCUMENTS
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
    #: A French toll-free number's reverse-directory entry.
    publisher = StringField(_l("Publisher of the service"))
    service = StringField(_l("Name of the service"))
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    #: The price is said beside it: a number is billed every month from today.
    terms = BooleanField(_l("I accept the terms of sale"))
    submit = SubmitField(_l("Acquire numbers"))

    def validate_numbers(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the numbers to acquire."))

    def validate_terms(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Accept the terms of sale to acquire the numbers."))


class ReleaseForm(BaseForm):
    submit = SubmitField(_l("Release the numbers"))


class ExtendHoldForm(BaseForm):
    """Keep the held numbers longer (the button says how long)."""


class LicenceForm(BaseForm):
    """Agents: how many licences of a kind the customer holds."""

    kind = SelectField(_l("Licence"), choices=[], validate_choice=False)
    quantity = StringField(_l("Number of licences"))
    submit = SubmitField(_l("Save the licences"))


class DestinationForm(BaseForm):
    """A new conference bridge, auto attendant or call queue."""

    kind = RadioField(_l("Kind"), choices=[], validate_choice=False)
    name = StringField(_l("Name"))
    lines = MultiCheckboxField(_l("Lines the queue rings"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Create"))


class AssignForm(BaseForm):
    destination = RadioField(_l("Where the number rings"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Save"))


class ReleaseNumberForm(BaseForm):
    submit = SubmitField(_l("Release the number"))


class BuyCreditsForm(BaseForm):
    amount = RadioField(_l("Amount"), choices=[], validate_choice=False)
    method = RadioField(_l("Payment method"), choices=[], validate_choice=False)
    token = HiddenField()
    submit = SubmitField(_l("Buy credits"))

    def validate_amount(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose one of the amounts offered."))

    def validate_method(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a payment method."))


class AutoRechargeForm(BaseForm):
    auto_recharge = BooleanField(_l("Recharge automatically"))
    threshold = StringField(_l("When the balance falls below"))
    recharge_amount = StringField(_l("Buy this amount of credits"))
    submit = SubmitField(_l("Save"))


class MoreNumbersForm(BaseForm):
    quantity = StringField(_l("How many more numbers you need"))
    message = TextAreaField(_l("What they are for (optional)"))
    submit = SubmitField(_l("Send the request"))


class PortNumbersForm(BaseForm):
    """The numbers of a new port order: pasted, or a CSV file."""

    toll_free = RadioField(
        _l("Type of numbers"),
        choices=[
            SelectChoice("toll", _l("Toll numbers (geographic or national)")),
            SelectChoice("toll_free", _l("Toll-free numbers")),
        ],
        default="toll",
    )
    numbers = TextAreaField(_l("Numbers, one per line"))
    file = FileField(_l("Or a CSV file (the number in the first column)"))


class PortDetailsForm(BaseForm):
    name = StringField(_l("Holder (name or company name)"))
    organisation_id = StringField(_l("SIRET, enterprise number or UID (organisations)"))
    contact_name = StringField(_l("Contact person"))
    contact_mobile = StringField(_l("Contact's mobile number"))
    contact_email = StringField(_l("Contact's e-mail address"))
    street = StringField(_l("Street and number"))
    building = StringField(_l("Building (optional)"))
    floor = StringField(_l("Floor (optional)"))
    door = StringField(_l("Door (optional)"))
    postcode = StringField(_l("Postcode"))
    city = StringField(_l("City"))
    losing_carrier = StringField(_l("Carrier the numbers leave"))
    carrier_account = StringField(_l("Account number at that carrier"))
    billing_number = StringField(_l("Billing telephone number at that carrier"))
    scope = RadioField(
        _l("Port"),
        choices=[
            SelectChoice("full", _l("Full: every number of that account leaves the carrier")),
            SelectChoice("partial", _l("Partial: other numbers stay with the carrier")),
        ],
        validate_choice=False,
    )
    when = RadioField(
        _l("Date"),
        choices=[
            SelectChoice("asap", _l("As soon as possible")),
            SelectChoice("date", _l("On a date I choose")),
        ],
        validate_choice=False,
    )
    requested_on = StringField(_l("Requested date"))


class PortDocumentForm(BaseForm):
    kind = RadioField(
        _l("Document"),
        choices=[SelectChoice(kind, label) for kind, label in PORT_DOCUMENTS.items()],
        default="loa",
        validate_choice=False,
    )
    document = FileField(_l("File (PDF, PNG or JPEG)"))
    signed_on = StringField(_l("Date on the document"))
