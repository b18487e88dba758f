"""Text folding shared by watchlist rules and search: two spellings an analyst would call the same
("BPJS Kesehatan", "bpjs-kesehatan", "ＢＰＪＳ＿ＫＥＳＥＨＡＴＡＮ", "Bpjs Kesehatan") fold to the
same string ("bpjs kesehatan").

Folding is NFKC (full-width and compatibility forms), removal of invisible characters
(zero-width, soft hyphen, bidi controls), case-folding, accents stripped (NFKD without
non-spacing marks, plus a few letters NFKD does not decompose: ø, ł, đ, æ, œ, ı, þ), and every run
of punctuation, symbols, separators and underscores becomes one space. The result has no leading
or trailing space, so " " + fold(text) + " " has a space at every word boundary.

`fold()` works on the whole string and is what matching uses; `fold_map()` folds the same way
character by character and also tells, for each folded character, where it came from in the
original, so a match can be highlighted in the text the forum showed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Removed outright (not turned into a space): they hide inside words ("BP\u200bJS").
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufeff\uffa0"
)
_DROP = {ord(c): None for c in INVISIBLE}
# Letters that NFKD leaves alone but readers treat as their base letter.
_LETTERS = str.maketrans({
    "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i", "ȷ": "j",
    "æ": "ae", "œ": "oe", "þ": "th", "ŀ": "l", "ƒ": "f",
})  # fmt: skip
_SEPARATORS = re.compile(r"[\W_]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """The folded form of `text`: lower-case words without accents separated by single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DROP).casefold().translate(_LETTERS)
    if not text.isascii():
        text = _strip_marks(text)
    return _SEPARATORS.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def _fold_char(c: str) -> str:
    """One original character's contribution: "" (invisible or a mark), " " (a separator) or
    folded letters (sometimes several: "ß" -> "ss", "ﬁ" -> "fi")."""
    if c in INVISIBLE:
        return ""
    piece = unicodedata.normalize("NFKC", c).casefold().translate(_LETTERS)
    if not piece.isascii():
        piece = _strip_marks(piece)
    if not piece:
        return ""
    return _SEPARATORS.sub(" ", piece)


def fold_map(text: str) -> tuple[str, list[int]]:
    """Fold like `fold()` and map back: returns (folded, origin) where origin[i] is the index in
    `text` of the character that produced folded[i]; origin has one extra entry, len(text), so a
    folded span [a, b) is the original span [origin[a], origin[b - 1] + 1)."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, c in enumerate(text):
        for ch in _fold_char(c):
            if ch == " ":
                pending_space = bool(out)
                continue
            if pending_space:
                out.append(" ")
                origin.append(i)
                pending_space = False
            out.append(ch)
            origin.append(i)
    origin.append(len(text))
    return "".join(out), origin


def original_span(text: str, origin: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of `text` that folded[start:end] came from (see `fold_map`), taking in the
    combining accents and invisible characters that trail its last letter."""
    a, b = origin[start], origin[end - 1] + 1
    while b < len(text) and _fold_char(text[b]) == "":
        b += 1
    return a, b
