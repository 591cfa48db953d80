"""Hostile input for every form: the payloads, the forms a page holds, and sending one."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

PAYLOADS = [
    "",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: x=1",
    "x" * 10_000,
    "😀" * 60,
    "\u202eRTL\u202c עברית مرحبا",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "<script>alert(1)</script>",
    "'; DROP TABLE account; --",
    "../../config.py",
    "²",
    "١٢",
]


def forms_of(html: str):
    """(method, action, field names) of each form of a page."""
    for attrs, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S):
        method = (re.search(r'method="(\w+)"', attrs) or ["", "get"])[1].lower()
        action = re.search(r'action="([^"]*)"', attrs)
        names = set(re.findall(r'<(?:input|select|textarea)\b[^>]*name="([^"]+)"', body))
        yield method, (action[1] if action else ""), names - {"csrf_token"}


def send(client, method, action, data):
    if method == "post":
        return client.post(action, data=data)
    return client.get(action, query_string=data)


#: A few payloads sent to one field at a time, the form's other fields as the page filled
#: them: what reaches the code behind a field that an all-bad form never gets past.
ONE_FIELD_PAYLOADS = ["", "\x00", "x" * 10_000, "-1", "99999999999999999999999", "²", "١٢"]


def _attributes(tag: str) -> dict[str, str]:
    return {
        name.lower(): html.unescape(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag)
    }


def filled_forms(page: str):
    """(method, action, fields) of each form of a page, each field as the page filled it:
    hidden and text inputs their value, checked boxes and radios theirs, selects their
    selected (else first) option, textareas their text. A field given several values (a
    list of checkboxes) keeps the list. Fields outside the form that name it (`form="…"`,
    a table's checkboxes) are its own. A choice the page leaves open is made, as a person
    filling the form would: every box of a group ticked, the first of a set of radios."""
    for attrs, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.S):
        form = _attributes(attrs)
        owned = ""
        if form.get("id"):  # the page's fields that belong to this form from elsewhere
            owned = "".join(
                re.findall(
                    rf'<(?:input|select|textarea)\b[^>]*\bform="{re.escape(form["id"])}"'
                    r"[^>]*>(?:[^<]*(?:<option\b[^>]*>[^<]*)*</(?:select|textarea)>)?",
                    page,
                )
            )
        yield form.get("method", "get").lower(), form.get("action", ""), _fields(body + owned)


def _fields(body: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    unchecked: dict[str, list[str]] = {}
    for tag in re.findall(r"<input\b[^>]*>", body):
        field = _attributes(tag)
        name, kind = field.get("name"), field.get("type", "text").lower()
        if not name or kind in ("submit", "button", "image", "file", "reset"):
            continue
        value = field.get("value", "on")
        if kind in ("checkbox", "radio") and not re.search(r"\schecked\b", tag):
            unchecked.setdefault(name, []).append(value if kind == "checkbox" else "")
            if kind == "radio" and len(unchecked[name]) == 1:
                unchecked[name][0] = value
            continue
        fields.setdefault(name, []).append(value)
    for name, values in unchecked.items():
        if not fields.get(name):
            fields[name] = [v for v in values if v]
    for tag, options in re.findall(r"(<select\b[^>]*>)(.*?)</select>", body, re.S):
        name = _attributes(tag).get("name")
        values = re.findall(r"<option\b([^>]*)>", options)
        chosen = [v for v in values if re.search(r"\sselected\b", v)] or values[:1]
        if name:
            fields[name] = [_attributes(v).get("value", "") for v in chosen]
    for tag, text in re.findall(r"(<textarea\b[^>]*>)(.*?)</textarea>", body, re.S):
        name = _attributes(tag).get("name")
        if name:
            fields[name] = [html.unescape(text)]
    return fields


#: Links a crawl does not follow: they end the visit, download a file or change the language.
_NOT_FOLLOWED = re.compile(
    r"logout|/stop|\.(pdf|csv|zip|xml)\b|[?&]lang=|/assets/|/static/|mailto:"
)


def links_of(page: str) -> list[str]:
    """The site's own pages a page links to (paths with their query strings)."""
    found = []
    for href in re.findall(r'<a\b[^>]*href="([^"]+)"', page):
        href = html.unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if not _NOT_FOLLOWED.search(href):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def shape(app, path: str) -> str:
    """A page's kind: the view that answers its path (any ids or slugs), and the names of
    its query string."""
    parts = urlsplit(path)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method="GET")
    except Exception:  # noqa: BLE001 - not a page (a redirect, a POST-only address, 404)
        endpoint = re.sub(r"\d+", "{id}", parts.path)
    names = sorted({name for name, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return str(endpoint) + ("?" + "&".join(names) if names else "")


def crawl(client, start: list[str], limit: int = 80) -> dict[str, str]:
    """The pages reachable from `start` through links, one of each kind (`shape`), at most
    `limit` (a crawl that reaches it fails: raise the limit): path → HTML."""
    pages: dict[str, str] = {}
    seen_shapes: set[str] = set()
    queue = list(start)
    while queue and len(pages) < limit:
        path = queue.pop(0)
        kind = shape(client.application, path)
        if kind in seen_shapes:
            continue
        seen_shapes.add(kind)
        reply = client.get(path)
        if reply.status_code != 200 or "text/html" not in reply.content_type:
            continue
        pages[path] = reply.text
        queue.extend(links_of(reply.text))
    unseen = {shape(client.application, path) for path in queue} - seen_shapes
    assert not unseen, f"crawl stopped at {limit} pages: {sorted(unseen)[:5]}…"
    return pages
