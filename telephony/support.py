"""Support agents acting on a customer's behalf: why, since when, and the trail it leaves.

An agent opens a customer's account after stating a reason; from then on the agent uses the
customer's own pages and rules (no bypass). Every page the agent views and every change
made is an audit event naming the agent, the account and the reason.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, union_all, update
from sqlalchemy.orm import QueryableAttribute, selectinload

from extensions import db
from telephony import DomainError, audit
from telephony.models import (
    Account,
    AuditEvent,
    CallNote,
    Role,
    ScheduledTask,
    ServiceEmail,
    TaskStatus,
    User,
    mask_iban,
    utcnow,
)
from telephony.paging import Page

#: The audit action of an agent's page view.
VIEWED = "agent.viewed"

REASON_MIN = 3
#: The same form sent again within this time by the same agent is the same act (a double
#: click): a call note, the start of acting for a customer.
NOTE_REPEAT = timedelta(minutes=2)
REASON_MAX = 300


def clean_reason(text: str | None) -> str:
    """The reason an agent gives: one line, no control characters, 3 to 300 characters."""
    text = "".join(
        " " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text or ""
    )
    text = " ".join(text.split())
    if not text:
        raise DomainError(_l("Say why you act for this customer."), field="reason")
    if len(text) < REASON_MIN:
        raise DomainError(
            _l(
                "Say why you act for this customer, in %(num)d characters at least.", num=REASON_MIN
            ),
            field="reason",
        )
    if len(text) > REASON_MAX:
        raise DomainError(_l("Write at most %(num)d characters.", num=REASON_MAX), field="reason")
    return text


def can_act(user: User) -> bool:
    return user.role in (Role.AGENT, Role.ADMIN)


def start_acting(
    agent: User, account: Account, reason: str | None, *, ending_reason: str = ""
) -> str:
    """Check the reason and record that `agent` acts for `account` (caller's transaction),
    and that acting for any other account ends: an agent acts for one customer at a time,
    on the record too (two tabs' "Act for" at once both started, and only one ended)."""
    if not can_act(agent):
        raise DomainError(_l("Only support agents can act for a customer."))
    reason = clean_reason(reason)
    lock_agent(agent)
    for other in open_acting(agent):
        if other.id != account.id:
            audit.record("agent.acting_stopped", account=other, actor=agent, reason=ending_reason)
    latest = _latest_acting(agent, account)
    repeated = (
        latest is not None
        and latest.action == "agent.acting_started"
        and latest.reason == reason
        and _aware(latest.at) >= utcnow() - NOTE_REPEAT
    )
    if not repeated:  # the same form sent twice (under the account's lock) is recorded once
        audit.record("agent.acting_started", account=account, actor=agent, reason=reason)
    agent.acting_for_id = account.id
    return reason


def stop_acting(agent: User, reason: str = "") -> list[Account]:
    """Record that `agent` acts for no one now (whatever a session says: the record is
    what counts). The accounts it was acting for."""
    lock_agent(agent)
    ended = open_acting(agent)
    for account in ended:
        audit.record("agent.acting_stopped", account=account, actor=agent, reason=reason)
    agent.acting_for_id = None
    return ended


def lock_agent(agent: User) -> None:
    """Hold the agent's row until the transaction ends: one change of whom an agent acts
    for at a time (telephony.locking does the same for accounts)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == agent.id).with_for_update(key_share=True))
    else:
        session.execute(
            update(User)
            .where(User.id == agent.id)
            .values(id=User.id)
            .execution_options(synchronize_session=False)
        )


def open_acting(agent: User) -> list[Account]:
    """The accounts whose last acting event by `agent` is a start."""
    last = (
        select(func.max(AuditEvent.id))
        .where(
            AuditEvent.actor_id == agent.id,
            AuditEvent.action.in_(("agent.acting_started", "agent.acting_stopped")),
        )
        .group_by(AuditEvent.account_id)
    )
    return list(
        db.session.scalars(
            select(Account)
            .join(AuditEvent, AuditEvent.account_id == Account.id)
            .where(AuditEvent.id.in_(last), AuditEvent.action == "agent.acting_started")
            .order_by(Account.id)
        )
    )


def _latest_acting(agent: User, account: Account) -> AuditEvent | None:
    """The agent's last start or end of acting for the account."""
    return db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.account_id == account.id,
            AuditEvent.actor_id == agent.id,
            AuditEvent.action.in_(("agent.acting_started", "agent.acting_stopped")),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_view(agent: User, account: Account, path: str, reason: str = "") -> None:
    """An agent saw a page of the account: that, too, is on the record."""
    audit.record(
        VIEWED,
        account=account,
        actor=agent,
        target_type="page",
        after={"path": path[:300]},
        reason=reason,
    )


#: A view of the same page by the same agent within this time is not recorded again, for a
#: block the page polls on its own.
VIEW_REPEAT = timedelta(minutes=1)


def viewed_lately(agent: User, account: Account, path: str) -> bool:
    """Whether the agent's view of this page of the account is on record from the last
    minute."""
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.account_id == account.id,
                AuditEvent.actor_id == agent.id,
                AuditEvent.action == VIEWED,
                AuditEvent.at >= utcnow() - VIEW_REPEAT,
                AuditEvent.after["path"].as_string() == path[:300],
            )
            .limit(1)
        )
        is not None
    )


