"""What many tests need: the demo's accounts and users, a validated procedure, an issued
invoice, a stored card, an agent acting for the French company, and small readers of
what the site returns. One place, so that no test module imports another."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import facturx
import pdfplumber
from lxml import etree
from sqlalchemy import select

from extensions import db
from telephony import calls, payment_methods
from telephony import procedure as procedures
from telephony.invoicing.numbering import next_number
from telephony.models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Line,
    NumberReservation,
    PaymentMethod,
    ProcedureStatus,
    ServiceNumber,
    StoredPaymentMethod,
    User,
    ValidationProcedure,
)
from tests.conftest import csrf_from

FR_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
BE_IBAN = "BE68 5390 0754 7034"
CH_IBAN = "CH93 0076 2011 6238 5295 7"

DETAILS = {
    "vt10001-f": {
        "holder_name": "Boulangerie Dupré & Fils",
        "holder_street": "3 place Bellecour",
        "holder_postcode": "69002",
        "holder_city": "Lyon",
        "holder_country": "FR",
        "iban": FR_IBAN,
        "bic": "",
        "currency": "EUR",
        "customer_kind": "company",
        "organisation_id": "732 829 320",
        "document_locale": "fr_FR",
    },
    "vt20002-b": {
        "holder_name": "Vzw De Groene Fiets",
        "holder_street": "Kerkstraat 12",
        "holder_postcode": "2000",
        "holder_city": "Antwerpen",
        "holder_country": "BE",
        "iban": BE_IBAN,
        "bic": "",
        "currency": "EUR",
        "customer_kind": "association",
        "organisation_id": "0403.170.701",
        "document_locale": "nl_BE",
    },
    "vt30003-s": {
        "holder_name": "Lucia Bernasconi",
        "holder_street": "Via Nassa 5",
        "holder_postcode": "6900",
        "holder_city": "Lugano",
        "holder_country": "CH",
        "iban": CH_IBAN,
        "bic": "",
        "currency": "CHF",
        "customer_kind": "individual",
        "organisation_id": "",
        "document_locale": "it_CH",
    },
}


def validate_procedure(account: Account) -> ValidationProcedure:
    """Fill the form with valid details and have it validated (helper for other tests)."""
    procedure = procedures.submit(account, DETAILS[account.code], actor=None)
    procedures.change_status(account, procedure, ProcedureStatus.VALIDATED, actor=None)
    db.session.commit()
    return procedure


#: The banner of an agent acting for the French demo customer (its code kept on one line).
ACTING_FR_BANNER = (
    'Viewing Boulangerie Dupré &amp; Fils SARL (<span class="nowrap">vt10001-f</span>) as agent.'
)


def act_for(client, account_id: int, reason: str = "Customer on the phone") -> None:
    """The signed-in agent of `client` acts for the account, as the console's form does."""
    page = client.get(f"/agent/accounts/{account_id}").text
    reply = client.post(
        f"/agent/accounts/{account_id}/act", data={"csrf_token": csrf_from(page), "reason": reason}
    )
    assert reply.status_code == 303


def act_for_fr(client, signed_in) -> int:
    signed_in("agent")
    with client.application.app_context():
        account_id = db.session.scalar(select(Account.id).where(Account.code == "vt10001-f"))
    act_for(client, account_id)
    return account_id


