"""The language rules of `flask translate check` (i18n_rules): each one catches what it is
for, and lets the right text through."""

from __future__ import annotations

import re

import pytest

import i18n_rules
from i18n_rules import (
    Term,
    Text,
    check_register,
    check_spacing,
    check_termbase,
    check_typography,
)

TERMS = [
    Term(
        "offer",
        "term",
        "",
        words={"de": "Tarif", "nl": "abonnement"},
        forbidden={"de": ["Angebot*"], "nl": ["formule*"]},
    ),
    Term("VAT", "term", "", words={"de_CH": "MWST"}, forbidden={"de_CH": ["MwSt*"]}),
    Term("postcode", "term", "", words={"fr_CH": "NPA"}, forbidden={"fr_CH": ["code postal"]}),
    Term("Découverte", "brand", ""),
]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (Text("de", "x", "Ein Angebotswechsel gilt ab dem 1."), True),  # a stem
        (Text("de", "x", "Ein Tarifwechsel gilt ab dem 1."), False),
        (Text("nl", "x", "De Formule Découverte"), True),  # any case when written in lower case
        (Text("de_CH", "x", "Gesamt inkl. MWST"), False),  # capitals: only as written
        (Text("de_CH", "x", "Gesamt inkl. MwSt."), True),
        (Text("fr_CH", "x", "Code postal", inherited=True), True),  # the region's own rule
        (Text("fr_BE", "x", "Code postal", inherited=True), False),
        (Text("fr", "x", "Le forfait", source="The offer"), False),  # not in the termbase
        (Text("it", "x", "L'offerta Scoperta", source="The Découverte offer"), True),  # brand
        (Text("it", "x", "L'offerta Découverte", source="The Découverte offer"), False),
    ],
)
def test_the_termbase_forbids_variants_and_keeps_brands(text, found):
    assert bool(check_termbase([text], TERMS)) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (Text("it", "x", "Prima del tuo primo ordine"), True),
        (Text("it", "x", "Lo paghi e poi scegli la linea."), True),
        (Text("it", "x", "Componete il 123 e potete ascoltare i messaggi."), True),
        (Text("it", "x", "Prima del Suo primo ordine, scelga la linea."), False),
        (Text("it", "x", "Un rinnovo ogni sei mesi."), False),  # "sei" is also six
        (Text("de", "x", "Wähle deinen Tarif"), True),
        (Text("de", "x", "Wählen Sie Ihren Tarif"), False),
        (Text("nl", "x", "Kies je abonnement"), True),
        (Text("nl", "x", "Kies uw abonnement"), False),
        (Text("fr", "x", "Choisis ton offre"), True),
        (Text("fr", "x", "Choisissez votre offre"), False),
        (Text("it", "x", "Il tuo ordine", inherited=True), False),  # checked in its base
    ],
)
def test_one_register_per_language(text, found):
    assert bool(check_register([text])) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (Text("fr", "x", "Merci : à bientôt"), True),  # ordinary space
        (Text("fr", "x", "Merci: à bientôt"), True),  # none
        (Text("fr", "x", "Merci\u00a0: à bientôt\u202f!"), False),
        (Text("fr", "x", "Voir [la page](faq:voicemail) et https://example.org"), False),
        (Text("fr", "x", "La page « Demandes »"), True),
        (Text("fr", "x", "La page «\u00a0Demandes\u00a0»"), False),
        (Text("fr", "x", "TVA (20%)"), True),
        (Text("fr", "x", "TVA 20\u00a0%, %(rate)s"), False),
        (Text("it", "x", "IVA 8.1 %"), True),
        (Text("it", "x", "IVA 8.1%"), False),
    ],
)
def test_typography_per_language(text, found):
    assert bool(check_typography([text])) is found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # A no-break space put before ":" where a space stood already (two spaces shown).
        (Text("fr", "x", "Renouvellement automatique \u00a0: payé"), True),
        (Text("nl", "x", "Twee  spaties"), True),
        (Text("en", "x", "A Markdown line break  \nthen more"), False),
        (Text("fr", "x", "Renouvellement automatique\u00a0: payé"), False),
    ],
)
def test_one_space_between_two_words(text, found):
    assert bool(check_spacing([text])) is found


def test_one_apostrophe_per_language():
    mixed = [Text("it", "a", "L'offerta"), Text("it", "b", "L’account"), Text("it", "c", "L'IVA")]
    problems = check_typography(mixed)
    assert len(problems) == 1 and "’ in b" in problems[0]
    assert check_typography(mixed[::2]) == []


def test_the_real_catalogues_and_faq_follow_the_rules():
    from i18n_tools import BASES, REGIONALS, po_path, read_catalog

    catalogs = {name: read_catalog(po_path(name), locale=name) for name in BASES + REGIONALS}
    assert i18n_rules.check_all(catalogs) == []


def test_the_termbase_names_a_term_for_each_forbidden_variant():
    for term in i18n_rules.read_termbase():
        assert term.kind in ("term", "brand"), term.term
        for locale in term.forbidden:
            assert term.words.get(locale) or term.words.get(locale.split("_")[0]), (
                term.term,
                locale,
            )


def test_a_time_in_a_french_text_is_not_a_colon_that_wants_a_space():
    assert check_typography([Text("fr", "x", "Merci\u00a0: votre réponse, 10:30")]) == []


def test_the_pseudo_locale_accents_lengthens_and_keeps_placeholders_and_tags():
    from i18n_tools import pseudo_translate

    text = "Each extra call costs %(price)s a month, <strong>from %(date)s</strong>."
    pseudo = pseudo_translate(text)
    assert pseudo.startswith("⟦") and pseudo.endswith("⟧")
    assert "%(price)s" in pseudo and "%(date)s" in pseudo and "<strong>" in pseudo
    assert re.sub(r"%\(\w+\)s|<[^>]+>", "", pseudo).isascii() is False
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)s|<[^>]+>", "", pseudo))
    assert len(pseudo) >= len(text) * 1.35


def test_the_pseudo_locale_is_served_with_english_formats(client):
    page = client.get("/login?lang=en_XA").text
    assert 'lang="en-XA"' in page and "⟦" in page
    assert client.get("/faq/call-forwarding?lang=en_XA").status_code == 200


def test_money_and_numbers_take_the_pseudo_locales_english_formats(app):
    from decimal import Decimal

    from templating import money, phone

    for lang, expected in (("en_XA", "€1,234.50"), ("fr_FR", "1\u202f234,50\u00a0€")):
        with app.test_request_context(f"/?lang={lang}"):
            assert money(Decimal("1234.5"), "EUR") == expected
            assert phone("+33972100001") == "+33 9 72 10 00 01"


def test_swiss_german_quotes_with_guillemets():
    """German quotes „…“; Swiss German «…»: every German message that quotes has its own
    de_CH wording (which a Swiss reader gets instead of the German one)."""
    from i18n_tools import po_path, read_catalog

    german = read_catalog(po_path("de"), "de")
    swiss = read_catalog(po_path("de_CH"), "de_CH")
    missing = []
    for message in german:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or not any("„" in text for text in strings if text):
            continue
        own = swiss.get(message.id, context=message.context)
        if own is None:
            missing.append(message.id)
            continue
        own_strings = own.string if isinstance(own.string, tuple) else (own.string,)
        if not all(own_strings) or any("„" in text or "“" in text for text in own_strings):
            missing.append(message.id)
    assert missing == []
