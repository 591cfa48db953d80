"""Every invoice PDF of a period as one ZIP, built in the background.

The customer asks on the invoices page (`request_archive`: one archive per form, however
often it is sent); a worker (`flask billing archives`, on any machine) builds the queued
ones. The queue is the `invoice_archive` table: a worker claims a row by a conditional
UPDATE that leases it for LEASE; a worker that dies mid-build leaves the lease to run out
and the next worker builds it again. The ZIP is kept in the database, so whichever machine
serves the page can offer it; it is kept for KEEP_DAYS.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db, rows_changed
from telephony import DomainError, NotFound, audit
from telephony.invoicing.listing import DOCUMENTS
from telephony.models import Account, Invoice, InvoiceArchive, User, utcnow

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
KEEP_DAYS = 7
#: The longest period one archive covers.
MAX_DAYS = 366


def _in_period(account_id: int, start: date, end: date):
    return (
        select(Invoice)
        .where(
            Invoice.account_id == account_id,
            Invoice.kind.in_(DOCUMENTS),
            Invoice.issued_on >= start,
            Invoice.issued_on <= end,
        )
        .order_by(Invoice.issued_on, Invoice.id)
    )


def request_archive(
    account: Account, start: date | None, end: date | None, *, token: str, actor: User | None
) -> InvoiceArchive:
    """Queue the ZIP of the account's invoices issued from `start` to `end` (included)."""
    if start is None:
        raise DomainError(_l("Enter the first day of the period."), field="start")
    if end is None:
        raise DomainError(_l("Enter the last day of the period."), field="end")
    if start > end:
        raise DomainError(_l("The period ends before it starts."), field="end")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(_l("Choose a period of one year at most."), field="end")
    if not token or len(token) > 64:
        raise DomainError(_l("This form has expired: open the page again."))
    count = db.session.scalar(
        select(func.count()).select_from(_in_period(account.id, start, end).subquery())
    )
    if not count:
        raise DomainError(_l("No invoice was issued in this period."), field="start")
    archive = InvoiceArchive(
        account_id=account.id,
        requested_by_id=actor.id if actor else None,
        start=start,
        end=end,
        request_key=token,
        count=count,
    )
    try:
        with db.session.begin_nested():  # the same form twice: one archive
            db.session.add(archive)
    except IntegrityError:
        existing = db.session.scalar(
            select(InvoiceArchive).where(InvoiceArchive.request_key == token)
        )
        if existing is None or existing.account_id != account.id:
            raise DomainError(_l("This form has expired: open the page again.")) from None
        return existing
    audit.record(
        "invoice.archive_requested",
        account=account,
        actor=actor,
        target_type="invoice_archive",
        target_id=archive.id,
        after={"from": start.isoformat(), "to": end.isoformat(), "invoices": count},
    )
    return archive


def recent(account: Account, limit: int = 5) -> list[InvoiceArchive]:
    """The account's latest archives (their bytes not loaded)."""
    from sqlalchemy.orm import defer

    return list(
        db.session.scalars(
            select(InvoiceArchive)
            .options(defer(InvoiceArchive.data))
            .where(
                InvoiceArchive.account_id == account.id,
                InvoiceArchive.created_at >= utcnow() - timedelta(days=KEEP_DAYS),
            )
            .order_by(InvoiceArchive.id.desc())
            .limit(limit)
        )
    )


def get_ready(account: Account, archive_id: int) -> InvoiceArchive:
    archive = db.session.scalar(
        select(InvoiceArchive).where(
            InvoiceArchive.id == archive_id,
            InvoiceArchive.account_id == account.id,
            InvoiceArchive.status == "ready",
            # Past KEEP_DAYS it is gone, whether a worker deleted it yet or not.
            InvoiceArchive.created_at >= utcnow() - timedelta(days=KEEP_DAYS),
        )
    )
    if archive is None:
        raise NotFound("This archive does not exist.")
    return archive


def _due(now):
    """Queued and due, or being built by a worker whose lease ran out."""
    return InvoiceArchive.status.in_(["queued", "building"]) & (
        InvoiceArchive.next_attempt_at <= now
    )


def _claim(archive_id: int) -> bool:
    now = utcnow()
    claimed = rows_changed(
        update(InvoiceArchive)
        .where(InvoiceArchive.id == archive_id, _due(now))
        .values(
            status="building",
            attempts=InvoiceArchive.attempts + 1,
            next_attempt_at=now + LEASE,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed == 1


def build_queued(pdf: Callable[[Invoice], bytes], limit: int = 20) -> tuple[int, int]:
    """Build the queued archives with `pdf` (documents.invoice.invoice_pdf), each claimed
    first. Returns (built, failed)."""
    db.session.execute(  # what was kept long enough goes
        delete(InvoiceArchive).where(
            InvoiceArchive.created_at < utcnow() - timedelta(days=KEEP_DAYS)
        )
    )
    db.session.commit()
    ids = db.session.scalars(
        select(InvoiceArchive.id).where(_due(utcnow())).order_by(InvoiceArchive.id).limit(limit)
    ).all()
    built = failed = 0
    for archive_id in ids:
        if not _claim(archive_id):
            continue  # another worker has it
        archive = db.session.get_one(InvoiceArchive, archive_id)  # just claimed
        try:
            buffer = io.BytesIO()
            invoices = db.session.scalars(
                _in_period(archive.account_id, archive.start, archive.end)
            ).all()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
                for invoice in invoices:
                    out.writestr(f"{invoice.number}.pdf", pdf(invoice))
            db.session.execute(
                update(InvoiceArchive)
                .where(InvoiceArchive.id == archive_id, InvoiceArchive.status == "building")
                .values(
                    status="ready", data=buffer.getvalue(), count=len(invoices), ready_at=utcnow()
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            built += 1
        except Exception:  # noqa: BLE001 - kept for a later attempt, then failed
            db.session.rollback()
            attempts = db.session.scalar(
                select(InvoiceArchive.attempts).where(InvoiceArchive.id == archive_id)
            )
            if attempts is None:  # deleted meanwhile (kept past KEEP_DAYS): nothing to retry
                failed += 1
                continue
            db.session.execute(
                update(InvoiceArchive)
                # Still this worker's to give back: one whose lease ran out while it built
                # must not undo what the next worker made ready.
                .where(InvoiceArchive.id == archive_id, InvoiceArchive.status == "building")
                .values(
                    status="failed" if attempts >= MAX_ATTEMPTS else "queued",
                    next_attempt_at=utcnow() + timedelta(minutes=2**attempts),
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            failed += 1
    return built, failed


def pending(archives: list[InvoiceArchive]) -> bool:
    return any(archive.status in ("queued", "building") for archive in archives)
