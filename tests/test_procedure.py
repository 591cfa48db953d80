"""The validation procedure: checks of the holder's details, when it is required, the PDF
in each country and language, statuses changed by agents, and orders that wait for it."""

from __future__ import annotations

import io
import re
from datetime import date

import pdfplumber
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from documents.mandate import procedure_pdf
from extensions import db
from telephony import DomainError, lifecycle
from telephony import procedure as procedures
from telephony.billing import run_renewal
from telephony.models import (
    Account,
    AccountKind,
    AliasNumber,
    AuditEvent,
    Country,
    ProcedureStatus,
    ServiceEmail,
    ValidationProcedure,
)
from tests.conftest import csrf_from
from tests.factories import DETAILS, FR_IBAN, demo_account, validate_procedure
from tests.live import form_fields


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    return " ".join(text.split())


def build(code: str, **changes) -> tuple[str, bytes, ValidationProcedure]:
    account = demo_account(code)
    procedure = procedures.submit(account, {**DETAILS[code], **changes}, actor=None)
    db.session.commit()
    from flask import current_app

    data = procedure_pdf(
        procedure,
        account,
        operator=current_app.config["OPERATOR"],
        invariant=True,
        today=date(2026, 3, 2),
    )
    return pdf_text(data), data, procedure


# --- Checks of the details --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "changes", "field"),
    [
        ("vt10001-f", {"iban": "FR14 2004 1010 0505 0001 3M02 607"}, "iban"),  # check digits
        ("vt10001-f", {"iban": "FR8420041010050500013M02607"}, "iban"),  # French RIB key
        ("vt10001-f", {"iban": "not an iban"}, "iban"),
        ("vt10001-f", {"iban": "TR330006100519786457841326"}, "iban"),  # outside SEPA
        ("vt10001-f", {"iban": ""}, "iban"),
        ("vt10001-f", {"bic": "GEBABEBB"}, "bic"),  # a Belgian bank for a French IBAN
        ("vt10001-f", {"bic": "NOTABIC!"}, "bic"),
        ("vt10001-f", {"currency": "CHF"}, "currency"),  # a CHF account in France
        ("vt30003-s", {"iban": FR_IBAN}, "iban"),  # CHF needs a Swiss IBAN
        ("vt10001-f", {"holder_name": "x" * 71}, "holder_name"),
        ("vt10001-f", {"holder_name": ""}, "holder_name"),
        ("vt10001-f", {"holder_city": "Lyon\x00\x07"}, "holder_city"),
        ("vt10001-f", {"holder_street": "1 rue\nX"}, "holder_street"),
        ("vt10001-f", {"holder_name": "<script>alert(1)</script>"}, "holder_name"),
        ("vt10001-f", {"holder_name": "A <b> & Co"}, "holder_name"),
        ("vt10001-f", {"holder_street": "<< /JS (app.alert(1)) >>"}, "holder_street"),
        ("vt10001-f", {"holder_postcode": "%PDF-1.7"}, "holder_postcode"),
        ("vt20002-b", {"holder_postcode": "99999"}, "holder_postcode"),  # 4 digits in Belgium
        ("vt30003-s", {"holder_postcode": "690"}, "holder_postcode"),
        ("vt10001-f", {"holder_postcode": "6900", "holder_country": "DE"}, "holder_postcode"),
        ("vt10001-f", {"holder_country": "US"}, "holder_country"),
        ("vt10001-f", {"organisation_id": "123456789"}, "organisation_id"),
        ("vt20002-b", {"organisation_id": "0403.170.700"}, "organisation_id"),
        ("vt30003-s", {"customer_kind": "company", "organisation_id": "CHE-1"}, "organisation_id"),
        ("vt10001-f", {"customer_kind": "robot"}, "customer_kind"),
        ("vt10001-f", {"document_locale": "nl_BE"}, "document_locale"),  # not a French one
        ("vt30003-s", {"document_locale": "fr_FR"}, "document_locale"),
    ],
)
def test_bad_details_are_refused_beside_their_field(app_ctx, code, changes, field):
    account = demo_account(code)
    with pytest.raises(procedures.InvalidDetails) as refused:
        procedures.submit(account, {**DETAILS[code], **changes}, actor=None)
    assert field in refused.value.errors
    assert str(refused.value.errors[field])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 0


