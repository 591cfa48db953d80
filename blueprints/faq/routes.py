from flask import abort, redirect, request, session, url_for
from flask_babel import get_locale, gettext, ngettext

from blueprints.common import page_arg
from blueprints.faq import bp
from blueprints.faq.answers import SCREENS, answer_html, answer_service, screen_url_of
from blueprints.faq.forms import FeedbackForm
from blueprints.faq.panel import PANEL_BLOCKS, panel_groups, panel_query
from blueprints.faq.throttle import limit_searches
from caching import is_shared, public_page
from extensions import db, limiter
from htmx import is_htmx, render, requested_block
from i18n import content_locale
from security import agent_required
from telephony.faq import feedback as faq_feedback

MAX_QUERY = 200  # characters kept from the query string
RESULTS = 10
MAX_PAGES = 5  # "Show more answers" up to fifty: past them, other words find better
VOTED_KEY = "faq_voted"


def _locale() -> str:
    return content_locale(str(get_locale() or "en"))


def _query() -> str:
    return request.args.get("q", "", type=str)[:MAX_QUERY].strip()


def _content_version() -> str:
    return answer_service().corpus.content_hash


def _found_text(results, more: bool) -> str:
    """What the search found, as the status line says it (read out by screen readers)."""
    if results is None:
        return ""
    if more:
        return gettext("The first %(num)d answers found.", num=len(results))
    return ngettext("%(num)d answer found.", "%(num)d answers found.", len(results))


@bp.get("/faq")
@limit_searches  # each new query runs the engine: not thousands a client
@public_page(_content_version)
def index():
    """Every question, or the ones matching `q` (the index ranks them)."""
    service = answer_service()
    locale = _locale()
    query = _query()
    # "Show more answers" asks for the next ten with the first ones (a page of the URL).
    shown = RESULTS * min(page_arg(), MAX_PAGES)
    found = service.found(locale, query, shown + 1) if query else None
    results = found[:shown] if found is not None else None
    more = found is not None and len(found) > shown
    return render(
        "faq/index.html",
        blocks=("faq-results",),
        q=query,
        results=results,
        more=more,
        found_text=_found_text(results, more),
        next_page=shown // RESULTS + 1,
        entries=service.entries(locale) if results is None else (),
        is_htmx_request=is_htmx(),
    )


@bp.get("/faq/<slug>")
@public_page(_content_version)
def show(slug: str):
    service = answer_service()
    locale = _locale()
    entry = service.entry(locale, slug)
    if entry is None:
        abort(404)
    # A visitor without a session gets the page any other would (a cache may keep it): the
    # vote's form, which needs a CSRF token and so a session, comes from its own address.
    return _show_page(service, locale, entry, None if is_shared() else FeedbackForm())


def _show_page(service, locale, entry, form, status=200):
    """The answer; `form` None: the vote offered by a link to its form."""
    screens = [(SCREENS[e], url) for e in entry.screens if (url := screen_url_of(e))]
    related = [r for slug in entry.related if (r := service.entry(locale, slug)) is not None]
    return render(
        "faq/show.html",
        blocks=("faq-feedback",),
        status=status,
        entry=entry,
        answer=answer_html(locale, entry.slug),
        screens=screens,
        related=related,
        form=form,
        voted=entry.slug in session.get(VOTED_KEY, []),
        q=_query(),
    )


@bp.route("/faq/<slug>/feedback", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])  # votes, not views of the form
def feedback(slug: str):
    """Record "Was this helpful?" once per visitor and question."""
    service = answer_service()
    locale = _locale()
    entry = service.entry(locale, slug)
    if entry is None:
        abort(404)
    form = FeedbackForm()
    if request.method != "POST":  # the vote's form (htmx: its block), or a reload after a 422
        return _show_page(service, locale, entry, form)
    if not form.validate_on_submit() or not (form.yes.data or form.no.data):
        return _show_page(service, locale, entry, form, status=422)
    voted = list(session.get(VOTED_KEY, []))
    if slug not in voted:
        faq_feedback.record(slug, locale, helpful=bool(form.yes.data), token=form.token.data)
        db.session.commit()
        session[VOTED_KEY] = (voted + [slug])[-100:]
    if is_htmx():
        return _show_page(service, locale, entry, FeedbackForm())
    # Back to where the vote was: its part of the page says thank you (said once, there).
    return redirect(url_for("faq.show", slug=slug, _anchor="faq-feedback"), 303)


@bp.get("/faq/panel")
@agent_required
def panel():
    """The agents' compact search on a page of its own (`q` or the panel's `faq_q`); agent
    pages carry the same panel (blueprints/faq/panel.py)."""
    query = panel_query() or _query()
    context = {"faq_q": query, "faq_groups": panel_groups(query)}
    # The results block lives in the partial that agent pages include.
    template = "faq/_panel.html" if requested_block(PANEL_BLOCKS) else "faq/panel.html"
    return render(template, blocks=PANEL_BLOCKS, **context)


@bp.get("/faq/feedback")
@agent_required
def feedback_counts():
    """For the operator: how many found each answer helpful."""
    service = answer_service()
    locale = _locale()
    rows = [(service.entry(locale, c.slug), c) for c in faq_feedback.counts()]
    return render("faq/feedback.html", rows=rows)
