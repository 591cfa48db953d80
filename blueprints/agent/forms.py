from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired

from blueprints.forms import BaseForm


class ActForm(BaseForm):
    reason = TextAreaField(
        # Translators: an agent says why they open a customer's account (kept in the audit).
        _l("Reason for acting on the customer's behalf"),
        validators=[InputRequired(_l("Say why you act for this customer."))],
    )
    submit = SubmitField(_l("Open the customer's pages"))


class StopForm(BaseForm):
    submit = SubmitField(_l("Stop acting for this customer"))


class NoteForm(BaseForm):
    body = TextAreaField(
        # Translators: a support agent's note about a phone call with the customer.
        _l("Call note"),
        validators=[InputRequired(_l("Write what the call was about."))],
        render_kw={"maxlength": 1000, "rows": 3},
    )
    submit = SubmitField(_l("Add the note"))


class EditNoteForm(BaseForm):
    body = TextAreaField(
        _l("Call note"),
        validators=[InputRequired(_l("Write what the call was about."))],
        render_kw={"maxlength": 1000, "rows": 3},
    )
    submit = SubmitField(_l("Save the note"))


class LocaleForm(BaseForm):
    #: "customer": the pages in the customer's language; "agent": in the agent's own.
    mode = HiddenField(validators=[AnyOf(("customer", "agent"))])
