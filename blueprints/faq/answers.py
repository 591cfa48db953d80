"""What the FAQ's pages and the agents' panel share: the FAQ service of the app, the site's
screens an answer may name, and how an answer's links are made."""

from __future__ import annotations

from functools import lru_cache

from flask import abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from telephony.faq import FaqService, service_for
from telephony.faq.render import to_html

#: The site's screens an answer may send people to, with their (translated) names. A screen
#: whose blueprint this site does not have yet is left out of the answer.
SCREENS = {
    "lines.index": _l("Lines and numbers"),
    "lines.requests": _l("Pending requests"),
    "lines.bulk_offer": _l("Apply to several lines"),
    "procedure.index": _l("Validation procedure"),
    "emails.index": _l("Service e-mails"),
    "services.index": _l("My services"),
    "service_numbers.index": _l("Service numbers"),
    "service_numbers.port_orders": _l("Port numbers in"),
}


def answer_service() -> FaqService:
    return service_for(current_app._get_current_object())  # type: ignore[attr-defined]  # werkzeug's LocalProxy


def screen_url_of(endpoint: str) -> str | None:
    """The address of a screen an answer names, or None when the site doesn't have it."""
    if endpoint not in SCREENS or endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint)
    except BuildError:
        return None


def link_resolver(
    service: FaqService, locale: str, external: bool = False, lang: str | None = None
):
    """Links of an answer: to other answers (in `lang` when given: another language than
    the page's) and to the site's screens."""

    def resolve(target: str) -> str | None:
        kind, _sep, name = target.partition(":")
        if kind == "faq" and service.entry(locale, name) is not None:
            if lang:
                return url_for("faq.show", slug=name, lang=lang, _external=external)
            return url_for("faq.show", slug=name, _external=external)
        if kind == "screen":
            url = screen_url_of(name)
            return (request.host_url.rstrip("/") + url) if url and external else url
        return None

    return resolve


def answer_html(locale: str, slug: str):
    """An answer as HTML, its links resolved: made once per content version and language
    (every visitor of the answer reads the same)."""
    service = answer_service()
    return _answer_html(service.corpus.content_hash, locale, slug, request.script_root)


@lru_cache(maxsize=4096)
def _answer_html(_content: str, locale: str, slug: str, _root: str):
    service = answer_service()
    entry = service.entry(locale, slug)
    if entry is None:  # the content changed since the caller found it
        abort(404)
    return to_html(entry.body, link_resolver(service, locale))
