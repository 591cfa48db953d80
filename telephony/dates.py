"""Dates of effect. Requests are dated in the account's time zone, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """The calendar date in `tz_name` at the instant `now` (default: now)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz_name)).date()


def first_of_next_month(day: date) -> date:
    """1 January → 1 February; 31 January → 1 February; 31 December → 1 January next year."""
    if day.month == 12:
        return date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def first_renewal(day: date, renewal_day: int | None) -> date:
    """The first expiry of a service begun on `day`: the account's renewal day (1 to 28,
    set when it aligned its services) after `day`, or the 1st of the next month. (New
    services expired on the 1st, undoing an account's alignment.)"""
    if not renewal_day:
        return first_of_next_month(day)
    candidate = day.replace(day=renewal_day)
    return candidate if candidate > day else add_months(candidate, 1)


def next_billing_date(tz_name: str, now: datetime | None = None) -> date:
    """When a change requested at `now` takes effect: the 1st of the next month, local time."""
    return first_of_next_month(local_today(tz_name, now))


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
