"""The agent console: finding the caller by any written form of a number, the account's
timeline and call notes, the customer's or the agent's language, masked IBANs, idle timeout."""

import pytest
from sqlalchemy import select

from extensions import db
from telephony import DomainError, directory, support
from telephony.models import Account, CallNote, Country, Role, User
from tests.conftest import Auth, csrf_from


def _account_id(app, code="vt10001-f") -> int:
    with app.app_context():
        return db.session.scalar(select(Account.id).where(Account.code == code))


@pytest.mark.parametrize(
    "typed",
    ["+33 9 72 10 00 03", "0972100003", "0033972100003", "09.72.10.00.03", "+33972100003"],
)
def test_every_written_form_of_a_number_means_the_same(typed):
    e164s = {candidate.e164 for candidate in directory.phone_candidates(typed)}
    assert "+33972100003" in e164s


@pytest.mark.parametrize("typed", ["", "vt10001", "12345", "Dupré", "1" * 30, "0972 abc"])
def test_what_is_not_a_phone_number_gives_no_candidate(typed):
    assert directory.phone_candidates(typed) == []


def test_a_national_form_only_matches_accounts_of_that_country():
    candidates = directory.phone_candidates("0972100003")
    assert {c.country for c in candidates} == set(Country)
    assert all(c.country is None for c in directory.phone_candidates("+33972100003"))


def _codes(page) -> list[str]:
    return [account.code for account in page.items]


@pytest.mark.parametrize(
    "typed", ["09 72 10 00 03", "0033972100003", "+33 9 72 10 00 03", "09.72.10.00.03"]
)
def test_the_fr_company_is_found_by_a_line_number(app_ctx, typed):
    assert _codes(directory.search_accounts(typed, 1, 50)) == ["vt10001-f"]


def test_alias_numbers_find_their_account_too(app_ctx):
    from telephony.models import AliasNumber

    alias = db.session.scalar(select(AliasNumber).order_by(AliasNumber.id))
    account = db.session.get(Account, alias.account_id)
    national = "0" + alias.number[3:]
    found = _codes(directory.search_accounts(national, 1, 50))
    assert found == [account.code]


def test_a_service_number_finds_its_account_once_it_holds_it(app_ctx):
    """A caller may give the number they acquired (or ported in), not a line's."""
    from telephony.models import InventoryState, ServiceNumber

    number = db.session.scalar(
        select(ServiceNumber)
        .where(ServiceNumber.country == "FR", ServiceNumber.state == InventoryState.AVAILABLE)
        .order_by(ServiceNumber.id)
    )
    national = "0" + number.number[3:]
    assert _codes(directory.search_accounts(national, 1, 50)) == []  # nobody's yet
    fr = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    number.account_id, number.state = fr.id, InventoryState.TAKEN
    db.session.flush()
    assert _codes(directory.search_accounts(national, 1, 50)) == ["vt10001-f"]
    (match,) = directory.matched_numbers(national, [fr.id])[fr.id]
    assert (match.kind, match.number) == ("service_number", number.number)


def test_a_name_is_found_whatever_its_accents_and_case(app_ctx):
    """Callers spell their name; agents type it as they hear it. SQL's lower() knows no
    accents (SQLite's not even É): the folded search_name does, the contact's name too."""
    for query in ("dupre", "DUPRÉ", "boulangerie dupre", "camille dupre", "Camille Dupré"):
        assert _codes(directory.search_accounts(query, 1, 50)) == ["vt10001-f"], query
    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    account.name, account.billing_contact_name = "SOCIÉTÉ ÉLECTRIQUE", "Zoë Müller"
    db.session.flush()
    for query in ("societe electrique", "société", "zoe muller", "Müller"):
        assert _codes(directory.search_accounts(query, 1, 50)) == ["vt10001-f"], query
    assert _codes(directory.search_accounts("boulangerie", 1, 50)) == []  # kept in step


