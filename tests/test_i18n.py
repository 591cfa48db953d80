"""Locale negotiation, regional fallback, Babel formatting, the switcher."""

import re
from decimal import Decimal

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from i18n import display_name, load_translations, match_accept_language


def _catalog(tmp_path, locale, entries):
    catalog = Catalog(locale=locale)
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    folder = tmp_path / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)


def test_regional_catalogue_falls_back_to_its_base_language(tmp_path):
    _catalog(tmp_path, "fr", {"Mobile phone": "Portable", "Hello": "Bonjour"})
    _catalog(tmp_path, "fr_BE", {"Mobile phone": "GSM"})
    fr_be = load_translations("fr_BE", [str(tmp_path)])
    assert fr_be.gettext("Mobile phone") == "GSM"  # the regional difference
    assert fr_be.gettext("Hello") == "Bonjour"  # from fr
    assert fr_be.gettext("Untranslated") == "Untranslated"  # then the English source
    assert load_translations("fr_CH", [str(tmp_path)]).gettext("Mobile phone") == "Portable"
    # The base language itself is not shadowed by a regional catalogue (fr vs fr_FR).
    _catalog(tmp_path, "fr_FR", {})
    assert load_translations("fr", [str(tmp_path)]).gettext("Hello") == "Bonjour"
    assert load_translations("fr_FR", [str(tmp_path)]).gettext("Hello") == "Bonjour"


def test_real_catalogues_fall_back_too(signed_in):
    # de_CH only holds its Swiss spellings; everything else comes from de.
    html = signed_in("ch").get("/lines/?lang=de_CH").get_data(as_text=True)
    assert "Leitungen und Nummern" in html
    assert 'lang="de-CH"' in html


def test_swiss_german_writes_ss_and_mwst_in_every_message():
    from babel.messages.pofile import read_po

    with open("translations/de/LC_MESSAGES/messages.po", "rb") as fh:
        german = read_po(fh)
    swiss = load_translations("de_CH", ["translations"])
    for message in german:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            texts = [swiss.ngettext(message.id[0], message.id[1], n) for n in (1, 2)]
        else:
            texts = [swiss.gettext(message.id)]
        for text in texts:
            assert "ß" not in text and "MwSt" not in text, text


def test_display_names_show_the_region():
    assert display_name("fr_BE") == "français (Belgique)"
    assert display_name("nl_BE") == "Nederlands (België)"
    assert display_name("en") == "English"


@pytest.mark.parametrize(
    ("header", "country", "expected"),
    [
        ([("de-CH", 1)], None, "de_CH"),
        ([("nl", 1)], "BE", "nl_BE"),
        ([("fr", 1)], "CH", "fr_CH"),
        ([("fr", 1)], None, "fr_FR"),
        ([("es", 1), ("it", 0.5)], None, "it_CH"),
        ([("es", 1)], None, None),
        ([("en-GB", 1)], "FR", "en"),
    ],
)
def test_accept_language_matching(header, country, expected):
    assert match_accept_language(header, country) == expected


def _lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_choice_order(app, client, auth):
    with app.app_context():  # a user who never chose a language
        from sqlalchemy import update

        from extensions import db
        from telephony.models import User

        db.session.execute(update(User).values(locale=None))
        db.session.commit()
    # Signed out: Accept-Language, then the default.
    assert _lang(client.get("/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"})) == "nl-BE"
    assert _lang(client.get("/login")) == "en"
    # Signed in (BE account, language nl_BE): the account's language when nothing else says.
    auth.login("demo-be@example.com")
    assert _lang(client.get("/lines/")) == "nl-BE"
    # Accept-Language beats the account's language.
    assert _lang(client.get("/lines/", headers={"Accept-Language": "fr"})) == "fr-BE"
    # ?lang= beats everything and is remembered (session and profile).
    assert _lang(client.get("/lines/?lang=de_BE")) == "de-BE"
    assert _lang(client.get("/lines/", headers={"Accept-Language": "fr"})) == "de-BE"
    # An unknown ?lang= is ignored.
    assert _lang(client.get("/lines/?lang=xx_YY")) == "de-BE"


def test_remembered_choice_follows_the_user_to_a_new_session(app, auth):
    auth.login("demo-be@example.com")
    auth.client.get("/lines/?lang=fr_BE")
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login("demo-be@example.com")
    assert _lang(other.get("/lines/")) == "fr-BE"


def test_switcher_lists_every_locale_with_its_region(client):
    html = client.get("/login").get_data(as_text=True)
    for name in [
        "English",
        "français (France)",
        "français (Belgique)",
        "français (Suisse)",
        "Nederlands (België)",
        "Deutsch (Belgien)",
        "Deutsch (Schweiz)",
        "italiano (Svizzera)",
    ]:
        assert name in html


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nl_BE", "€\u00a09,99"),
        ("fr_BE", "9,99\u00a0€"),
        ("de_CH", "CHF\u00a011.00"),
        ("it_CH", "CHF\u00a011.00"),
        ("en", "€9.99"),
    ],
)
def test_money_is_formatted_by_babel_for_the_locale(app, locale, expected):
    from flask_babel import force_locale

    from templating import money

    currency = "CHF" if locale.endswith("CH") else "EUR"
    amount = Decimal("11.00") if currency == "CHF" else Decimal("9.99")
    with app.test_request_context(), force_locale(locale):
        assert money(amount, currency) == expected


def test_a_rules_message_says_numbers_dates_and_lists_in_the_readers_language(app_ctx):
    """A refusal is made once and shown in the language of whoever reads it: "1,000"
    reached Dutch readers, an ISO date a page that says "7 december 2026" beside it, and
    lists were joined with commas only."""
    from datetime import date

    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    from telephony import wording

    message = _l(
        "%(a)s %(b)s %(c)s",
        a=wording.number(1000),
        b=wording.long_date(date(2026, 12, 7)),
        c=wording.listing(["A", "B", "C"]),
    )
    said = {}
    for locale in ("en", "nl_BE", "de_CH", "fr_FR", "it_CH"):
        with force_locale(locale):
            said[locale] = str(message)
    assert said["en"] == "1,000 December 7, 2026 A, B, and C"
    assert said["nl_BE"] == "1.000 7 december 2026 A, B en C"
    assert said["de_CH"] == "1’000 7. Dezember 2026 A, B und C"
    assert said["fr_FR"] == "1\u202f000 7 décembre 2026 A, B et C"
    assert said["it_CH"] == "1’000 7 dicembre 2026 A, B e C"
