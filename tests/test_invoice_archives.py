"""Every PDF of a period as one ZIP: asked for once however often the form is sent, built
by a worker that claims it with a lease, offered on the invoices page when ready."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from documents.invoice import invoice_pdf
from extensions import db
from telephony import NotFound
from telephony.invoicing.archives import KEEP_DAYS, build_queued, get_ready
from telephony.models import Account, InvoiceArchive, utcnow
from tests.conftest import csrf_from
from tests.factories import hidden_value

TODAY = date.today()


def _form(page: str, **changes) -> dict:
    data = {
        "csrf_token": csrf_from(page),
        "token": hidden_value(page, "token"),
        "start": (TODAY - timedelta(days=200)).isoformat(),
        "end": TODAY.isoformat(),
    }
    data.update(changes)
    return data


def test_a_zip_is_asked_once_built_in_the_background_and_offered_when_ready(signed_in):
    client = signed_in("fr")
    page = client.get("/billing/invoices?lang=en").text
    form = _form(page)
    for _ in range(3):  # the same form sent three times
        assert client.post("/billing/invoices/archives", data=form).status_code == 303
    with client.application.app_context():
        assert db.session.scalar(select(func.count(InvoiceArchive.id))) == 1
    waiting = client.get("/billing/invoices?lang=en").text
    assert "Being prepared" in waiting and 'hx-trigger="every 4s"' in waiting
    with client.application.app_context():
        assert build_queued(invoice_pdf) == (1, 0)
        archive_id = db.session.scalar(select(InvoiceArchive.id))
    block = client.get(
        "/billing/invoices?lang=en",
        headers={"HX-Request": "true", "HX-Target": "invoice-archives"},
    ).text
    assert "Your ZIP is ready." in block and "every 4s" not in block
    assert f"/billing/invoices/archives/{archive_id}.zip" in block
    reply = client.get(f"/billing/invoices/archives/{archive_id}.zip")
    assert reply.status_code == 200 and reply.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(reply.data)).namelist()
    assert len(names) == 4 and all(n.startswith("FR-") and n.endswith(".pdf") for n in names)
    with client.application.app_context():  # another account's archive does not exist
        be = db.session.scalar(select(Account).where(Account.code == "vt20002-b"))
        with pytest.raises(NotFound):
            get_ready(be, archive_id)
        # Past its keeping days it is gone, whether a worker deleted it yet or not (its
        # link still downloaded until one did).
        db.session.execute(
            update(InvoiceArchive).values(created_at=utcnow() - timedelta(days=KEEP_DAYS, hours=1))
        )
        db.session.commit()
    assert f"archives/{archive_id}.zip" not in client.get("/billing/invoices?lang=en").text
    assert client.get(f"/billing/invoices/archives/{archive_id}.zip").status_code == 404


def test_a_bad_period_is_said_beside_its_field(signed_in):
    client = signed_in("fr")
    page = client.get("/billing/invoices?lang=en").text
    backwards = client.post(
        "/billing/invoices/archives?lang=en",
        data=_form(page, start=TODAY.isoformat(), end=(TODAY - timedelta(days=3)).isoformat()),
    )
    assert backwards.status_code == 422 and "The period ends before it starts." in backwards.text
    empty = client.post(
        "/billing/invoices/archives?lang=en",
        data=_form(page, start="2001-01-01", end="2001-02-01"),
    )
    assert empty.status_code == 422 and "No invoice was issued in this period." in empty.text
    odd = client.post(
        "/billing/invoices/archives?lang=en", data=_form(page, start="x" * 10_000, end="\x00")
    )
    assert odd.status_code == 422
    with client.application.app_context():
        assert db.session.scalar(select(func.count(InvoiceArchive.id))) == 0


def test_an_archive_whose_worker_died_is_built_by_the_next_one(signed_in, runner):
    client = signed_in("fr")
    page = client.get("/billing/invoices?lang=en").text
    client.post("/billing/invoices/archives", data=_form(page))
    with client.application.app_context():
        # A worker claimed it, then died: its lease runs out.
        db.session.execute(
            update(InvoiceArchive).values(
                status="building", attempts=1, next_attempt_at=utcnow() - timedelta(seconds=1)
            )
        )
        db.session.commit()
    result = runner.invoke(args=["billing", "archives"])
    assert result.exit_code == 0 and "1 built" in result.output
    with client.application.app_context():
        assert db.session.scalar(select(InvoiceArchive.status)) == "ready"


def test_a_slow_worker_that_fails_after_its_lease_leaves_the_next_ones_archive_ready(
    signed_in,
):
    """Worker A's lease ran out while it built; B built the archive; then A failed and set
    it back to queued (or failed): a ready archive built again, or shown failed (review)."""
    client = signed_in("fr")
    client.post("/billing/invoices/archives", data=_form(client.get("/billing/invoices").text))
    with client.application.app_context():
        calls = []

        def slow_then_failing(invoice):
            if not calls:  # A: while it builds, its lease ends and B makes it ready
                calls.append(1)
                db.session.execute(
                    update(InvoiceArchive).values(status="ready", data=b"B's", ready_at=utcnow())
                )
                db.session.commit()
                raise OSError("A's disk is full")
            return invoice_pdf(invoice)

        assert build_queued(slow_then_failing) == (0, 1)
        archive = db.session.scalar(select(InvoiceArchive))
        db.session.refresh(archive)
        assert archive.status == "ready" and archive.data == b"B's"