def for_agents(details: dict[str, Any] | None) -> dict[str, Any]:
    """An audit event's before/after as agents may read it: IBANs masked."""
    return {
        key: mask_iban(str(value)) if "iban" in key.lower() else value
        for key, value in (details or {}).items()
    }


# --- Call notes --------------------------------------------------------------------------

NOTE_MAX = 1000


def clean_note(text: str | None) -> str:
    """A call note: up to 1,000 characters, control characters removed, lines kept."""
    text = "".join(
        ch for ch in (text or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    ).strip()
    if not text:
        raise DomainError(_l("Write what the call was about."), field="body")
    if len(text) > NOTE_MAX:
        raise DomainError(_l("Write at most %(num)d characters.", num=NOTE_MAX), field="body")
    return text


def add_note(agent: User, account: Account, body: str | None) -> CallNote:
    """Add a call note (caller's transaction, holding the account's lock: the same text sent
    twice by its author within NOTE_REPEAT is one note)."""
    if not can_act(agent):
        raise DomainError(_l("Only support agents can act for a customer."))
    body = clean_note(body)
    repeated = db.session.scalar(
        select(CallNote).where(
            CallNote.account_id == account.id,
            CallNote.author_id == agent.id,
            CallNote.body == body,
            CallNote.created_at >= utcnow() - NOTE_REPEAT,
        )
    )
    if repeated is not None:
        return repeated
    note = CallNote(account_id=account.id, author_id=agent.id, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record(
        "agent.note_added", account=account, actor=agent, target_type="call_note", target_id=note.id
    )
    return note


def edit_note(agent: User, note: CallNote, body: str | None) -> CallNote:
    """Only the note's author may correct it; the audit keeps the earlier text."""
    if note.author_id != agent.id:
        raise PermissionError("not the author of this note")
    before = note.body
    if clean_note(body) == before:
        return note  # nothing changes (e.g. the same correction sent twice)
    note.body = clean_note(body)
    note.updated_at = utcnow()
    audit.record(
        "agent.note_edited",
        account=db.session.get_one(Account, note.account_id),
        actor=agent,
        target_type="call_note",
        target_id=note.id,
        before={"body": before},
        after={"body": note.body},
    )
    return note


# --- Timeline ----------------------------------------------------------------------------

#: The kinds of entries of an account's timeline, in the order the filter shows them.
TIMELINE_KINDS = ("change", "view", "email", "task", "note")
#: What the timeline shows unless asked: page views (one per page an agent opens) would
#: bury the changes, so they are folded away until the agent ticks them.
DEFAULT_TIMELINE_KINDS = tuple(kind for kind in TIMELINE_KINDS if kind != "view")


#: The models whose rows the timeline shows.
_TimelineModel = type[AuditEvent] | type[ServiceEmail] | type[ScheduledTask] | type[CallNote]


@dataclass
class TimelineEntry:
    kind: str
    at: datetime
    item: Any


def timeline(account: Account, kinds: set[str] | None, number: int, size: int) -> Page:
    """Audit events, service e-mails, pending tasks and call notes of `account`, newest
    first, paged in SQL: one UNION for the page's keys, then one query per kind shown."""
    kinds = set(kinds or TIMELINE_KINDS) & set(TIMELINE_KINDS) or set(TIMELINE_KINDS)
    parts = []

    def key(kind: str, model, at):
        return select(literal(kind).label("kind"), model.id.label("id"), at.label("at"))

    if "change" in kinds:
        parts.append(
            key("change", AuditEvent, AuditEvent.at).where(
                AuditEvent.account_id == account.id, AuditEvent.action != VIEWED
            )
        )
    if "view" in kinds:
        parts.append(
            key("view", AuditEvent, AuditEvent.at).where(
                AuditEvent.account_id == account.id, AuditEvent.action == VIEWED
            )
        )
    if "email" in kinds:
        parts.append(
            key("email", ServiceEmail, ServiceEmail.created_at).where(
                ServiceEmail.account_id == account.id
            )
        )
    if "task" in kinds:
        parts.append(
            key("task", ScheduledTask, ScheduledTask.created_at).where(
                ScheduledTask.account_id == account.id,
                ScheduledTask.status.in_((TaskStatus.TODO, TaskStatus.DOING)),
            )
        )
    if "note" in kinds:
        parts.append(
            key("note", CallNote, CallNote.created_at).where(CallNote.account_id == account.id)
        )
    keys = union_all(*parts).subquery()
    total = db.session.execute(select(func.count()).select_from(keys)).scalar_one()
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = db.session.execute(
        select(keys.c.kind, keys.c.id)
        .order_by(keys.c.at.desc(), keys.c.kind, keys.c.id.desc())
        .limit(size)
        .offset((number - 1) * size)
    ).all()
    wanted: dict[_TimelineModel, list[int]] = {}
    for kind, id_ in rows:
        wanted.setdefault(_TIMELINE_MODELS[kind][0], []).append(id_)
    loaded: dict[tuple[_TimelineModel, int], Any] = {}
    for model, ids in wanted.items():
        options = [selectinload(rel) for rel in _TIMELINE_PEOPLE.get(model, ())]
        query = select(model.id, model).where(model.id.in_(ids)).options(*options)
        for item_id, item in db.session.execute(query):
            loaded[(model, item_id)] = item
    items = []
    for kind, id_ in rows:
        model, when = _TIMELINE_MODELS[kind]
        item = loaded[(model, id_)]
        items.append(TimelineEntry(kind, getattr(item, when), item))
    return Page(items, total, number, size)


#: Timeline kind → (model, its date attribute).
_TIMELINE_MODELS: dict[str, tuple[_TimelineModel, str]] = {
    "change": (AuditEvent, "at"),
    "view": (AuditEvent, "at"),
    "email": (ServiceEmail, "created_at"),
    "task": (ScheduledTask, "created_at"),
    "note": (CallNote, "created_at"),
}
#: The people shown with each entry, loaded with the page.
_TIMELINE_PEOPLE: dict[_TimelineModel, tuple[QueryableAttribute[Any], ...]] = {
    AuditEvent: (AuditEvent.actor,),
    ScheduledTask: (ScheduledTask.created_by,),
    CallNote: (CallNote.author,),
}
