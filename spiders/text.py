"""Small text helpers shared by the spiders: post HTML to readable text, forum counters."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
    "section", "table", "tr", "ul",
})  # fmt: skip
_DROP_TAGS = ("script", "style", "noscript", "template")
_SOFT = "\x01"
_BREAKS_RE = re.compile(r"[\x01\n \t]*\x01[\x01\n \t]*")
_SHORT_RE = re.compile(r"^\s*([\d.,\s]+?)\s*([kKmMbB]|тыс\.?|млн)?\s*$")
_SHORT_MULT = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000, "тыс": 1_000, "тыс.": 1_000,
               "млн": 1_000_000}


def html_to_text(html: str) -> str:
    """Readable text of a post: block elements on their own lines, scripts dropped, spaces folded.
    Content inside "hidden content" boxes is kept: the box is part of what the seller wrote."""
    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(html.split())
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    parts: list[str] = []
    _walk(root, parts)
    # Block edges (soft breaks) merge with each other and with <br>s (hard breaks) around them.
    joined = _BREAKS_RE.sub(lambda m: "\n" * max(1, m.group().count("\n")), "".join(parts))
    lines = [" ".join(line.split()) for line in joined.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _walk(el: etree._Element, parts: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag.lower() == "br":
        parts.append("\n")
        return
    block = tag.lower() in _BLOCK_TAGS
    if block:
        parts.append(_SOFT)
    if el.text and tag:
        parts.append(_flat(el.text))
    for child in el:
        _walk(child, parts)
        if child.tail:
            parts.append(_flat(child.tail))
    if block:
        parts.append(_SOFT)


def _flat(text: str) -> str:
    # Line breaks in HTML source are only spaces; lines come from <br> and block elements.
    return text.replace("\r", " ").replace("\n", " ")


def parse_count(text: str | None) -> int | None:
    """A forum counter: "1,234", "1 234", "15K", "1.2M" (XenForo's short numbers), "–" (none)."""
    if text is None:
        return None
    t = text.replace("\xa0", " ").replace("\u202f", " ").strip()
    m = _SHORT_RE.match(t)
    if not m:
        return None
    digits, suffix = m.group(1).replace(" ", ""), (m.group(2) or "").lower()
    if not suffix:
        cleaned = digits.replace(",", "").replace(".", "")
        return int(cleaned) if cleaned.isdigit() else None
    try:
        value = float(digits.replace(",", "."))
    except ValueError:
        return None
    return round(value * _SHORT_MULT[suffix])


def squash(text: str | None) -> str:
    """Whitespace folded to single spaces; None to ""."""
    return " ".join(text.split()) if text else ""
