"""Limits on attempts whose failures are what an attacker is after: a password guessed, a
stolen card tried. Each attempt is counted first, atomically (parallel attempts cannot all
pass a check made before any of them is counted); a success gives its attempt back, so
only failures use the limit. The counters live in Flask-Limiter's storage (Redis, shared by
every machine, when RATELIMIT_STORAGE_URI names it)."""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse_many

from extensions import limiter

Counted = list[tuple[RateLimitItem, str]]


def count(limits: list[tuple[str, str]]) -> Counted | None:
    """Count one attempt under each (limit string, key), e.g. ("10 per minute",
    "login-email:a@b.c"); None when one of them is exceeded (nothing more to try)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):  # (this app's, not the last
        return []  # one the process built: tests build several)
    # The storage may be shared: keys carry the app's prefix, as Flask-Limiter's do.
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    counted = [(item, f"{prefix}{key}") for value, key in limits for item in parse_many(value)]
    allowed = [limiter.limiter.hit(item, key) for item, key in counted]
    return counted if all(allowed) else None


def give_back(counted: Counted) -> None:
    """A success never counts: its attempt is given back."""
    for item, key in counted:
        limiter.limiter.hit(item, key, cost=-1)


def count_card(account_id: int) -> Counted | None:
    """Count a card tried for an account (added or charged), per account and per client
    address; None when a limit is exceeded."""
    from flask import request

    config = current_app.config
    return count(
        [
            (config["CARD_ACCOUNT_RATE_LIMIT"], f"card-account:{account_id}"),
            (config["CARD_RATE_LIMIT"], f"card-address:{request.remote_addr or ''}"),
        ]
    )
