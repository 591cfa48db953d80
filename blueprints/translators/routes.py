from datetime import UTC, datetime, time
from functools import wraps
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_login import current_user

from blueprints.translators import bp
from blueprints.translators.forms import EntryForm, PatchForm, SameAsBaseForm, UploadForm
from extensions import db
from htmx import render
from i18n import base_language, display_name, territory_name
from i18n_tools import BASES, stats
from security import safe_local_target, translator_required
from telephony.paging import Page
from translating import catalogs, history
from translating.catalogs import KINDS, STATES

PAGE_SIZE = 50
#: The longest search kept (longer is cut: no source is searched for with more).
SEARCH_MAX = 200

#: A translation entry's state (filter and badge).
STATE_LABELS = {
    "untranslated": _lp("translation entry", "Untranslated"),
    "fuzzy": _lp("translation entry", "To review (fuzzy)"),
    "translated": _lp("translation entry", "Translated"),
    "failing": _lp("translation entry", "Failing a check"),
}
KIND_LABELS = {"site": _l("Pages"), "emails": _l("E-mails"), "pdfs": _l("PDFs")}


def _directory() -> Path:
    return Path(current_app.config["TRANSLATIONS_DIR"])


def editor_required(view):
    """The workspace exists where TRANSLATION_EDITOR is on (the demo, a staging instance);
    in production its URLs are unknown."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_app.config.get("TRANSLATION_EDITOR"):
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@translator_required
def index():
    """Completeness of every locale, and what is missing, read from the .po files."""
    import acting

    rows = stats(_directory())
    return render(
        "translators/index.html",
        rows=rows,
        display_name=display_name,
        editor=current_app.config.get("TRANSLATION_EDITOR"),
        preview_accounts=acting.preview_accounts(),
        base_locales=BASES,
        territory_name=territory_name,
    )


def _filters() -> dict:
    state = request.args.get("state", "")
    kind = request.args.get("kind", "")
    return {
        "state": state if state in STATES else "",
        "kind": kind if kind in KINDS else "",
        "q": request.args.get("q", "")[:SEARCH_MAX].replace("\x00", ""),
    }


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


@bp.get("/<locale>/")
@translator_required
@editor_required
def entries(locale: str):
    """A locale's entries, filtered by state, by where they are used and by words."""
    catalogs.check_locale(locale)
    filters = _filters()
    found = catalogs.search(_directory(), locale, **filters)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    number = min(_page_number(), pages)
    items = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    page = Page(items, len(found), number, PAGE_SIZE)
    problems = {e.key: catalogs.problems_of(_directory(), locale, e) for e in items}
    return render(
        "translators/entries.html",
        blocks=("entry-list",),
        locale=locale,
        base=base_language(locale),
        regional=base_language(locale) != locale,
        display_name=display_name,
        filters=filters,
        page=page,
        problems=problems,
        states=STATE_LABELS,
        kinds=KIND_LABELS,
    )


def _entry_page(locale, entry, form, *, conflict=None, problems=(), status=200):
    regional = base_language(locale) != locale
    return render(
        "translators/entry.html",
        blocks=("entry-form",),
        status=status,
        locale=locale,
        base=base_language(locale),
        regional=regional,
        display_name=display_name,
        entry=entry,
        form=form,
        same_form=SameAsBaseForm(formdata=None, version=entry.version),
        conflict=conflict,
        problems=list(problems),
        current_problems=catalogs.problems_of(_directory(), locale, entry),
        forms=catalogs.plural_examples(_directory(), locale, entry),
        terms=catalogs.terms_of(_directory(), locale, entry),
        history=history.of_entry(locale, entry),
        back=_back() or "",
    )


def _back() -> str | None:
    """The link back to the filtered list (`?back=`): a path of this workspace, else None."""
    return safe_local_target(request.args.get("back"), prefix=url_for("translators.index"))


def _form_for(entry, data=None) -> EntryForm:
    form = EntryForm(formdata=data)
    if data is None:
        while len(form.strings) < len(entry.strings):
            form.strings.append_entry()
        for field, text in zip(form.strings, entry.strings, strict=False):
            field.data = text
        form.version.data = entry.version
    return form


@bp.get("/<locale>/<key>")
@translator_required
@editor_required
def entry(locale: str, key: str):
    catalogs.check_locale(locale)
    found = catalogs.find(_directory(), locale, key)
    return _entry_page(locale, found, _form_for(found))


