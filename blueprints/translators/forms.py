from flask_babel import lazy_gettext as _l
from wtforms import FieldList, HiddenField, SubmitField, TextAreaField

from blueprints.forms import BaseForm


class EntryForm(BaseForm):
    """One entry's translation: a text per plural form, and the version it was made from
    (a save from an older one is a conflict, not an overwrite)."""

    strings = FieldList(TextAreaField(), min_entries=1, max_entries=6)
    version = HiddenField()
    save = SubmitField(_l("Save the translation"))


class SameAsBaseForm(BaseForm):
    """A regional locale drops its own wording and takes its base language's."""

    version = HiddenField()
