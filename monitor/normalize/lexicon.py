"""Fast phrase lookup for the normalizer's word tables (countries, data fields): text is cut into
tokens once and looked up in dicts, which stays fast where a regex of hundreds of alternatives
with boundaries does not. Phrases of several words, stems ("российск*") and Han phrases (found
as substrings, Chinese has no spaces) are supported. Both sides are folded (`fold.fold`). The
normalizer's own tables are built `shared`: a text's words are looked up once for all of them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import compress, count
from operator import itemgetter

from monitor.normalize.fold import fold

# Words, and the punctuation between them as tokens of their own: a phrase never spans a
# comma ("name, email, address" holds no "email address"). Other marks part words as blanks do.
_OWN_TOKENS = ",;:/()|•。、，！？!?،؛।"
_BLANKS = '[]{}."“”«»<>=+*#~_-'
# Each mark's stand-in: a blank, or the mark between blanks. Cutting a text is then replacing
# the few marks it holds and `str.split`, which costs a third of a pattern's `findall`.
_SPACED = {mark: " " for mark in _BLANKS} | {mark: f" {mark} " for mark in _OWN_TOKENS}
_WORD_CHAR = "[^\\s" + re.escape(_BLANKS + _OWN_TOKENS) + "]"
# An apostrophe that begins or ends a word (a quote, "users'"): only then has `tokens` any
# apostrophe to strip ("don't" keeps its own). One pattern per apostrophe: a pattern that
# starts with one character is searched for that character in C; one that starts with a class
# of two tests the class at every character (a body with apostrophes: 112k -> 14k instructions).
_EDGE_QUOTES = tuple((quote, re.compile(rf"{quote}(?:(?!{_WORD_CHAR})|(?<!{_WORD_CHAR}{quote}))"))
                     for quote in "'’")
_FIRST3 = itemgetter(slice(None, 3))
_HAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# A wider range than `_HAN` (one range is checked faster): a text without any of these
# characters holds no Han phrase.
_HAN_LIKE = re.compile(r"[\u3040-\u9fff]")


def tokens(folded: str) -> list[str]:
    """The words of `folded` (without the apostrophes around them) and the marks that are tokens
    of their own, in order."""
    spaced = folded
    for mark, stand_in in _SPACED.items():
        if mark in spaced:
            spaced = spaced.replace(mark, stand_in)
    found = spaced.split()
    for quote, edge in _EDGE_QUOTES:
        if quote in folded and edge.search(folded):
            return [t.strip("'’") for t in found]
    return found


class Tokens:
    """A folded text cut into `tokens` once, with what every lexicon asks of it first (its set
    of words, whether it may hold Han characters, where the words the shared lexicons look for
    stand), so several lexicons share one cut."""

    __slots__ = ("_han", "_hits", "folded", "uniq", "words")

    def __init__(self, folded: str, words: list[str] | None = None):
        self.folded = folded
        self.words = words if words is not None else tokens(folded)
        self.uniq = frozenset(self.words)
        self._han: bool | None = None
        self._hits: _Hits | None = None

    @property
    def han(self) -> bool:
        """Whether the text may hold Han or kana (found once, for all lexicons): only then are
        Han phrases counted."""
        if self._han is None:
            folded = self.folded
            self._han = not folded.isascii() and _HAN_LIKE.search(folded) is not None
        return self._han

    def with_prefixes(self, keys: frozenset[str]) -> list[str]:
        """The words whose first three characters are one of `keys` (a lexicon's stems), found
        in C: the words are many, those with such a start few."""
        uniq = self.uniq
        return list(compress(uniq, map(keys.__contains__, map(_FIRST3, uniq))))

    def hits(self) -> _Hits:
        """Where the words that begin a shared lexicon's phrase, or that a shared stem may
        begin, stand (found once, for all shared lexicons)."""
        if self._hits is None:
            self._hits = _Hits(self, _SHARED)
        return self._hits


class _Shared:
    """The first words and stem keys of every lexicon built with `shared=True`: a text's words
    are looked up in their union once (one pass over the words, in C), and each lexicon then
    reads only those hits instead of all the words again. Filled as the module tables are
    built, at import; `size` tells a text's hits which lexicons they cover."""

    __slots__ = ("size", "starts", "stem_keys")

    def __init__(self) -> None:
        self.size = 0
        self.starts: frozenset[str] = frozenset()
        self.stem_keys: frozenset[str] = frozenset()

    def add(self, starts: frozenset[str], stem_keys: frozenset[str]) -> int:
        """Takes in one more lexicon's words; its number (the `size` that covers it)."""
        self.starts |= starts
        self.stem_keys |= stem_keys
        self.size += 1
        return self.size


_SHARED = _Shared()


class _Hits:
    """The words of a text that the shared lexicons look for, with their positions."""

    __slots__ = ("covers", "positions", "stem_words", "wanted", "words")

    def __init__(self, cut: Tokens, shared: _Shared):
        self.covers = shared.size
        self.stem_words = cut.with_prefixes(shared.stem_keys) if shared.stem_keys else []
        wanted = cut.uniq & shared.starts
        if self.stem_words:
            wanted = wanted.union(self.stem_words)
        self.wanted = wanted
        self.positions = _positions(cut.words, wanted)
        self.words = list(map(cut.words.__getitem__, self.positions))


def _positions(words: list[str], wanted: set[str] | frozenset[str]) -> list[int]:
    """Where the `wanted` words stand in `words`, in order. A few words are found by
    `list.index` (a scan in C); many by one pass."""
    if not wanted:
        return []
    if len(wanted) > 2:  # measured: list.index wins for one or two words only
        # the indices whose word is wanted, picked in C (a comprehension costs a sixth more)
        return list(compress(count(), map(wanted.__contains__, words)))
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
    """Phrases mapped to values; `find` yields the values of the phrases in a text, in order.
    `shared`: a table of the module (built once): its words join the union a text's words are
    looked up in once for all such tables (`Tokens.hits`)."""

    def __init__(self, entries: Iterable[tuple[str, str]], *, shared: bool = False):
        self._exact: dict[str, str] = {}
        self._stems: dict[str, list[tuple[str, str]]] = {}
        self._han: list[tuple[str, str]] = []
        self._longest: dict[str, int] = {}  # first word -> words in the longest phrase
        self._seconds: dict[str, set[str]] = {}  # first word -> second words of its phrases
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
                if len(words) > 1:
                    self._seconds.setdefault(words[0], set()).add(words[1])
        self._starts = frozenset(self._longest)
        self._stem_keys = frozenset(self._stems)
        for bucket in self._stems.values():
            bucket.sort(key=lambda kv: len(kv[0]), reverse=True)
        # the number of shared lexicons a text's hits must cover to cover this one (0: none)
        self._shared = _SHARED.add(self._starts, self._stem_keys) if shared else 0

    def find(self, folded: str, words: list[str] | Tokens | None = None) -> list[str]:
        """Values of the phrases in `folded`; `words`: its `tokens` (or `Tokens`), when already
        cut."""
        # a text cut here is read by this lexicon only: its words are not looked up for others
        shared = isinstance(words, Tokens)
        cut = words if isinstance(words, Tokens) else Tokens(folded, words)
        found = self._words(cut, shared) if self._exact or self._stems else []
        if self._han and cut.han:
            for phrase, value in self._han:
                found.extend([value] * folded.count(phrase))
        return found

    def _words(self, cut: Tokens, shared: bool) -> list[str]:
        """Values of the word phrases and stems, in order; a phrase's words are not read again,
        and of the phrases at a word the longest wins. `shared`: `cut` is read by the other
        shared lexicons too."""
        hits = cut.hits() if shared and self._shared else None
        if hits is not None and hits.covers >= self._shared:
            # the text's words were looked up once for all shared lexicons: only those hits
            # are read here, again in C
            stemmed = self._stemmed(hits.stem_words) if self._stems and hits.stem_words else {}
            wanted = hits.wanted & self._starts
            if stemmed:
                wanted = wanted.union(stemmed)
            if not wanted:
                return []
            if len(wanted) == len(hits.wanted):
                spots = hits.positions  # every hit is this lexicon's
            else:
                spots = list(compress(hits.positions, map(wanted.__contains__, hits.words)))
        else:
            stemmed = self._stemmed(cut.with_prefixes(self._stem_keys)) if self._stems else {}
            # only the words that can start a phrase or carry a stem are looked at; finding
            # them is set arithmetic, done in C, and the walk visits only their positions
            wanted = cut.uniq & self._starts
            if stemmed:
                wanted = wanted.union(stemmed)
            spots = _positions(cut.words, wanted)
        return self._walk(cut.words, spots, stemmed)

    def _walk(self, words: list[str], spots: list[int], stemmed: dict[str, str]) -> list[str]:
        """The values of the phrases that begin at `spots` of `words`, in order."""
        found: list[str] = []
        exact, longest, seconds = self._exact, self._longest, self._seconds
        n = len(words)
        after = 0  # the end of the last phrase read
        for i in spots:
            if i < after:
                continue
            word = words[i]
            # a phrase of several words can start here only if the next word is the second
            # word of one of them: for most words, no phrase is put together
            if word in seconds and i + 1 < n and words[i + 1] in seconds[word]:
                for size in range(min(longest[word], n - i), 1, -1):
                    value = exact.get(" ".join(words[i:i + size]))
                    if value is not None:
                        found.append(value)
                        after = i + size
                        break
                else:
                    value = None
                if value is not None:
                    continue
            value = exact.get(word)
            if value is None and stemmed:
                value = stemmed.get(word)
            if value is not None:
                found.append(value)
        return found

    def _stemmed(self, candidates: list[str]) -> dict[str, str]:
        """The value of each of `candidates` (distinct words) that one of the stems begins (the
        longest such stem's)."""
        values: dict[str, str] = {}
        stems = self._stems
        for word in candidates:
            for stem, value in stems.get(word[:3], ()):
                if word.startswith(stem):
                    values[word] = value
                    break
        return values
