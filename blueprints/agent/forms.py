from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired


class ActForm(FlaskForm):
    reason = TextAreaField(
        # Translators: an agent says why they open a customer's account (kept in the audit).
        _l("Reason for acting on the customer's behalf"),
        validators=[InputRequired(_l("Say why you act for this customer."))],
    )
    submit = SubmitField(_l("Open the customer's pages"))


class StopForm(FlaskForm):
    submit = SubmitField(_l("Stop acting for this customer"))
