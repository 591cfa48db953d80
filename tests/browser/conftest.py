"""Browser tests: a real server in a thread, Debian's Chromium driven by Playwright, and
axe-core on every page visited.

Chromium is /usr/bin/chromium or $CHROMIUM_PATH. Without it the tests skip with a message,
except under CI=true, where a missing browser is a failure."""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import demo_database, drop_database, make_app

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return candidate if os.path.exists(candidate) else shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            # The browser may drop a connection while the live server streams a static
            # file; the server thread then leaves the file to the garbage collector. That is
            # the test server's business, not a leak of the site's.
            item.add_marker(
                pytest.mark.filterwarnings(
                    "ignore:Exception ignored in. <_io.FileIO name=.*static/"
                    ":pytest.PytestUnraisableExceptionWarning"
                )
            )


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "no Chromium found (install Debian's chromium or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": browser tests are required under CI")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class LiveServer(str):
    """The base URL (a str), with the app for work outside the browser (`.app`)."""

    def __new__(cls, url: str, app):
        obj = super().__new__(cls, url)
        obj.app = app
        return obj


@pytest.fixture
def live_server(tmp_path):
    app = make_app(tmp_path)
    demo_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    drop_database(app)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    errors: list[str] = []

    def on_console(message):
        # A CSP violation ("Refused to ...") or a script error fails the test; failed loads
        # (a 404 page visited on purpose, a request cut by navigation) do not.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture
def nojs_page(browser):
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def check_accessibility(page) -> None:
    """Run axe-core on the current page; fail on any violation, on a page wider than the
    window (a phone would scroll sideways) and on markup shown as text."""
    from axe_playwright_python.sync_playwright import Axe

    check_layout(page)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


#: Markup that a page shows as characters when HTML was escaped once too often.
MARKUP_AS_TEXT = re.compile(r"</?(p|strong|em|a|ul|ol|li|br|code)\b[^>]*>|&(lt|gt|amp|quot);")


def check_layout(page) -> None:
    """No horizontal scrolling at the window's width, and no HTML shown as text."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px window"
    shown = page.locator("body").inner_text()
    found = MARKUP_AS_TEXT.search(shown)
    assert found is None, f"{page.url} shows markup as text: {found.group(0)!r}"


def sign_in(page, base_url: str, email: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def act_for(page, base_url: str, code: str, reason: str = "Caller on the phone") -> None:
    """Signed in as the demo agent, open the account `code` and act for the customer."""
    sign_in(page, base_url, "agent@example.com")
    page.goto(f"{base_url}/agent/?q={code}&lang=en")
    page.get_by_role("link", name=code).click()
    page.get_by_label("Reason for acting on the customer's behalf").fill(reason)
    page.get_by_role("button", name="Open the customer's pages").click()
    page.wait_for_load_state()


def open_account(page, base_url: str, who: str) -> None:
    """As the French demo company itself ("customer") or as the agent acting for it."""
    if who == "agent":
        act_for(page, base_url, "vt10001-f")
    else:
        sign_in(page, base_url, "demo-fr@example.com")
