"""Text folding shared by watchlist rules and search: two spellings an analyst would call the same
("BPJS Kesehatan", "bpjs-kesehatan", "ＢＰＪＳ＿ＫＥＳＥＨＡＴＡＮ", "Bpjs Kesehatan") fold to the
same string ("bpjs kesehatan").

Folding is NFKC (full-width and compatibility forms), removal of invisible characters
(zero-width, soft hyphen, bidi controls), case-folding, accents stripped (NFKD without
non-spacing marks, plus a few letters NFKD does not decompose: ø, ł, đ, æ, œ, ı, þ), and every run
of punctuation, symbols, separators and underscores becomes one space; then initials written
apart ("B.P.J.S", "K P U", "b-p-j-s") join into one word ("bpjs"), as a reader reads them. The
result has no leading or trailing space, so " " + fold(text) + " " has a space at every word
boundary.

`fold()` works on the whole string and is what matching uses; `fold_map()` folds the same way
character by character and also tells, for each folded character, where it came from in the
original, so a match can be highlighted in the text the forum showed.
"""

# Not merged with monitor/normalize/fold.py: that one keeps punctuation and maps foreign digits
# for the number readers; matching here needs punctuation folded away ("bpjs-kesehatan").
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


def _mark_class() -> str:
    """A regex class body of every combining mark (Mn, Mc, Me) in planes 0 and 1: marks are
    part of a word (Devanagari vowel signs, Thai tone marks), never separators."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x20000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"{chr(a)}-{chr(b)}" if b > a else chr(a) for a, b in ranges)


_SEPARATORS = re.compile(f"(?:[^\\w{_mark_class()}]|_)+")
# The same on folded ASCII text (lower case, no marks), several times faster.
_ASCII_SEPARATORS = re.compile("[^a-z0-9]+")
# Three or more one-letter words in a row (Latin or Cyrillic, after separators became spaces):
# "U.S" or "a b" in prose stay apart.
_INITIALS = re.compile(r"(?<![^ ])[a-z\u0400-\u04ff](?: [a-z\u0400-\u04ff]){2,}(?![^ ])")


def _accented(base: str) -> bool:
    """Whether accents on this base letter are stripped: Latin, Greek, Cyrillic (where
    readers take "é" for "e"), not scripts whose marks are letters (Devanagari, Tamil)."""
    return base < "\u0530" or "\u1e00" <= base <= "\u1fff"


def _strip_accents(decomposed: str) -> str:
    out = []
    base = " "
    for c in decomposed:
        if unicodedata.category(c) == "Mn":
            if _accented(base):
                continue
        else:
            base = c
        out.append(c)
    return "".join(out)


def fold(text: str) -> str:
    """The folded form of `text`: lower-case words without accents separated by single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_DROP).casefold().translate(_LETTERS)
    if not text.isascii():
        text = _strip_accents(unicodedata.normalize("NFKD", text))
    text = (_ASCII_SEPARATORS if text.isascii() else _SEPARATORS).sub(" ", text).strip()
    if " " not in text:
        return text
    return _INITIALS.sub(lambda m: m.group().replace(" ", ""), text)


@lru_cache(maxsize=65536)
def _fold_char(c: str) -> str:
    """One original character, folded but with its accents still on (decomposed): "" for an
    invisible character; several characters for "ß" -> "ss", "ﬁ" -> "fi", "é" -> "e" + U+0301."""
    if c in INVISIBLE:
        return ""
    piece = unicodedata.normalize("NFKC", c).casefold().translate(_LETTERS)
    return piece if piece.isascii() else unicodedata.normalize("NFKD", piece)


def fold_map(text: str) -> tuple[str, list[int]]:
    """Fold like `fold()` and map back: returns (folded, origin) where origin[i] is the index in
    `text` of the character that produced folded[i]; origin has one extra entry, len(text).
    `original_span()` turns a folded span into the original one."""
    out: list[str] = []
    origin: list[int] = []
    pending_space = False
    base = " "
    for i, c in enumerate(text):
        for ch in _fold_char(c):
            if unicodedata.category(ch) == "Mn":
                if _accented(base):
                    continue
            else:
                base = ch
            if not ch.isalnum() if ch.isascii() else _SEPARATORS.fullmatch(ch):
                pending_space = bool(out)
                continue
            if pending_space:
                out.append(" ")
                origin.append(i)
                pending_space = False
            out.append(ch)
            origin.append(i)
    origin.append(len(text))
    folded = "".join(out)
    joined = {i for m in _INITIALS.finditer(folded) for i in range(m.start(), m.end())
              if folded[i] == " "}
    if joined:  # the spaces `fold()` drops between initials
        folded = "".join(ch for i, ch in enumerate(folded) if i not in joined)
        origin = [o for i, o in enumerate(origin) if i not in joined]
    return folded, origin


def original_span(text: str, origin: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of `text` that folded[start:end] came from (see `fold_map`), taking in the
    combining accents and invisible characters that trail its last letter."""
    a, b = origin[start], origin[end - 1] + 1
    while b < len(text) and (text[b] in INVISIBLE or unicodedata.category(text[b]) == "Mn"):
        b += 1
    return a, b
