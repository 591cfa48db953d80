"""Jinja filters: money and dates always go through Babel, in the request's locale."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from flask import request, url_for
from flask_babel import format_currency, format_date, format_datetime, format_percent


def money(amount, currency: str) -> str:
    return format_currency(amount, currency)


def day(value: date | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def moment(value: datetime | None, fmt: str = "medium") -> str:
    return format_datetime(value, fmt) if value else ""


def percent(value) -> str:
    return format_percent(value, "#,##0.#%")


def phone(e164: str | None) -> str:
    """+33972100001 → "+33 9 72 10 00 01" (as typed when it does not parse)."""
    from telephony.directory import international

    return international(e164)


def page_url(endpoint: str, arg: str, number: int) -> str:
    """The current page's URL (path values and every query value kept) at page `number`."""
    args = request.args.to_dict(flat=False)
    args[arg] = [str(number)]
    return url_for(endpoint, **(request.view_args or {}), **args)


def static_url(filename: str) -> str:
    """`url_for("static", filename=...)`, built once per file (the layout asks on every page)."""
    return _static_url(request.script_root, filename)


@lru_cache(maxsize=64)
def _static_url(_root: str, filename: str) -> str:
    return url_for("static", filename=filename)


def datetime_attr(value) -> str:
    """A moment as HTML's datetime attribute takes it: ISO 8601 to the second (HTML allows
    at most three digits of a second's fraction; Python writes six)."""
    return value.replace(microsecond=0).isoformat()


def control_id(field) -> str:
    """The id of the control an error summary links to: the field's own input, or for a
    group of radios or checkboxes, its first option's (a fieldset takes no focus). Templates
    that draw the options themselves give them the same ids: "<field id>-<index>"."""
    from wtforms.widgets import CheckboxInput, RadioInput

    if isinstance(getattr(field, "option_widget", None), (RadioInput, CheckboxInput)):
        return f"{field.id}-0"
    return field.id


def screen_url(endpoint: str, **values) -> str:
    """The absolute address of a page of the site, built from SITE_URL: it works outside a
    request too (a service e-mail queued by the renewal run). Empty without SITE_URL."""
    from urllib.parse import urlsplit

    from flask import current_app

    base = current_app.config.get("SITE_URL") or ""
    if not base:
        return ""
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def register_filters(app) -> None:
    from labels import label_helpers

    app.jinja_env.filters.update(
        money=money,
        day=day,
        moment=moment,
        percent=percent,
        phone=phone,
        control_id=control_id,
        datetime_attr=datetime_attr,
    )
    app.jinja_env.globals.update(
        label_helpers(), page_url=page_url, static_url=static_url, screen_url=screen_url
    )
    # Templates compare with the enums, never with their strings.
    from telephony.models import InvoiceStatus, TaskStatus

    app.jinja_env.globals.update(TaskStatus=TaskStatus, InvoiceStatus=InvoiceStatus)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
