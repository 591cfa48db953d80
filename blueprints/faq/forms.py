import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField

from blueprints.forms import BaseForm


class FeedbackForm(BaseForm):
    # Translators: the two answers to "Was this answer helpful?" under a FAQ answer.
    yes = SubmitField(_l("Yes"))
    no = SubmitField(_l("No"))
    #: One per page shown: the same answer sent twice (a double click) counts once.
    token = HiddenField(default=lambda: secrets.token_urlsafe(16))
