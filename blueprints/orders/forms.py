from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from blueprints.forms import BaseForm
from telephony.models import PaymentMethod


class PayForm(BaseForm):
    method = RadioField(
        _l("Payment method"),
        choices=[
            SelectChoice(PaymentMethod.CARD.value, _l("Bank card")),
            SelectChoice(PaymentMethod.SEPA_DEBIT.value, _l("SEPA direct debit")),
        ],
        default=PaymentMethod.CARD.value,
        validators=[InputRequired(_l("Choose a payment method."))],
    )
    instrument = StringField(
        # Translators: the card number, or the IBAN for a direct debit.
        _l("Card number or IBAN"),
        validators=[
            InputRequired(_l("Enter the card number or the IBAN.")),
            Length(max=40, message=_l("Write at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Pay"))
