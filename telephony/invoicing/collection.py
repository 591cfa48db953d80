"""SEPA direct-debit collection: the pain.008 files the operator's bank collects.

`collect(day)` (the renewal run, or `flask billing collect`) takes every invoice awaiting
payment of a customer whose default payment method is the SEPA mandate of a validated
procedure, due within COLLECTION_LEAD_DAYS, and makes one file per creditor company (the
operator's company of the customer's country), currency and collection date:

* each file is one transaction: its invoices are claimed by a conditional UPDATE (awaiting
  payment → collection sent), the XML is built from exactly those claimed, validated
  against the pain.008.001.02 schema and kept with a row per debit, all committed together.
  A run killed halfway commits nothing for the file it was on, and two runs at once never
  claim the same invoice: no invoice is ever in two files;
* the files are then written to COLLECTION_DIR (named by their message id), where a
  transfer job takes them to the bank; a run finds and writes any file a killed run
  committed but did not write;
* a mandate's first debit is sent as FRST, the next ones as RCUR (a returned first debit
  leaves the next one FRST again);
* the collection date is the invoice's due date, at the earliest COLLECTION_LEAD_DAYS
  after the file is made.

`record_returns(xml)` reads the bank's status report (pain.002): each rejected or returned
debit puts its invoice back to pay, once, and the customer is told by a service e-mail.
Swiss customers pay in CHF, which SEPA does not collect: they are not in these files.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask import current_app
from lxml import etree
from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import selectinload

from extensions import db, rows_changed
from telephony import audit
from telephony.invoicing import credit_notes
from telephony.locking import lock_account
from telephony.mail import queue_email
from telephony.models import (
    Account,
    AuditEvent,
    Country,
    Debit,
    DebitCollection,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    ProcedureStatus,
    StoredPaymentMethod,
    ValidationProcedure,
    utcnow,
)
from telephony.settings import settings

log = logging.getLogger(__name__)
SCHEMA = "pain.008.001.02"
#: Debits per file at most (banks cap file sizes; a bigger batch makes several files).
FILE_LIMIT = 20_000


@dataclass
class CollectionReport:
    day: date
    files: list[str] = field(default_factory=list)
    debits: int = 0
    total: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    #: (invoice id, why) of the debits the schema refused: left out, their invoices to pay.
    refused: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        totals = ", ".join(f"{amount} {currency}" for currency, amount in self.total.items())
        lines = [
            f"collection {self.day.isoformat()}: {self.debits} debit(s) in "
            f"{len(self.files)} file(s){' (' + totals + ')' if totals else ''}"
        ]
        lines += [f"  invoice {invoice_id} left out: {why}" for invoice_id, why in self.refused]
        return "\n".join(lines)


def collection_dir() -> Path:
    configured = current_app.config.get("COLLECTION_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "collections"


def _mandates():
    """(account id, procedure) of every account whose default method is a SEPA mandate of
    a validated procedure."""
    return (
        select(StoredPaymentMethod.account_id, ValidationProcedure)
        .join(ValidationProcedure, ValidationProcedure.id == StoredPaymentMethod.procedure_id)
        .where(
            StoredPaymentMethod.is_default,
            StoredPaymentMethod.kind == PaymentMethod.SEPA_DEBIT,
            ValidationProcedure.status == ProcedureStatus.VALIDATED,
            ValidationProcedure.currency == "EUR",
        )
    )


def _due(day: date) -> list[tuple[int, int, date, Country]]:
    """(invoice id, account id, due date, country) of the invoices to collect now."""
    mandates = _mandates().subquery()
    rows = db.session.execute(
        select(Invoice.id, Invoice.account_id, Invoice.due_on, Account.country)
        .join(Account, Account.id == Invoice.account_id)
        .join(mandates, mandates.c.account_id == Invoice.account_id)
        .where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
            Invoice.currency == "EUR",
            Invoice.due_on.is_not(None),
            Invoice.due_on <= day + timedelta(days=settings().collection_lead_days),
        )
        .order_by(Invoice.id)
    )
    # The query already leaves out the invoices without a due date: the test only narrows.
    return [
        (invoice_id, account_id, due_on, country)
        for invoice_id, account_id, due_on, country in rows
        if due_on is not None
    ]


def collect(day: date) -> CollectionReport:
    """Make the direct-debit files of `day` (see the module's docstring)."""
    report = CollectionReport(day)
    earliest = day + timedelta(days=settings().collection_lead_days)
    groups: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    for invoice_id, account_id, due_on, account_country in _due(day):
        groups[(account_country.value, max(due_on, earliest))].append((invoice_id, account_id))
    db.session.commit()
    for (country, collection_on), items in sorted(groups.items()):
        for start in range(0, len(items), FILE_LIMIT):
            _make_files(country, collection_on, items[start : start + FILE_LIMIT], day, report)
    write_files()
    return report


def _make_files(country, collection_on, items, day, report: CollectionReport) -> None:
    """A file of `items`; if it does not validate (one customer's details the schema
    refuses: a BIC, a name), the halves are tried apart until the debits at fault are
    found: they are left out and reported, and every other customer's still go. (One
    mistyped BIC stopped every customer's collection, every day, and the rest of the run.)"""
    try:
        collection = _make_file(country, collection_on, items, day)
    except InvalidFile as invalid:
        if len(items) == 1:
            report.refused.append((items[0][0], str(invalid)))
            return
        half = len(items) // 2
        _make_files(country, collection_on, items[:half], day, report)
        _make_files(country, collection_on, items[half:], day, report)
        return
    if collection is not None:
        report.files.append(collection.message_id)
        report.debits += collection.count
        report.total[collection.currency] += collection.total


def _message_id(country: str, day: date) -> str:
    """A message id no other file has (the column is unique, too)."""
    return f"VT-{country}-{day:%Y%m%d}-{secrets.token_hex(8)}".upper()


def _make_file(
    country: str, collection_on: date, items: list[tuple[int, int]], day: date
) -> DebitCollection | None:
    """One file, in one transaction: claim, build, validate, keep. The claim (a conditional
    UPDATE of the invoices) is what makes each invoice go into one file only; whatever else
    touches an invoice meanwhile (a card payment) claims it the same way."""
    try:
        claimed = db.session.scalars(
            update(Invoice)
            .where(
                Invoice.id.in_([invoice_id for invoice_id, _ in items]),
                Invoice.status == InvoiceStatus.AWAITING_PAYMENT,
                # Still paid by a mandate: a customer who made a card the default since
                # the run chose the invoices is not debited.
                exists(_mandates().where(StoredPaymentMethod.account_id == Invoice.account_id)),
            )
            .values(status=InvoiceStatus.COLLECTION_SENT)
            .returning(Invoice.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not claimed:
            db.session.rollback()
            return None
        invoices = db.session.scalars(
            select(Invoice)
            .options(selectinload(Invoice.account))
            .where(Invoice.id.in_(claimed))
            .order_by(Invoice.id)
        ).all()
        mandates = {
            account_id: procedure
            for account_id, procedure in db.session.execute(
                _mandates().where(
                    StoredPaymentMethod.account_id.in_({i.account_id for i in invoices})
                )
            )
        }
        # A mandate gone between the claim and this read (another statement): its invoices
        # are given back, to pay as the account pays now. (It raised KeyError, and the
        # whole run stopped: no other customer collected.)
        dropped = [invoice.id for invoice in invoices if invoice.account_id not in mandates]
        if dropped:
            db.session.execute(
                update(Invoice)
                .where(Invoice.id.in_(dropped))
                .values(status=InvoiceStatus.AWAITING_PAYMENT)
                .execution_options(synchronize_session=False)
            )
            invoices = [invoice for invoice in invoices if invoice.account_id in mandates]
            if not invoices:
                db.session.commit()
                return None
        collected_before = set(
            db.session.scalars(
                select(Debit.mandate_reference).where(
                    Debit.mandate_reference.in_([p.mandate_reference for p in mandates.values()]),
                    Debit.status == "sent",
                )
            )
        )
        collection = DebitCollection(
            country=country,
            currency="EUR",
            collection_on=collection_on,
            message_id=_message_id(country, day),
            count=len(invoices),
            total=sum((i.total_incl_vat for i in invoices), Decimal("0.00")),
        )
        db.session.add(collection)
        db.session.flush()
        debits = [
            {
                "collection_id": collection.id,
                "invoice_id": invoice.id,
                "account_id": invoice.account_id,
                "mandate_reference": mandates[invoice.account_id].mandate_reference,
                "sequence_type": "RCUR"
                if mandates[invoice.account_id].mandate_reference in collected_before
                else "FRST",
                "amount": invoice.total_incl_vat,
                "end_to_end_id": f"{invoice.number}-{collection.id}"[:35],
                "status": "sent",
                "return_reason": "",
            }
            for invoice in invoices
        ]
        db.session.execute(insert(Debit), debits)
        collection.xml = build_xml(country, collection, debits, invoices, mandates)
        now = utcnow()
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "at": now,
                    "account_id": invoice.account_id,
                    "on_behalf": False,
                    "action": "invoice.collection_sent",
                    "target_type": "invoice",
                    "target_id": invoice.id,
                    "reason": "",
                    "after": {"file": collection.message_id, "on": collection_on.isoformat()},
                }
                for invoice in invoices
            ],
        )
        db.session.commit()
        return collection
    except Exception:
        db.session.rollback()
        raise


