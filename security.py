"""Security headers (set in one place for every response) and role checks."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from telephony.models import Role

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Pico CSS draws its icons with data: SVG images.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def set_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def roles_required(*roles: Role):
    """Signed in with one of `roles`, else 403 (401 → sign-in page when signed out)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


customer_required = roles_required(Role.CUSTOMER)
#: The customer's pages: the customer, or an agent acting for them (see blueprints.common).
account_required = roles_required(Role.CUSTOMER, Role.AGENT, Role.ADMIN)
agent_required = roles_required(Role.AGENT, Role.ADMIN)
translator_required = roles_required(Role.TRANSLATOR, Role.ADMIN)
