"""Security headers (set in one place for every response) and role checks."""

from __future__ import annotations

import hashlib
from functools import lru_cache, wraps
from io import BytesIO
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    request,
    send_file,
)
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
    """after_request: the headers of HEADERS that the view did not set itself.

    Which are there is read once: `Headers.setdefault` finds a name missing by raising and
    catching an exception (a werkzeug HTTP exception, costly to make), seven a response."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if "cache-control" not in present:
        # Pages, PDFs, CSV and ZIP exports are a customer's own: no cache keeps them unless
        # the view says otherwise (public pages, static files).
        headers.add("Cache-Control", "no-store")
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains")
    return response


def session_identifier() -> str:
    """Flask-Login's session identifier (flask_login.utils._create_identifier): the same
    digest of the client's address and User-Agent, kept per pair."""
    from flask_login.utils import _get_remote_addr

    agent = request.headers.get("User-Agent")
    return _identifier_of(_get_remote_addr(), agent.encode() if agent is not None else None)


@lru_cache(maxsize=4096)
def _identifier_of(address: bytes | None, user_agent: bytes | None) -> str:
    return hashlib.sha512(f"{address!r}|{user_agent!r}".encode()).hexdigest()


def refuse_nul():
    """before_request: a path or query string carrying NUL (which no link of the site makes,
    and which PostgreSQL refuses in text) is a bad request. Forms say it beside the field
    instead (blueprints.forms.BaseForm)."""
    # (A query's NUL is written %00, or sent as it is: found without decoding the query.)
    query = request.query_string
    if "\x00" in request.path or b"\x00" in query or b"%00" in query:
        abort(400)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def sees_full_bank_details(user) -> bool:
    """The one decision on bank details: the customer sees their own IBAN in full; agents
    (and anyone else) see it masked to its last four characters, on pages and in PDFs."""
    return user.is_authenticated and user.role == Role.CUSTOMER


def send_document(data: bytes, filename: str, mimetype: str = "application/pdf"):
    """A document to download: attachment with its name (RFC 6266, any characters), never
    kept by a cache (it holds personal data)."""
    response = send_file(
        BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def safe_local_target(target: str | None, prefix: str = "/") -> str | None:
    """`target` when it is a path of this site under `prefix` that is safe to redirect to,
    else None: no scheme or host, no `//` or backslash, no control character (a line
    break in a Location header would split the response)."""
    if not target or len(target) > 2000 or not target.startswith(prefix):
        return None
    if not target.startswith("/") or "//" in target or "\\" in target:
        return None
    if _has_control(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


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
_ACCOUNT_ROLES = (Role.CUSTOMER, Role.AGENT, Role.ADMIN)


def account_required(view):
    """The customer's pages: the customer, or an agent acting for them (see
    blueprints.common); or, to read only, a translator previewing a demo account."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        role = current_user._get_current_object().role  # (each read through the proxy costs)
        if role == Role.TRANSLATOR:
            import acting

            if request.method not in ("GET", "HEAD") or acting.preview_account() is None:
                abort(403)
        elif role not in _ACCOUNT_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


agent_required = roles_required(Role.AGENT, Role.ADMIN)
translator_required = roles_required(Role.TRANSLATOR, Role.ADMIN)


#: Roles whose session ends after AGENT_IDLE_TIMEOUT seconds without a request (idle.py).
STAFF = (Role.AGENT, Role.ADMIN)
