"""The FAQ: content files, analysis, the full-text index, the pages, feedback, the panel."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select, text

from extensions import db
from telephony.faq import Concept, FaqService, service_for
from telephony.faq.content import CONTENT_DIR, check_content, load_corpus
from telephony.faq.evaluation import evaluate
from telephony.faq.index import PostgresIndex, index_for
from telephony.faq.render import to_html, to_text
from telephony.faq.text import Analyzer, Synonyms, Vocabulary, distance, fold
from tests.conftest import csrf_from

# --- analysis ---------------------------------------------------------------------------


def test_fold_removes_accents_and_case():
    assert fold("Répondeur") == "repondeur"
    assert fold("Grüße") == "grusse"


def test_analyzer_stems_and_drops_stop_words():
    analyzer = Analyzer("fr", ["le", "de"])
    assert analyzer.terms("le renvoi de l'appel") == ["renvoi", "appel"]
    assert analyzer.terms("appels") == ["appel"]
    assert analyzer.terms("Répondeur") == analyzer.terms("repondeur")


def test_vocabulary_mends_one_typo_and_two_in_long_words():
    vocabulary = Vocabulary(["appel", "repondeur", "tape"])
    assert vocabulary.correct("apel") == ["appel"]
    assert vocabulary.correct("repodneur") == ["repondeur"]  # swapped letters
    assert vocabulary.correct("rpondeurr") == ["repondeur"]  # two edits, long word
    assert vocabulary.correct("xyz") == []
    assert distance("apel", "tape") == 2


def test_synonyms_expand_phrases_both_ways():
    analyzer = Analyzer("fr")
    synonyms = Synonyms(analyzer, [["messagerie vocale", "répondeur"]])
    assert synonyms.expand(analyzer.terms("répondeur")) == [
        tuple(analyzer.terms("messagerie vocale"))
    ]
    assert synonyms.expand(analyzer.terms("ma messagerie vocale")) == [("repondeur",)]


# --- content ----------------------------------------------------------------------------


def test_regional_locale_takes_its_own_entries_then_the_base_language():
    corpus = load_corpus()
    assert corpus.entry("fr_BE", "call-forwarding").source_locale == "fr_BE"
    assert corpus.entry("fr_BE", "voicemail").source_locale == "fr"
    assert corpus.entry("fr_FR", "call-forwarding").source_locale == "fr"
    assert corpus.entry("de_CH", "call-recording").source_locale == "de_CH"
    assert len(corpus.locale_entries("it_CH")) == len(corpus.locale_entries("en")) >= 18


def test_content_passes_the_check():
    assert check_content() == []


@pytest.fixture
def content_copy(tmp_path):
    root = tmp_path / "faq"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_check_reports_a_missing_question_and_bad_files(content_copy):
    (content_copy / "nl" / "voicemail.md").unlink()
    (content_copy / "fr" / "orphan.md").write_text("---\nquestion: Q ?\n---\nR.\n", "utf-8")
    bad = content_copy / "it" / "voicemail.md"
    bad.write_text(bad.read_text("utf-8") + "\n<script>x</script> [a](faq:nope)\n", "utf-8")
    problems = "\n".join(check_content(content_copy))
    assert "FAQ nl: question 'voicemail' missing" in problems
    assert "fr/orphan.md: no English question has this slug" in problems
    assert "it/voicemail.md: raw HTML is not allowed" in problems
    assert "it/voicemail.md: links to unknown question 'nope'" in problems


@pytest.mark.slow
def test_translate_check_includes_the_faq(monkeypatch, content_copy):
    import telephony.faq.content as content

    (content_copy / "de" / "voicemail.md").unlink()
    monkeypatch.setattr(content, "CONTENT_DIR", content_copy)
    monkeypatch.setattr(content.check_content, "__defaults__", (content_copy,))
    from i18n_tools import check

    assert "FAQ de: question 'voicemail' missing (de/voicemail.md)" in check().problems


# --- rendering --------------------------------------------------------------------------


def test_markdown_is_rendered_without_raw_html_or_unsafe_links():
    html = to_html(
        "<b>bold</b> [x](javascript:alert(1)) [y](faq:voicemail) [z](screen:nowhere)",
        lambda target: "/faq/voicemail" if target == "faq:voicemail" else None,
    )
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "javascript" not in html.replace("javascript:alert(1)", "")  # text only
    assert 'href="javascript' not in html
    assert '<a href="/faq/voicemail">y</a>' in html
    assert "z" in html and "nowhere" not in html


def test_plain_text_keeps_lists_and_links():
    text = to_text("Hello [there](faq:x).\n\n- one\n- two", lambda t: "https://site/faq/x")
    assert text == "Hello there (https://site/faq/x).\n\n- one\n- two"


# --- the index --------------------------------------------------------------------------


@pytest.fixture
def service(app):
    with app.app_context():
        yield service_for(app)


def test_evaluation_set_reaches_90_percent_top3_in_every_locale(service):
    for score in evaluate(service):
        assert score.ratio(score.top3) >= 0.9, (score.locale, score.misses)


@pytest.mark.parametrize(
    ("locale", "query", "slug"),
    [
        ("fr_FR", "repondeur", "voicemail"),
        ("fr_BE", "renvoie d'apel", "call-forwarding"),
        ("fr_CH", "transfert", "call-forwarding"),
        ("en", "speed dial", "abbreviated-numbers"),
        ("nl_BE", "doorschakkelen", "call-forwarding"),
        ("de_CH", "Natel umleiten", "call-forwarding"),
        ("it_CH", "segreteria telefonica", "voicemail"),
    ],
)
def test_search_finds_typos_accents_and_synonyms(service, locale, query, slug):
    assert service.search(locale, query).results[0].entry.slug == slug


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        '"',
        "*",
        "NEAR(a b",
        "-appel",
        "a OR b AND",
        "<script>x</script>",
        "'; DROP TABLE faq_feedback; --",
        "{loc}: fr",
        "\x00\x01",
    ],
)
def test_search_never_fails_on_odd_input(service, query):
    service.search("fr_FR", query)


def test_words_a_synonym_list_joins_make_one_concept(service):
    concepts = service.concepts("fr_FR", "historique des appels sip")
    assert [c.phrases[0] for c in concepts] == [("histor", "appel"), ("sip",)]
    assert ("consomm",) in concepts[0].phrases  # its synonyms, not every entry with "appel"


def test_search_plan_stays_within_the_ranking_budget(service):
    plan = lambda concepts, size: list(service._plan(concepts, size))  # noqa: E731
    assert (service.RANKING_BUDGET, service.HEADS_RANKING_BUDGET) == (1000, 3000)
    rare, rarer, common = (
        Concept((("a",),), 300),
        Concept((("b",), ("b2",)), 600),
        Concept((("c",),), 4000),
    )
    # A small FAQ: one search for any concept, the index ranks them all.
    small = [Concept((("a",),), 3), Concept((("b",),), 12)]
    assert plan(small, 18) == [([[("a",), ("b",)]], False)]
    # A large one: the rare concepts within the budget, the common one left out.
    assert plan([common, rarer, rare], 10_000) == [([[("a",), ("b",), ("b2",)]], False)]
    # Only common concepts, some in the questions and keywords: the rarest there first,
    # within their budget (in more than half the entries, but rare among questions), then
    # anywhere.
    in_heads = [
        Concept((("c",),), 4000, head_frequency=2700),
        Concept((("d",),), 6000, head_frequency=400),
        Concept((("e",),), 3000, head_frequency=0),
    ]
    assert plan(in_heads, 10_000) == [
        ([[("d",)]], True),
        ([(("e",),), (("c",),)], False),
        ([(("e",),)], False),
    ]
    # A rare concept decides: the heads are not searched first.
    in_heads[2] = Concept((("e",),), 700, head_frequency=0)
    assert plan(in_heads, 10_000) == [([[("e",)]], False)]
    # Only common concepts: those of at most half the entries required, then fewer (the
    # rarest last).
    everywhere = [Concept((("d",),), 6000), common, Concept((("e",),), 3000)]
    assert plan(everywhere, 10_000) == [
        ([(("e",),), (("c",),)], False),
        ([(("e",),)], False),
    ]
    # Every concept in most entries: all of them are required.
    assert plan([Concept((("d",),), 6000), Concept((("f",),), 7000)], 10_000)[0] == (
        [(("d",),), (("f",),)],
        False,
    )


def test_a_rare_word_decides_on_a_large_faq(app):
    from bench.faq import LOCALE, generated_corpus

    with app.app_context():
        large = FaqService(generated_corpus(2000), index_for(db.engine), results_cache=0)
        large.reindex()
        holders = {
            slug
            for slug, entry in large.corpus.entries[LOCALE].items()
            if "terme17" in re.findall(r"\w+", f"{entry.question} {entry.body}")
        }
        assert holders
        # "appel" is in most entries and many questions; "terme17" in a handful.
        found = {r.entry.slug for r in large.search(LOCALE, "terme17 appel").results}
        assert found == holders
        if db.engine.dialect.name == "postgresql":
            # Analysed after the rebuild, so a rare word is looked up in the GIN index
            # rather than tested against every document.
            with db.engine.connect() as conn:
                plan = "\n".join(
                    conn.execute(
                        text("EXPLAIN " + PostgresIndex.SEARCH.format(table="faq_search")),
                        {"query": "terme17", "locale": LOCALE, "limit": 10},
                    ).scalars()
                )
            assert "faq_search_document" in plan, plan
        # Only common words (a budget this small makes them so): the questions that hold
        # one of them come first.
        large.RANKING_BUDGET, large.HEADS_RANKING_BUDGET = 300, 1000
        query = "transfert des appels vers mon portable"
        terms = large.search(LOCALE, query).terms
        top = large.search(LOCALE, query).results
        assert len(top) == 10
        analyzer = large.analyzer(LOCALE)
        assert all(set(analyzer.terms(r.entry.question)) & terms for r in top)


def test_index_can_look_in_the_questions_and_keywords_only(service):
    service.ensure_index()
    documents = [d for d in service._documents if d.locale == "en"]
    heads = {d.slug for d in documents if "number" in f"{d.question} {d.keywords}".split()}
    anywhere = {d.slug for d in documents if "number" in d.body.split()} | heads
    assert heads and anywhere - heads  # the word is in some answers only
    search = service.index.search
    assert {h.slug for h in search("en", [[("number",)]], 50, questions_only=True)} == heads
    assert {h.slug for h in search("en", [[("number",)]], 50)} == anywhere


def test_found_results_are_marked_and_kept_for_the_same_words(service):
    first = service.found("fr_FR", "Répondeur ")
    assert first[0].entry.slug == "voicemail"
    assert "<mark>" in first[0].question + first[0].snippet
    assert service.found("fr_FR", "repondeur") is first  # same words once folded: cached
    assert service.found("xx_XX", "repondeur") == ()


def test_index_is_rebuilt_when_the_content_changes(app, content_copy):
    with app.app_context():
        engine = db.engine
    first = FaqService(load_corpus(content_copy), index_for(engine))
    first.ensure_index()
    assert FaqService(load_corpus(content_copy), index_for(engine)).ensure_index() is False
    path = content_copy / "en" / "voicemail.md"
    path.write_text(path.read_text("utf-8").replace("123", "123 zanzibar"), "utf-8")
    changed = FaqService(load_corpus(content_copy), index_for(engine))
    assert changed.ensure_index() is True
    assert changed.search("en", "zanzibar").results[0].entry.slug == "voicemail"


def test_reindex_and_eval_commands(runner):
    result = runner.invoke(args=["faq", "reindex"])
    assert result.exit_code == 0 and "entries" in result.output
    result = runner.invoke(args=["faq", "eval"])
    assert result.exit_code == 0 and "it_CH" in result.output


# --- pages ------------------------------------------------------------------------------


def test_faq_is_public_and_lists_every_question(client):
    page = client.get("/faq?lang=nl_BE").get_data(as_text=True)
    assert "Veelgestelde vragen" in page
    assert 'href="/faq/voicemail"' in page


def test_search_page_without_javascript_highlights_escaped_words(client):
    response = client.get("/faq?q=repondeur+%3Cb%3E&lang=fr_FR")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/faq/voicemail?q=' in page
    assert "<mark>répondeur</mark>" in page
    assert "<b>" not in page


def test_search_with_htmx_returns_the_results_block(client):
    response = client.get(
        "/faq?q=voicemial", headers={"HX-Request": "true", "HX-Target": "faq-results"}
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body and "/faq/voicemail" in body
    assert 'hx-swap-oob="innerHTML:#faq-status"' in body
    assert "HX-Request" in response.headers["Vary"]
    # The block replaces the list of all questions (as a search without JavaScript does),
    # and a cleared search brings it back.
    page = client.get("/faq?lang=en").get_data(as_text=True)
    assert page.count('id="faq-all-title"') == 1 and "faq-all-title" not in body
    cleared = client.get("/faq?q=", headers={"HX-Request": "true", "HX-Target": "faq-results"})
    assert 'id="faq-all-title"' in cleared.get_data(as_text=True)


def test_a_snippet_runs_an_answers_list_into_one_line_without_its_dashes(app):
    from telephony.faq.highlight import snippet
    from telephony.faq.text import Analyzer

    analyzer = Analyzer("en")
    text = "Dial 123 from the phone:\n- to listen, press 1\n- to record, press 2"
    shown = snippet(text, frozenset(), analyzer)
    assert " - " not in shown and shown.startswith("Dial 123 from the phone: to listen")
    longer = snippet(text + "\n- and more" * 20, frozenset(), analyzer, words=8)
    assert " - " not in longer


@pytest.mark.parametrize(
    "query", ["", "x" * 10_000, '"NEAR(*', "-", "<img src=x onerror=alert(1)>", "1' OR '1'='1"]
)
def test_bad_queries_give_a_page(client, query):
    response = client.get("/faq", query_string={"q": query})
    assert response.status_code == 200
    assert "<img src=x" not in response.get_data(as_text=True)


def test_answer_links_to_the_sites_screen_and_related_questions(client):
    page = client.get("/faq/alias-configuration?lang=fr_FR").get_data(as_text=True)
    assert 'href="/lines/"' in page
    assert "Aller à\u00a0: Lignes et numéros" in page
    assert 'href="/faq/line-or-alias"' in page
    assert client.get("/faq/no-such-question").status_code == 404


def test_a_screen_this_site_lacks_is_left_out(app, client, monkeypatch):
    from blueprints.faq import answers

    page = client.get("/faq/porting-follow-up").get_data(as_text=True)
    assert "Go to:" in page and 'href="/service-numbers/port"' in page
    monkeypatch.setitem(answers.SCREENS, "numbers_elsewhere.index", "Somewhere")
    with app.test_request_context():
        assert answers.screen_url_of("numbers_elsewhere.index") is None  # no such page here
        assert answers.screen_url_of("service_numbers.port_orders") == "/service-numbers/port"


def test_feedback_is_stored_once_per_visitor(client, app):
    page = client.get("/faq/voicemail/feedback").get_data(as_text=True)
    token = csrf_from(page)
    response = client.post("/faq/voicemail/feedback", data={"csrf_token": token, "yes": "Yes"})
    assert response.status_code == 303 and response.location == "/faq/voicemail#faq-feedback"
    shown = client.get("/faq/voicemail").get_data(as_text=True)
    assert shown.count("Thank you: your answer helps") == 1  # beside the vote, not twice
    client.post("/faq/voicemail/feedback", data={"csrf_token": token, "no": "No"})
    with app.app_context():
        from telephony.faq.feedback import counts
        from telephony.models import FaqFeedback

        assert db.session.scalar(select(func.count()).select_from(FaqFeedback)) == 1
        assert [(c.slug, c.helpful, c.not_helpful) for c in counts()] == [("voicemail", 1, 0)]


def test_feedback_with_htmx_returns_the_block_and_needs_csrf(client):
    token = csrf_from(client.get("/faq/voicemail/feedback").get_data(as_text=True))
    assert client.post("/faq/voicemail/feedback", data={"no": "No"}).status_code in (400, 422)
    response = client.post(
        "/faq/voicemail/feedback",
        data={"csrf_token": token, "no": "No"},
        headers={"HX-Request": "true", "HX-Target": "faq-feedback"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "Thank you" in body


def test_agent_panel_needs_an_agent_and_gives_copyable_answers(client, signed_in):
    assert client.get("/faq/panel?q=voicemail").status_code in (302, 401)
    signed_in("agent")
    console = client.get("/agent/").get_data(as_text=True)
    assert 'id="faq-panel-q"' in console
    response = client.get(
        "/faq/panel?q=forward+calls",
        headers={"HX-Request": "true", "HX-Target": "faq-panel-results"},
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'id="faq-copy-en-call-forwarding"' in body
    # The page's announcer says how many were found; the answers are no live region.
    assert re.search(r'hx-swap-oob="innerHTML:#announcer">\d+ answers? found\.<', body)
    panel = client.get("/agent/").get_data(as_text=True).split('class="faq-panel"', 1)[1]
    assert "aria-live" not in panel.split("</section>", 1)[0]
    copy_text = body.split('id="faq-copy-en-call-forwarding"', 1)[1].split("</textarea>", 1)[0]
    assert "#21#" in copy_text and "http://localhost/faq/phone-not-ringing" not in copy_text
    full = client.get("/faq/panel?q=voicemail").get_data(as_text=True)
    assert "<html" in full and "faq-copy-en-voicemail" in full
    assert client.get("/faq/feedback").status_code == 200


def test_customer_cannot_see_the_panel(client, signed_in):
    signed_in("fr")
    assert client.get("/faq/panel").status_code == 403


@pytest.mark.parametrize("locale", ["en", "fr_FR", "nl_BE", "de_CH", "it_CH"])
def test_every_answer_renders_its_markdown_as_html(client, app, locale):
    from blueprints.faq.answers import answer_service as _service

    with app.test_request_context():
        slugs = [entry.slug for entry in _service().entries("en")]
    assert len(slugs) >= 18
    for slug in slugs:
        page = client.get(f"/faq/{slug}?lang={locale}").get_data(as_text=True)
        answer = page.split('class="faq-answer"', 1)[1].split("</article>", 1)[0]
        assert "<p>" in answer, slug
        assert "&lt;" not in answer and "&gt;" not in answer, (slug, answer[:300])


def test_the_agents_panel_renders_answers_as_html(client, signed_in):
    signed_in("agent")
    body = client.get("/faq/panel?q=voicemail").get_data(as_text=True)
    assert "<p>" in body and "&lt;p&gt;" not in body and "&lt;strong&gt;" not in body


def test_the_panel_searches_on_the_account_in_both_languages(app, client, signed_in):
    """On a customer's account the panel answers in the agent's language and in the
    customer's; its form comes back to the account (no JavaScript), htmx gets the block."""
    from sqlalchemy import func, select

    from extensions import db
    from telephony.models import Account, AuditEvent

    signed_in("agent")
    with app.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
    path = f"/agent/accounts/{account_id}"
    page = client.get(f"{path}?lang=en&kind=note").text
    form = page.split('class="faq-panel"', 1)[1].split("</form>", 1)[0]
    assert f'action="{path}"' in form and 'name="faq_q"' in form
    assert '<input type="hidden" name="kind" value="note">' in form  # the timeline's filter kept
    full = client.get(f"{path}?faq_q=voicemail&kind=note").text
    assert "<html" in full and 'id="timeline"' in full
    assert 'id="faq-copy-en-voicemail"' in full and 'id="faq-copy-fr_FR-' in full
    assert '<div class="faq-panel-group" lang="fr-FR">' in full
    assert "In the customer's language: français (France)" in full
    with app.app_context():
        views = db.session.scalar(select(func.count(AuditEvent.id)))
    block = client.get(
        f"{path}?faq_q=voicemail",
        headers={"HX-Request": "true", "HX-Target": "faq-panel-results"},
    ).text
    assert "<html" not in block and 'id="faq-copy-fr_FR-' in block
    with app.app_context():  # searching the FAQ reads nothing of the account
        assert db.session.scalar(select(func.count(AuditEvent.id))) == views
    # The customer's copy links to answers in the customer's language.
    copy = full.split('id="faq-copy-fr_FR-', 1)[1].split("</textarea>", 1)[0]
    assert "lang=fr_FR" in copy or "/faq/" not in copy


