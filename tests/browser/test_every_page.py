"""Every page of the site, as each kind of user sees it, at a phone's width (360 px) and a
desktop's (1280 px): axe finds nothing, nothing scrolls sideways, no markup shows as text,
focus rings and control borders have 3:1. Then on the desktop with the system in dark mode
(the site's dark theme: axe's colour rules, the rings and the borders again) and in forced
colours (Windows high contrast: axe's colour rules); the markup, ARIA and layout are those
of the desktop page already checked. A page added to the site without being listed here
fails the enumeration test."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    COLOUR_RULES,
    check_accessibility,
    check_focus_and_borders,
)
from tests.browser.support import pages, prepare_pages, visit_as

#: (viewport width, browser settings): phone and desktop, then the system's dark mode and
#: forced colours on the desktop. (Each a page loaded in those settings: switching them on
#: a loaded page left Chromium's forced colours half applied.)
MODES = (
    (360, {}),
    (1280, {}),
    (1280, {"color_scheme": "dark"}),
    (1280, {"forced_colors": "active"}),
)
#: GET endpoints not walked, and why.
NOT_PAGES = {
    "static": "files, not pages",
    "assets.asset": "files, not pages (static files under their digest)",
    "main.healthz": "JSON for the load balancer",
    "main.index": "redirects to the home page of one's role",
    "orders.pdf": "a PDF download",
    "procedure.pdf": "a PDF download",
    "emails.attachment": "a PDF download",
    "services.export": "a CSV download",
    "billing.export_invoices": "a CSV download",
    "billing.invoice_pdf": "a PDF download",
    "billing.invoice_ubl": "an XML download (Peppol UBL)",
    "billing.archive_zip": "a ZIP download",
    "service_numbers.port_letter": "a PDF download",
    "translators.download": "a .po download",
    "auth.time_left": "an answer for app.js: a header, no page",
    # A refused form leaves its POST address in the bar: reloading it goes back to the page.
    "orders.pay": "a GET redirects to the order",
    "agent.act": "a GET redirects to the account",
    "agent.add_note": "a GET redirects to the account",
}


def test_every_page_is_walked(app):
    get_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    walked = {
        endpoint
        for group in pages(
            {"order": 1, "task": 1, "reservation": 1, "number": 1, "port": 1}
        ).values()
        for endpoint, _ in group
    }
    assert get_endpoints - walked - set(NOT_PAGES) == set(), "add the new page to the walk"


@pytest.mark.parametrize(("width", "settings"), MODES, ids=["phone", "desktop", "dark", "forced"])
@pytest.mark.parametrize("who", ["anonymous", "customer", "agent", "translator"])
def test_every_page_at_phone_and_desktop_width(browser, live_server, who, width, settings):
    """(One test per visitor and mode: the test processes share the walk evenly.)"""
    ids = prepare_pages(live_server.app)
    context = browser.new_context(
        locale="en-US", viewport={"width": width, "height": 900}, **settings
    )
    page = context.new_page()
    visit_as(page, live_server, who)
    for _endpoint, path in pages(ids)[who]:
        response = page.goto(live_server + path)
        assert response.status == 200, (path, response.status)
        if settings.get("color_scheme") == "dark":  # the site's dark theme
            check_accessibility(page, COLOUR_RULES)
            check_focus_and_borders(page)
        elif settings:
            check_accessibility(page, COLOUR_RULES)
        else:
            check_accessibility(page)
            check_focus_and_borders(page)
    context.close()


def test_long_german_words_fit_a_phone(browser, live_server):
    """German compound words ("Validierungsverfahren", "Rufnummernblock") are longer than
    the walk's English ones: the agent's view of an account and the customer's lists, in
    de_CH at 360 px, do not scroll sideways (the agent's page did: its grid's one column
    grew with a heading)."""
    from tests.browser.conftest import check_layout

    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 900})
    page = context.new_page()
    visit_as(page, live_server, "agent")
    for path in ("/agent/", "/agent/accounts/2", "/lines/", "/services/"):
        page.goto(f"{live_server}{path}?lang=de_CH")
        check_layout(page)
    context.close()


def test_the_open_menu_fits_320_pixels(browser, live_server):
    """At 320 px (a 1280 px screen zoomed to 400 %, WCAG 1.4.10) the open menu's language
    form did not wrap: 381 px wide in English."""
    from tests.browser.conftest import check_layout

    context = browser.new_context(locale="en-US", viewport={"width": 320, "height": 640})
    page = context.new_page()
    visit_as(page, live_server, "customer")
    for lang in ("en", "nl_BE"):
        page.goto(f"{live_server}/services/?lang={lang}")
        page.locator("details.site-menu > summary").click()
        check_layout(page)
    context.close()
