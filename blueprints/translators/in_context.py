"""In context: a translator who switches on "show translations" sees, at the foot of every
page, each text the page showed, linked to its entry in the workspace; with JavaScript the
texts are also marked on the page itself, and a click on one opens its entry."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_babel import get_locale

from blueprints.translators import bp
from i18n import base_language
from security import safe_local_target, translator_required
from translating import catalogs


@bp.app_template_global()
def in_context_messages() -> list[dict] | None:
    """The texts this page showed so far (None: "show translations" is off)."""
    seen = g.get("messages_seen")
    if seen is None:
        return None
    locale = str(get_locale() or "")
    editable = locale in catalogs.EDITABLE
    directory = Path(current_app.config["TRANSLATIONS_DIR"])
    known = {entry.key: entry for entry in catalogs.entries(directory, locale)} if editable else {}
    rows = []
    for msgid, context in list(seen):
        key = catalogs.entry_key(msgid, context)
        entry = known.get(key)
        if editable and entry is None:
            continue  # not a message of the catalogues (a dynamic text)
        shown, supplier = "", locale
        if entry is not None:
            shown = next((s for s in entry.strings if s), "")
            if not shown and entry.base_strings is not None:
                # The region shows its base language's text: a fix goes there, for every
                # region that shows it (a regional entry would hold it for one only).
                shown = next((s for s in entry.base_strings if s), "")
                supplier = base_language(locale)
        rows.append(
            {
                "source": msgid,
                "shown": shown,
                "href": url_for("translators.entry", locale=supplier, key=key)
                if entry is not None
                else None,
                "marked": bool(shown) and "%" not in shown and "<" not in shown,
            }
        )
    return rows


def _safe_next(value: str | None) -> str:
    """Back to the page the switch was on: a path of this site only."""
    return safe_local_target(value) or url_for("translators.index")


@bp.post("/in-context")
@translator_required
def in_context():
    """Switch "show translations" on or off for this session."""
    from blueprints.forms import BaseForm

    form = BaseForm()
    if form.validate():
        if request.form.get("show") == "1":
            session["show_translations"] = True
        else:
            session.pop("show_translations", None)
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/preview")
@translator_required
def preview():
    """Preview a demo customer's pages, read only (customer-only screens in context)."""
    import acting
    from blueprints.forms import BaseForm

    form = BaseForm()
    raw = request.form.get("account", "")
    if not current_app.config.get("TRANSLATION_EDITOR"):
        abort(404)
    if not form.validate() or not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        abort(400)
    if not acting.start_preview(int(raw)):
        abort(404)
    return redirect(url_for("lines.index"), 303)


@bp.post("/preview/stop")
@translator_required
def stop_preview():
    import acting
    from blueprints.forms import BaseForm

    if BaseForm().validate():
        acting.stop_preview()
    return redirect(url_for("translators.index"), 303)
