"""Fast phrase lookup for the normalizer's word tables (countries, data fields): text is cut into
tokens once and looked up in dicts, which stays fast where a regex of hundreds of alternatives
with boundaries does not. Phrases of several words, stems ("российск*") and Han phrases (found
as substrings, Chinese has no spaces) are supported. Both sides are folded (`fold.fold`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import itemgetter

from monitor.normalize.fold import fold

# Words, and the punctuation between them as tokens of their own: a phrase never spans a
# comma ("name, email, address" holds no "email address").
_SPLIT = re.compile(r"[^\s,;:/()\[\]{}|•.。、，！？!?\"“”«»<>=+*#~_،؛।-]+"
                    r"|[,;:/()|•。、，！？!?،؛।]")
_FIRST3 = itemgetter(slice(None, 3))
_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def tokens(folded: str) -> list[str]:
    if "'" not in folded and "’" not in folded:
        return _SPLIT.findall(folded)
    return [t.strip("'’") for t in _SPLIT.findall(folded)]


class Tokens:
    """A folded text cut into `tokens` once, with what every lexicon asks of it first (its set
    of words, whether it holds Han characters), so several lexicons share one cut."""

    __slots__ = ("_prefixes", "folded", "han", "uniq", "words")

    def __init__(self, folded: str, words: list[str] | None = None):
        self.folded = folded
        self.words = words if words is not None else tokens(folded)
        self.uniq = frozenset(self.words)
        self.han = not folded.isascii() and _HAN.search(folded) is not None
        self._prefixes: frozenset[str] | None = None

    def with_prefixes(self, keys: frozenset[str]) -> set[str]:
        """The words whose first three characters are one of `keys` (a lexicon's stems); when
        set arithmetic finds none of the keys there, no loop runs over the words."""
        if self._prefixes is None:
            self._prefixes = frozenset(map(_FIRST3, self.uniq))
        hit = self._prefixes & keys
        if not hit:
            return set()
        return {w for w in self.uniq if w[:3] in hit}


def _positions(words: list[str], wanted: set[str] | frozenset[str]) -> list[int]:
    """Where the `wanted` words stand in `words`, in order. A few words are found by
    `list.index` (a scan in C); many by one pass."""
    if not wanted:
        return []
    if len(wanted) > 2:  # measured: list.index wins for one or two words only
        return [i for i, w in enumerate(words) if w in wanted]
    spots: list[int] = []
    for word in wanted:
        i = -1
        try:
            while True:
                i = words.index(word, i + 1)
                spots.append(i)
        except ValueError:
            pass
    spots.sort()
    return spots


class Lexicon:
    """Phrases mapped to values; `find` yields the values of the phrases in a text, in order."""

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self._exact: dict[str, str] = {}
        self._stems: dict[str, list[tuple[str, str]]] = {}
        self._han: list[tuple[str, str]] = []
        self._longest: dict[str, int] = {}  # first word -> words in the longest phrase
        for phrase, value in entries:
            stem = phrase.endswith("*")
            words = tokens(fold(phrase.rstrip("*").replace("_", " ")))
            if not words:
                continue
            key = " ".join(words)
            if _HAN.search(key):
                self._han.append((key.replace(" ", ""), value))
            elif stem and len(words) == 1:
                self._stems.setdefault(key[:3], []).append((key, value))
            else:
                self._exact.setdefault(key, value)
                self._longest[words[0]] = max(self._longest.get(words[0], 1), len(words))
        self._starts = frozenset(self._longest)
        self._stem_keys = frozenset(self._stems)
        for bucket in self._stems.values():
            bucket.sort(key=lambda kv: len(kv[0]), reverse=True)

    def find(self, folded: str, words: list[str] | Tokens | None = None) -> list[str]:
        """Values of the phrases in `folded`; `words`: its `tokens` (or `Tokens`), when already
        cut."""
        cut = words if isinstance(words, Tokens) else Tokens(folded, words)
        found: list[str] = []
        exact, longest, stems = self._exact, self._longest, self._stems
        if exact or stems:
            words = cut.words
            n = len(words)
            # only the words that can start a phrase or carry a stem are looked at; finding
            # them is set arithmetic, done in C, and the walk visits only their positions
            wanted = cut.uniq & self._starts
            if stems:
                wanted |= cut.with_prefixes(self._stem_keys)
            after = 0  # the end of the last phrase read: a phrase's words are not read again
            for i in _positions(words, wanted):
                if i < after:
                    continue
                word = words[i]
                step = 0
                most = longest.get(word)
                if most is not None:
                    for size in range(min(most, n - i), 0, -1):
                        value = exact.get(word if size == 1 else " ".join(words[i:i + size]))
                        if value is not None:
                            found.append(value)
                            step = size
                            break
                if not step:
                    step = 1
                    for stem, value in stems.get(word[:3], ()):
                        if word.startswith(stem):
                            found.append(value)
                            break
                after = i + step
        if self._han and cut.han:
            for phrase, value in self._han:
                found.extend([value] * folded.count(phrase))
        return found
