"""Helpers shared by the customer-facing blueprints."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from telephony.models import Account, Role


def current_account() -> Account:
    """The account the request acts on: the signed-in customer's own.

    (Agents acting on a customer's behalf will plug in here.)"""
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role == Role.CUSTOMER and current_user.account is not None:
        return current_user.account
    abort(403)


def page_arg(name: str = "page") -> int:
    """A page number from the query string; anything odd means page 1."""
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1