@pytest.mark.parametrize("locale", ["en", "fr_FR", "nl_BE", "de_CH", "it_CH"])
def test_the_faq_promises_only_what_exists(app, locale):
    """Answers about screens the site doesn't have say how to get it done (ask support);
    every screen an answer names exists or is left out; terminating has its answer."""
    from blueprints.faq.answers import SCREENS
    from blueprints.faq.answers import answer_service as _service

    with app.test_request_context():
        service = _service()
        for slug in (
            "remove-alias-redirect",
            "phone-error-message",
            "consumption-statements",
        ):
            body = service.entry(locale, slug).body.lower()
            assert "support" in body, (locale, slug)
            assert "diagnostic of your plug" not in body and "porting part of" not in body
        assert service.entry(locale, "terminate-line-or-number") is not None
        # Porting has its pages now: the answer sends there, not to support.
        assert "service_numbers.port_orders" in service.entry(locale, "porting-follow-up").screens
        for entry in service.entries("en"):
            for endpoint in entry.screens:
                assert endpoint in SCREENS, (entry.slug, endpoint)


def test_public_faq_pages_set_no_cookie_and_answer_conditional_requests(app):
    """A proxy or CDN may keep them: no session cookie, an ETag and a Last-Modified, 304 on
    a match (before rendering), a different tag per language and per htmx block."""
    client = app.test_client()
    for path in ("/faq", "/faq?q=renvoi", "/faq/voicemail"):
        page = client.get(path, headers={"Accept-Language": "fr-FR"})
        assert page.status_code == 200 and "Set-Cookie" not in page.headers, path
        assert page.headers["Cache-Control"] == "public, max-age=300"
        assert {"Accept-Language", "Cookie", "HX-Request"} <= set(page.vary)
        etag, modified = page.headers["ETag"], page.headers["Last-Modified"]
        again = client.get(path, headers={"Accept-Language": "fr-FR", "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        since = client.get(
            path, headers={"Accept-Language": "fr-FR", "If-Modified-Since": modified}
        )
        assert since.status_code == 304
        other = client.get(path, headers={"Accept-Language": "nl-BE", "If-None-Match": etag})
        assert other.status_code == 200 and other.headers["ETag"] != etag
        block = client.get(
            path,
            headers={"Accept-Language": "fr-FR", "HX-Request": "true", "If-None-Match": etag},
        )
        assert block.status_code == 200 and block.headers["ETag"] != etag
    # Made once for every visitor without a session: the next one gets it as it was made.
    from flask import template_rendered

    rendered = []
    template_rendered.connect(lambda *_a, **_k: rendered.append(1), app, weak=False)
    first = app.test_client().get("/faq/porting-follow-up", headers={"Accept-Language": "fr-FR"})
    made = len(rendered)
    again = app.test_client().get("/faq/porting-follow-up", headers={"Accept-Language": "fr-FR"})
    assert made > 0 and len(rendered) == made and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"] and "Set-Cookie" not in again.headers
    # The answer offers the vote by a link; its form (and the session) comes from there.
    answer = client.get("/faq/voicemail").get_data(as_text=True)
    assert 'href="/faq/voicemail/feedback"' in answer and "csrf_token" not in answer
    form = client.get("/faq/voicemail/feedback")
    assert "csrf_token" in form.get_data(as_text=True) and "Set-Cookie" in form.headers
    assert "no-store" in form.headers["Cache-Control"]


def test_a_date_alone_does_not_keep_an_answer_a_translator_changed_since(app):
    """Asked "modified since?" with only a date, the page said 304 as long as the build
    was older, though a translator had saved the answer since (review); and an address
    that never was a page said 304 rather than 404."""
    import time

    from blueprints.faq.answers import answer_service

    client = app.test_client()
    first = client.get("/faq/voicemail")
    modified = first.headers["Last-Modified"]
    assert client.get("/faq/voicemail", headers={"If-Modified-Since": modified}).status_code == 304
    time.sleep(1.1)  # (dates are to the second)
    with app.app_context():
        answer_service().corpus.content_hash = "a translator saved an answer"
    changed = client.get("/faq/voicemail", headers={"If-Modified-Since": modified})
    assert changed.status_code == 200 and changed.headers["Last-Modified"] != modified
    missing = client.get("/faq/no-such-answer", headers={"If-Modified-Since": modified})
    assert missing.status_code == 404


def test_a_boosted_request_cannot_make_the_results_block_a_whole_page_for_others(app):
    """A boosted request (htmx asking for the whole page) was kept under the key of the
    results block: every later htmx search for that query got a whole page in its
    results (review). Each of the three headers is in the key and in Vary."""
    attacker = app.test_client().get(
        "/faq?q=voicemail",
        headers={"HX-Request": "true", "HX-Target": "faq-results", "HX-Boosted": "true"},
    )
    assert "<html" in attacker.text  # boosted: the whole page, as htmx asked
    victim = app.test_client().get(
        "/faq?q=voicemail", headers={"HX-Request": "true", "HX-Target": "faq-results"}
    )
    assert "<html" not in victim.text and "Results for" in victim.text
    assert victim.headers["ETag"] != attacker.headers["ETag"]
    assert {"HX-Request", "HX-Target", "HX-Boosted"} <= set(
        name.strip() for name in victim.headers["Vary"].split(",")
    )


def test_searches_are_rate_limited_per_client_not_the_questions(app_factory):
    from extensions import db

    app = app_factory(RATELIMIT_ENABLED=True, FAQ_SEARCH_RATE_LIMIT="5 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    codes = [client.get(f"/faq?q=word{n}").status_code for n in range(7)]
    assert codes == [200] * 5 + [429] * 2
    assert client.get("/faq").status_code == 200  # the list of questions is not a search


def test_a_visitor_with_a_session_gets_pages_no_cache_keeps(client, auth):
    chosen = client.get("/faq?lang=nl_BE")  # a language remembered: a session begins
    assert "Set-Cookie" in chosen.headers and chosen.headers["Cache-Control"] == "no-store"
    assert "ETag" not in chosen.headers
    auth.login("demo-fr@example.com")
    page = client.get("/faq/voicemail")
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers
    assert "csrf_token" in page.get_data(as_text=True)  # the vote's form is on the page


def test_static_files_are_named_by_their_content_and_kept_a_year(client):
    import hashlib
    import re
    from pathlib import Path

    page = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)
    assert any(url.endswith("/css/app.css") for url in urls), urls
    for url in urls:
        _, _, digest, name = url.split("/", 3)
        content = Path("static", name).read_bytes()
        assert digest == hashlib.sha256(content).hexdigest()[:12]
        with client.get(url) as reply:
            assert reply.status_code == 200 and reply.data == content
            assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/assets/000000000000/css/app.css") as stale:
        assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/assets/000000000000/../config.py").status_code == 404


def test_conditional_requests_compare_weakly_and_star_only_for_known_pages(app):
    """A proxy that compresses marks the ETag weak (W/"..."): it never matched, so the 304
    path never fired behind it; and `If-None-Match: *` answered 304 to an answer that
    does not exist (review)."""
    client = app.test_client()
    etag = client.get("/faq/voicemail").headers["ETag"]
    weak = client.get("/faq/voicemail", headers={"If-None-Match": "W/" + etag})
    assert weak.status_code == 304
    assert client.get("/faq/no-such-answer", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/faq/voicemail", headers={"If-None-Match": "*"}).status_code == 304


def test_last_modified_only_moves_forward_when_content_is_put_back(app):
    """Content put back as it was (a translator's change undone) took its first time
    again: a client holding the newer text, asking with that date only, got 304."""
    from datetime import UTC, datetime, timedelta

    from caching import _content_modified

    built = datetime(2026, 1, 1, tzinfo=UTC)
    with app.test_request_context():
        first = _content_modified("A", built)
        later = first + timedelta(minutes=5)  # B, served a while after
        app.extensions["content_seen"] = {"version": "B", "at": later}
        assert _content_modified("A", built) >= later


def test_a_static_file_changed_in_place_is_not_kept_a_year_under_its_old_name(app, tmp_path):
    """A process worked out a file's digest once: after an in-place deploy, the old
    digest's address served the new bytes as immutable for a year (review). And static
    files say nothing of the visitor's cookie (Vary: Cookie made a copy per visitor)."""
    from caching import static_url

    (tmp_path / "site.css").write_text("body { color: black }")
    app.static_folder = str(tmp_path)
    client = app.test_client()
    with app.test_request_context():
        url = static_url("site.css")
    with client.get(url) as kept:
        assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    (tmp_path / "site.css").write_text("body { color: navy }  /* deployed again */")
    with client.get(url) as changed:
        assert changed.headers["Cache-Control"] == "no-cache"
    client.get("/faq?lang=fr_FR")  # a session begins
    with client.get(url) as reply:
        assert "Cookie" not in reply.headers.get("Vary", "")


def test_a_refused_search_says_when_to_come_back_and_blank_queries_are_not_counted(
    app_factory,
):
    """The 429 said nothing of when to search again (Retry-After), and a query of spaces,
    which searches nothing, counted against the limit."""
    from extensions import db

    app = app_factory(RATELIMIT_ENABLED=True, FAQ_SEARCH_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert [client.get("/faq?q=%20%20").status_code for _ in range(3)] == [200] * 3
    codes = [client.get(f"/faq?q=word{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/faq?q=again")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_search_finding_more_than_ten_answers_says_so_and_shows_more(app):
    """Results were cut at ten, the status saying "10 answers found" of a search that
    found 15, with no way to see the rest (review)."""
    client = app.test_client()
    first = client.get("/faq?q=ligne", headers={"Accept-Language": "fr-FR"})
    assert first.text.count("<li>\n      <h3") == 10
    assert "10 premières réponses trouvées" in first.text
    assert 'href="/faq?q=ligne&amp;page=2"' in first.text
    second = client.get("/faq?q=ligne&page=2", headers={"Accept-Language": "fr-FR"})
    shown = second.text.count("<li>\n      <h3")
    assert 10 < shown <= 20 and f"{shown} réponses trouvées" in second.text
    assert "page=3" not in second.text
    assert client.get("/faq?q=ligne&page=99999999999").status_code == 200
