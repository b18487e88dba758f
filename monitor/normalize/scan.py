"""A folded text made ready for the number readers (counts and price): links, emails, dates,
times, IPs, phone numbers and long tokens masked, and its numbers read once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.normalize.numbers import Number, find_numbers

# Masking is done in two cheap passes rather than one regex of many alternatives, which Python
# would try at every character: links and emails are found from their few tell-tale marks and
# widened to the whole token; number-shaped things start at a digit or "+".
# Every alternative starts with a literal: the engine skips to the next of their first characters
# in C, and at each it rejects the alternatives whose first character differs without entering
# them (a look-behind in each would be a sub-match at every ":", "w", "." of the text): "://",
# "www.", "[.]", "(.)", "[dot]", "(dot)", "@" and a host's ".tld/" (the host itself is taken in
# by widening).
_LINK_MARK = re.compile(r"://|www\.|\[\.\]|\(\.\)|\[dot\]|\(dot\)|@|\.(?<=[a-z0-9]\.)[a-z]{2,6}/")


def _numberish() -> str:
    """Dates, times, IPs, phone numbers and long digit runs, at the first digit of a run only
    ("v1.2.3" is not a date: the boundary before a match is checked after it). One alternative
    per first character, each a literal, for the same reason as `_LINK_MARK`; which of the
    shapes may follow depends on that character (phone numbers start with 0, years with 19 or
    20)."""
    date = r"\d{0,3}[./-]\d{1,2}[./-]\d{2,4}(?!\d)"
    clock = r"\d?:\d{2}(?::\d{2})?(?!\d)"
    ip = r"\d{0,2}(?:\.\d{1,3}){3}(?!\d)"
    phone = r"\d{2,4}[- ]\d{3,4}[- ]\d{3,5}(?!\d)"
    years = r"\d{2}\s?[-–/]\s?(?:19|20)?\d{2}(?!\d)"  # after "19" or "20": "2019-20"
    alternatives = []
    for digit in "0123456789":
        shapes = [date, clock, ip, *([phone] if digit == "0" else []), r"\d{10,}"]
        shapes += {"1": ["9" + years], "2": ["0" + years]}.get(digit, [])
        alternatives.append(f"{digit}(?<![0-9]{digit})(?:{'|'.join(shapes)})")
    alternatives.append(r"\+\d{1,3}[\s(.-]*\d[\d\s().-]{6,}\d")
    return "|".join(alternatives)


_NUMBERISH = re.compile(_numberish())
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
    cursor = 0  # words come in order: each is found after the one before, not elsewhere
    for word in text.split():
        if len(word) >= 26:
            at = text.find(word, cursor)
            cursor = at + len(word)
            for m in _LONG_TOKEN.finditer(word):
                spans.append((at + m.start(), at + m.end()))
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
    # masking adds only "\u2026": an ASCII text holds no Chinese numeral after it either
    return Scanned(masked, tuple(find_numbers(masked, lang, han=not folded.isascii())))
