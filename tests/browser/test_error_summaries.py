"""Every link of an error summary moves focus to a control of its field, where the user can
fix it: an input, a select, a textarea, or the first radio or checkbox of a group, never a
fieldset or an id that doesn't exist (WCAG 3.3.1)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import act_for, check_accessibility, sign_in

#: (who, the form's page, what to do before sending it empty, how many links at least).
FORMS = [
    ("customer", "/lines/3/offer", None, 1),
    ("customer", "/lines/1/terminate", None, 1),
    ("customer", "/lines/new", None, 2),
    ("customer", "/lines/numbers/1/line", None, 1),
    ("customer", "/lines/offer?offer=2", None, 1),
    ("customer", "/lines/1/calls", "#calls", 1),
    ("customer", "/procedure/", None, 3),
    ("agent", "/procedure/manage", None, 1),
]


def _submit_procedure(app) -> None:
    """The French company's procedure, sent: an agent has a status to choose."""
    from sqlalchemy import select

    from extensions import db
    from telephony import procedure
    from telephony.models import Account
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        procedure.submit(account, DETAILS["vt10001-f"], actor=None)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize(("who", "path", "clear", "at_least"), FORMS)
def test_each_error_link_lands_on_a_control(page, live_server, who, path, clear, at_least):
    if who == "agent":
        _submit_procedure(live_server.app)
        act_for(page, live_server, "vt10001-f")
    else:
        sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang=en")
    if clear:
        page.locator(clear).fill("")
    action = path.split("?")[0].rstrip("/") or "/"
    form = page.locator(f"main form[method=post][action^='{action}']").last
    form.locator("[type=submit]").last.click()
    page.wait_for_load_state()
    links = page.locator("#error-summary a")
    assert links.count() >= at_least, page.locator("main").inner_text()[:500]
    check_accessibility(page)
    for index in range(links.count()):
        link = links.nth(index)
        target = link.get_attribute("href").removeprefix("#")
        link.click()
        focused = page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.id,"
            " document.activeElement.disabled]"
        )
        assert focused[0] in ("INPUT", "SELECT", "TEXTAREA"), (link.inner_text(), focused)
        assert focused[1] == target and not focused[2], (link.inner_text(), focused)
