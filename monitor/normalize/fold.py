"""Text folding shared by the normalizer's keyword tables: every table is folded with the same
function as the text it is matched against, so neither side has to care about case, width,
accents or the digits of other scripts."""

# Not merged with monitor/fold.py (rules): that one turns punctuation into spaces, which would
# erase what the number, price and link readers need ("1.5кк", "$500", "[.]"), and keeps
# foreign digits, which these readers need as ASCII.
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

# A CJK character (ideographs, kana, CJK punctuation): words without blanks between them.
CJK_CHAR = re.compile("[\u3000-\u9fff]")
# Latin combining accents only: Devanagari and Arabic marks carry meaning and must stay.
_ACCENTS = re.compile("[\u0300-\u036f]")
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
# Digits of other scripts (Arabic-Indic, Persian, Devanagari) as ASCII, and the Arabic decimal
# and thousands marks as their Latin counterparts: the number readers see only one notation.
_DIGITS: dict[int, str | None] = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})
_DIGITS.update({ord(c): str(i) for i, c in enumerate("०१२३४५६७८९")})
_DIGITS.update({ord("٫"): ".", ord("٬"): ",", ord("ـ"): None})
_FOREIGN_DIGIT = re.compile("[" + "".join(chr(c) for c in _DIGITS) + "]")
# Runs of them, each translated on its own: `str.translate` over a whole non-ASCII text looks up
# every character in the table (0.85M instructions less a 2 KB post that has foreign digits).
_FOREIGN_DIGITS = re.compile(f"{_FOREIGN_DIGIT.pattern}{_FOREIGN_DIGIT.pattern}*")
# most texts hold neither: one look for both before the two passes
_FOREIGN_OR_INVISIBLE = re.compile(_FOREIGN_DIGIT.pattern + "|" + _INVISIBLE.pattern)


def fold(text: str) -> str:
    """Case-, width- and accent-folded text with ASCII digits; one character in, at most one
    out is not promised (NFKC may expand ligatures), so positions refer to the folded text."""
    if text.isascii():
        return text.lower()  # NFKC, the digit table and the invisible marks change no ASCII
    text = unicodedata.normalize("NFKC", text).casefold()
    if _FOREIGN_OR_INVISIBLE.search(text):
        text = _FOREIGN_DIGITS.sub(_ascii_digits, text)
        text = _INVISIBLE.sub("", text)
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))


def _ascii_digits(run: re.Match[str]) -> str:
    return run.group().translate(_DIGITS)


def first_words(words: object) -> frozenset[str]:
    """The folded first words of `words` (phrases): a text without any of them holds none."""
    return frozenset(fold(w).split()[0] for w in words if fold(w).split())  # type: ignore[attr-defined]


def words_pattern(words: Iterable[str], *, boundary: bool = True) -> str:
    """A regex alternation of folded `words`, longest first so "juta" is not read as "jt"."""
    alt = trie_alternation({fold(w) for w in words})
    return rf"(?<!\w)(?:{alt})(?!\w)" if boundary else f"(?:{alt})"


def text_pattern(words: object, literals: tuple[str, ...] = ()) -> str:
    r"""The matches of `words_pattern(words)`, or of one of `literals` (CJK words, no boundary),
    for searches over a whole text. Each word's boundary before it is checked right after its
    first letter ("j(?<!\wj)uta"), not ahead of it: a pattern that starts with letters lets the
    engine skip to the next possible first letter in C, where a leading look-behind is tried at
    every character (a 2 KB post costs a third to two thirds less). In short windows it depends
    on the table (measure): the many branches of a large table cost more than they save there."""
    by_first: dict[str, set[str]] = {}
    for word in {fold(w) for w in words}:  # type: ignore[attr-defined]
        by_first.setdefault(word[0], set()).add(word[1:])
    branches = []
    for first, rests in by_first.items():
        head = re.escape(first)
        tail = trie_alternation(rests - {""}) if rests - {""} else ""
        if tail and "" in rests:
            tail = f"(?:{tail})?"  # greedy: the longer word is tried first
        branches.append(rf"{head}(?<!\w{head}){tail}(?!\w)")
    return "|".join(branches + [re.escape(w) for w in literals])


def trie_alternation(words: set[str], *, blank: str = r"\s+",
                     ending: Callable[[str], str] | None = None) -> str:
    """The alternation of `words` (a space stands for `blank`: any run of blanks) as a trie:
    "rec(?:ords?|...)" rather than "records|record|...". It matches what the flat alternation
    of the words, longest first, matches, with the same preference (the longest word that
    fits), but the engine tries a few letters at each position instead of every word.
    `ending(word)`: what must follow that word (a boundary, say), when not nothing."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(blank if ch == " " else re.escape(ch), {})
        node[""] = ending(word) if ending is not None else ""  # a word ends here
    return _trie_pattern(root)


def _trie_pattern(node: dict[str, Any]) -> str:
    # a word that ends here is the last choice: longer words are tried first
    alts = [token + _trie_pattern(child) for token, child in node.items() if token]
    if "" in node:
        alts.append(node[""])
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"
