"""Users and accounts: authentication and identifiers."""

from __future__ import annotations

import re
import secrets
import string

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from telephony.models import User

ACCOUNT_CODE = re.compile(r"^[a-z]{2}\d{5}-[a-z]$")
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Takes the same time whether the
    e-mail exists or not (a hash is always checked)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def new_account_code(rng: secrets.SystemRandom | None = None) -> str:
    """An identifier like `ab12345-x` (two letters, five digits, dash, one letter)."""
    rng = rng or secrets.SystemRandom()
    letters = string.ascii_lowercase
    return (
        "".join(rng.choice(letters) for _ in range(2))
        + "".join(rng.choice(string.digits) for _ in range(5))
        + "-"
        + rng.choice(letters)
    )


def end_sessions(user: User) -> None:
    """Every session of `user` ends at its next request (caller's transaction): "Sign out
    everywhere", a new password, a removal. Sessions remember the epoch they began in."""
    user.session_epoch = (user.session_epoch or 0) + 1


def change_password(user: User, password: str) -> None:
    """A new password ends every session of the user (caller's transaction)."""
    user.set_password(password)
    end_sessions(user)


def disable(user: User) -> None:
    """A removed user (e.g. an agent who left) can no longer sign in; their sessions end."""
    user.active = False
    end_sessions(user)
