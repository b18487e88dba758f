"""The seller's handle as shown and its join key: NFKC, case-folded, with zero-width characters
removed and look-alike letters of other scripts mapped to Latin ones, so that "Kоtz" written with
a Cyrillic "о", "ＫＯＴＺ" and "kotz" are one seller."""

from __future__ import annotations

import re
import unicodedata

from monitor.models import Seller

# Cyrillic and Greek letters that look like Latin ones (lower case, after casefold).
_CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "α": "a", "β": "b", "ε": "e", "ι": "i",
    "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ɑ": "a",
    "ı": "i", "ℓ": "l", "ß": "ss",
})
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
_LATIN = re.compile(r"[a-z]")


def handle_key(handle: str) -> str:
    """The join key of a handle. Look-alikes are mapped only in handles that also hold Latin
    letters: an all-Cyrillic handle ("Хакер_М") keeps its own letters."""
    if handle.isascii():  # NFKC, the invisible marks, accents and look-alikes change no ASCII
        return " ".join(handle.lower().split())
    key = _INVISIBLE.sub("", unicodedata.normalize("NFKC", handle)).casefold()
    key = " ".join(key.split())
    key = "".join(ch for ch in unicodedata.normalize("NFD", key)
                  if not unicodedata.combining(ch)) if _LATIN.search(key) else key
    if _LATIN.search(key):
        key = key.translate(_CONFUSABLES)
    return unicodedata.normalize("NFC", key)


def seller(author: str | None, profile_url: str | None = None) -> Seller:
    if not author or not author.strip():
        return Seller(profile_url=profile_url)
    handle = author.strip()
    return Seller(handle=handle, handle_key=handle_key(handle) or None, profile_url=profile_url)
