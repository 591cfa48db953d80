"""What a review by hand found that the automated checks passed: each one walked again."""

import pytest

from tests.browser.conftest import contrast, sign_in


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_skip_link_is_readable_when_focused(browser, live_server, scheme):
    """Focused, its name was drawn over the operator's name with no background (Pico
    makes a link's background transparent): unreadable on every page."""
    context = browser.new_context(locale="en-US", color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    link = page.locator(".skip-link")
    assert link.evaluate("element => element === document.activeElement")
    colours = link.evaluate(
        "element => { const s = getComputedStyle(element); return [s.color, s.backgroundColor]; }"
    )
    context.close()
    assert not colours[1].endswith(", 0)") and colours[1] != "transparent", colours
    assert contrast(colours[0], colours[1]) >= 4.5, colours


def test_going_back_after_an_htmx_filter_raises_no_script_error(page, live_server):
    """On a page restored from history htmx names no target: the focus handlers read
    `target.isConnected` of undefined and stopped (the `page` fixture fails on any
    script error)."""
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/billing/invoices?lang=en")
    page.locator("#invoices-status").select_option(index=1)
    page.wait_for_url("**status=*")
    page.go_back()
    page.wait_for_load_state()
    page.wait_for_timeout(300)
