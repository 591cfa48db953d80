"""The base of every form of the site: Flask-WTF (CSRF) plus what no field may hold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SubmitField
from wtforms.widgets import html_params


def has_forbidden(value: object) -> bool:
    """NUL, which no field may carry (PostgreSQL refuses it in text). Other invisible
    characters are each field's business: its rules clean them or say what to remove."""
    return isinstance(value, str) and "\x00" in value


class SubmitButton:
    """A submit field as a <button>: its text wraps. An <input type="submit"> keeps its
    text on one line and cuts it off on a narrow screen with wider text spacing (WCAG
    1.4.12: "Changer le contact de factur")."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        attributes = html_params(type="submit", name=field.name, value="y", **kwargs)
        opening = Markup(attributes)  # noqa: S704 - html_params escapes every value
        return Markup("<button {}>{}</button>").format(opening, field.label.text)


class BaseForm(FlaskForm):
    """A form whose fields refuse NUL, each with its message beside the field. Shown right
    after an agent signed in again, it takes back what they were sending (idle.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, SubmitField):
                field.widget = SubmitButton()
        if not args and "formdata" not in kwargs and not self.is_submitted():
            import idle

            idle.restore_draft(self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if any(has_forbidden(value) for value in field.raw_data or ()):
                field.errors = [
                    *field.errors,
                    _l("Remove the invisible control characters from this field."),
                ]
                valid = False
        return valid
