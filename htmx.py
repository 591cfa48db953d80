"""One view per URL: the full page, or just the block an htmx request asks for.

An htmx request names its target element (`HX-Target`); when that id is one of the blocks
the view allows, only that block of the same template is rendered. Blocks are named like
the DOM ids they replace. Anything else gets the full page (which includes those blocks).
"""

from __future__ import annotations

from flask import g, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def requested_block(blocks: tuple[str, ...]) -> str | None:
    if not is_htmx() or request.headers.get("HX-Boosted") == "true":
        return None
    target = request.headers.get("HX-Target", "")
    # DOM ids use dashes, Jinja block names underscores: #line-list ↔ {% block line_list %}.
    return target.replace("-", "_") if target in blocks else None


def rendering_block() -> str | None:
    """Template global: the block being rendered alone for htmx (None: the full page). A
    block uses it to add out-of-band parts, e.g. what the live region #announcer says."""
    return g.get("htmx_block")


def render(template: str, *, blocks: tuple[str, ...] = (), status: int = 200, **context):
    """Render `template`, or only the block whose DOM id (in `blocks`) HX-Target names."""
    block = requested_block(blocks)
    g.htmx_block = block
    body = (
        render_block(template, block, **context) if block else render_template(template, **context)
    )
    response = make_response(body, status)
    # What requested_block reads: a shared cache keeps one answer per combination.
    response.vary.update(("HX-Request", "HX-Target", "HX-Boosted"))
    return response
