"""Finding accounts (support agents): by account id, name, e-mail, or any phone number.

A phone number may be typed in any form (`+33 1 23 45 67 89`, `0123456789`,
`0033123456789`, `01.23.45.67.89`). It is normalised to E.164 with phonenumbers, the form
numbers are stored in; a national form is read in each of the operator's countries and
only matches accounts of that country. The lookup then uses the index on `number`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import CountryCodeSource
from sqlalchemy import ColumnElement, and_, exists, false, func, null, or_, select, true, union

from extensions import db
from telephony.models import (
    Account,
    AliasNumber,
    Country,
    InventoryState,
    Line,
    LineStatus,
    PortNumber,
    PortOrder,
    ProcedureStatus,
    ScheduledTask,
    ServiceNumber,
    TaskStatus,
    User,
    ValidationProcedure,
)
from telephony.paging import Page, paginate
from telephony.text import fold_name

MAX_QUERY = 200
#: Digits (and the signs people put between them) and nothing else: a phone number.
PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")


@dataclass(frozen=True)
class PhoneCandidate:
    e164: str
    #: The country whose national form was typed; None when the number was international.
    country: Country | None


@lru_cache(maxsize=65536)  # a page shows dozens of numbers, and the same on every visit
def international(e164: str | None) -> str:
    """+33972100001 → "+33 9 72 10 00 01": how people read a number (as given when it
    does not parse)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_candidates(text: str) -> list[PhoneCandidate]:
    """The E.164 numbers `text` may stand for; [] when it is not a phone number."""
    text = text.strip()
    if not PHONE_CHARS.match(text) or not 6 <= sum(ch.isdigit() for ch in text) <= 17:
        return []
    found: dict[tuple[str, Country | None], PhoneCandidate] = {}
    for country in Country:
        try:
            parsed = phonenumbers.parse(text, country.value, keep_raw_input=True)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_possible_number(parsed):
            continue
        national = parsed.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        candidate = PhoneCandidate(e164, country if national else None)
        found[(candidate.e164, candidate.country)] = candidate
    return list(found.values())


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _Porting:
    """The numbers of open port orders, with their order's account (as a model's columns)."""

    _rows = (
        select(PortOrder.account_id.label("account_id"), PortNumber.number.label("number"))
        .join(PortOrder, PortOrder.id == PortNumber.order_id)
        .where(PortNumber.active)
        .subquery("porting")
    )
    account_id = _rows.c.account_id
    number = _rows.c.number


#: Where an account's numbers are: its lines and alias numbers in use (an ended one goes
#: back to the operator, then to someone else: the caller is not that account's), the
#: service numbers it holds (acquired or ported in) and the numbers it is porting in (a
#: caller quotes the number they are bringing), each with what the result says of it.
NUMBER_KINDS = (
    (Line, "line", Line.description, Line.status != LineStatus.TERMINATED),
    (
        AliasNumber,
        "alias_number",
        AliasNumber.description,
        AliasNumber.status != LineStatus.TERMINATED,
    ),
    (
        ServiceNumber,
        "service_number",
        null().label("description"),
        ServiceNumber.state == InventoryState.TAKEN,
    ),
    (_Porting, "port_number", null().label("description"), true()),
)


def _number_matches(model, candidates: list[PhoneCandidate]) -> ColumnElement[bool]:
    """The number is a candidate (a national form: of an account of that country)."""
    return or_(
        *(
            model.number == c.e164
            if c.country is None
            else and_(model.number == c.e164, Account.country == c.country)
            for c in candidates
        )
    )


def _accounts_with_numbers(candidates: list[PhoneCandidate]):
    """A subquery of the ids of accounts that have one of the candidate numbers."""
    return union(
        *(
            select(model.account_id)
            .join(Account, Account.id == model.account_id)
            .where(_number_matches(model, candidates), held)
            for model, _kind, _description, held in NUMBER_KINDS
        )
    ).subquery()


