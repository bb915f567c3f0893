"""Operator-written Markdown to HTML that is safe to put in a page: markdown-it-py renders it (raw HTML allowed, so
an operator can paste a simple table), nh3 (the maintained html5ever-based sanitiser) then keeps only harmless tags
and attributes — no script, style, iframe, event handler or `javascript:` link survives."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"scope"}, "abbr": {"title"}}


def render(text: str) -> SafeString:
    """Sanitised HTML for a Markdown body. The page's own h1 is the title, so a body's `#` heading becomes h2."""
    html = _markdown.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)