def test_good_details_are_cleaned_and_given_a_reference(app_ctx):
    account = demo_account("vt10001-f")
    procedure = procedures.submit(
        account,
        {**DETAILS["vt10001-f"], "holder_name": "  Łukasz   Źródło ", "bic": "psst frpp"},
        actor=None,
    )
    assert procedure.holder_name == "Łukasz Źródło"
    assert procedure.iban == "FR1420041010050500013M02606"
    assert procedure.bic == "PSSTFRPP"
    assert procedure.organisation_id == "732829320"
    assert procedure.status == ProcedureStatus.WAITING
    assert procedures.is_valid_reference(procedure.mandate_reference)
    assert procedure.masked_iban.endswith("2606") and "FR14" not in procedure.masked_iban
    # The audit trail never holds the full IBAN.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "procedure.submitted"))
    assert procedure.iban not in str(event.after)


def test_siret_and_swiss_uid_are_accepted(app_ctx):
    procedures.check_details(
        demo_account("vt10001-f"), {**DETAILS["vt10001-f"], "organisation_id": "73282932000074"}
    )
    details = procedures.check_details(
        demo_account("vt30003-s"),
        {**DETAILS["vt30003-s"], "customer_kind": "company", "organisation_id": "CHE-100.155.212"},
    )
    assert details.organisation_id == "CHE100155212"


def test_references_are_unique_and_within_the_sepa_rules(app_ctx):
    account = demo_account("vt10001-f")
    references = {procedures.generate_reference(account) for _ in range(50)}
    assert len(references) == 50
    assert all(procedures.is_valid_reference(ref) and len(ref) <= 35 for ref in references)
    assert not procedures.is_valid_reference("-starts-with-a-sign")
    assert not procedures.is_valid_reference("x" * 36)


# --- When it is required, and what waits for it ------------------------------------------


def test_a_first_voip_order_waits_for_the_procedure_and_runs_once_validated(app_ctx):
    account = demo_account("vt20002-b")
    alias = db.session.scalar(select(AliasNumber).where(AliasNumber.number == "+3223001100"))
    offer = lifecycle.line_offers(account)[0]
    task = lifecycle.request_to_line(account, alias, offer.id, contracts_accepted=True, actor=None)
    db.session.commit()
    procedure = procedures.latest(account)
    assert procedure.status == ProcedureStatus.TODO and procedure.trigger == "first_order"
    awaited = db.session.scalar(
        select(ServiceEmail).where(ServiceEmail.template == "procedure_awaited")
    )
    assert "Velora Telecom" in awaited.subject and awaited.locale == "nl_BE"
    assert awaited.subject != "[Velora Telecom – important] We are waiting"  # translated

    assert procedures.waiting_orders(account) == [task]
    report = run_renewal(task.execute_on)
    assert report.waiting and not report.done and not report.errors
    db.session.refresh(task)
    assert task.status == "todo"

    validate_procedure(account)
    assert run_renewal(task.execute_on).done == [task.id]
    # A second order does not start another procedure.
    assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 1


def test_a_change_of_billing_contact_requires_a_new_procedure(app_ctx):
    account = demo_account("vt10001-f")
    validate_procedure(account)
    assert procedures.is_validated(account)
    procedures.billing_contact_changed(account, actor=None)
    db.session.commit()
    assert not procedures.is_validated(account)
    assert procedures.latest(account).trigger == "billing_contact"


