"""Browser tests: a real server in a thread, Debian's Chromium driven by Playwright, and
axe-core on every page visited.

Chromium is /usr/bin/chromium or $CHROMIUM_PATH. Without it the tests skip with a message,
except under CI=true, where a missing browser is a failure."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

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


#: The Nu HTML Checker (vnu), installed from npm by `make assets`; it runs on Java.
VNU_JAR = Path(__file__).resolve().parents[2] / "node_modules/vnu-jar/build/dist/vnu.jar"
#: htmx's own attributes are not HTML's; everything else must be valid HTML.
VNU_IGNORE = r".*Attribute “hx-[a-z-]+” not allowed.*"
#: Each distinct page check_accessibility saw (by digest): its file and its URL.
_seen_pages: dict[str, tuple[Path, str]] = {}
_pages_folder: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def validate_html(tmp_path_factory):
    """Every distinct page the browser tests checked is valid HTML (vnu, once at the end:
    one Java start for all of them). Errors fail the session's last test at teardown."""
    _seen_pages.clear()
    _pages_folder[:] = [tmp_path_factory.mktemp("pages")]
    yield
    pages = dict(_seen_pages.values())
    _seen_pages.clear()
    _pages_folder.clear()
    if not pages:
        return
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        message = "no Java or vnu.jar (make assets): the HTML of the pages was not validated"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": required under CI")
        return
    result = subprocess.run(  # noqa: S603 - our own jar and files
        [
            java,
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "gnu",
            "--filterpattern",
            VNU_IGNORE,
            *map(str, pages),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    errors = (result.stderr + result.stdout).strip()
    for path, url in pages.items():  # name the page, not the file
        errors = errors.replace(f'"file:{path}"', url)
    assert result.returncode == 0 and not errors, f"invalid HTML:\n{errors}"


def keep_for_validation(page) -> None:
    """Keep the page's HTML (once per distinct page: the tokens left out) for vnu."""
    if not _pages_folder:
        return
    html = page.content()
    key = hashlib.sha256(re.sub(r'value="[^"]{40,}"|"X-CSRFToken": "[^"]+"', "", html).encode())
    digest = key.hexdigest()[:16]
    if digest not in _seen_pages:
        path = _pages_folder[0] / f"{len(_seen_pages):04d}-{digest}.html"
        path.write_text(html, encoding="utf-8")
        _seen_pages[digest] = (path, page.url)


class LiveServer(str):
    """The base URL (a str), with the app for work outside the browser (`.app`)."""

    def __new__(cls, url: str, app):
        obj = super().__new__(cls, url)
        obj.app = app
        return obj


@pytest.fixture
def live_server(tmp_path):
    """The site on its own demo database, with the translators' workspace on (as in the
    demo) over the test's own copies of the catalogues and the FAQ, which a save may write."""
    from tests.workspace import workspace_settings

    app = make_app(tmp_path, **workspace_settings(tmp_path))
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


#: The axe rules that colours decide: what a page in dark mode or forced colours can break
#: that the same page in light mode does not (its markup, ARIA and layout are the same).
COLOUR_RULES = ("color-contrast", "link-in-text-block")


def check_accessibility(page, rules: tuple[str, ...] | None = None) -> None:
    """Run axe-core on the current page (every rule, or only `rules`); fail on any
    violation, on a page wider than the window (a phone would scroll sideways) and on
    markup shown as text."""
    from axe_playwright_python.sync_playwright import Axe

    check_layout(page)
    check_error_links(page)
    keep_for_validation(page)
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": list(rules)}
    results = Axe().run(page, options=options)
    assert results.violations_count == 0, results.generate_report()


def check_error_links(page) -> None:
    """Each link of an error summary goes to an enabled control (tests/browser/
    test_error_summaries.py clicks them)."""
    wrong = page.evaluate(
        """() => [...document.querySelectorAll("#error-summary a[href^='#']")]
          .map((a) => [a.textContent, document.getElementById(a.getAttribute("href").slice(1))])
          .filter(([, el]) => !el || !el.matches("input, select, textarea") || el.disabled)
          .map(([text, el]) => text + " → " + (el ? el.outerHTML.slice(0, 60) : "nothing"))"""
    )
    assert wrong == [], f"{page.url}: error links that reach no control: {wrong}"


#: Markup that a page shows as characters when HTML was escaped once too often.
MARKUP_AS_TEXT = re.compile(r"</?(p|strong|em|a|ul|ol|li|br|code)\b[^>]*>|&(lt|gt|amp|quot);")
#: What a page shows when a Python value reached it unformatted: None (a look-up that found
#: nothing; "None of …" and the like are English), an object's repr, an enum member's name.
PYTHON_AS_TEXT = re.compile(
    r"\bNone\b(?!\s+[a-z])"
    r"|<[a-z_]+(?:\.[A-Za-z_]+)+ object at "
    r"|\b(?:[A-Z][a-z]+){2,}\.[A-Z][A-Z_]+\b"  # InvoiceStatus.PAID, TaskAction.CHANGE_OFFER
)


def check_layout(page) -> None:
    """No horizontal scrolling at the window's width, and no HTML or Python value (None, a
    repr, an enum's name) shown as text."""
    width = page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px window"
    if width <= 400:
        # Nor a box of the page that scrolls sideways on a phone (a table cut off in its
        # scroll box: nothing says there is more to see).
        boxes = page.evaluate(
            """() => [...document.querySelectorAll("body *")].filter((el) => {
                 const x = getComputedStyle(el).overflowX;
                 return (x === "auto" || x === "scroll") && el.scrollWidth > el.clientWidth + 1
                   && el.checkVisibility();
               }).map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert boxes == [], f"{page.url} scrolls sideways inside {boxes} at {width} px"
    shown = page.locator("body").inner_text()
    found = MARKUP_AS_TEXT.search(shown)
    assert found is None, f"{page.url} shows markup as text: {found.group(0)!r}"
    found = PYTHON_AS_TEXT.search(shown)
    assert found is None, f"{page.url} shows a Python value: {found.group(0)!r}"


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


_FOCUS_SAMPLE = """() => {
  const selectors = ["a[href]", "button:not(.secondary):not(.outline)", "button.secondary",
    "button.outline", "input[type=submit]",
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit])",
    "select", "textarea", "input[type=checkbox]", "input[type=radio]", "summary"];
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (colour && !colour.endsWith(", 0)") && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
  };
  const found = [];
  for (const selector of selectors) {
    const el = [...document.querySelectorAll(selector)].find((e) => e.checkVisibility());
    if (!el) continue;
    const resting = getComputedStyle(el);
    const border = resting.borderTopColor, borderWidth = parseFloat(resting.borderTopWidth);
    el.focus();
    const style = getComputedStyle(el);
    found.push({selector, html: el.outerHTML.slice(0, 80), outline: style.outlineColor,
      outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
      border, borderWidth, around: background(el.parentElement), inside: background(el)});
    el.blur();
  }
  return found;
}"""


def _rgba(colour: str) -> tuple[float, float, float, float]:
    values = [float(v) for v in re.findall(r"[\d.]+", colour)[:4]]
    return values[0], values[1], values[2], values[3] if len(values) > 3 else 1.0


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of a CSS rgb()/rgba() colour drawn over an opaque one."""
    r, g, b, alpha = _rgba(first)
    under = _rgba(second)
    blended = [alpha * c + (1 - alpha) * u for c, u in zip((r, g, b), under[:3], strict=True)]
    first = "rgb({}, {}, {})".format(*blended)

    def luminance(colour):
        channels = []
        for value in _rgba(colour)[:3]:
            c = value / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_focus_and_borders(page) -> None:
    """Each kind of control of the page, focused from the keyboard, shows a ring of at
    least 2 px with 3:1 against what is around it; text fields, menus and checkboxes have
    borders of 3:1 (WCAG 2.4.7, 1.4.11)."""
    page.keyboard.press("Tab")  # keyboard modality: focus() then shows :focus-visible
    for item in page.evaluate(_FOCUS_SAMPLE):
        where = f"{page.url} {item['html']}"
        assert item["outlineStyle"] != "none" and item["outlineWidth"] >= 2, where
        ratio = contrast(item["outline"], item["around"])
        assert ratio >= 3, f"focus ring {ratio:.2f}:1 — {where}"
        field = item["selector"].startswith(("input:", "input[type=c", "input[type=r", "select"))
        if (field or item["selector"] == "textarea") and item["borderWidth"]:
            ratio = contrast(item["border"], item["around"])
            assert ratio >= 3, f"control border {ratio:.2f}:1 — {where}"
