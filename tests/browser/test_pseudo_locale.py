"""Every page in the pseudo-locale (en_XA: every message accented and about 40 % longer):
no English word escaped translation, and no text is cut off or overflows its box, at a
phone's width and a desktop's.

What may stay unaccented: data (names, numbers, descriptions, e-mails as sent: every word
stored in the database, and the operator's settings) and text marked as being in another
language (`lang`, e.g. a FAQ answer not written in this language, the language names)."""

from __future__ import annotations

import re

import pytest
from babel import Locale
from sqlalchemy import JSON, String, Text, select

from extensions import db
from tests.browser.support import pages, prepare_pages, visit_as

#: Visible text and the texts read aloud (labels, placeholders, titles, button values),
#: outside scripts and outside elements in another language than the page's.
COLLECT_TEXT = """() => {
  const pageLang = document.documentElement.lang;
  const foreign = (el) => {
    const marked = el.closest('[lang]');
    return (marked && marked.getAttribute('lang') !== pageLang) || el.closest('script, style');
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text && node.parentElement && !foreign(node.parentElement)) texts.push(text);
  }
  for (const el of document.querySelectorAll(
      '[placeholder], [aria-label], [title], [alt], input[type=submit], input[type=button]')) {
    if (foreign(el)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
    if (el.matches('input[type=submit], input[type=button]')) texts.push(el.value);
  }
  return texts;
}"""

#: Text that goes past the box that holds it (a block's edges), or is hidden by a box that
#: clips (overflow hidden or clip) without letting one scroll to it.
FIND_CUT_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || !parent || !parent.checkVisibility()) continue;
    if (parent.closest('.visually-hidden, script, style, select, textarea')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width === 0) continue;
      for (let box = parent; box && box !== document.body; box = box.parentElement) {
        const style = getComputedStyle(box);
        const edges = box.getBoundingClientRect();
        const past = rect.right > edges.right + 1 || rect.left < edges.left - 1;
        if (['auto', 'scroll'].includes(style.overflowX)) break;
        const clips = ['hidden', 'clip'].includes(style.overflowX);
        if (past && (clips || style.display !== 'inline')) {
          found.push(`${box.tagName.toLowerCase()}: ${node.textContent.trim().slice(0, 50)}`);
          break;
        }
        if (style.display !== 'inline' && !clips) break;  // within its block: fine
      }
    }
  }
  return [...new Set(found)];
}"""

ENGLISH_WORD = re.compile(r"(?<![\w@.])[A-Za-z]{3,}(?![\w@])")


def _data_words(app) -> set[str]:
    """Every word stored in the database and in the operator's settings, and the English
    names Babel formats with (months, days, countries, languages): data, not text to
    translate."""
    words: set[str] = set()

    def add(value) -> None:
        if isinstance(value, str):
            words.update(word.lower() for word in re.findall(r"[A-Za-z]+", value))
        elif isinstance(value, dict):
            for item in value.values():
                add(item)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)

    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if columns:
                for row in db.session.execute(select(*columns)):
                    for value in row:
                        add(value)
        from blueprints.procedure.routes import IBAN_HINTS, ORGANISATION_HINTS
        from i18n import LOCALES, display_name

        english = Locale("en")
        for width in ("wide", "abbreviated"):
            add(list(english.months["format"][width].values()))
            add(list(english.days["format"][width].values()))
        add(list(english.territories.values()))
        add([display_name(locale) for locale in LOCALES])
        add(ORGANISATION_HINTS)
        add(IBAN_HINTS)
        operator = app.config["OPERATOR"]
        add(vars(operator) if hasattr(operator, "__dict__") else operator)
        db.session.remove()
    return words


def _with_pseudo_locale(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "lang=en_XA"


@pytest.mark.parametrize("who", ["anonymous", "customer", "agent", "translator"])
def test_every_page_in_the_pseudo_locale(browser, live_server, who):
    ids = prepare_pages(live_server.app)
    escaped: dict[str, set[str]] = {}
    cut: dict[str, list[str]] = {}
    for width in (360, 1280):
        context = browser.new_context(locale="en-US", viewport={"width": width, "height": 900})
        page = context.new_page()
        visit_as(page, live_server, who)
        known = _data_words(live_server.app)  # what the sign-in stored (a reason) included
        for _endpoint, path in pages(ids)[who]:
            response = page.goto(live_server + _with_pseudo_locale(path))
            assert response.status == 200, (path, response.status)
            assert page.evaluate("document.documentElement.lang") == "en-XA", path
            for text in page.evaluate(COLLECT_TEXT):
                for word in ENGLISH_WORD.findall(text):
                    if word.lower() not in known:
                        escaped.setdefault(path, set()).add(f"{word} (in “{text[:60]}”)")
            for box in page.evaluate(FIND_CUT_TEXT):
                cut.setdefault(f"{path} at {width} px", []).append(box)
        context.close()
    assert not escaped, f"text that escaped translation: {escaped}"
    assert not cut, f"text cut off or overflowing its box: {cut}"


def test_the_walk_sees_cut_text_and_escaped_words(browser):
    """The two checks of the walk catch what they are for (a clipped box, a word overflowing
    its block, an English word) and let a wrapped, accented text through."""
    context = browser.new_context(viewport={"width": 360, "height": 600})
    page = context.new_page()
    page.set_content(
        '<html lang="en-XA"><body>'
        '<div style="width:80px;overflow:hidden;white-space:nowrap">⟦Ĺóñĝ ţéẋţ ţĥáţ ĝéţš çúţ⟧</div>'
        '<p style="width:60px">⟦Ŝĥóŕţ⟧ ⟦Ñéṽéŕéñðíñĝŵóŕðŵíţĥóúţáƀŕéáķ⟧</p>'
        '<p style="width:120px">⟦Ţéẋţ ţĥáţ ŵŕáþš óñţó šéṽéŕáĺ ĺíñéš⟧</p>'
        '<p>Escaped words</p><p lang="fr">Du français, marqué comme tel</p>'
        "</body></html>"
    )
    cut = page.evaluate(FIND_CUT_TEXT)
    assert len(cut) == 2 and cut[0].startswith("div") and cut[1].startswith("p"), cut
    texts = page.evaluate(COLLECT_TEXT)
    assert [w for t in texts for w in ENGLISH_WORD.findall(t)] == ["Escaped", "words"]
    context.close()
