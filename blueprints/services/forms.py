"""The forms of My services' row actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import ValidationError

from blueprints.forms import BaseForm


class RenewalForm(BaseForm):
    """Confirms the renewal setting the page previewed (the domain checks the values)."""

    mode = HiddenField()
    period = HiddenField()
    submit = SubmitField(_l("Confirm"))


class PayInvoiceForm(BaseForm):
    """Pay the invoice due of a service with one of the account's payment methods."""

    invoice = HiddenField()
    method = RadioField(_l("Payment method"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Pay"))

    def validate_method(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a payment method."))


class ExtendForm(BaseForm):
    """Anticipate a payment or renew by hand: a period, a payment method, the form's token
    (sent twice, it pays once) and what the page showed (a page shown before the service
    changed pays nothing)."""

    period = RadioField(_l("Period"), choices=[], validate_choice=False)
    method = RadioField(_l("Payment method"), choices=[], validate_choice=False)
    token = HiddenField()
    shown = HiddenField()
    submit = SubmitField(_l("Pay"))

    def validate_period(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose one of the periods offered."))

    def validate_method(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a payment method."))


class BatchForm(BaseForm):
    """Confirms a batch action on the services the preview listed (the domain checks them,
    and that the preview still shows what is so)."""

    action = HiddenField()
    # Chosen in the preview's own select (#align-day): its label names it in the summary.
    day = HiddenField(_l("Renewal day of the month"))
    token = HiddenField()
    shown = HiddenField()
    submit = SubmitField(_l("Confirm"))