@cache
def _schema() -> etree.XMLSchema:
    """The pain.008.001.02 schema that sepaxml ships, compiled once (lxml validates 10,000
    debits in a fraction of a second; sepaxml's own check takes seconds)."""
    import sepaxml

    path = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


class InvalidFile(Exception):
    """The file built does not validate against the pain.008 schema."""


def build_xml(country, collection, debits, invoices, mandates) -> str:
    """The pain.008.001.02 file, validated against its schema."""
    from sepaxml import SepaDD

    operator = current_app.config["OPERATOR"]
    bank = operator["bank_accounts"][country]
    company = (operator.get("addresses", {}).get(country) or [operator["name"]])[0]
    sepa = SepaDD(
        {
            "name": company,
            "IBAN": bank["iban"],
            "BIC": bank["bic"],
            "batch": True,
            "creditor_id": operator["creditor_ids"][country],
            "currency": collection.currency,
        },
        schema=SCHEMA,
        clean=True,
    )
    by_invoice = {invoice.id: invoice for invoice in invoices}
    for debit in debits:
        invoice = by_invoice[debit["invoice_id"]]
        procedure = mandates[invoice.account_id]
        signed = procedure.submitted_at or procedure.created_at
        payment = {
            "name": procedure.holder_name or invoice.account.name,
            "IBAN": procedure.iban,
            "amount": int((debit["amount"] * 100).to_integral_value()),
            "type": debit["sequence_type"],
            "collection_date": collection.collection_on,
            "mandate_id": debit["mandate_reference"],
            "mandate_date": signed.date(),
            "description": f"{invoice.number} {invoice.account.code}",
            "endtoend_id": debit["end_to_end_id"],
        }
        if procedure.bic:
            payment["BIC"] = procedure.bic
        sepa.add_payment(payment)
    # The message id is ours (unique, kept in the database); sepaxml makes a random one
    # when it starts the header.
    sepa._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = collection.message_id
    xml = sepa.export(validate=False)
    document = etree.fromstring(xml if isinstance(xml, bytes) else xml.encode())
    if not _schema().validate(document):
        raise InvalidFile(str(_schema().error_log.last_error))
    etree.indent(document)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8").decode()


