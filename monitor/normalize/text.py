"""The post's HTML as text, plus the link targets that only the markup holds (anchor hrefs,
image sources). Hidden-content boxes are ordinary markup here: their text and links count."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

import lxml.html  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul", "summary", "details",
})
_DROP = frozenset({"script", "style", "noscript", "template", "head"})
_LINK_ATTRS = (("a", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"))
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\n\s*\n+")
_TAG = re.compile(r"<[^>]{0,2000}>")
_HREF = re.compile(
    r"""<(?:a|img|iframe|source)\b[^>]{0,2000}?\b(?:href|src)\s*=\s*["']?([^"'\s>]+)""",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PostText:
    text: str
    hrefs: tuple[str, ...] = ()


def from_html(html: str) -> PostText:
    """Text of `html` with block elements on their own lines, and its link targets in order."""
    if not html.strip():
        return PostText("")
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return _stripped(html)
    parts: list[str] = []
    hrefs: list[str] = []
    try:
        _walk(root, parts, hrefs)
    except RecursionError:
        return _stripped(html)
    if not "".join(parts).strip() and _TAG.sub("", html).strip():
        return _stripped(html)  # the parser gave up (nesting too deep): read it plainly
    text = _BLANKS.sub(" ", "".join(parts))
    text = _LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    return PostText(text.strip(), tuple(hrefs))


def _stripped(html: str) -> PostText:
    """Text and link targets of markup the parser could not read, by plain pattern."""
    hrefs = tuple(m.group(1) for m in _HREF.finditer(html))
    text = _BLANKS.sub(" ", html_lib.unescape(_TAG.sub("\n", html)))
    text = _LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    return PostText(text.strip(), hrefs)


def _walk(el: etree._Element, parts: list[str], hrefs: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _DROP:
        if el.tail:
            parts.append(el.tail)
        return
    for name, attr in _LINK_ATTRS:
        if tag == name:
            value = (el.get(attr) or "").strip()
            if value and not value.startswith(("#", "javascript:", "data:")):
                hrefs.append(value)
    block = tag in _BLOCK
    if block:
        parts.append("\n")
    if el.text and tag:
        parts.append(el.text)
    for child in el:
        _walk(child, parts, hrefs)
    if block:
        parts.append("\n")
    if el.tail:
        parts.append(el.tail)
