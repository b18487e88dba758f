"""Watchlist rules compiled for matching listings.

Every term and alias of every rule goes into one Aho-Corasick automaton over folded text
(`monitor.fold`), keyed with a space on each side so it only matches whole words: one pass over a
listing's fields finds every term of every rule, so 10,000 terms cost about what 10 do. Terms in
scripts written without spaces (Chinese, Japanese) match anywhere. Regexes run on the original
text, case-insensitive. A rule matches when one of its terms or regexes matches (or it has none)
and all of its conditions hold.

Rules come from the config (`Config.watchlists.rules`, whose `Conditions` record says
min_claimed, post_types, countries, sellers, sources); anything with the attributes `id`, `terms`
(each with `name` and `aliases`), `regexes`, `conditions`, `severity` and `channel` will do, and
there a condition may also be a string such as ``records.claimed >= 1000000`` or
``post_type in [sell, leak]``, a mapping ``{field, op, value}``, or a `Condition`.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from monitor.errors import ConfigError
from monitor.fold import fold, fold_map, original_span
from monitor.models import Listing

log = logging.getLogger(__name__)

# Listing fields searched for terms and regexes, in the order hits are reported.
TEXT_FIELDS: tuple[str, ...] = ("title", "body", "victim.orgs", "victim.domains")
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CONDITION = re.compile(r"^\s*([\w.@]+)\s*(>=|<=|==|!=|>|<|=|not in|in|contains)\s*(.+?)\s*$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "=": operator.eq, "!=": operator.ne,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "contains": lambda a, b: b in a,
}  # fmt: skip
# Fields compared folded, so "KOTZ" in a rule matches the seller shown as "Kotz".
_FOLDED_FIELDS = {"seller.handle", "seller.handle_key", "forum.board", "victim.orgs"}


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a term (or regex) in a listing: `start`/`end` index the original text of
    `field` (for lists such as victim.orgs, `item` says which element)."""

    rule_id: str
    term: str  # the term's name (or the regex pattern)
    matched: str  # the alias as written in the rule, or the text the regex matched
    field: str
    start: int
    end: int
    item: int | None = None
    regex: bool = False  # a regex hit: `term` is the pattern

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"term": self.term, "matched": self.matched, "field": self.field,
                             "start": self.start, "end": self.end}
        if self.item is not None:
            d["item"] = self.item
        if self.regex:
            d["regex"] = True
        return d

    @classmethod
    def from_json(cls, rule_id: str, d: dict[str, Any]) -> Hit:
        return cls(rule_id, d["term"], d["matched"], d["field"], d["start"], d["end"],
                   d.get("item"), bool(d.get("regex", False)))


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any

    def holds(self, listing: Listing) -> bool:
        actual = listing_value(listing, self.field)
        if actual is None or actual == ():
            return self.op in ("!=", "not in")
        expected = self.value
        if self.field in _FOLDED_FIELDS:
            actual = tuple(fold(a) for a in actual) if isinstance(actual, tuple) else fold(actual)
            expected = _fold_value(expected)
        if self.field == "victim.country":
            actual = str(actual).upper()
            expected = _upper_value(expected)
        if isinstance(actual, tuple) and self.op in ("==", "=", "in"):
            # A list field matches when any of its elements does.
            values = expected if isinstance(expected, (list, tuple)) else (expected,)
            return any(a in values for a in actual)
        try:
            return bool(_OPS[self.op](actual, expected))
        except TypeError:
            return False

    def __str__(self) -> str:
        value = "[" + ", ".join(map(str, self.value)) + "]" if isinstance(
            self.value, (list, tuple)) else str(self.value)
        return f"{self.field} {self.op} {value}"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Why a rule matched a listing: the term and regex hits (empty for a conditions-only rule)
    and the conditions that held."""

    rule_id: str
    severity: str
    channel: str | None
    hits: tuple[Hit, ...]
    conditions: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """The distinct terms (not regexes) that matched, in the order first seen."""
        return tuple(dict.fromkeys(h.term for h in self.hits if not h.regex))


@dataclass(frozen=True, slots=True)
class Explanation:
    """The whole story of one rule against one listing, for `bazaarwatch alerts test`."""

    rule_id: str
    matched: bool
    hits: tuple[Hit, ...]
    needs_text: bool  # the rule has terms or regexes, so one of them must match
    conditions: tuple[tuple[str, bool], ...]


@dataclass(slots=True)
class _Compiled:
    id: str
    severity: str
    channel: str | None
    regexes: tuple[re.Pattern[str], ...]
    conditions: tuple[Condition, ...]
    needs_text: bool  # it has terms or regexes, so one of them must match
    source: Any = field(repr=False, default=None)


class RuleSet:
    """All rules, compiled once. `evaluate(listing)` returns the rules that match."""

    def __init__(self, rules: Sequence[_Compiled], automaton: ahocorasick.Automaton | None):
        self._rules = tuple(rules)
        self._by_id = {r.id: i for i, r in enumerate(self._rules)}
        self._automaton = automaton
        # Rules the automaton cannot rule out: regexes, or conditions only.
        self._always = tuple(i for i, r in enumerate(self._rules) if r.regexes or not r.needs_text)

    @classmethod
    def compile(cls, rules: Iterable[Any]) -> RuleSet:
        """Build the rule set; raises ConfigError listing every bad term, regex or condition."""
        errors: list[str] = []
        automaton = ahocorasick.Automaton()
        compiled = [_compile_rule(index, rule, automaton, errors)
                    for index, rule in enumerate(rules)]
        if errors:
            raise ConfigError(errors)
        if not len(automaton):
            return cls(compiled, None)
        automaton.make_automaton()
        return cls(compiled, automaton)

    def __len__(self) -> int:
        return len(self._rules)

    def rule(self, rule_id: str) -> Any:
        """The rule object the set was compiled from; KeyError when there is none."""
        return self._rules[self._by_id[rule_id]].source

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self._rules)

    def evaluate(self, listing: Listing) -> list[RuleMatch]:
        """The rules that match `listing`, in config order."""
        texts = _texts(listing)
        candidates = self._term_candidates(texts)
        maps: dict[int, tuple[str, list[int]]] = {}
        matches = []
        for index in sorted(candidates.keys() | set(self._always)):
            rule = self._rules[index]
            if not all(c.holds(listing) for c in rule.conditions):
                continue
            hits = self._hits(index, texts, candidates.get(index, {}), maps)
            if rule.needs_text and not hits:
                continue
            matches.append(RuleMatch(rule.id, rule.severity, rule.channel, tuple(hits),
                                     tuple(str(c) for c in rule.conditions)))
        return matches

    def explain(self, rule_id: str, listing: Listing) -> Explanation:
        """Whether and why one rule matches; KeyError for an unknown rule id."""
        index = self._by_id[rule_id]
        rule = self._rules[index]
        texts = _texts(listing)
        candidates = self._term_candidates(texts)
        hits = self._hits(index, texts, candidates.get(index, {}), {})
        conds = tuple((str(c), c.holds(listing)) for c in rule.conditions)
        matched = (bool(hits) or not rule.needs_text) and all(ok for _, ok in conds)
        return Explanation(rule.id, matched, tuple(hits), rule.needs_text, conds)

    def _term_candidates(self, texts: list[tuple[str, int | None, str]]
                         ) -> dict[int, dict[int, set[str]]]:
        """Rule index -> {text position -> aliases found there}, from one automaton pass over
        each folded field."""
        found: dict[int, dict[int, set[str]]] = {}
        if self._automaton is None:
            return found
        for pos, (_, _, text) in enumerate(texts):
            for _, entries in self._automaton.iter(" " + fold(text) + " "):
                for index, _name, alias in entries:
                    found.setdefault(index, {}).setdefault(pos, set()).add(alias)
        return found

    def _hits(self, index: int, texts: list[tuple[str, int | None, str]],
              found: dict[int, set[str]], maps: dict[int, tuple[str, list[int]]]) -> list[Hit]:
        """Where the rule's matched aliases and its regexes occur, in original-text offsets.
        `maps` caches fold_map() per text position across the rules of one listing."""
        rule = self._rules[index]
        hits: list[Hit] = []
        for pos, (fname, item, text) in enumerate(texts):
            aliases = found.get(pos)
            if aliases and self._automaton is not None:
                if pos not in maps:
                    maps[pos] = fold_map(text)
                folded, origin = maps[pos]
                for last, entries in self._automaton.iter(" " + folded + " "):
                    for i, name, alias in entries:
                        if i == index and alias in aliases:
                            a, b = original_span(text, origin, *_span(_key(alias) or "", last))
                            hits.append(Hit(rule.id, name, alias, fname, a, b, item))
            for rx in rule.regexes:
                for m in rx.finditer(text):
                    if m.end() > m.start():
                        hits.append(Hit(rule.id, rx.pattern, m.group(0), fname, m.start(),
                                        m.end(), item, regex=True))
        return hits


def _span(key: str, last: int) -> tuple[int, int]:
    """The [start, end) in the folded text of a key found ending at index `last` of the padded
    text (" " + folded + " "), leaving out the key's boundary spaces."""
    start = last - len(key) + 1 + key.startswith(" ")
    end = last + 1 - key.endswith(" ")
    return start - 1, end - 1