def test_status_changes_follow_the_rules_and_are_audited_and_emailed(app_ctx):
    account = demo_account("vt10001-f")
    procedure = procedures.submit(account, DETAILS["vt10001-f"], actor=None)
    cannot_go = "The procedure cannot go to this status from its current one"
    with pytest.raises(DomainError, match=cannot_go) as refused:
        procedures.change_status(account, procedure, "todo", actor=None)
    assert refused.value.field == "status"
    with pytest.raises(DomainError, match="Give the reason: the customer will read it") as refused:
        procedures.change_status(account, procedure, ProcedureStatus.REJECTED, actor=None)
    assert refused.value.field == "reason"
    procedures.change_status(account, procedure, ProcedureStatus.RECEIVED, actor=None)
    procedures.change_status(
        account, procedure, ProcedureStatus.REJECTED, actor=None, reason="Cheque missing"
    )
    db.session.commit()
    assert procedure.status_reason == "Cheque missing" and procedure.closed_at is not None
    with pytest.raises(DomainError, match=cannot_go) as refused:
        procedures.change_status(account, procedure, ProcedureStatus.VALIDATED, actor=None)
    assert refused.value.field == "status"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("procedure.%"))
    ).all()
    assert actions.count("procedure.status_changed") == 2
    mails = db.session.scalars(
        select(ServiceEmail).where(ServiceEmail.template == "procedure_status")
    ).all()
    assert len(mails) == 2 and "Cheque missing" in mails[-1].body
    # Filling the form again after a rejection starts a new procedure.
    again = procedures.submit(account, DETAILS["vt10001-f"], actor=None)
    assert again.id != procedure.id and again.status == ProcedureStatus.WAITING


# --- The PDF ----------------------------------------------------------------------------

SEPA_ELEMENTS = ("IBAN", "BIC")


def test_pdf_france_company(app_ctx):
    text, data, procedure = build("vt10001-f")
    for element in [
        "Mandat de prélèvement SEPA",
        procedure.mandate_reference,
        "Velora Telecom SAS",
        "12 rue des Standards",
        "FR87ZZZ938471",
        "Boulangerie Dupré & Fils",
        "3 place Bellecour",
        "FR14 2004 1010 0505 0001 3M02 606",
        "PSSTFRPP",
        "récurrent",
        "8 semaines",
        "13 mois",
        "Lieu",
        "Signature",
        "732 829 320",  # as it is written (compact, review)
        "K-bis",
        "chèque",
        "BP 4021",
        "69003 Lyon Cedex",
    ]:
        assert element in text, element
    assert "procedure-be@" not in text and "procedure-ch@" not in text
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Mandat de prélèvement SEPA"
    assert reader.metadata.author == "Velora Telecom"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "nl_BE",
            [
                "SEPA-domiciliëringsmandaat",
                "8 weken",
                "13 maanden",
                "Handtekening",
                "Ondernemingsnummer",
            ],
        ),
        (
            "fr_BE",
            [
                "Mandat de domiciliation SEPA",
                "8 semaines",
                "13 mois",
                "Signature",
                "Numéro d'entreprise",
            ],
        ),
    ],
)
def test_pdf_belgium_association(app_ctx, locale, words):
    text, _data, procedure = build("vt20002-b", document_locale=locale)
    for element in [
        *words,
        procedure.mandate_reference,
        "BE39ZZZ0598765459",
        "Rue du Commutateur 4",
        "Vzw De Groene Fiets",
        "BE68 5390 0754 7034",
        "0403.170.701",
        "vt20002-b – VT-CGV-2026-01",  # the contract reference, required in Belgium
        "procedure-be@velora.example",
    ]:
        assert element in text, element
    assert "BP 4021" not in text and "K-bis" not in text


def test_pdf_switzerland_individual_chf_in_italian(app_ctx):
    text, data, procedure = build("vt30003-s")
    for element in [
        "LSV+",
        procedure.mandate_reference,
        "Velora Telecom Sàrl",
        "VLR1A",
        "Lucia Bernasconi",
        "Via Nassa 5",
        "CH93 0076 2011 6238 5295 7",
        "30 giorni",
        "30 settembre 2028",
        "eBill",
        "procedure-ch@velora.example",
        "domicilio in Svizzera",  # proof of address in the country
        "00762",  # the bank, by its clearing number (the registry does not name it)
    ]:
        assert element in text, element
    assert "SEPA" not in text and "CH13ZZZ00000012345" not in text
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/Lang"] == "it-CH"


