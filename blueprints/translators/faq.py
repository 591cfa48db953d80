"""The FAQ's answers in the workspace: each question per locale, edited with a live preview
(the public page's rendering) and the checks of a save; the site serves a saved answer on
its next request."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.faq.answers import answer_service, link_resolver
from blueprints.forms import BaseForm
from blueprints.translators import bp
from blueprints.translators.routes import editor_required
from extensions import db
from htmx import render
from i18n import LOCALES, base_language, display_name
from security import translator_required
from telephony import audit
from telephony.faq.content import CONTENT_DIR
from telephony.faq.render import to_html
from translating import catalogs
from translating import faq as faq_texts

FAQ_STATES = {
    "untranslated": _l("Not written in this language"),
    "outdated": _l("The English source changed since"),
    "translated": _l("Up to date"),
}


def _root() -> Path:
    return Path(current_app.config.get("FAQ_CONTENT_DIR") or CONTENT_DIR)


def reload_changed_faq():
    """before_request (TRANSLATION_EDITOR, app.py): an answer saved in the workspace (by
    any worker) is served on the next request; the search index follows on the next
    search."""
    app = current_app._get_current_object()
    stamp = faq_texts.content_stamp(_root())
    if app.extensions.get("faq_stamp") not in (None, stamp):
        app.extensions.pop("faq", None)
        app.extensions.get("public_pages", {}).clear()
    app.extensions["faq_stamp"] = stamp


@bp.get("/<locale>/faq")
@translator_required
@editor_required
def faq_list(locale: str):
    catalogs.check_locale(locale)
    state = request.args.get("state", "")
    items = faq_texts.texts(_root(), locale)
    if state in FAQ_STATES:
        items = [item for item in items if item.state == state]
    return render(
        "translators/faq_list.html",
        locale=locale,
        base=base_language(locale),
        regional=base_language(locale) != locale,
        display_name=display_name,
        items=items,
        states=FAQ_STATES,
        state=state if state in FAQ_STATES else "",
    )


def _preview(locale: str, body: str):
    """The answer as the FAQ page shows it. A base language's answers are served in its
    regional locales ("it" as it_CH): its links to other answers resolve there."""
    served = locale
    if locale not in LOCALES:
        served = next((loc for loc in LOCALES if base_language(loc) == locale), locale)
    return to_html(body, link_resolver(answer_service(), served))


def _edit_page(
    locale, item, form, *, problems=None, preview=None, status=200, conflict=None, version=None
):
    inherited = faq_texts.inherited_text(_root(), locale, item)
    values = form or {"question": item.question, "keywords": item.keywords, "body": item.body}
    if form is None and not item.own and inherited:
        # A regional answer starts from its base language's, to be worded for the region.
        values = {"question": inherited[0], "keywords": inherited[2], "body": inherited[1]}
    body = values.get("body", "")
    return render(
        "translators/faq_edit.html",
        blocks=("faq-preview",),
        status=status,
        locale=locale,
        base=base_language(locale),
        display_name=display_name,
        item=item,
        values=values,
        inherited=inherited,
        problems=problems or {},
        preview=preview if preview is not None else _preview(locale, body),
        conflict=conflict,
        # The version the form was opened on (after a conflict: theirs, to save over it).
        version=version or faq_texts.version_of(conflict or item),
    )


@bp.get("/<locale>/faq/<slug>")
@translator_required
@editor_required
def faq_edit(locale: str, slug: str):
    catalogs.check_locale(locale)
    item = faq_texts.text_of(_root(), locale, slug)
    return _edit_page(locale, item, None)


def _sent() -> dict:
    return {
        name: request.form.get(name, "")[: faq_texts.MAX_ANSWER + 1]
        for name in ("question", "keywords", "body")
    }


@bp.post("/<locale>/faq/<slug>/preview")
@translator_required
@editor_required
def faq_preview(locale: str, slug: str):
    """The answer as the public page shows it, from what is typed (htmx, as one types)."""
    catalogs.check_locale(locale)
    item = faq_texts.text_of(_root(), locale, slug)
    form = BaseForm()
    if not form.validate():
        return ("", 400)
    return _previewed(locale, item, _sent())


def _sent_version() -> str | None:
    """The version of the answer the form was opened on (None: a form that says none)."""
    version = request.form.get("version")
    return version[:64] if version is not None else None


def _previewed(locale, item, sent: dict, version: str | None = None):
    """The page (or its preview block) made from what was typed, with its problems."""
    found = faq_texts.problems(_root(), locale, **sent)
    preview = _preview(locale, sent["body"]) if "body" not in found else ""
    return _edit_page(locale, item, sent, problems=found, preview=preview, version=version)


@bp.post("/<locale>/faq/<slug>")
@translator_required
@editor_required
def faq_save(locale: str, slug: str):
    catalogs.check_locale(locale)
    item = faq_texts.text_of(_root(), locale, slug)
    form = BaseForm()
    if not form.validate():
        return _edit_page(locale, item, _sent(), status=400)
    sent = _sent()
    if request.form.get("preview"):  # without JavaScript: the preview, nothing saved
        return _previewed(locale, item, sent, _sent_version())
    version = _sent_version()
    try:
        saved = faq_texts.save(_root(), locale, slug, **sent, version=version)
    except faq_texts.Invalid as invalid:
        return _edit_page(
            locale, item, sent, problems=invalid.problems, preview="", status=422, version=version
        )
    except faq_texts.Conflict as conflict:
        return _edit_page(locale, conflict.current, sent, conflict=conflict.current, status=409)
    if not saved.changed:
        return redirect(url_for("translators.faq_edit", locale=locale, slug=slug), 303)
    _record(locale, slug, saved.before, saved.after)
    flash(_l("Saved. The FAQ shows the new answer now."), "success")
    return redirect(url_for("translators.faq_edit", locale=locale, slug=slug), 303)


@bp.post("/<locale>/faq/<slug>/same-as-base")
@translator_required
@editor_required
def faq_same_as_base(locale: str, slug: str):
    """A region's own answer goes: the region shows its base language's again, and takes
    its corrections from then on."""
    catalogs.check_locale(locale)
    faq_texts.text_of(_root(), locale, slug)  # (404 for an unknown answer)
    if not BaseForm().validate():
        abort(400)
    removed = faq_texts.remove_regional(_root(), locale, slug)
    if removed is not None:
        _record(locale, slug, removed.before, None)
        flash(
            _l(
                "The region's own answer is removed: it shows the %(language)s answer again.",
                language=display_name(base_language(locale)),
            ),
            "success",
        )
    return redirect(url_for("translators.faq_edit", locale=locale, slug=slug), 303)


def _record(locale: str, slug: str, before, after) -> None:
    """An answer saved (`after`), or a region's own answer removed (None), on the record."""
    target = int(hashlib.sha256(f"faq\x04{locale}\x04{slug}".encode()).hexdigest()[:7], 16)
    audit.record(
        "faq_translation.saved",
        account=None,
        actor=current_user,
        target_type="faq",
        target_id=target,
        before={"locale": locale, "slug": slug, "question": before.question, "answer": before.body},
        after={
            "locale": locale,
            "slug": slug,
            "question": after.question if after else "",
            "answer": after.body if after else "",
        },
    )
    db.session.commit()