def _compile_rule(index: int, rule: Any, automaton: ahocorasick.Automaton,
                  errors: list[str]) -> _Compiled:
    """Add the rule's terms to the shared automaton (value: every (rule index, term name,
    alias) with that folded key) and compile its regexes and conditions."""
    rid = str(rule.id)
    has_terms = False
    for term in getattr(rule, "terms", ()) or ():
        name, aliases = _term_parts(term)
        for alias in dict.fromkeys((name, *aliases)):
            key = _key(alias)
            if key is None:
                errors.append(f"rule {rid}: term {alias!r} has no letters or digits")
                continue
            entries = automaton.get(key, None)
            if entries is None:
                entries = []
                automaton.add_word(key, entries)
            entries.append((index, name, alias))
            has_terms = True
    regexes = []
    for pattern in getattr(rule, "regexes", ()) or ():
        try:
            regexes.append(pattern if isinstance(pattern, re.Pattern)
                           else re.compile(pattern, re.IGNORECASE))
        except re.error as e:
            errors.append(f"rule {rid}: regex {pattern!r}: {e}")
    conditions = []
    for cond in conditions_of(rule):
        try:
            conditions.append(parse_condition(cond))
        except ValueError as e:
            errors.append(f"rule {rid}: condition {cond!r}: {e}")
    return _Compiled(id=rid, severity=str(getattr(rule, "severity", None) or "medium"),
                     channel=getattr(rule, "channel", None), regexes=tuple(regexes),
                     conditions=tuple(conditions), needs_text=has_terms or bool(regexes),
                     source=rule)