def issue_invoice(account: Account, amount: str = "10.00", issued: date | None = None, **fields):
    """A services invoice of `amount` excl. VAT, due in 15 days."""
    issued = issued or date.today()
    excl = Decimal(amount)
    vat = (excl * account.vat_rate).quantize(Decimal("0.01"))
    invoice = Invoice(
        account_id=account.id,
        number=next_number(account.country.value, issued.year),
        kind=InvoiceKind.INVOICE,
        currency=account.currency,
        vat_rate=account.vat_rate,
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        issued_on=issued,
        due_on=issued + timedelta(days=15),
        lines=[
            InvoiceLine(
                description="Extra", quantity=1, unit_price_excl_vat=excl, total_excl_vat=excl
            )
        ],
        **fields,
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


@contextmanager
def large_body_reply(reply) -> Iterator:
    """A test client's reply to a request whose body was over 500 KB, its temporary file
    closed at the end: Werkzeug's client spools such a body to a file that closing the
    reply does not close (it closes the request's limited stream over it), and the
    garbage collector would warn about it in whichever test comes next."""
    try:
        yield reply
    finally:
        reply.close()
        reply.request.environ["wsgi.input"].close()


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return " ".join(" ".join(page.extract_text() or "" for page in document.pages).split())


def demo_account(code: str = "vt10001-f") -> Account:
    return db.session.scalar(select(Account).where(Account.code == code))


def claimed_by_someone(url, table: str = "scheduled_task") -> bool:
    """True once another connection holds a row of `table` (PostgreSQL) or the database's
    write lock (SQLite)."""
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # "database is locked": the child holds it
            return True
        finally:
            con.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            free = conn.execute(text(f"SELECT id FROM {table} FOR UPDATE SKIP LOCKED")).all()  # noqa: S608
            conn.rollback()
            return len(free) < total
    finally:
        engine.dispose()


def mandate_method(account) -> StoredPaymentMethod | None:
    """The account's direct-debit mandate among its payment methods (its validated
    procedure's), if it has one."""
    return db.session.scalar(
        select(StoredPaymentMethod).where(
            StoredPaymentMethod.account_id == account.id,
            StoredPaymentMethod.kind == PaymentMethod.SEPA_DEBIT,
        )
    )


def stored_card(account, last4="4242") -> StoredPaymentMethod:
    return next(m for m in payment_methods.list_methods(account) if m.last4 == last4)


def pay_ahead(account, service, today: date, months: int = 12, token: str = ""):
    """`service` paid `months` ahead by the account's stored card, committed: (invoice,
    payment). `token`: the form's (the invoice's request key)."""
    from telephony.payments import PROVIDERS
    from telephony.services import paying

    paid = paying.extend(
        account,
        service,
        months,
        stored_card(account),
        token=token or f"ahead-{service.id}-{months}",
        shown=paying.extension_digest(service),
        actor=None,
        provider=PROVIDERS["sandbox"],
        today=today,
    )
    db.session.commit()
    return paid


EN16931_RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@cache
def _schematron(name: str):
    """The compiled schematron (XSLT 2.0) of the EN 16931 rules, run by Saxon."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(EN16931_RULES / name)
    )
    return processor, executable


def fatal_rules(xml: bytes, name: str) -> list[str]:
    """The EN 16931 rules `xml` breaks, warnings aside (empty: it passes)."""
    processor, executable = _schematron(name)
    source = processor.parse_xml(xml_text=xml.decode())
    report = etree.fromstring(executable.transform_to_string(xdm_node=source).encode())
    return [
        f"{failed.get('id')}: {' '.join(failed.findtext('svrl:text', '', SVRL).split())}"
        for failed in report.findall(".//svrl:failed-assert", SVRL)
        if failed.get("flag") != "warning"  # fatal, or unflagged (Factur-X)
    ]


def hidden_value(html: str, name: str) -> str:
    return html.split(f'name="{name}" type="hidden" value="')[1].split('"')[0]


def open_order(app) -> tuple[int, int]:
    """A purchase order of the French company awaiting payment: (its id, the account's)."""
    from telephony.models import Account

    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.code == "vt10001-f"))
        user = db.session.scalar(select(User).where(User.email == "demo-fr@example.com"))
        order = calls.order_calls(
            account, db.session.get(Line, 2), 3, actor=user, terms_accepted=True
        )
        db.session.commit()
        return order.id, account.id


def set_hold_end(app, reservation_id: int, moment) -> None:
    """Make a service-number hold end at `moment` (its numbers with it), as time passing
    would."""
    from sqlalchemy import update

    with app.app_context():
        db.session.execute(
            update(NumberReservation)
            .where(NumberReservation.id == reservation_id)
            .values(expires_at=moment)
        )
        db.session.execute(
            update(ServiceNumber)
            .where(ServiceNumber.reservation_id == reservation_id)
            .values(held_until=moment)
        )
        db.session.commit()
        db.session.remove()
