"""Markdown of the content files → safe HTML, or plain text (to index and to copy).

markdown-it-py in CommonMark mode with raw HTML off: whatever a content file holds, tags
come out escaped. Links may only point to `faq:<slug>` (another question), `screen:<endpoint>`
(a page of this site), https or mailto; the caller resolves the first two into URLs and a
link it cannot resolve (a screen this site does not have yet) becomes plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

#: Resolves an internal target (`faq:voicemail`, `screen:lines.index`) to a URL, or None.
Resolver = Callable[[str], str | None]

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable(["image", "html_block", "html_inline"])


def _link_href(href: str, resolve: Resolver | None) -> str | None:
    if href.startswith(("faq:", "screen:")):
        return resolve(href) if resolve else None
    if href.startswith(("https://", "mailto:")):
        return href
    return None


def _rewrite_links(tokens: list[Token], resolve: Resolver | None) -> None:
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        kept: list[Token] = []
        dropped = 0  # depth of links turned into text
        for child in token.children:
            if child.type == "link_open":
                href = _link_href(str(child.attrGet("href") or ""), resolve)
                if href is None:
                    dropped += 1
                    child.meta["dropped"] = True
                    continue
                child.attrSet("href", href)
                if href.startswith("https://"):
                    child.attrSet("rel", "noopener noreferrer")
                kept.append(child)
            elif child.type == "link_close" and dropped:
                dropped -= 1
            else:
                kept.append(child)
        token.children = kept


def to_html(markdown: str, resolve: Resolver | None = None) -> Markup:
    """Safe HTML, marked so for Jinja: markdown-it escapes every character of the content
    (raw HTML is off) and only the links kept above carry an href."""
    tokens = _md.parse(markdown)
    _rewrite_links(tokens, resolve)
    return Markup(_md.renderer.render(tokens, _md.options, {}))  # noqa: S704 - escaped above


def to_text(markdown: str, resolve: Resolver | None = None) -> str:
    """Plain text: paragraphs and list items on their own lines, links as "text (URL)"
    when `resolve` gives one (a copied answer keeps its links), without them otherwise."""
    lines: list[str] = []
    prefix = ""
    ordered: list[int] = []
    for token in _md.parse(markdown):
        if token.type == "bullet_list_open":
            ordered.append(0)
        elif token.type == "ordered_list_open":
            ordered.append(1)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            ordered.pop()
        elif token.type == "list_item_open":
            if ordered and ordered[-1]:
                prefix = f"{ordered[-1]}. "
                ordered[-1] += 1
            else:
                prefix = "- "
        elif token.type == "inline":
            lines.append(prefix + _inline_text(token.children or [], resolve))
            prefix = ""
        elif token.type in ("paragraph_close",) and not ordered:
            lines.append("")
    return "\n".join(lines).strip()


def _inline_text(children: list[Token], resolve: Resolver | None) -> str:
    out: list[str] = []
    hrefs: list[str | None] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "link_open":
            hrefs.append(_link_href(str(child.attrGet("href") or ""), resolve))
        elif child.type == "link_close":
            href = hrefs.pop() if hrefs else None
            if href:
                out.append(f" ({href.removeprefix('mailto:')})")
    return "".join(out)
