from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

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


class UploadForm(BaseForm):
    """A `.po` made in Poedit or another tool, merged entry by entry."""

    file = FileField(
        _l("Catalogue (.po)"),
        validators=[FileRequired(_l("Choose a .po file."))],
    )
    submit = SubmitField(_l("Check and merge"))


class PatchForm(BaseForm):
    """Everything changed in the workspace since a date, as one patch file."""

    class Meta:
        csrf = False  # a download: it changes nothing

    since = DateField(_l("Changed since"), validators=[InputRequired(_l("Enter a date."))])
