"""The translators' workspace in a browser, JavaScript on and off: find the entries nl_BE
takes from Dutch, translate one and see it on the sign-in page at once; a broken
placeholder is refused beside its field."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_accessibility, sign_in


def check(page, js: bool) -> None:
    """axe-core needs JavaScript: it runs on the pages made with it (the same pages)."""
    if js:
        check_accessibility(page)


@pytest.mark.parametrize("js", [True, False])
def test_translate_an_nl_be_entry_and_see_it_on_the_sign_in_page(browser, live_server, js):
    base = live_server
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    sign_in(page, base, "translator@example.com")
    page.goto(base + "/translations/?lang=en")
    page.get_by_role("link", name="Edit the translations of Nederlands (België)").click()
    page.get_by_label("State").select_option("untranslated")
    page.get_by_label("Words in the source or the translation").fill("sign in")
    if js:
        page.wait_for_url("**q=sign*")  # the list follows what is typed, in place
    else:
        page.get_by_role("button", name="Apply the filters").click()
    assert "From Nederlands:" in page.locator("table").inner_text()
    check(page, js)
    page.get_by_role("link", name="Sign in", exact=True).click()
    assert "Aanmelden" in page.content()  # what nl_BE takes from Dutch today
    check(page, js)
    page.get_by_label("Translation in Nederlands (België)").fill("Inloggen")
    page.get_by_role("button", name="Save the translation").click()
    page.get_by_text("Saved. The site shows the new text now.").first.wait_for()
    check(page, js)
    # Back to the filtered list, then the sign-in page as a visitor sees it.
    page.get_by_role("link", name="Back to the entries of Nederlands (België)").click()
    assert "sign+in" in page.url or "sign%20in" in page.url
    visitor = browser.new_context(locale="nl-BE", java_script_enabled=js).new_page()
    visitor.goto(base + "/login?lang=nl_BE")
    assert visitor.get_by_role("button", name="Inloggen").is_visible()
    visitor.context.close()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_a_broken_placeholder_shows_its_message_beside_the_field(browser, live_server, js):
    base = live_server
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    sign_in(page, base, "translator@example.com")
    page.goto(base + "/translations/it/?lang=en&q=You+are+acting+for")
    page.get_by_role("link", name="You are acting for %(name)s (%(code)s).").click()
    field = page.get_by_label("Translation in italiano")
    field.fill("Sta agendo per %(nome)s (%(code)s).")
    page.get_by_role("button", name="Save the translation").click()
    message = page.locator(".field-error")
    message.wait_for()
    assert "Keep the placeholders of the source exactly" in message.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert field.input_value() == "Sta agendo per %(nome)s (%(code)s)."
    assert "Nothing was saved." in page.content()
    if js:  # the error summary has focus (htmx replaced the form: the handler looked for
        # the summary in the element the swap had taken out of the page)
        assert page.evaluate("document.activeElement.id") == "error-summary"
    check(page, js)
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_show_translations_and_reach_an_entry_from_a_page(browser, live_server, js):
    base = live_server
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    sign_in(page, base, "translator@example.com")
    page.goto(base + "/translations/?lang=fr_FR")
    page.get_by_role("button", name="Afficher les traductions sur chaque page").click()
    page.goto(base + "/faq")
    heading = page.get_by_role("heading", name="Questions fréquentes", level=1)
    if js:
        assert "translated-text" in heading.get_attribute("class")
        check(page, js)
        heading.click()
    else:
        page.locator("#in-context").get_by_role(
            "link", name="Frequently asked questions", exact=True
        ).click()
    # fr_FR shows the French text: its entry is French's, which every region shows.
    page.wait_for_url("**/translations/fr/*")
    assert page.get_by_label("Traduction en français").input_value() == "Questions fréquentes"
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_edit_an_it_ch_faq_answer_with_the_preview(browser, live_server, js):
    base = live_server
    context = browser.new_context(locale="en-US", java_script_enabled=js)
    page = context.new_page()
    sign_in(page, base, "translator@example.com")
    page.goto(base + "/translations/it_CH/?lang=en")
    page.get_by_role("link", name="FAQ answers in italiano (Svizzera)").click()
    page.get_by_role("link", name="How do I use my voicemail?").click()
    check(page, js)
    page.get_by_label("Question").fill("Come usare la Sua combox?")
    page.get_by_label("Answer (Markdown)").fill("Componga il **123** dalla linea stessa.")
    preview = page.locator("#faq-preview strong", has_text="123")
    if not js:
        page.get_by_role("button", name="Preview").click()
    preview.wait_for()  # with JavaScript, as one types
    assert page.get_by_label("Answer (Markdown)").input_value().startswith("Componga il")
    page.get_by_role("button", name="Save the answer").click()
    page.get_by_text("Saved. The FAQ shows the new answer now.").wait_for()
    check(page, js)
    visitor = browser.new_context(locale="it-CH", java_script_enabled=js).new_page()
    visitor.goto(base + "/faq/voicemail?lang=it_CH")
    assert visitor.get_by_role("heading", name="Come usare la Sua combox?").is_visible()
    visitor.context.close()
    context.close()


@pytest.mark.parametrize("js", [True, False])
def test_download_the_po_and_upload_it_again_unchanged(browser, live_server, js, tmp_path):
    base = live_server
    context = browser.new_context(locale="en-US", java_script_enabled=js, accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, "translator@example.com")
    page.goto(base + "/translations/de_CH/?lang=en")
    page.get_by_role("link", name="Download or upload the .po file").click()
    check(page, js)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the catalogue of Deutsch (Schweiz) (.po)").click()
    saved = tmp_path / "de_CH.po"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "de_CH.po"
    assert 'msgid "Sign in"' not in saved.read_text("utf-8")  # de_CH's own entries only
    page.get_by_label("Catalogue (.po)").set_input_files(saved)
    page.get_by_role("button", name="Check and merge").click()
    report = page.locator("#report")
    report.wait_for()
    assert "0 entries changed" in report.inner_text()
    assert "0 entries refused" in report.inner_text()
    check(page, js)
    context.close()
