"""Service e-mails: rendered in the account's language when queued, sent from an outbox.

Queueing happens inside the transaction of the change it reports, so a rolled-back change
sends nothing. Delivery (`flask mail send`) claims each message before sending, so two
senders never send the same message; a failed send is retried later with a back-off. A
claim is a lease: a sender that dies between the claim and the outcome leaves the message
"sending" with an expired lease, and the next run sends it again under the same Message-ID
(so a receiving server that did get it can drop the duplicate). Nothing is lost.

A message goes out as plain text and as HTML made from the same text, both ending with a link
to the page it is about (each template's `screen` block, an absolute address built from
SITE_URL) and the operator's identity.

A message may carry one attachment, named by (type, id) and built when sent by the builder
plugged in for the type (a feature's PLUG, e.g. "procedure"): stored data, not a stored file.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from jinja2_fragments import render_block
from sqlalchemy import select, update

from extensions import db, rows_changed
from telephony import NotFound
from telephony.models import Account, EmailStatus, SentAttachment, ServiceEmail, utcnow

MAX_ATTEMPTS = 8
#: How long a sender owns a claimed message before another run may take it back.
LEASE = timedelta(minutes=10)

#: type → function(id, masked=False) returning (file name, MIME type, bytes), or None when
#: it is gone. `masked=True`: the copy an agent may see (bank details hidden). Filled by
#: telephony.wiring from the features' plugs.
ATTACHMENTS: dict[str, Callable[..., tuple[str, str, bytes] | None]] = {}


def get_message(account: Account, message_id: int) -> ServiceEmail:
    """A service e-mail of the account; NotFound otherwise (another account's too)."""
    message = db.session.get(ServiceEmail, message_id)
    if message is None or message.account_id != account.id:
        raise NotFound(_l("This message does not exist."))
    return message


def attachment_of(message: ServiceEmail, *, masked: bool = False):
    """(file name, MIME type, bytes) of the message's attachment, or None when it has
    none or its document is gone: as it was sent, once it was; made now before. An
    attachment type nobody builds is an error."""
    if not message.attachment_type or message.attachment_id is None:
        return None
    sent = db.session.get(SentAttachment, message.id) if message.sent_at else None
    if sent is not None:
        return sent.filename, sent.mimetype, sent.masked if masked else sent.data
    return _build_attachment(message, masked=masked)


def _build_attachment(message: ServiceEmail, *, masked: bool = False):
    """The attachment made now, from the data of now."""
    builder = ATTACHMENTS.get(message.attachment_type or "")
    if builder is None:
        raise LookupError(f"no builder for attachments of type {message.attachment_type!r}")
    return builder(message.attachment_id, masked=masked)


def render_email(template: str, locale: str, **context) -> tuple[str, str]:
    """Subject and plain-text body of `templates/mail/<template>.txt` in `locale`."""
    name = f"mail/{template}.txt"
    context.setdefault("operator", current_app.config["OPERATOR"])
    env = current_app.jinja_env  # not the request's context processors: no request here
    with force_locale(locale):
        subject = render_block(env, name, "subject", **context)
        body = render_block(env, name, "body", **context)
    # One line (a header folds nothing else), its no-break spaces kept: French writes one
    # before a colon ("Velora Telecom : ..."), and str.split() would take it for a space.
    return _ONE_LINE.sub(" ", subject).strip(), body.strip() + "\n"


#: Runs of ordinary white space (not U+00A0 nor U+202F).
_ONE_LINE = re.compile(r"[ \t\r\n\f\v]+")


def render_screen_url(template: str, **context) -> str | None:
    """The page the message is about: the template's `screen` block (empty: none)."""
    name = f"mail/{template}.txt"
    env = current_app.jinja_env
    if "screen" not in env.get_template(name).blocks:
        return None
    return render_block(env, name, "screen", **context).strip() or None


def queue_email(
    account: Account,
    template: str,
    *,
    attachment: tuple[str, int] | None = None,
    to_address: str | None = None,
    **context,
) -> ServiceEmail:
    """Render and queue a service e-mail for `account` (committed with the caller's work).

    `attachment` = (type, id) of a document built when the message is sent; `to_address`
    replaces the account's billing e-mail address (e.g. to tell the former billing contact
    of a change)."""
    subject, body = render_email(template, account.language, account=account, **context)
    screen_url = render_screen_url(template, account=account, **context)
    attachment_type, attachment_id = attachment or (None, None)
    message = ServiceEmail(
        account_id=account.id,
        template=template,
        locale=account.language,
        to_address=to_address or account.billing_email,
        subject=subject,
        body=body,
        attachment_type=attachment_type,
        attachment_id=attachment_id,
        screen_url=screen_url,
    )
    db.session.add(message)
    return message


def _due(now):
    """Queued and due, or claimed by a sender whose lease ran out."""
    return ServiceEmail.status.in_([EmailStatus.QUEUED, EmailStatus.SENDING]) & (
        ServiceEmail.next_attempt_at <= now
    )


def _claim(message_id: int) -> bool:
    now = utcnow()
    claimed = rows_changed(
        update(ServiceEmail)
        .where(ServiceEmail.id == message_id, _due(now))
        .values(
            status=EmailStatus.SENDING,
            attempts=ServiceEmail.attempts + 1,
            next_attempt_at=now + LEASE,
        )
    )
    db.session.commit()
    return claimed == 1


def send_queued(limit: int = 100) -> tuple[int, int]:
    """Send due messages through SMTP, over one connection. Returns (sent, failed)."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        raise RuntimeError("SMTP_HOST is not set: nothing can be sent.")
    now = utcnow()
    ids = db.session.scalars(
        select(ServiceEmail.id).where(_due(now)).order_by(ServiceEmail.id).limit(limit)
    ).all()
    sent = failed = 0
    connection = _Connection(cfg)
    try:
        for message_id in ids:
            if not _claim(message_id):
                continue  # another sender has it
            message = db.session.get(ServiceEmail, message_id)
            if message is None:  # (claimed a moment ago: it is there)
                continue
            if _send_one(message, connection, cfg):
                sent += 1
            else:
                failed += 1
    finally:
        connection.close()
    return sent, failed


class _Connection:
    """One SMTP connection for a batch, opened on first use; a connection that dropped is
    opened again once for the message that found it dropped."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        try:
            self._open().send_message(email)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # Dropped since the last message (the server's idle time-out, a restart): the
            # same message again on a new connection; its Message-ID lets a server that
            # did get it drop the copy.
            self.close()
            self._open().send_message(email)

    def _open(self) -> smtplib.SMTP:
        if self.smtp is None:
            cfg = self.cfg
            smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30)
            if cfg.get("SMTP_STARTTLS"):
                smtp.starttls()
            if cfg.get("SMTP_USERNAME"):
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
            self.smtp = smtp
        return self.smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _send_one(message: ServiceEmail, connection: _Connection, cfg) -> bool:
    """Send one claimed message and record the outcome (committed). True when sent; its
    attachment is kept as sent."""
    attached = None
    try:
        attached = _build_attachment(message) if message.attachment_type else None
        connection.send(_compose(message, cfg, attached))
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        if not isinstance(exc, smtplib.SMTPRecipientsRefused):
            connection.close()  # a broken connection is not reused
        message.last_error = str(exc)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = EmailStatus.FAILED
        else:
            message.status = EmailStatus.QUEUED
            message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
        db.session.commit()
        return False
    message.status = EmailStatus.SENT
    message.sent_at = utcnow()
    message.last_error = ""
    if attached is not None and db.session.get(SentAttachment, message.id) is None:
        filename, mimetype, data = attached
        masked = _build_attachment(message, masked=True)
        db.session.add(
            SentAttachment(
                email_id=message.id,
                filename=filename,
                mimetype=mimetype,
                data=data,
                masked=masked[2] if masked is not None else data,
            )
        )
    db.session.commit()
    return True