def test_a_number_of_another_country_in_national_form_is_not_a_match(app_ctx):
    # The FR number read as Belgian or Swiss belongs to nobody.
    belgian = db.session.scalar(select(Account).where(Account.country == Country.BE))
    assert belgian.code not in _codes(directory.search_accounts("0972100003", 1, 50))


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        "%",
        "_",
        "\\",
        "x" * 10_000,
        "📞☎️ 😀",
        "<script>alert(1)</script>",
        "+",
        "0" * 17,
    ],
)
def test_any_search_string_answers_without_error(app, signed_in, query):
    client = signed_in("agent")
    response = client.get("/agent/", query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_results_show_open_requests_and_search_by_phone_in_the_page(app, signed_in):
    client = signed_in("agent")
    page = client.get("/agent/", query_string={"q": "09 72 10 00 03", "lang": "en"}).text
    assert "vt10001-f" in page and "Open requests" in page
    fragment = client.get(
        "/agent/",
        query_string={"q": "0033972100003"},
        headers={"HX-Request": "true", "HX-Target": "account-results"},
    )
    # The block, with what the live region says (out of band).
    assert fragment.text.lstrip().startswith(
        '<span hx-swap-oob="innerHTML:#announcer">1 account</span><div id="account-results">'
    )
    assert "vt10001-f" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    # The result says which line the caller's number is.
    assert "<small>Line +33 9 72 10 00 03 · " in page
    assert "<small>Line" not in client.get("/agent/?q=vt10001-f&lang=en").text


def test_search_query_count_does_not_grow_with_results(app, signed_in, count_queries):
    client = signed_in("agent")
    client.get("/agent/?q=example")
    with count_queries() as few:
        client.get("/agent/?q=vt10001")
    with count_queries() as many:
        client.get("/agent/?q=example")
    assert many.count == few.count


def test_agents_write_call_notes_and_only_the_author_corrects_one(app, client, signed_in):
    account_id = _account_id(app)
    client = signed_in("agent")
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "Camille Dupré &lt;" in page  # the billing contact, by name and address
    assert client.post(f"/agent/accounts/{account_id}/notes", data={"body": "x"}).status_code == 400
    empty = client.post(
        f"/agent/accounts/{account_id}/notes", data={"csrf_token": csrf_from(page), "body": " "}
    )
    assert empty.status_code == 422
    assert "Write what the call was about." in empty.text
    too_long = client.post(
        f"/agent/accounts/{account_id}/notes",
        data={"csrf_token": csrf_from(page), "body": "x" * 1001},
    )
    assert too_long.status_code == 422
    saved = client.post(
        f"/agent/accounts/{account_id}/notes",
        data={"csrf_token": csrf_from(page), "body": "Caller <b>asked</b> about fax\nCall back"},
    )
    assert saved.status_code == 303
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "Caller &lt;b&gt;asked&lt;/b&gt; about fax" in page
    with app.app_context():
        note = db.session.scalar(select(CallNote))
        note_id = note.id
        other = User(email="agent2@example.com", role=Role.AGENT, name="Second agent")
        other.set_password("demo")
        db.session.add(other)
        db.session.commit()

    fixed = client.post(
        f"/agent/notes/{note_id}", data={"csrf_token": csrf_from(page), "body": "Fax question"}
    )
    assert fixed.status_code == 303
    with app.app_context():
        assert db.session.get(CallNote, note_id).body == "Fax question"

    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert Auth(client).login("agent2@example.com").status_code == 303
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "Correct this note" not in page
    refused = client.post(
        f"/agent/notes/{note_id}", data={"csrf_token": csrf_from(page), "body": "Not mine"}
    )
    assert refused.status_code == 403
    assert (
        client.post("/agent/notes/999999", data={"csrf_token": csrf_from(page)}).status_code == 404
    )
    with app.app_context():
        assert db.session.get(CallNote, note_id).body == "Fax question"


@pytest.mark.parametrize("who", ["fr", "translator"])
def test_customers_and_translators_get_403_on_every_agent_url(app, signed_in, who):
    account_id = _account_id(app)
    client = signed_in(who)
    token = csrf_from(client.get("/login?lang=en", follow_redirects=True).text)
    for url in ("/agent/", f"/agent/accounts/{account_id}"):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/agent/accounts/{account_id}/notes",
        "/agent/notes/1",
        "/agent/locale",
        f"/agent/accounts/{account_id}/act",
        "/agent/stop",
    ):
        assert client.post(url, data={"csrf_token": token, "body": "x"}).status_code == 403, url


