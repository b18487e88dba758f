"""A folded text made ready for the number readers (counts and price): links, emails, dates,
times, IPs, phone numbers and long tokens masked, and its numbers read once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.normalize.numbers import Number, find_numbers

# Masking is done in two cheap passes rather than one regex of many alternatives, which Python
# would try at every character: links and emails are found from their few tell-tale marks and
# widened to the whole token; number-shaped things start at a digit or "+".
# One leading character class, the rest of each mark behind look-behinds: "://", "www.", "[.]",
# "(.)", "[dot]", "(dot)", "@" and a host's ".tld/" (the host itself is taken in by widening).
_LINK_MARK = re.compile(r"[:w\[(@.](?:(?<=:)//|(?<=w)ww\.|(?<=\[)\.\]|(?<=\()\.\)|(?<=\[)dot\]"
                        r"|(?<=\()dot\)|(?<=@)|(?<=[a-z0-9]\.)[a-z]{2,6}/)")
# It starts with a character class, so the engine skips to the next digit or "+" on its own, and
# only at the first digit of a run (a match inside a run would be dropped anyway); the boundary
# before a match is checked after it ("v1.2.3" is not a date).
_NUMBERISH = re.compile(
    r"[0-9+](?<![0-9]\d)(?:"
    r"(?<=\d)\d{0,3}[./-]\d{1,2}[./-]\d{2,4}(?!\d)"
    r"|(?<=\d)\d?:\d{2}(?::\d{2})?(?!\d)"
    r"|(?<=\d)\d{0,2}(?:\.\d{1,3}){3}(?!\d)"
    r"|(?<=0)\d{2,4}[- ]\d{3,4}[- ]\d{3,5}(?!\d)"
    r"|(?<=\d)\d{10,}"
    r"|(?<=1)9\d{2}\s?[-–/]\s?(?:19|20)?\d{2}(?!\d)"
    r"|(?<=2)0\d{2}\s?[-–/]\s?(?:19|20)?\d{2}(?!\d)"
    r"|(?<=\+)\d{1,3}[\s(.-]*\d[\d\s().-]{6,}\d"
    r")")
_LONG_TOKEN = re.compile(r"[0-9a-z]{26,}")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%{}")
_URL_TAIL = re.compile(r"[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%{}]*")
WORD = re.compile(r"[^\s\d.,;:!?()\[\]{}\"'«»“”*#|/\\<>\-–—…。，、：！？（）@$%&+=~`^_]+")
_PLACEHOLDER = " \u2026 "


@dataclass(frozen=True, slots=True)
class Scanned:
    masked: str
    numbers: tuple[Number, ...]


def mask(text: str) -> str:
    """`text` with links, emails, dates, times, IPs, phone numbers and long tokens replaced by a
    short placeholder, so their digits are not read as counts and they do not push the words
    around them apart."""
    spans = [m.span() for m in _NUMBERISH.finditer(text)
             if m.group()[0] == "+" or m.start() == 0
             or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "._")]
    for word in text.split():
        if len(word) >= 26:
            for m in _LONG_TOKEN.finditer(word):
                at = text.find(m.group())
                spans.append((at, at + len(m.group())))
    covered = 0
    for m in _LINK_MARK.finditer(text):
        if m.start() < covered:
            continue  # inside the link already masked ("[.]" marks of one defanged link)
        start, end = m.start(), m.end()
        while start > 0 and text[start - 1] in _URL_CHARS:
            start -= 1
        end = _URL_TAIL.match(text, end).end()  # type: ignore[union-attr]
        spans.append((start, end))
        covered = end
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        out.append(text[pos:max(pos, start)])
        out.append(_PLACEHOLDER)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def scan(folded: str, lang: str | None) -> Scanned:
    """`folded` masked, with every number in it (positions refer to the masked text)."""
    masked = mask(folded)
    return Scanned(masked, tuple(find_numbers(masked, lang)))
