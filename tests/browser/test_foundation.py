"""Walk the foundation in a real browser, with and without JavaScript."""

import re

import pytest

from tests.browser.conftest import check_accessibility, sign_in


def _switch(page, label: str) -> None:
    page.locator("#lang-select").select_option(label=label)
    page.locator("form.locale-switcher button[type=submit]").click()
    page.wait_for_load_state()


def _text(page, selector: str) -> str:
    return page.locator(selector).inner_text().replace("\u00a0", " ").replace("\u202f", " ")


def _html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_belgian_user_switches_between_dutch_and_french(request, live_server, javascript):
    page = request.getfixturevalue("page" if javascript else "nojs_page")
    sign_in(page, live_server, "demo-be@example.com")
    assert page.url.endswith("/lines/")
    # The account speaks Dutch.
    assert _html_lang(page) == "nl-BE"
    _switch(page, "français (Belgique)")
    assert _html_lang(page) == "fr-BE"
    assert page.get_by_role("heading", level=1).inner_text() == "Lignes et numéros"
    assert "9,99 €" in _text(page, "#line-list")
    if javascript:
        check_accessibility(page)
    _switch(page, "Nederlands (België)")
    assert _html_lang(page) == "nl-BE"
    assert page.get_by_role("heading", level=1).inner_text() == "Lijnen en nummers"
    assert "€ 9,99" in _text(page, "#line-list")
    if javascript:
        check_accessibility(page)
    # ?lang= works on any page too.
    page.goto(f"{live_server}/lines/?lang=de_BE")
    assert _html_lang(page) == "de-BE"


@pytest.mark.parametrize(
    ("email", "heading"),
    [
        ("demo-fr@example.com", "Lignes et numéros"),
        ("demo-ch@example.com", "Linee e numeri"),
        ("agent@example.com", "Agent console"),
        ("translator@example.com", "Translations"),
    ],
)
def test_every_demo_user_signs_in(page, live_server, email, heading):
    sign_in(page, live_server, email)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    check_accessibility(page)
    page.get_by_role(
        "button", name=re.compile("^(Sign out|Se déconnecter|Uscire|Abmelden)$")
    ).click()
    page.wait_for_load_state()
    assert "/login" in page.url


def test_fr_dashboard_and_line_page(page, live_server):
    sign_in(page, live_server, "demo-fr@example.com")
    page.goto(f"{live_server}/lines/?lang=en")
    rows = page.locator("#line-list tbody tr")
    assert rows.count() == 7
    check_accessibility(page)
    page.get_by_role("link", name="+33 9 72 10 00 01").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "+33 9 72 10 00 01"
    assert "Plug & Phone" in page.content() or "Plug &amp; Phone" in page.content()
    check_accessibility(page)


def test_login_errors_are_announced_and_accessible(page, live_server):
    sign_in(page, live_server, "demo-fr@example.com", "wrong")
    assert page.get_by_role("alert").inner_text().count("Wrong e-mail address or password.") == 1
    check_accessibility(page)
    page.goto(f"{live_server}/nowhere")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    check_accessibility(page)


def test_agent_live_search(page, live_server):
    sign_in(page, live_server, "agent@example.com")
    page.get_by_label("Find an account by account id, name, e-mail or phone number").fill("groene")
    page.wait_for_url(re.compile(r"q=groene"))
    assert page.locator("#account-results tbody tr").count() == 1
    assert "vt20002-b" in page.locator("#account-results").inner_text()
    check_accessibility(page)