def test_timeline_mixes_entries_newest_first_and_filters(app, signed_in, count_queries):
    account_id = _account_id(app)
    client = signed_in("agent")
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    client.post(
        f"/agent/accounts/{account_id}/notes",
        data={"csrf_token": csrf_from(page), "body": "First call"},
    )
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "Timeline" in page and "First call" in page
    # Page views are folded away unless asked for: they would bury the changes.
    assert "Agent viewed a page" not in page
    assert 'name="kind" value="view">' in page and 'name="kind" value="note" checked>' in page
    views_too = client.get(f"/agent/accounts/{account_id}?lang=en&kind=view&kind=note").text
    assert "Agent viewed a page" in views_too
    only_notes = client.get(
        f"/agent/accounts/{account_id}?lang=en&kind=note",
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )
    # The block, with what the live region says (out of band): how many entries now.
    assert only_notes.text.lstrip().startswith(
        '<span hx-swap-oob="innerHTML:#announcer">1 entry shown</span>  <div id="timeline">'
    )
    assert "First call" in only_notes.text
    assert "Agent viewed a page" not in only_notes.text
    # Filtering through htmx reads the account too: recorded as a view like the page.
    with app.app_context():
        from telephony.models import AuditEvent

        views = db.session.scalar(
            select(db.func.count()).where(AuditEvent.action == support.VIEWED)
        )
    assert views == 4
    # A refused note shows the account again: that view is on the record too.
    refused = client.post(
        f"/agent/accounts/{account_id}/notes",
        data={"csrf_token": csrf_from(only_notes.text), "body": ""},
    )
    assert refused.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(select(db.func.count()).where(AuditEvent.action == support.VIEWED))
            == views + 1
        )
    # A constant number of queries, however long the timeline.
    with count_queries() as before:
        client.get(f"/agent/accounts/{account_id}?lang=en")
    for n in range(30):
        page = client.get(f"/agent/accounts/{account_id}?lang=en&kind=note").text
        client.post(
            f"/agent/accounts/{account_id}/notes",
            data={"csrf_token": csrf_from(page), "body": f"Call {n}"},
        )
    client.get(f"/agent/accounts/{account_id}?lang=en")  # shows (and drops) the last message
    with count_queries() as after:
        client.get(f"/agent/accounts/{account_id}?lang=en")
    assert after.count == before.count


def test_timeline_domain_orders_and_pages(app_ctx):
    account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
    for n in range(3):
        support.add_note(agent, account, f"note {n}")
    db.session.commit()
    page = support.timeline(account, {"note"}, 1, 2)
    assert page.total == 3 and page.pages == 2
    assert [entry.item.body for entry in page.items] == ["note 2", "note 1"]
    with pytest.raises(DomainError, match="Write what the call was about") as refused:
        support.add_note(agent, account, "\x00\x01")
    assert refused.value.field == "body"
    customer = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
    with pytest.raises(DomainError, match="Only support agents can act for a customer"):
        support.add_note(customer, account, "not an agent")


def test_ibans_are_masked_for_agents():
    from telephony.models import mask_iban

    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == "•" * 23 + "0189"
    assert support.for_agents({"iban": "CH9300762011623852957", "name": "Jürg"}) == {
        "iban": "•" * 17 + "2957",
        "name": "Jürg",
    }
    assert mask_iban("") == ""


def test_an_acting_agent_switches_between_the_customers_language_and_their_own(app, signed_in):
    account_id = _account_id(app, "vt20002-b")  # Dutch-speaking Belgian association
    client = signed_in("agent")
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    client.post(
        f"/agent/accounts/{account_id}/act",
        data={"csrf_token": csrf_from(page), "reason": "Caller asked for help"},
    )
    mine = client.get("/lines/").text
    assert '<html lang="en">' in mine
    # The language's name is marked with its language (WCAG 3.1.2).
    assert (
        'Show in the customer\'s language (<span lang="nl-BE">Nederlands (België)</span>)' in mine
    )
    switched = client.post(
        "/agent/locale", data={"csrf_token": csrf_from(mine), "mode": "customer"}
    )
    assert switched.status_code == 303
    theirs = client.get("/lines/").text
    assert '<html lang="nl-BE">' in theirs
    # The agent's own controls stay in the agent's language: the way back, and the way out.
    banner = theirs.split('<aside class="agent-banner"', 1)[1].split("</aside>", 1)[0]
    assert "Show in my language" in banner and "Stop acting for this customer" in banner
    assert '<div lang="en">' in theirs.split('<aside class="agent-banner"', 1)[0][-200:]
    assert "Aanmelden" not in banner and "Mijn diensten" in theirs  # the page is Dutch
    forged = client.post("/agent/locale", data={"csrf_token": csrf_from(theirs), "mode": "xx"})
    assert forged.status_code == 303
    assert '<html lang="nl-BE">' in client.get("/lines/").text
    client.post("/agent/locale", data={"csrf_token": csrf_from(theirs), "mode": "agent"})
    assert '<html lang="en">' in client.get("/lines/").text


