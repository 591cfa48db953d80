"""Text messages to customers' mobiles (a rejected port order), through a durable queue.

`queue_sms` adds a message in the caller's transaction; `send_queued` (`flask sms send`,
from any machine, as often as wanted) claims each due message with a conditional UPDATE
and a lease, sends it through the provider `SMS_PROVIDER` names, and records the outcome;
a failure is tried again later, up to MAX_ATTEMPTS.

Providers: `sandbox` (the default: the message is recorded as sent, nothing leaves; what
tests and the demo read) and `http`, a JSON API (`SMS_API_URL`, `SMS_API_TOKEN`,
`SMS_SENDER`): POST {"to", "from", "text", "reference"}, answered 2xx with {"id"}.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from extensions import db, rows_changed
from telephony.models import Account, EmailStatus, SmsMessage, utcnow

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
LENGTH = 480


class SmsError(RuntimeError):
    """The provider did not take the message."""


class SandboxSms:
    name = "sandbox"

    def send(self, message: SmsMessage, cfg) -> str:
        return f"sandbox-{message.id}"


class HttpSms:
    """A provider's JSON API over HTTPS."""

    name = "http"

    def send(self, message: SmsMessage, cfg) -> str:
        url = cfg.get("SMS_API_URL")
        if not url:
            raise SmsError("SMS_API_URL is not set")
        payload = json.dumps(
            {
                "to": message.to_number,
                "from": cfg.get("SMS_SENDER", ""),
                "text": message.body,
                "reference": f"sms-{message.id}",  # the provider drops a copy it has
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's configured URL
            url,
            data=payload,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {cfg.get('SMS_API_TOKEN', '')}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise SmsError(str(error)) from error
        return str(answer.get("id", ""))[:100]


PROVIDERS: dict[str, SandboxSms | HttpSms] = {"sandbox": SandboxSms(), "http": HttpSms()}


def queue_sms(account: Account, to_number: str, body: str) -> SmsMessage:
    message = SmsMessage(account_id=account.id, to_number=to_number, body=body[:LENGTH])
    db.session.add(message)
    return message


def _due(now):
    return SmsMessage.status.in_([EmailStatus.QUEUED, EmailStatus.SENDING]) & (
        SmsMessage.next_attempt_at <= now
    )


def _claim(message_id: int) -> bool:
    now = utcnow()
    claimed = rows_changed(
        update(SmsMessage)
        .where(SmsMessage.id == message_id, _due(now))
        .values(
            status=EmailStatus.SENDING,
            attempts=SmsMessage.attempts + 1,
            next_attempt_at=now + LEASE,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed == 1


def send_queued(limit: int = 100) -> tuple[int, int]:
    """Send the due messages. Returns (sent, failed)."""
    cfg = current_app.config
    provider = PROVIDERS[cfg.get("SMS_PROVIDER", "sandbox")]
    ids = db.session.scalars(
        select(SmsMessage.id).where(_due(utcnow())).order_by(SmsMessage.id).limit(limit)
    ).all()
    sent = failed = 0
    for message_id in ids:
        if not _claim(message_id):
            continue  # another sender has it
        message = db.session.get_one(SmsMessage, message_id)  # (just claimed)
        try:
            reference = provider.send(message, cfg)
        except SmsError as error:
            message.last_error = str(error)[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = EmailStatus.FAILED
            else:
                message.status = EmailStatus.QUEUED
                message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
            failed += 1
        else:
            message.status, message.sent_at = EmailStatus.SENT, utcnow()
            message.provider_reference = reference
            sent += 1
        db.session.commit()
    return sent, failed


def recent(account: Account, limit: int = 10) -> list[SmsMessage]:
    """The account's latest text messages (agents see them in the console)."""
    return list(
        db.session.scalars(
            select(SmsMessage)
            .where(SmsMessage.account_id == account.id)
            .order_by(SmsMessage.id.desc())
            .limit(limit)
        )
    )
