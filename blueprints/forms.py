"""The base of every form of the site: Flask-WTF (CSRF) plus what no field may hold."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


def has_forbidden(value: object) -> bool:
    """NUL, which no field may carry (PostgreSQL refuses it in text). Other invisible
    characters are each field's business: its rules clean them or say what to remove."""
    return isinstance(value, str) and "\x00" in value


class BaseForm(FlaskForm):
    """A form whose fields refuse NUL, each with its message beside the field. Shown right
    after an agent signed in again, it takes back what they were sending (idle.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
