from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.forms import BaseForm


class ChangeOfferForm(BaseForm):
    offer = RadioField(
        _l("New offer"), coerce=int, validators=[InputRequired(_l("Choose an offer."))]
    )
    submit = SubmitField(_l("Confirm the offer change"))


class BulkOfferForm(BaseForm):
    offer = SelectField(
        _l("New offer"), coerce=int, validators=[InputRequired(_l("Choose an offer."))]
    )
    lines = SelectMultipleField(
        _l("Lines"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(_l("Choose at least one line."))],
    )
    submit = SubmitField(_l("Apply to the chosen lines"))


class CancelForm(BaseForm):
    submit = SubmitField(_l("Cancel"))


class CallsForm(BaseForm):
    calls = IntegerField(
        # Translators: the total number of simultaneous calls the line should have.
        _l("Simultaneous calls wanted"),
        validators=[InputRequired(_l("Enter a number of simultaneous calls."))],
    )
    terms = BooleanField(_l("I accept the terms of sale (needed for an increase)"))


class ConfirmForm(BaseForm):
    """A confirmation step with nothing to fill in: the button is the decision."""

    submit = SubmitField(_l("Confirm"))


class ToLineForm(BaseForm):
    offer = RadioField(
        _l("Offer of the line"), coerce=int, validators=[InputRequired(_l("Choose an offer."))]
    )
    contracts = BooleanField(_l("I accept the contracts of the chosen offer"))
    submit = SubmitField(_l("Convert to line"))


class TerminateForm(BaseForm):
    reason = RadioField(
        _l("Reason"), validators=[InputRequired(_l("Choose a reason from the list."))]
    )
    details = TextAreaField(
        _l("Details"),
        validators=[Length(max=1000, message=_l("Write at most %(max)d characters."))],
    )
    submit = SubmitField(_l("Terminate"))


def _id_or_none(value):
    """An id from the form, or None for anything else (the rules then say what is wrong)."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


class OrderLineForm(BaseForm):
    """Parses only: the rules on the values live in telephony.line_orders."""

    group = RadioField(_l("Telephony group"), coerce=_id_or_none, validate_choice=False)
    offer = RadioField(_l("Offer of the line"), coerce=_id_or_none, validate_choice=False)
    # Translators: a name the customer gives the new line, e.g. "Reception".
    description = StringField(_l("Label (optional)"))
    contracts = BooleanField(_l("I accept the contracts of the chosen offer"))
    #: Sending the same form twice places one order.
    token = HiddenField()
    submit = SubmitField(_l("Order the line"))
