"""My services in a browser, as the French company and as an agent acting for it, with
JavaScript (the table follows each change, the address keeps the filters) and without
(the form is sent with its button): filter, search, sort, remove a chip."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, check_layout, open_account


@pytest.mark.parametrize("who", ["customer", "agent"])
@pytest.mark.parametrize("js", [True, False])
def test_filter_search_and_sort_my_services(browser, live_server, who, js):
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    open_account(page, live_server, who)
    page.goto(live_server + "/services/?lang=en")
    rows = page.locator("table.services tbody tr")
    assert rows.count() > 10
    if js:  # axe runs in the page
        check_accessibility(page)
    # Between the phone and the desktop the table scrolls in its box; the page does not (its
    # links' visually hidden texts made it 1,228 px wide at 1,024).
    for width in (800, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        check_layout(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Renewal", exact=True).select_option("manual")
    if not js:
        page.get_by_role("button", name="Apply the filters").click()
    page.wait_for_url("**renewal=manual**")
    assert rows.count() == 2  # the fax line and the yearly number
    assert "Manual renewal" in page.locator(".chips").inner_text()

    page.get_by_label("Search by name or number").fill("09 72 10 01 02")
    if js:
        page.wait_for_url("**q=09**")
    else:
        page.get_by_role("button", name="Apply the filters").click()
        page.wait_for_load_state()
    assert rows.count() == 1
    assert "+33\u00a09\u00a072\u00a010\u00a001\u00a002" in rows.first.inner_text()  # unbroken

    if js:  # the search's delayed request too (fill sends "change" and "input")
        page.wait_for_load_state("networkidle")
    page.locator(".chips").get_by_role("link", name="Manual renewal").click()
    page.wait_for_url(lambda url: "renewal=" not in url)
    assert rows.count() == 1  # the search stays
    # The filters' form shows it too: the next filter chosen does not bring it back.
    renewal = page.get_by_label("Renewal", exact=True)
    expect(renewal).to_have_value("")
    page.get_by_label("State", exact=True).select_option("active")
    if not js:
        page.get_by_role("button", name="Apply the filters").click()
    page.wait_for_url("**state=active**")
    assert "renewal=manual" not in page.url

    page.goto(live_server + "/services/?lang=en")
    page.get_by_role("link", name="Name", exact=True).click()
    page.wait_for_url("**sort=name**")
    first = rows.first.locator("th").inner_text()
    page.get_by_role("link", name="Name", exact=True).click()
    page.wait_for_url("**dir=desc**")
    assert rows.first.locator("th").inner_text() != first
    if js:  # the focus stays on the header's link: Enter again reverses the order
        expect(page.locator("#sort-name")).to_be_focused()
    assert page.locator("th[aria-sort=descending]").count() == 1
    if js:
        check_accessibility(page)
    context.close()


def test_export_the_filtered_services_and_read_them_back(browser, live_server):
    """The export link carries the filters; the file opens in the locale's dialect."""
    import csv
    import io

    context = browser.new_context(locale="en-US", accept_downloads=True)
    page = context.new_page()
    open_account(page, live_server, "customer")
    page.goto(live_server + "/services/?lang=fr_FR&renewal=manual")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter ces services (CSV)").click()
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        text = fh.read()
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0][0] == "Nom" and len(table) == 3
    context.close()
