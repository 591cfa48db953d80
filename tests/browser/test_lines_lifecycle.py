"""Simultaneous calls, conversions and terminations in the browser, as the French demo
company; then `flask renew` on the 1st of next month applies every change once."""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from extensions import db
from telephony.models import AliasNumber, Line, LineStatus, ScheduledTask, TaskStatus
from tests.browser.conftest import check_accessibility, open_account


def _open(page, live_server, number):
    page.goto(f"{live_server}/lines/?lang=en")
    page.get_by_role("link", name=number).click()
    page.wait_for_load_state()


def _facts(page) -> dict[str, str]:
    terms = page.locator("dl.facts dt").all_inner_texts()
    values = page.locator("dl.facts dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


@pytest.mark.parametrize(
    ("javascript", "who"),
    [(True, "customer"), (False, "customer"), (True, "agent")],
    ids=["js", "nojs", "agent"],
)
def test_add_calls_with_a_paid_purchase_order(request, live_server, javascript, who, tmp_path):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    open_account(page, live_server, who)
    _open(page, live_server, "+33 9 72 10 00 01")
    assert _facts(page)["Current"] == "4"
    page.get_by_role("link", name="Change simultaneous calls").click()
    page.wait_for_url("**/calls")
    page.wait_for_load_state()
    page.get_by_label("Simultaneous calls wanted").fill("6")
    if javascript:  # the cost appears as one types
        page.locator("#calls-summary").get_by_text("2 extra calls").wait_for()
        assert "€2.40" in page.locator("#calls-summary").inner_text()
        check_accessibility(page)
    # One button, named after what the number asks for (without JavaScript: "Continue",
    # and the page then says what it will be).
    page.get_by_role("button", name="Generate purchase order" if javascript else "Continue").click()
    page.wait_for_load_state()
    assert "Accept the terms of sale" in page.locator("main").inner_text()  # not yet accepted
    page.get_by_label(re.compile("I accept the terms of sale")).check()
    page.get_by_role("button", name="Generate purchase order").click()
    page.wait_for_load_state()
    assert "/orders/" in page.url
    if javascript:
        check_accessibility(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    path = tmp_path / "order.pdf"
    download_info.value.save_as(path)
    text = " ".join(p.extract_text() for p in PdfReader(path).pages)
    assert "Boulangerie Dupré & Fils SARL" in text and "vt10001-f" in text

    # The account's saved methods, the default checked: nothing to type.
    expect(page.get_by_role("radio", name=re.compile("4242"))).to_be_checked()
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    page.wait_for_load_state()
    assert "the calls are added" in page.locator("#flashes").inner_text()
    assert _facts(page)["Current"] == "6"
    assert _facts(page)["Extra"] == "5"


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_remove_calls_then_cancel(page, live_server, who):
    open_account(page, live_server, who)
    _open(page, live_server, "+33 9 72 10 00 02")
    page.get_by_role("link", name="Change simultaneous calls").click()
    page.wait_for_url("**/calls")
    page.wait_for_load_state()  # htmx listens from the load event: typing before is not seen
    page.get_by_label("Simultaneous calls wanted").fill("1")
    page.locator("#calls-summary").get_by_text("1 call will be removed").wait_for()
    page.get_by_role("button", name="Remove calls at the next renewal").click()
    page.wait_for_load_state()
    assert _facts(page)["To be removed at the next renewal"] == "1"
    assert "Removal of simultaneous calls" in page.locator("main").inner_text()
    check_accessibility(page)
    page.get_by_role("button", name="Cancel removal of calls").click()
    page.wait_for_load_state()
    assert _facts(page)["To be removed at the next renewal"] == "0"


@pytest.mark.parametrize(
    ("javascript", "who"),
    [(True, "customer"), (False, "customer"), (True, "agent")],
    ids=["js", "nojs", "agent"],
)
def test_convert_a_line_and_a_number_both_ways_and_cancel(request, live_server, javascript, who):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    open_account(page, live_server, who)
    _open(page, live_server, "+33 9 72 10 00 01")
    page.get_by_role("link", name="Convert to alias number").click()
    page.wait_for_load_state()
    assert "hardware" in page.locator("main").inner_text()
    if javascript:
        check_accessibility(page)
    page.get_by_role("button", name="Convert to alias number").click()
    page.wait_for_load_state()
    assert "Conversion to alias number" in page.locator("main").inner_text()
    page.get_by_role("button", name="Cancel conversion").click()
    page.wait_for_load_state()
    assert "No change is pending on this line." in page.locator("main").inner_text()

    _open(page, live_server, "+33 9 72 10 01 00")
    page.get_by_role("link", name="Convert to line").click()
    page.wait_for_load_state()
    if javascript:
        check_accessibility(page)
    page.get_by_label(re.compile("Entreprise")).check()
    page.get_by_label("I accept the contracts of the chosen offer").check()
    page.get_by_role("button", name="Convert to line").click()
    page.wait_for_load_state()
    assert "Conversion to line" in page.locator("main").inner_text()
    if javascript:
        check_accessibility(page)
    page.get_by_role("button", name="Cancel conversion").click()
    page.wait_for_load_state()
    assert "No change is pending on this number." in page.locator("main").inner_text()


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_terminate_a_pool_number_then_renewal_applies_everything_once(page, live_server, who):
    open_account(page, live_server, who)
    # A pool number: the whole pool is listed before confirming.
    page.goto(f"{live_server}/lines/?lang=en")
    page.get_by_role("link", name="+33 1 84 80 00 15").click()
    page.get_by_role("link", name="Terminate").click()
    page.wait_for_load_state()
    pool = page.locator("ul.number-columns li")
    assert pool.count() == 10
    assert pool.first.inner_text() == "+33 1 84 80 00 10"
    check_accessibility(page)
    page.get_by_label("Other").check()
    page.get_by_role("button", name="Terminate").click()
    page.wait_for_load_state()
    assert "Tell us more about this reason." in page.locator("#details-error").inner_text()
    check_accessibility(page)
    page.get_by_label("Details").fill("Nous regroupons nos numéros")
    page.get_by_role("button", name="Terminate").click()
    page.wait_for_load_state()
    assert "The termination is scheduled for" in page.locator("#flashes").inner_text()

    # A line converted to an alias number, a decrease of calls.
    _open(page, live_server, "+33 9 72 10 00 05")
    page.get_by_role("link", name="Convert to alias number").click()
    page.get_by_role("button", name="Convert to alias number").click()
    page.wait_for_load_state()
    _open(page, live_server, "+33 9 72 10 00 02")
    page.get_by_role("link", name="Change simultaneous calls").click()
    page.wait_for_url("**/calls")
    page.wait_for_load_state()  # htmx listens from the load event: typing before is not seen
    page.get_by_label("Simultaneous calls wanted").fill("1")
    # The button follows the number once the preview is in.
    page.locator("#calls-summary").get_by_text("1 call will be removed").wait_for()
    page.get_by_role("button", name="Remove calls at the next renewal").click()
    page.wait_for_load_state()

    page.goto(f"{live_server}/lines/requests")
    assert page.locator("tbody tr").count() == 3
    check_accessibility(page)

    app = live_server.app
    with app.app_context():
        day = db.session.scalars(select(ScheduledTask.execute_on)).first()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["renew", "--date", day.isoformat()])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["renew", "--date", day.isoformat()])
    assert second.exit_code == 0, second.output
    with app.app_context():
        statuses = db.session.scalars(select(ScheduledTask.status)).all()
        assert statuses == [TaskStatus.DONE] * 3
        pool = db.session.scalars(
            select(AliasNumber.status).where(AliasNumber.pool_id.is_not(None))
        ).all()
        assert set(pool) == {LineStatus.TERMINATED}
        converted = db.session.scalar(
            select(AliasNumber).where(AliasNumber.number == "+33972100005")
        )
        assert converted.status == LineStatus.ACTIVE
        direction = db.session.scalar(select(Line).where(Line.number == "+33972100002"))
        assert direction.calls_current == 1

    page.goto(f"{live_server}/lines/requests")
    assert page.get_by_text("No request is pending.").count() == 1
    page.goto(f"{live_server}/lines/")
    assert page.get_by_role("link", name="+33 9 72 10 00 05").count() == 2  # line + alias