def test_pdf_switzerland_bdd_when_configured(app, app_ctx):
    """An operator collecting by Business Direct Debit asks it of companies and
    associations; an individual signs LSV+ (BDD has no right of objection)."""
    app.config["OPERATOR"] = {**app.config["OPERATOR"], "ch_debit_scheme": "bdd"}
    text, _data, _procedure = build(
        "vt30003-s",
        document_locale="de_CH",
        customer_kind="company",
        organisation_id="CHE-100.155.212",
    )
    assert "BDD" in text and "30. September 2028" in text
    text, _data, _procedure = build("vt30003-s", document_locale="de_CH")
    assert "(LSV+)" in text and "Business Direct Debit" not in text


def test_pdf_switzerland_eur_account_is_a_sepa_mandate(app_ctx):
    text, _data, procedure = build(
        "vt30003-s",
        currency="EUR",
        bic="POFICHBEXXX",  # (outside the EEA, a SEPA debit names the bank)
        document_locale="fr_CH",
        holder_name="Jürg Müller-Schärer",
    )
    for element in [
        "Mandat de prélèvement SEPA",
        "CH13ZZZ00000012345",
        "Jürg Müller-Schärer",
        "8 semaines",
        "13 mois",
        "procedure-ch@velora.example",
        procedure.mandate_reference,
        "POFICHBEXXX",
    ]:
        assert element in text, element
    assert "LSV+" not in text


