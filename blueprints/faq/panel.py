"""The agents' FAQ panel, on any agent page: answers in full with a plain-text copy for the
caller, searched in the agent's language and, on a customer's account, in the customer's.

Agent views call `panel_context()` and, when htmx asks for the results block alone,
`panel_block()`; the panel's form sends `faq_q` to the page it is on, so that without
JavaScript the agent comes back to that page (the account, the search) with the answers.
"""

from __future__ import annotations

from flask import request
from flask_babel import get_locale

from blueprints.faq.answers import answer_service, link_resolver
from htmx import render, requested_block
from i18n import bcp47, content_locale, display_name, parse_locale_id
from telephony.faq.render import to_html, to_text

#: How many answers per language, and the longest query kept.
PANEL_RESULTS = 5
MAX_QUERY = 200
PANEL_BLOCKS = ("faq-panel-results",)
#: The panel's query parameter (the page's own `q` may be another search).
PARAM = "faq_q"


def panel_query() -> str:
    return request.args.get(PARAM, "", type=str)[:MAX_QUERY].strip()


def panel_groups(query: str, customer_locale: str | None = None) -> list[dict]:
    """The answers, one group per language: the page's, then the customer's if it differs.
    The customer's group holds the same answers as the agent's (the agent types in their
    own language) and those the words find in the customer's. Each answer has its HTML,
    its copy for the caller (links in that language) and its language."""
    if not query:
        return []
    service = answer_service()
    page_locale = content_locale(str(get_locale() or "en"))
    found = service.found(page_locale, query, PANEL_RESULTS)
    # The agent's own language: the questions with the words found marked.
    groups = [_group(service, page_locale, [(i.entry, i.question) for i in found], False)]
    other = parse_locale_id(customer_locale) if customer_locale else None
    if other and other != page_locale:
        slugs = [item.entry.slug for item in found]
        slugs += [item.entry.slug for item in service.found(other, query, PANEL_RESULTS)]
        entries = [service.entry(other, slug) for slug in dict.fromkeys(slugs)]
        shown = [(entry, entry.question) for entry in entries if entry][:PANEL_RESULTS]
        groups.append(_group(service, other, shown, True))
    return groups


def _group(service, locale: str, entries: list[tuple], foreign: bool) -> dict:
    lang = locale if foreign else None  # links to answers stay in the group's language
    shown = link_resolver(service, locale, lang=lang)
    copied = link_resolver(service, locale, external=True, lang=lang)
    return {
        "locale": locale,
        "lang": bcp47(locale),
        "language": display_name(locale),
        "foreign": foreign,
        "items": [
            {
                "entry": entry,
                "question": question,
                "answer": to_html(entry.body, shown),
                "copy_text": entry.question + "\n\n" + to_text(entry.body, copied),
            }
            for entry, question in entries
        ],
    }


def panel_context(customer_locale: str | None = None) -> dict:
    query = panel_query()
    return {"faq_q": query, "faq_groups": panel_groups(query, customer_locale)}


def panel_block(customer_locale: str | None = None):
    """The results block alone, when htmx asks for it; else None (render the page)."""
    if not requested_block(PANEL_BLOCKS):
        return None
    return render("faq/_panel.html", blocks=PANEL_BLOCKS, **panel_context(customer_locale))
