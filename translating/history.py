"""Each save of an entry in the audit trail: who, when, the translation before and after."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from extensions import db
from telephony import audit
from telephony.models import AuditEvent
from translating.catalogs import Entry, Saved

ACTION = "translation.saved"
TARGET = "translation"
#: The history shown beside an entry (the audit trail keeps every save).
SHOWN = 20


def target_id(locale: str, entry: Entry) -> int:
    """A number for the entry in this locale (31 bits: an SQL integer); the history query
    compares the locale and the key too, so a shared number never mixes two entries."""
    digest = hashlib.sha256(f"{locale}\x04{entry.key}".encode()).hexdigest()
    return int(digest[:7], 16)


def _details(locale: str, entry: Entry) -> dict:
    return {
        "locale": locale,
        "key": entry.key,
        "context": entry.context or "",
        "source": entry.sources[0],
        "translation": list(entry.strings) if entry.plural else entry.strings[0],
    }


def record(actor, locale: str, saved: Saved) -> AuditEvent:
    """Add the save to the current transaction (the view commits)."""
    return audit.record(
        ACTION,
        account=None,
        actor=actor,
        target_type=TARGET,
        target_id=target_id(locale, saved.after),
        before=_details(locale, saved.before),
        after=_details(locale, saved.after),
    )


def of_entry(locale: str, entry: Entry) -> list[AuditEvent]:
    """The entry's last saves, newest first, with who made them."""
    from sqlalchemy.orm import joinedload

    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.action == ACTION,
            AuditEvent.target_type == TARGET,
            AuditEvent.target_id == target_id(locale, entry),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(SHOWN)
    ).all()
    return [
        e
        for e in events
        if (e.after or {}).get("locale") == locale and (e.after or {}).get("key") == entry.key
    ]


def keys_changed_since(locale: str, since) -> set[str]:
    """The entries of `locale` saved in the workspace since `since` (a datetime)."""
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == ACTION,
            AuditEvent.target_type == TARGET,
            AuditEvent.at >= since,
        )
    )
    return {
        (e.after or {}).get("key", "") for e in events if (e.after or {}).get("locale") == locale
    }


def record_merge(actor, locale: str, merged) -> None:
    """An upload: one audit event per entry it changed."""
    for saved in merged.changed:
        record(actor, locale, saved)
