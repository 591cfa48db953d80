"""What the pages show in French follows French typography: the rules the catalogue check
applies to each message, applied to the page as a whole (a label and its message joined by
a template, a refused form's error summary)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from i18n_rules import Text, check_typography
from tests.conftest import csrf_from

PAGES = ["/lines/", "/lines/1", "/lines/1/calls", "/lines/requests", "/procedure/", "/emails/"]


def _visible_text(page: str) -> str:
    body = page.split("<main", 1)[-1].split("</main>", 1)[0]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("path", PAGES)
def test_french_pages_set_their_punctuation_right(signed_in, path):
    page = signed_in("fr").get(path, query_string={"lang": "fr_FR"}).text
    assert 'lang="fr-FR"' in page
    assert check_typography([Text("fr_FR", path, _visible_text(page))]) == []


def test_a_refused_french_form_too(signed_in):
    client = signed_in("fr")
    page = client.get("/procedure/?lang=fr_FR").text
    refused = client.post(
        "/procedure/?lang=fr_FR", data={"iban": "FR00", "csrf_token": csrf_from(page)}
    ).text
    assert "\u00a0:" in _visible_text(refused)  # the error summary's colons, to check
    assert check_typography([Text("fr_FR", "refused", _visible_text(refused))]) == []