def test_an_idle_agent_session_ends(app, signed_in):
    client = signed_in("agent")
    assert client.get("/agent/").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] -= app.config["AGENT_IDLE_TIMEOUT"] + 1
    ended = client.get("/agent/")
    assert ended.status_code == 303
    assert ended.headers["Location"] == "/login?next=/agent/"
    assert client.get("/agent/").status_code in (302, 401)
    htmx_client = app.test_client()
    Auth(htmx_client).login("agent@example.com")
    htmx_client.get("/agent/")
    with htmx_client.session_transaction() as session:
        session["seen_at"] -= app.config["AGENT_IDLE_TIMEOUT"] + 1
    response = htmx_client.get("/agent/?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 204
    # Back to the page the request came from (HX-Current-URL) after signing in again.
    assert response.headers["HX-Redirect"] == "/login"


def test_customers_are_not_timed_out_by_the_agent_rule(app, signed_in):
    client = signed_in("fr")
    client.get("/lines/")
    with client.session_transaction() as session:
        assert "seen_at" not in session


def test_agents_see_the_procedure_status_and_only_the_last_four_of_the_iban(app, signed_in):
    from telephony import procedure
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        customer = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
        procedure.submit(account, DETAILS["vt10001-f"], actor=customer)
        db.session.commit()
        account_id = account.id
    client = signed_in("agent")
    results = client.get("/agent/", query_string={"q": "vt", "lang": "en"}).text
    assert "Waiting for the customer's documents" in results and "Not started" in results
    page = client.get(f"/agent/accounts/{account_id}?lang=en").text
    assert "•" * 23 + "2606" in page
    compact = DETAILS["vt10001-f"]["iban"].replace(" ", "")
    assert compact not in page and DETAILS["vt10001-f"]["iban"] not in page
    assert "2004 1010" not in page and "20041010" not in page


def test_the_timeline_marks_the_language_of_each_email(app, signed_in):
    from telephony import procedure
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        procedure.submit(account, DETAILS["vt10001-f"], actor=None)  # e-mails the customer
        db.session.commit()
        account_id = account.id
    page = signed_in("agent").get(f"/agent/accounts/{account_id}?lang=en").text
    assert '<html lang="en"' in page
    assert '<pre class="email-body" lang="fr-FR">' in page


def test_a_link_in_the_customers_language_does_not_change_the_agents(app, signed_in):
    client = signed_in("agent")
    assert '<html lang="en"' in client.get("/agent/?lang=en&remember=1").text
    answer = client.get("/faq/call-forwarding?lang=fr_FR").text
    assert '<html lang="fr-FR"' in answer  # that page, in the caller's language
    assert '<html lang="en"' in client.get("/agent/").text  # the agent's own, still
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        assert agent.locale in (None, "", "en")
    # The language switcher does change it.
    assert '<html lang="nl-BE"' in client.get("/agent/?lang=nl_BE&remember=1").text
    assert '<html lang="nl-BE"' in client.get("/agent/").text


def test_agents_read_the_procedure_status_in_their_own_words(app, signed_in):
    """'Waiting for your documents' is the customer's; an agent reads whose documents."""
    from telephony import procedure
    from tests.factories import DETAILS

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        procedure.submit(account, DETAILS["vt10001-f"], actor=None)
        db.session.commit()
        account_id = account.id
    agent = signed_in("agent")
    for path in (f"/agent/accounts/{account_id}?lang=en", "/agent/?q=vt10001&lang=en"):
        page = agent.get(path).text
        assert "Waiting for the customer's documents" in page, path
        assert "Waiting for your documents" not in page, path


@pytest.mark.parametrize(
    "typed",
    [
        "vt10001f",
        "VT 10001 F",
        "boulangerie dupre fils",
        "Fils Dupré",
        "+33 9 72 10 00 03,",
    ],
)
def test_a_caller_is_found_however_the_agent_types_what_they_say(app_ctx, typed):
    """The search was one literal substring: a code without its dash, the name's words in
    another order or without "&", a number with the comma it was pasted with found no one
    (review)."""
    assert _codes(directory.search_accounts(typed, 1, 50)) == ["vt10001-f"]


def test_a_name_with_a_ligature_is_found_written_out(app_ctx):
    fr = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
    fr.name = "Les Sœurs Dupré"
    db.session.commit()
    assert _codes(directory.search_accounts("soeurs", 1, 50)) == ["vt10001-f"]


def test_an_ended_number_finds_no_one_and_a_number_being_ported_in_its_account(app_ctx):
    """A terminated line's number goes back to the operator, then to someone else: it
    still led to its former account. A number being ported in, which a caller quotes,
    led nowhere (review)."""
    from telephony.models import Line, LineStatus, PortNumber, PortOrder

    line = db.session.scalar(select(Line).where(Line.number == "+33972100003"))
    line.status = LineStatus.TERMINATED
    fr = db.session.get(Account, line.account_id)
    order = PortOrder(account_id=fr.id, country=fr.country)
    db.session.add(order)
    db.session.flush()
    db.session.add(PortNumber(order_id=order.id, number="+33478123456", number_type="geographic"))
    db.session.commit()
    assert _codes(directory.search_accounts("0972100003", 1, 50)) == []
    assert _codes(directory.search_accounts("04 78 12 34 56", 1, 50)) == ["vt10001-f"]
    matched = directory.matched_numbers("0478123456", [fr.id])
    assert [m.kind for m in matched[fr.id]] == ["port_number"]
