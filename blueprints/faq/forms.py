from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class FeedbackForm(FlaskForm):
    # Translators: the two answers to "Was this answer helpful?" under a FAQ answer.
    yes = SubmitField(_l("Yes"))
    no = SubmitField(_l("No"))