def _parts(message: ServiceEmail, cfg) -> tuple[str, str]:
    """The plain text and the HTML of a message: the same text, then the link to its page
    and the operator's identity (in the message's language)."""
    operator = cfg["OPERATOR"]
    account = db.session.get_one(Account, message.account_id)
    country = account.country.value if account is not None else ""
    identity = operator["addresses"].get(country) or [operator["name"]]
    with force_locale(message.locale):
        link = gettext("See it in your customer area: %(url)s", url=message.screen_url or "")
        footer = [*(([link]) if message.screen_url else []), ", ".join(identity)]
        footer.append(operator["support_email"])
        text = f"{message.body.rstrip()}\n\n-- \n" + "\n".join(footer) + "\n"
        paragraphs = [block.split("\n") for block in message.body.strip().split("\n\n")]
        html = current_app.jinja_env.get_template("mail/_message.html").render(
            lang=message.locale.replace("_", "-"),
            subject=message.subject,
            paragraphs=paragraphs,
            screen_url=message.screen_url,
            operator=operator,
            identity=identity,
        )
    return text, html


def _compose(message: ServiceEmail, cfg, attached=None) -> EmailMessage:
    """The message as mail clients and spam filters expect an automatic one (RFC 5322
    Date, RFC 3834 Auto-Submitted, its language, replies to support)."""
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Reply-To"] = cfg["OPERATOR"]["support_email"]
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = f"<service-email-{message.id}@{cfg['MAIL_FROM'].split('@')[-1]}>"
    email["Auto-Submitted"] = "auto-generated"
    text, html = _parts(message, cfg)
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    if attached is not None:
        filename, mimetype, data = attached
        maintype, subtype = mimetype.split("/", 1)
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # After the parts are made: set_content and add_attachment move Content-* headers.
    email["Content-Language"] = message.locale.replace("_", "-")
    return email