def test_pdf_prints_user_text_literally_with_embedded_fonts_and_same_bytes(app, app_ctx):
    account = demo_account("vt10001-f")
    procedure = ValidationProcedure(
        account_id=account.id,
        status=ProcedureStatus.WAITING,
        mandate_reference="VT10001F-260302-ABCDEFGH",
        holder_name="A <b> & Co",
        holder_street="Łukasz Źródło <i>",
        holder_postcode="69002",
        holder_city="Lyon",
        holder_country="FR",
        iban="FR1420041010050500013M02606",
        bic="PSSTFRPP",
        currency="EUR",
        customer_kind=AccountKind.INDIVIDUAL,
        document_locale="en",
    )
    kwargs = {"operator": app.config["OPERATOR"], "invariant": True, "today": date(2026, 3, 2)}
    first = procedure_pdf(procedure, account, **kwargs)
    assert first == procedure_pdf(procedure, account, **kwargs)
    text = pdf_text(first)
    assert "A <b> & Co" in text and "Łukasz Źródło <i>" in text
    assert "SEPA Direct Debit Mandate" in text
    reader = PdfReader(io.BytesIO(first))
    fonts = {
        str(font["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts == {"DejaVuSans"}  # one face: emphasis is drawn, not a second font
    masked = pdf_text(procedure_pdf(procedure, account, mask_iban=True, **kwargs))
    assert "FR14" not in masked and "2606" in masked


def test_pdf_wraps_a_long_value_and_fits_the_mandate_on_one_page(app, app_ctx):
    street = "Résidence des Grands Chênes, bâtiment B, escalier 4, appartement 1207"
    city = "Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson (Marne), secteur Nord-Est"
    text, data, _procedure = build("vt10001-f", holder_street=street, holder_city=city[:70])
    assert "appartement 1207" in text and "secteur Nord" in text
    with pdfplumber.open(io.BytesIO(data)) as document:
        assert len(document.pages) == 1
        page = document.pages[0]
        # Nothing printed past the right margin.
        assert all(char["x1"] <= page.width - 18 * 2.83 for char in page.chars)


def test_pdf_cuts_a_word_too_long_for_its_cell(app, app_ctx):
    name = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaft" * 2
    text, data, _procedure = build("vt10001-f", holder_name=name[:70])
    assert "Wolfeschlegel" in text
    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[0]
        assert all(char["x1"] <= page.width - 18 * 2.83 for char in page.chars)


# --- The pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "example"),
    [("fr", "FR76 3000 6000"), ("be", "BE71 0961 2345 6769"), ("ch", "CH56 0483 5012")],
)
def test_the_iban_hint_gives_an_example_of_the_accounts_country(signed_in, who, example):
    page = signed_in(who).get("/procedure/").get_data(as_text=True)
    assert example in page


def test_form_without_javascript_shows_messages_and_saves_nothing(signed_in, app):
    client = signed_in("be")
    page = client.get("/procedure/?lang=en").get_data(as_text=True)
    data = {
        **DETAILS["vt20002-b"],
        "iban": "BE68 5390 0754 7035",
        "holder_name": "A <b>",
        "csrf_token": csrf_from(page),
    }
    response = client.post("/procedure/", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="iban-error"' in html and 'id="holder_name-error"' in html
    assert 'class="error-summary"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ValidationProcedure)) == 0
    # Without the CSRF token: refused.
    assert client.post("/procedure/", data=DETAILS["vt20002-b"]).status_code == 400


def test_inline_check_answers_only_the_field_asked(signed_in):
    client = signed_in("fr")
    token = csrf_from(client.get("/procedure/").get_data(as_text=True))
    response = client.post(
        "/procedure/check",
        data={**DETAILS["vt10001-f"], "bic": "GEBABEBB"},
        headers={"HX-Request": "true", "HX-Target": "bic-field", "X-CSRFToken": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    said = '<span hx-swap-oob="innerHTML:#announcer">BIC (facultatif)\u00a0: Ce'
    assert html.lstrip().startswith(said)
    assert '</span>\n<div class="field" id="bic-field">' in html
    assert 'id="bic-error"' in html and "<html" not in html


def test_customer_downloads_the_pdf_and_sees_the_email(signed_in, app):
    client = signed_in("fr")
    token = csrf_from(client.get("/procedure/").get_data(as_text=True))
    response = client.post("/procedure/", data={**DETAILS["vt10001-f"], "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/procedure/").get_data(as_text=True)
    link = re.search(r'href="(/procedure/\d+/pdf)"', page).group(1)
    pdf = client.get(link)
    assert pdf.mimetype == "application/pdf"
    assert "FR14 2004" in pdf_text(pdf.data)
    emails = client.get("/emails/").get_data(as_text=True)
    assert "direct-debit" in emails or "prélèvement" in emails
    # The message keeps its own language on a page in another (a screen reader's voice).
    english = client.get("/emails/?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english
    assert re.search(r'<h2 id="email-\d+-subject" lang="fr-FR">', english)
    assert '<pre class="email-body" lang="fr-FR">' in english
    attachment = re.search(r'href="(/emails/\d+/attachment)"', emails).group(1)
    assert client.get(attachment).mimetype == "application/pdf"


def test_another_accounts_procedure_and_email_are_not_found(signed_in, app):
    with app.app_context():
        procedure = procedures.submit(demo_account("vt10001-f"), DETAILS["vt10001-f"], actor=None)
        db.session.commit()
        procedure_id = procedure.id
        email_id = db.session.scalar(select(ServiceEmail.id))
    client = signed_in("be")
    assert client.get(f"/procedure/{procedure_id}/pdf").status_code == 404
    assert client.get(f"/emails/{email_id}/attachment").status_code == 404
    assert client.get("/procedure/manage").status_code == 403


def _agent_acting_for_swiss_customer_with_details(client, auth, app, reason: str) -> None:
    """The Swiss customer has filled the procedure; the agent acts for them with `reason`."""
    with app.app_context():
        account = demo_account("vt30003-s")
        procedures.submit(account, DETAILS["vt30003-s"], actor=None)
        db.session.commit()
        account_id = account.id
    auth.login("agent@example.com")
    page = client.get(f"/agent/accounts/{account_id}").get_data(as_text=True)
    client.post(
        f"/agent/accounts/{account_id}/act",
        data={"reason": reason, "csrf_token": csrf_from(page)},
    )


def test_agent_validates_with_iban_masked(client, auth, app):
    _agent_acting_for_swiss_customer_with_details(client, auth, app, "Documents arrived by e-mail")
    manage = client.get("/procedure/manage?lang=en").get_data(as_text=True)
    assert "CH93" not in manage and "2957" in manage
    # What the signed paper says, to compare before validating (review): the address and
    # the kind of document, a francs authorization here.
    assert "Via Nassa 5, 6900 Lugano (CH)" in manage
    assert "Direct debit authorization with right of objection (LSV+)" in manage
    assert "CH93" not in client.get("/procedure/").get_data(as_text=True)
    seen = form_fields(manage, "/procedure/manage")  # the CSRF token and the version seen
    response = client.post("/procedure/manage", data={**seen, "status": "validated"})
    assert response.status_code == 303
    with app.app_context():
        assert procedures.is_validated(demo_account("vt30003-s"))
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "procedure.status_changed")
        )
        assert event.on_behalf and event.reason == "Documents arrived by e-mail"
    # A status the rules don't allow: a message, no 500.
    manage = client.get("/procedure/manage").get_data(as_text=True)
    seen = {"csrf_token": csrf_from(manage), "version": procedure_version(app)}
    response = client.post("/procedure/manage", data={**seen, "status": "todo"})
    assert response.status_code == 422


def procedure_version(app) -> str:
    with app.app_context():
        return procedures.version_of(procedures.latest(demo_account("vt30003-s")))


def test_an_agent_never_validates_details_changed_since_the_page_was_opened(client, auth, app):
    """The customer corrects the IBAN while the agent has the procedure open: the agent's
    "validated" is refused (409), saying to check again; sent from the new page, it goes."""
    _agent_acting_for_swiss_customer_with_details(client, auth, app, "Documents arrived")
    manage = client.get("/procedure/manage?lang=en").get_data(as_text=True)
    seen = form_fields(manage, "/procedure/manage")
    with app.app_context():
        procedure = procedures.latest(demo_account("vt30003-s"))
        procedure.holder_city = "Bellinzona"  # as the customer's correction saves it
        db.session.commit()
    refused = client.post("/procedure/manage?lang=en", data={**seen, "status": "validated"})
    assert refused.status_code == 409
    assert "The customer changed the procedure since this page was opened" in refused.text
    with app.app_context():
        assert not procedures.is_validated(demo_account("vt30003-s"))
    again = form_fields(refused.text, "/procedure/manage")
    assert (
        client.post("/procedure/manage", data={**again, "status": "validated"}).status_code == 303
    )


def test_the_procedure_documents_match_the_country():
    assert procedures.checklist("FR", AccountKind.COMPANY) != procedures.checklist(
        "BE", AccountKind.COMPANY
    )
    assert procedures.DOCUMENT_LOCALES[Country.CH.value] == ("fr_CH", "de_CH", "it_CH", "en")
    # Outside France a proof of address in the country replaces the cheque, for every kind
    # of customer (PRODUCT.md).
    from telephony.procedure.checklist import _CHEQUE, _PROOF_OF_ADDRESS

    for country in ("BE", "CH"):
        for kind in AccountKind:
            items = procedures.checklist(country, kind)
            assert _PROOF_OF_ADDRESS in items and _CHEQUE not in items, (country, kind)
    for kind in AccountKind:
        assert _CHEQUE in procedures.checklist("FR", kind)


def test_address_fields_say_what_they_hold_for_autofill(signed_in):
    page = signed_in("fr").get("/procedure/?lang=en").text
    for name, purpose in [
        ("holder_name", "name"),
        ("holder_street", "address-line1"),  # one line: street-address is for a textarea
        ("holder_postcode", "postal-code"),
        ("holder_city", "address-level2"),
        ("holder_country", "country"),
    ]:
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)
        assert f'autocomplete="{purpose}"' in tag, name


@pytest.mark.parametrize(
    ("code", "value", "said"),
    [
        ("vt10001-f", "732 829 321", "wrong check digit"),  # SIREN, last digit off
        ("vt10001-f", "73282932000075", "wrong check digit"),  # SIRET
        ("vt10001-f", "7328", "SIREN (9 digits)"),  # too short: the shape is what is wrong
        ("vt20002-b", "0403.170.700", "wrong check digit"),
    ],
)
def test_an_organisation_id_says_whether_its_check_digit_or_its_shape_is_wrong(
    app_ctx, code, value, said
):
    with pytest.raises(procedures.InvalidDetails) as refused:
        procedures.check_details(demo_account(code), {**DETAILS[code], "organisation_id": value})
    assert said in str(refused.value.errors["organisation_id"])


def test_each_mandate_names_its_own_channel_and_contract_and_not_itself(app_ctx):
    french, _data, _procedure = build("vt10001-f")
    assert "Référence du contrat" in french and "vt10001-f – VT-CGV-2026-01" in french
    assert "dans votre courrier." in french and "e-mail." not in french.split("Imprimé")[0][-300:]
    assert "Ce formulaire, daté et signé" not in french  # listed on the page, not on itself
    assert "69003 Lyon France" in french or "69003 Lyon" in french
    belgian, _data, _procedure = build("vt20002-b")
    assert "in uw e-mail." in belgian or "e-mail." in belgian
    assert "uw brief" not in belgian
    swiss, _data, _procedure = build("vt30003-s", document_locale="de_CH")
    assert "Schweiz" in swiss and "Suisse" not in swiss  # the creditor's country, in German


def test_once_the_document_exists_downloading_it_comes_first(signed_in):
    client = signed_in("fr")
    blank = client.get("/procedure/?lang=en").text
    assert '<details class="correction"' not in blank  # nothing to correct yet
    client.post("/procedure/", data={**DETAILS["vt10001-f"], "csrf_token": csrf_from(blank)})
    page = client.get("/procedure/?lang=en").text
    assert 'class="button-link download"' in page
    assert '<details class="correction">' in page  # folded
    refused = client.post(
        "/procedure/",
        data={**DETAILS["vt10001-f"], "iban": "FR00", "csrf_token": csrf_from(page)},
    ).text
    assert '<details class="correction" open>' in refused  # open again, with its problem


def test_the_iban_is_masked_everywhere_on_the_page_and_an_empty_field_keeps_it(signed_in, app):
    client = signed_in("fr")
    blank = client.get("/procedure/?lang=en").text
    client.post("/procedure/", data={**DETAILS["vt10001-f"], "csrf_token": csrf_from(blank)})
    page = client.get("/procedure/?lang=en").text
    compact = DETAILS["vt10001-f"]["iban"].replace(" ", "")
    assert compact not in page and DETAILS["vt10001-f"]["iban"] not in page
    assert page.count("•" * 23 + "2606") == 2  # the status, and the field's hint
    assert "Leave it empty to keep" in page
    corrected = client.post(
        "/procedure/",
        data={
            **DETAILS["vt10001-f"],
            "iban": "",
            "holder_name": "Marie Martin",
            "csrf_token": csrf_from(page),
        },
    )
    assert corrected.status_code == 303
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        procedure = procedures.latest(account)
        assert procedure.holder_name == "Marie Martin" and procedure.iban == compact


def test_an_agent_corrects_the_details_without_the_iban_and_reads_agent_words(client, auth, app):
    _agent_acting_for_swiss_customer_with_details(
        client, auth, app, "Caller spelled the holder's name"
    )
    form = client.get("/procedure/?lang=en").text
    assert "Your account" not in form and "your next order" not in form
    corrected = client.post(
        "/procedure/?lang=en",
        data={
            **DETAILS["vt30003-s"],
            "iban": "",
            "holder_name": "Jürg Meier",
            "csrf_token": csrf_from(form),
        },
        follow_redirects=True,
    ).text
    assert "e-mailed to the customer" in corrected and "Your document" not in corrected
    with app.app_context():
        procedure = procedures.latest(demo_account("vt30003-s"))
        assert procedure.holder_name == "Jürg Meier"
        assert procedure.iban == DETAILS["vt30003-s"]["iban"].replace(" ", "")


@pytest.mark.parametrize("name", ["王小明 株式会社", "שלום", "ไทย", "𝔘𝔫𝔦𝔬𝔫", "Ｆｕｌｌ", "١٢٣"])
def test_holder_details_in_another_script_are_refused_beside_the_field(app_ctx, name):
    """The mandate's PDF draws Latin letters only (other scripts came out as boxes, or
    Hebrew backwards) and the bank's file carries them: accents, ß, Ø are Latin."""
    account = demo_account("vt10001-f")
    with pytest.raises(procedures.InvalidDetails) as refused:
        procedures.check_details(account, {**DETAILS["vt10001-f"], "holder_name": name})
    assert "Latin letters" in str(refused.value.errors["holder_name"])
    latin = {**DETAILS["vt10001-f"], "holder_name": "Jürg Ørsted-Straße"}
    details = procedures.check_details(account, latin)
    assert details.holder_name == "Jürg Ørsted-Straße"


def test_a_sepa_debit_from_outside_the_eea_names_its_bank(app_ctx):
    """A Swiss euro account whose bank schwifty does not know was accepted without a BIC,
    and its SEPA mandate printed an empty BIC row (review)."""
    swiss = demo_account("vt30003-s")
    with pytest.raises(procedures.InvalidDetails) as refused:
        procedures.check_details(swiss, {**DETAILS["vt30003-s"], "currency": "EUR"})
    assert "needs the bank's BIC" in str(refused.value.errors["bic"])
    given = procedures.check_details(
        swiss, {**DETAILS["vt30003-s"], "currency": "EUR", "bic": "POFICHBEXXX"}
    )
    assert given.bic == "POFICHBEXXX"
    # In francs (LSV+), the clearing number names the bank: no BIC asked for.
    assert procedures.check_details(swiss, DETAILS["vt30003-s"]).bic == ""


def test_a_qr_iban_is_not_an_account_to_debit(app_ctx):
    """A QR-IBAN (bank code 30000-31999) only receives QR-bill payments (review)."""
    with pytest.raises(procedures.InvalidDetails) as refused:
        procedures.check_details(
            demo_account("vt30003-s"),
            {**DETAILS["vt30003-s"], "iban": "CH44 3199 9123 0008 8901 2"},
        )
    assert "QR-IBAN" in str(refused.value.errors["iban"])


def test_a_swiss_uid_written_as_its_vat_number_is_taken(app_ctx):
    swiss = demo_account("vt30003-s")
    for written in ("CHE-100.155.212 MWST", "CHE-100.155.212 TVA", "che100155212 iva"):
        details = procedures.check_details(
            swiss, {**DETAILS["vt30003-s"], "customer_kind": "company", "organisation_id": written}
        )
        assert details.organisation_id == "CHE100155212", written


def test_filled_again_after_a_rejection_it_still_says_why_it_was_asked(app_ctx):
    """Refilled after a rejection, the procedure said "Started in advance" though it still
    followed the change of billing contact, and orders waited for it (review)."""
    from telephony.models import ProcedureStatus

    account = demo_account()
    first = procedures.billing_contact_changed(account, actor=None)
    assert first.trigger == "billing_contact"
    procedures.submit(account, DETAILS["vt10001-f"], actor=None)
    procedures.change_status(
        account, first, ProcedureStatus.REJECTED, actor=None, reason="Unsigned form"
    )
    again = procedures.submit(account, DETAILS["vt10001-f"], actor=None)
    assert again.id != first.id and again.trigger == "billing_contact"


def test_where_to_send_them_stays_on_one_page_at_the_longest_details(app_ctx):
    """At the maximum lengths the address's last line and the reminder went alone onto a
    second page (review): the block moves whole."""
    longest = ("Wéééééééé " * 8)[:70].strip()
    text, data, _procedure = build(
        "vt10001-f", holder_name=longest, holder_street=longest, holder_city=longest
    )
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    block = next(page for page in pages if "Comment les envoyer" in page)
    assert "France" in block.split("Comment les envoyer")[1] and "Imprimé le" in block


def test_a_francs_authorization_is_not_named_a_sepa_mandate_among_payment_methods(signed_in):
    from telephony import payment_methods
    from tests.factories import mandate_method

    client = signed_in("ch")
    with client.application.app_context():
        swiss = demo_account("vt30003-s")
        validate_procedure(swiss)
        payment_methods.set_default(swiss, mandate_method(swiss), actor=None, today=date.today())
        db.session.commit()
    page = client.get("/billing/payment-methods?lang=en").text
    assert "LSV+ direct debit" in page and "SEPA direct debit" not in page