def conditions_of(rule: Any) -> tuple[Any, ...]:
    """A rule's conditions as a sequence: the config's `Conditions` record (min_claimed,
    post_types, countries, sellers, sources) becomes one condition per field that is set."""
    conds = getattr(rule, "conditions", None)
    if conds is None:
        return ()
    if not hasattr(conds, "min_claimed"):
        return tuple(conds)
    out: list[Condition] = []
    if conds.min_claimed is not None:
        out.append(Condition("records.claimed", ">=", conds.min_claimed))
    for fname, values in (("post_type", conds.post_types), ("victim.country", conds.countries),
                          ("seller.handle", conds.sellers), ("source.id", conds.sources)):
        if values:
            out.append(Condition(fname, "in", tuple(values)))
    return tuple(out)


def parse_condition(cond: Any) -> Condition:
    """A Condition from a string (``records.claimed >= 1e6``), a mapping or an object with
    `field`, `op` and `value`; ValueError says what is wrong."""
    if isinstance(cond, Condition):
        return cond
    if isinstance(cond, str):
        m = _CONDITION.match(cond)
        if not m:
            raise ValueError("expected 'FIELD OP VALUE', e.g. 'records.claimed >= 1000000'")
        fname, op, raw = m.groups()
        value = _parse_value(raw)
    elif isinstance(cond, dict):
        fname, op, value = cond.get("field"), cond.get("op", "=="), cond.get("value")
    else:
        fname, op, value = (getattr(cond, "field", None), getattr(cond, "op", "=="),
                            getattr(cond, "value", None))
    if not fname or op not in _OPS:
        raise ValueError(f"unknown field or operator (operators: {', '.join(_OPS)})")
    if op in ("in", "not in") and not isinstance(value, (list, tuple)):
        value = (value,)
    if isinstance(value, list):
        value = tuple(value)
    return Condition(str(fname), op, value)


def listing_value(listing: Listing, dotted: str) -> Any:
    """The value of a dotted field name (``records.claimed``) of a listing, None when absent."""
    value: Any = listing
    for part in dotted.split("."):
        if part == "@timestamp":
            part = "timestamp"
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _parse_value(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        return tuple(_parse_value(p) for p in raw[1:-1].split(",") if p.strip())
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    compact = raw.replace("_", "").replace(",", "")
    for kind in (int, float):
        try:
            return kind(compact)
        except ValueError:
            pass
    return raw


def _fold_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(fold(str(v)) for v in value)
    return fold(str(value))


def _upper_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(str(v).upper() for v in value)
    return str(value).upper()


def _term_parts(term: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(term, str):
        return term, ()
    if isinstance(term, dict):
        return str(term["name"]), tuple(term.get("aliases", ()) or ())
    return str(term.name), tuple(getattr(term, "aliases", ()) or ())


def _key(alias: str) -> str | None:
    """The automaton key of an alias: folded, with a space each side (whole words only) unless it
    is written in a script without spaces between words."""
    folded = fold(alias)
    if not folded:
        return None
    return folded if _NO_SPACES.search(folded) else f" {folded} "


def _texts(listing: Listing) -> list[tuple[str, int | None, str]]:
    texts: list[tuple[str, int | None, str]] = [("title", None, listing.title or ""),
                                                ("body", None, listing.body or "")]
    texts += [("victim.orgs", i, o) for i, o in enumerate(listing.victim.orgs)]
    texts += [("victim.domains", i, d) for i, d in enumerate(listing.victim.domains)]
    return texts
