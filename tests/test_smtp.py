"""Real delivery of the service e-mail queue through a local SMTP server (aiosmtpd): sent
once with its attachment, kept for a retry when the server is down, taken back when a
sender died mid-send."""

from __future__ import annotations

import email
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from extensions import db
from telephony import procedure as procedures
from telephony.mail import send_queued
from telephony.models import EmailStatus, ServiceEmail, utcnow
from tests.factories import DETAILS, demo_account


class Inbox:
    """What the local server received, and the client connection each message came by."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.peers: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.messages.append(email.message_from_bytes(envelope.content))
        self.peers.append(session.peer)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield inbox
    controller.stop()


def _queue_procedure_mail() -> int:
    account = demo_account("vt10001-f")
    procedures.submit(account, DETAILS["vt10001-f"], actor=None)
    db.session.commit()
    return db.session.scalar(
        select(ServiceEmail.id).where(ServiceEmail.template == "procedure_document")
    )


def test_queued_mail_is_sent_once_with_its_pdf(app_ctx, smtp):
    message_id = _queue_procedure_mail()
    assert send_queued() == (1, 0)
    assert send_queued() == (0, 0)  # nothing twice
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == "compta@dupre.example"
    assert "Velora Telecom" in str(
        email.header.make_header(email.header.decode_header(received["Subject"]))
    )
    assert received["Message-ID"] == f"<service-email-{message_id}@velora.example>"
    parts = [part for part in received.walk() if part.get_filename()]
    assert parts and parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_payload(decode=True).startswith(b"%PDF")
    assert db.session.get(ServiceEmail, message_id).status == EmailStatus.SENT


def test_a_failed_send_is_retried_then_delivered(app, app_ctx, smtp):
    message_id = _queue_procedure_mail()
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = _free_port()  # nobody listens there
    assert send_queued() == (0, 1)
    message = db.session.get(ServiceEmail, message_id)
    assert message.status == EmailStatus.QUEUED and message.last_error
    assert send_queued() == (0, 0)  # not before its next attempt
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.config["SMTP_PORT"] = port
    assert send_queued() == (1, 0)
    assert len(smtp.messages) == 1


def test_a_message_left_sending_by_a_dead_sender_is_taken_back(app_ctx, smtp):
    message_id = _queue_procedure_mail()
    message = db.session.get(ServiceEmail, message_id)
    message.status = EmailStatus.SENDING  # claimed, then the sender died
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert send_queued() == (0, 0)  # its lease still runs
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_queued() == (1, 0)
    assert len(smtp.messages) == 1


def test_mail_send_command_uses_smtp(runner, app, smtp):
    with app.app_context():
        _queue_procedure_mail()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert len(smtp.messages) == 1


def _queue_three(holder: str = "") -> None:
    for code in ("vt10001-f", "vt20002-b", "vt30003-s"):
        details = {**DETAILS[code], "holder_name": holder or DETAILS[code]["holder_name"]}
        procedures.submit(demo_account(code), details, actor=None)
    db.session.commit()


def test_a_message_says_it_is_automatic_when_and_in_which_language(app, app_ctx, smtp):
    _queue_procedure_mail()
    assert send_queued() == (1, 0)
    (received,) = smtp.messages
    assert email.utils.parsedate_to_datetime(received["Date"]) is not None
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Content-Language"] == "fr-FR"
    assert received["Reply-To"] == app.config["OPERATOR"]["support_email"]


def test_a_batch_uses_one_connection_and_survives_a_dropped_one(app_ctx, smtp, monkeypatch):
    import telephony.mail as mail

    _queue_three()
    assert send_queued() == (3, 0)
    assert len({peer for peer in smtp.peers}) == 1  # one connection for the batch

    _queue_three(holder="Another Holder")  # new details: a new document each
    original = mail._send_one
    calls = []

    def drop_after_first(message, connection, cfg):
        calls.append(message.id)
        if len(calls) == 2:  # the server dropped the connection after the first message
            connection.smtp.sock.close()
        return original(message, connection, cfg)

    monkeypatch.setattr(mail, "_send_one", drop_after_first)
    assert send_queued() == (3, 0)  # reconnected, nothing lost
    subjects = [m["Message-ID"] for m in smtp.messages]
    assert len(subjects) == len(set(subjects)) == 6  # and nothing twice


def test_a_message_has_a_text_and_an_html_part_linking_to_its_page(app, app_ctx, smtp):
    account = demo_account("vt10001-f")
    account.name = "Dupré <Fils> & Cie"  # the HTML part escapes what it shows
    _queue_procedure_mail()
    assert send_queued() == (1, 0)
    (received,) = smtp.messages
    assert received.get_content_type() == "multipart/mixed"  # the text, and the PDF
    alternative = received.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = alternative.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    plain = text.get_payload(decode=True).decode().replace("\r\n", "\n")
    markup = html.get_payload(decode=True).decode()
    page = "https://my.velora.example/procedure/"
    assert f"À voir dans votre espace client\u00a0: {page}" in plain
    assert "Velora Telecom SAS, 12 rue des Standards, 69003 Lyon, France" in plain
    assert '<html lang="fr-FR">' in markup and f'<a href="{page}">' in markup
    assert "Velora Telecom SAS, 12 rue des Standards" in markup
    # The same words in both parts: the HTML one is the text, escaped, in paragraphs.
    first = plain.split("\n\n")[1].split("\n")[0]
    assert first[:40] in markup.replace("&#39;", "'")
    assert "<script" not in markup and "<Fils>" not in markup


def test_every_service_email_links_to_its_page(app, app_ctx):
    """Each template names the page it is about: checked on every template file."""
    from pathlib import Path

    folder = Path(app.root_path) / "templates" / "mail"
    for path in folder.glob("*.txt"):
        assert "{% block screen %}" in path.read_text(), path.name


def test_a_sent_attachment_stays_as_it_was_sent(app_ctx, smtp):
    """The e-mails page made the attachment again from the data of the day it was opened:
    a procedure whose bank details changed since showed the new IBAN in the message that
    carried the old one (review). Kept as sent, with the agents' masked copy."""
    from telephony.mail import attachment_of
    from tests.factories import pdf_text

    message_id = _queue_procedure_mail()
    assert send_queued() == (1, 0)
    sent_pdf = [p for p in smtp.messages[0].walk() if p.get_filename()][0]
    sent_bytes = sent_pdf.get_payload(decode=True)
    account = demo_account("vt10001-f")
    changed = {**DETAILS["vt10001-f"], "iban": "FR7630006000011234567890189"}
    procedures.submit(account, changed, actor=None)  # new details, the same procedure
    db.session.commit()
    message = db.session.get(ServiceEmail, message_id)
    _name, _type, data = attachment_of(message)
    assert data == sent_bytes
    assert "FR14 2004" in pdf_text(data)
    masked = pdf_text(attachment_of(message, masked=True)[2])
    assert "FR14 2004" not in masked and "FR76 3000" not in masked
