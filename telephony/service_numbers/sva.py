"""French toll-free numbers (SVA, 0800 to 0805): what the law asks of their holder. Each
has a public reverse-directory entry (who publishes the service, what the service is, its
category and its tariff for the caller), one number per service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telephony import InvalidForm
from telephony.models import NumberType, ServiceNumber

#: The categories of the reverse directory (codes; labels.SVA_CATEGORIES says them).
CATEGORIES = ("customer_service", "after_sales", "information", "booking", "public_service")
#: 0800 to 0805: free for the caller (the tariff the directory shows).
TARIFF = "free"
LENGTH = 120


def needs_entry(number: ServiceNumber) -> bool:
    return number.number_type == NumberType.TOLL_FREE and number.number.startswith("+338")


def check(entry: dict) -> dict:
    """The entry, cleaned; each missing part refused beside its field."""
    cleaned = {key: " ".join(str(entry.get(key) or "").split()) for key in ("publisher", "service")}
    cleaned["category"] = str(entry.get("category") or "")
    errors: dict[str, object] = {}
    for key, message in (
        ("publisher", _l("Say who publishes the service (your company's name).")),
        ("service", _l("Say what the service is, as callers will read it.")),
    ):
        if not cleaned[key]:
            errors[key] = message
        elif len(cleaned[key]) > LENGTH:
            errors[key] = _l("Write at most %(max)d characters.", max=LENGTH)
    if cleaned["category"] not in CATEGORIES:
        errors["category"] = _l("Choose the category of the service.")
    if errors:
        raise InvalidForm(errors)
    return {**cleaned, "tariff": TARIFF}
