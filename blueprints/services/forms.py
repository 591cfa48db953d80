"""The forms of My services' row actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField

from blueprints.forms import BaseForm


class RenewalForm(BaseForm):
    """Confirms the renewal setting the page previewed (the domain checks the values)."""

    mode = HiddenField()
    period = HiddenField()
    submit = SubmitField(_l("Confirm"))
