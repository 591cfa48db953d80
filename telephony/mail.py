"""Service e-mails: rendered in the account's language when queued, sent from an outbox.

Queueing happens inside the transaction of the change it reports, so a rolled-back change
sends nothing. Delivery (`flask mail send`) claims each message before sending, so two
senders never send the same message; a failed send is retried later with a back-off.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from jinja2_fragments import render_block
from sqlalchemy import select, update

from extensions import db
from telephony.models import Account, EmailStatus, ServiceEmail, utcnow

MAX_ATTEMPTS = 8


def render_email(template: str, locale: str, **context) -> tuple[str, str]:
    """Subject and plain-text body of `templates/emails/<template>.txt` in `locale`."""
    name = f"emails/{template}.txt"
    context.setdefault("operator", current_app.config["OPERATOR"])
    env = current_app.jinja_env  # not the request's context processors: no request here
    with force_locale(locale):
        subject = render_block(env, name, "subject", **context)
        body = render_block(env, name, "body", **context)
    return " ".join(subject.split()), body.strip() + "\n"


def queue_email(account: Account, template: str, **context) -> ServiceEmail:
    """Render and queue a service e-mail for `account` (committed with the caller's work)."""
    subject, body = render_email(template, account.language, account=account, **context)
    message = ServiceEmail(
        account_id=account.id,
        template=template,
        locale=account.language,
        to_address=account.billing_email,
        subject=subject,
        body=body,
    )
    db.session.add(message)
    return message


def _claim(message_id: int) -> bool:
    claimed = db.session.execute(
        update(ServiceEmail)
        .where(ServiceEmail.id == message_id, ServiceEmail.status == EmailStatus.QUEUED)
        .values(status=EmailStatus.SENDING, attempts=ServiceEmail.attempts + 1)
    ).rowcount
    db.session.commit()
    return claimed == 1


def send_queued(limit: int = 100) -> tuple[int, int]:
    """Send due messages through SMTP. Returns (sent, failed)."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        raise RuntimeError("SMTP_HOST is not set: nothing can be sent.")
    now = utcnow()
    ids = db.session.scalars(
        select(ServiceEmail.id)
        .where(ServiceEmail.status == EmailStatus.QUEUED, ServiceEmail.next_attempt_at <= now)
        .order_by(ServiceEmail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message_id in ids:
        if not _claim(message_id):
            continue  # another sender has it
        message = db.session.get(ServiceEmail, message_id)
        try:
            _deliver(message, cfg)
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            message.last_error = str(exc)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = EmailStatus.FAILED
            else:
                message.status = EmailStatus.QUEUED
                message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
        else:
            sent += 1
            message.status = EmailStatus.SENT
            message.sent_at = utcnow()
            message.last_error = ""
        db.session.commit()
    return sent, failed


def _deliver(message: ServiceEmail, cfg) -> None:
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<service-email-{message.id}@{cfg['MAIL_FROM'].split('@')[-1]}>"
    email.set_content(message.body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        smtp.send_message(email)