def search_accounts(query: str, number: int, size: int) -> Page:
    """Accounts whose id, name, billing contact's name (both without accents), billing
    e-mail or a user's e-mail contains `query`, or that have the phone number `query`
    stands for."""
    text = " ".join((query or "").split())[:MAX_QUERY].lower().strip(" ,;.")
    stmt = select(Account).order_by(Account.code)
    if text:
        candidates = phone_candidates(text)
        by_number: ColumnElement[bool] = false()
        if candidates:
            numbers = _accounts_with_numbers(candidates)
            by_number = Account.id.in_(select(numbers.c[0]))
        # Each word somewhere (the name's words in any order, "&" left out, a code written
        # with spaces or without its dash), or the whole query as it was typed.
        words = [_word_matches(word) for word in text.split() if _compact(word)]
        stmt = stmt.where(or_(_word_matches(text), and_(*words) if words else false(), by_number))
    return paginate(stmt, number, size)


def _compact(text: str) -> str:
    """Letters and digits only: how an account code is compared ("VT 10001 F", "vt10001f")."""
    return "".join(ch for ch in fold_name(text) if ch.isalnum())


def _word_matches(word: str) -> ColumnElement[bool]:
    pattern = _like_pattern(word)
    compact = _compact(word)
    return or_(
        func.replace(func.lower(Account.code), "-", "").like(
            _like_pattern(compact or word), escape="\\"
        ),
        Account.search_name.like(_like_pattern(fold_name(word)), escape="\\"),
        func.lower(Account.billing_email).like(pattern, escape="\\"),
        exists().where(
            User.account_id == Account.id,
            func.lower(User.email).like(pattern, escape="\\"),
        ),
    )


@dataclass(frozen=True)
class NumberMatch:
    """A line or alias number that a phone search matched, to say why an account is found."""

    kind: str  # "line", "alias_number" or "service_number"
    number: str
    description: str | None


def matched_numbers(query: str, account_ids: list[int]) -> dict[int, list[NumberMatch]]:
    """For a page of results of a phone search: which of each account's lines and numbers
    the query matched (one query per kind of number, whatever the page's size); {} for
    other searches."""
    text = " ".join((query or "").split())[:MAX_QUERY]
    candidates = phone_candidates(text)
    if not candidates or not account_ids:
        return {}
    found: dict[int, list[NumberMatch]] = {}
    for model, kind, described, held in NUMBER_KINDS:
        rows = db.session.execute(
            select(model.account_id, model.number, described)
            .join(Account, Account.id == model.account_id)
            .where(model.account_id.in_(account_ids), _number_matches(model, candidates), held)
            .order_by(model.number)
        )
        for account_id, number, description in rows:
            if account_id is not None:  # (a service number held by no account is not matched)
                found.setdefault(account_id, []).append(NumberMatch(kind, number, description))
    return found


def open_requests(account_ids: list[int]) -> dict[int, int]:
    """Pending scheduled changes per account, for a page of results (one query)."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        select(ScheduledTask.account_id, func.count())
        .where(
            ScheduledTask.account_id.in_(account_ids),
            ScheduledTask.status.in_((TaskStatus.TODO, TaskStatus.DOING)),
        )
        .group_by(ScheduledTask.account_id)
    )
    return {account_id: count for account_id, count in rows}


def procedure_statuses(account_ids: list[int]) -> dict[int, ProcedureStatus]:
    """The status of each account's latest validation procedure (one query for a page)."""
    if not account_ids:
        return {}
    latest = (
        select(func.max(ValidationProcedure.id))
        .where(ValidationProcedure.account_id.in_(account_ids))
        .group_by(ValidationProcedure.account_id)
    )
    rows = db.session.execute(
        select(ValidationProcedure.account_id, ValidationProcedure.status).where(
            ValidationProcedure.id.in_(latest)
        )
    )
    return {account_id: status for account_id, status in rows}