@bp.post("/<locale>/<key>")
@translator_required
@editor_required
def save(locale: str, key: str):
    """Check and save one entry; the site shows it on the next request."""
    catalogs.check_locale(locale)
    found = catalogs.find(_directory(), locale, key)
    form = EntryForm()
    if not form.validate() or len(form.strings) != len(found.strings):
        if len(form.strings) != len(found.strings):
            abort(400)
        return _entry_page(locale, found, form, status=422)
    strings = [field.data or "" for field in form.strings]
    try:
        saved = catalogs.save(_directory(), locale, key, strings, form.version.data or "")
    except catalogs.Conflict as conflict:
        return _entry_page(locale, conflict.entry, form, conflict=conflict.entry, status=409)
    except catalogs.Invalid as invalid:
        for problem in invalid.problems:
            form.strings[problem.form].errors.append(problem.message)
        return _entry_page(locale, found, form, problems=invalid.problems, status=422)
    history.record(current_user, locale, saved)
    db.session.commit()
    flash(_l("Saved. The site shows the new text now."), "success")
    return redirect(url_for("translators.entry", locale=locale, key=key, **_back_arg()), 303)


def _back_arg() -> dict:
    back = _back()
    return {"back": back} if back else {}


@bp.post("/<locale>/<key>/same-as-base")
@translator_required
@editor_required
def same_as_base(locale: str, key: str):
    """A regional locale takes its base language's translation again."""
    catalogs.check_locale(locale)
    if base_language(locale) == locale:
        abort(404)
    catalogs.find(_directory(), locale, key)
    form = SameAsBaseForm()
    if not form.validate():
        abort(400)
    try:
        saved = catalogs.save(
            _directory(), locale, key, [], form.version.data or "", same_as_base=True
        )
    except catalogs.Conflict as conflict:
        return _entry_page(
            locale, conflict.entry, _form_for(conflict.entry), conflict=conflict.entry, status=409
        )
    history.record(current_user, locale, saved)
    db.session.commit()
    flash(
        _l(
            "This entry now takes the %(language)s translation.",
            language=display_name(base_language(locale)),
        ),
        "success",
    )
    return redirect(url_for("translators.entry", locale=locale, key=key, **_back_arg()), 303)


@bp.get("/<locale>/download")
@translator_required
@editor_required
def download(locale: str):
    """The locale's .po as it is now, or (?since=YYYY-MM-DD) a patch file holding only the
    entries changed in the workspace since that day."""
    catalogs.check_locale(locale)
    form = PatchForm(request.args)
    keys = None
    name = f"{locale}.po"
    if request.args.get("since") is not None:
        if not form.validate():
            return _handoff_page(locale, patch_form=form, status=422)
        since = datetime.combine(form.since.data, time.min, tzinfo=UTC)
        keys = history.keys_changed_since(locale, since)
        name = f"{locale}-since-{form.since.data.isoformat()}.po"
    data = catalogs.export(_directory(), locale, keys)
    response = current_app.response_class(data, mimetype="text/x-gettext-translation")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _handoff_page(locale, *, form=None, patch_form=None, report=None, status=200):
    return render(
        "translators/handoff.html",
        status=status,
        locale=locale,
        display_name=display_name,
        form=form or UploadForm(formdata=None),
        patch_form=patch_form or PatchForm(formdata=None),
        report=report,
    )


@bp.get("/<locale>/files")
@translator_required
@editor_required
def handoff(locale: str):
    """Download the catalogue (or a patch), upload one made in another tool."""
    catalogs.check_locale(locale)
    return _handoff_page(locale, report=session.pop(f"upload-report-{locale}", None))


@bp.post("/<locale>/files")
@translator_required
@editor_required
def upload(locale: str):
    catalogs.check_locale(locale)
    form = UploadForm()
    if not form.validate():
        return _handoff_page(locale, form=form, status=422)
    sent = form.file.data
    try:
        data = sent.read(catalogs.UPLOAD_MAX + 1)
    finally:
        sent.close()  # a large upload is a temporary file: closed at once
    try:
        uploaded = catalogs.parse_upload(data, locale)
    except catalogs.NotACatalogue as refused:
        form.file.errors.append(refused.message)
        return _handoff_page(locale, form=form, status=422)
    downloaded = catalogs.download_stamp(data)
    saved_since = history.keys_changed_since(locale, downloaded) if downloaded else None
    merged = catalogs.merge(_directory(), locale, uploaded, saved_since)
    history.record_merge(current_user, locale, merged)
    db.session.commit()
    session[f"upload-report-{locale}"] = {
        "changed": [saved.after.sources[0][:200] for saved in merged.changed][:100],
        "changed_count": len(merged.changed),
        "unchanged": merged.unchanged,
        "refused": [
            (entry.key, entry.sources[0][:200], [str(p.message) for p in problems])
            for entry, problems in merged.refused
        ][:100],
        "refused_count": len(merged.refused),
        "kept": [
            (entry.key, entry.sources[0][:200], " / ".join(strings)[:300])
            for entry, strings in merged.kept
        ][:100],
        "kept_count": len(merged.kept),
        "fuzzy": merged.skipped_fuzzy,
        "unknown": merged.unknown,
    }
    return redirect(url_for("translators.handoff", locale=locale), 303)