def write_files() -> list[Path]:
    """Write every file kept that is not in COLLECTION_DIR yet (atomically: a temporary
    name, then renamed), so that a run killed after its commit loses no file."""
    folder = collection_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for message_id, xml in db.session.execute(
        select(DebitCollection.message_id, DebitCollection.xml).order_by(DebitCollection.id)
    ):
        path = folder / f"{message_id}.xml"
        if path.exists():
            continue
        # A temporary file of our own, then renamed: a reader never sees half a file, and
        # two runs writing the same file at once each write it whole.
        handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{message_id}.", suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(xml)
        os.replace(partial, path)
        written.append(path)
    db.session.commit()
    return written


# --- Returns -----------------------------------------------------------------------------


@dataclass
class ReturnsReport:
    returned: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def parse_status_report(xml: bytes | str) -> list[tuple[str, str]]:
    """(end-to-end id, reason code) of each rejected or returned transaction of a pain.002
    status report (any version: the namespace is ignored)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) != "TxInfAndSts":
            continue
        fields = {_local(c.tag): c for c in element.iter() if isinstance(c.tag, str)}
        status = fields.get("TxSts")
        if status is None or (status.text or "").strip() != "RJCT":
            continue
        end_to_end = fields.get("OrgnlEndToEndId")
        if end_to_end is not None and end_to_end.text:
            found.append((end_to_end.text.strip(), _reason(element)))
    return found


def _reason(transaction) -> str:
    """The code of a transaction's status reason (StsRsnInf/Rsn/Cd): not any <Cd> in it (the
    original transaction repeated in OrgnlTxRef holds others, such as CORE)."""
    for info in transaction:
        if isinstance(info.tag, str) and _local(info.tag) == "StsRsnInf":
            for rsn in info:
                if isinstance(rsn.tag, str) and _local(rsn.tag) == "Rsn":
                    for code in rsn:
                        if isinstance(code.tag, str) and _local(code.tag) in ("Cd", "Prtry"):
                            return (code.text or "").strip()
    return ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def record_returns(xml: bytes | str, day: date) -> ReturnsReport:
    """Put the invoice of each returned debit back to pay, once each, and tell the
    customer. One transaction per debit."""
    report = ReturnsReport()
    for end_to_end_id, reason in parse_status_report(xml) + _rejected_blocks(xml, report):
        debit = db.session.scalar(select(Debit).where(Debit.end_to_end_id == end_to_end_id))
        if debit is None:
            report.unknown.append(end_to_end_id)
            continue
        lock_account(debit.account_id)
        marked = rows_changed(
            update(Debit)
            .where(Debit.id == debit.id, Debit.status == "sent")
            .values(status="returned", return_reason=reason[:8], returned_on=day)
            .execution_options(synchronize_session=False)
        )
        if not marked:
            db.session.rollback()
            report.already.append(end_to_end_id)
            continue
        invoice = db.session.get_one(Invoice, debit.invoice_id)
        to_pay = credit_notes.debit_returned(invoice, day)
        audit.record(
            "invoice.debit_returned",
            account=invoice.account,
            actor=None,
            target_type="invoice",
            target_id=invoice.id,
            after={
                "reason": reason,
                "debit": end_to_end_id,
                "to_pay": to_pay.number if to_pay is not None else None,
            },
        )
        queue_email(
            invoice.account, "debit_returned", invoice=invoice, to_pay=to_pay, reason=reason
        )
        db.session.commit()
        report.returned.append(end_to_end_id)
    return report


def _rejected_blocks(xml: bytes | str, report: ReturnsReport) -> list[tuple[str, str]]:
    """(end-to-end id, reason) of every debit of a whole file (GrpSts) or payment block
    (PmtInfSts) the bank rejected: a report may reject them without a line each, and was
    read as rejecting nothing (the invoices stayed "collection sent", as if paid)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)

    def child(element, name):
        return next((c for c in element if isinstance(c.tag, str) and _local(c.tag) == name), None)

    def text(element, name) -> str:
        found = child(element, name) if element is not None else None
        return (found.text or "").strip() if found is not None else ""

    found: list[tuple[str, str]] = []
    group = next((e for e in root.iter() if _local(str(e.tag)) == "OrgnlGrpInfAndSts"), None)
    message_id = text(group, "OrgnlMsgId")
    collection = (
        db.session.scalar(select(DebitCollection).where(DebitCollection.message_id == message_id))
        if message_id
        else None
    )
    if group is not None and text(group, "GrpSts") == "RJCT":
        if collection is None:
            report.unknown.append(message_id or "?")
            return found
        reason = _reason(group)
        found += [
            (e2e, reason)
            for e2e in db.session.scalars(
                select(Debit.end_to_end_id).where(Debit.collection_id == collection.id)
            )
        ]
        return found
    for block in root.iter():
        if _local(str(block.tag)) != "OrgnlPmtInfAndSts" or text(block, "PmtInfSts") != "RJCT":
            continue
        block_id = text(block, "OrgnlPmtInfId")
        if collection is None or not block_id:
            report.unknown.append(block_id or "?")
            continue
        # The block's debits, as the file sent them.
        sent = etree.fromstring(collection.xml.encode(), parser)
        for info in sent.iter():
            if _local(str(info.tag)) == "PmtInf" and text(info, "PmtInfId") == block_id:
                found += [
                    ((e.text or "").strip(), _reason(block))
                    for e in info.iter()
                    if _local(str(e.tag)) == "EndToEndId"
                ]
    return found


def waiting_for_debit(account: Account) -> bool:
    """True when the account's invoices are collected by direct debit (its default method
    is the mandate of a validated procedure, and they are in euros, as the files are): the
    renewal run leaves them to `collect`. (A Swiss account's francs are not: a euro
    mandate of one was taken as waiting, and its invoices were never collected nor
    charged, then the service suspended.)"""
    if account.currency != "EUR":
        return False
    return bool(
        db.session.scalar(
            select(exists(_mandates().where(StoredPaymentMethod.account_id == account.id)))
        )
    )
