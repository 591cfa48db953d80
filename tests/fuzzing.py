"""Hostile input for every form: the payloads, the forms a page holds, and sending one."""

from __future__ import annotations

import re

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
