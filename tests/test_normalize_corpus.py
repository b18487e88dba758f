"""The normalizer measured against the labelled corpus in tests/data/posts/*.jsonl.

Each corpus line is a post as a spider would see it plus `expect`, what a careful analyst says is
true of it (written without looking at the normalizer's output). The format is validated first,
so a typo in a label fails with file:line instead of skewing a score. An HTML body reaches the
normalizer with the text the spiders derive from it (`spiders.text.html_to_text`).

Scoring conventions (also used by tests/benchmarks/normalizer.py):
- counts: exact, `null` included (a post that states no total must not get one);
- sample links: micro-averaged set F1 over the corpus; URLs compare without their scheme (a
  scheme-less "gofile.io/d/x" may fairly become http:// or https://), with the host
  lower-cased and a trailing "/" dropped; magnet links compare as written;
- price: same currency, and the amount within 1% (both null counts as a match);
- post type, country, language: exact.
Labelling conventions, where an analyst could hesitate:
- a range such as "50-60M" is labelled with its lower bound (what the seller at least claims);
- `records.claimed` is a seller's claim: buy/request posts and discussions carry none even when
  they quote numbers; `records.sample` is the size of the sample offered, with or without a link;
- a leak anyone can download is priced 0 (free) even without the word "free"; alternatives
  ("0.2 BTC or 45 XMR") are labelled with the first; a buyer's budget is the buy post's price; a
  currency named without an amount ("in Monero only", "pay in USDT") is kept with a null amount;
- an auction's price is its start price; selling network access is `sell`, selling things that
  are not data or access (a forum account, a channel) is `other`;
- the country is the victim's, from what the post says (ccTLD, demonym, a national identifier
  such as SNILS or CPF, a well-known organisation), never from the post's language alone.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.models import DATA_FIELDS, POST_TYPES, Listing, RawPost
from monitor.onion import is_valid_v3_onion
from spiders.text import html_to_text

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO / "tests" / "data" / "posts"
# Written by someone who saw neither the normalizer nor the corpus; never tuned on (see its README).
HELDOUT_DIR = REPO / "tests" / "data" / "heldout"

LANGS = frozenset({"en", "id", "ru", "zh", "pt", "es", "fr", "hi", "ar"})
CRYPTO = frozenset({"BTC", "XMR", "ETH", "USDT", "LTC"})

POST_KEYS = frozenset(
    {"id", "source", "url", "title", "author", "body", "body_html", "board", "posted_at", "expect"}
)
REQUIRED_POST_KEYS = frozenset({"id", "source", "url", "title", "author", "expect"})
EXPECT_REQUIRED = frozenset(
    {
        "records.claimed", "records.sample", "samples", "price.amount", "price.currency",
        "post_type", "victim.country", "lang",
    }
)  # fmt: skip
EXPECT_OPTIONAL = frozenset({"data_fields", "seller.handle_key", "victim.orgs", "price.negotiable"})

# Targets of issue 5 (on posts the normalizer has never seen).
TARGETS: dict[str, float] = {
    "claimed": 0.95,
    "sample": 0.90,
    "samples_f1": 0.97,
    "price": 0.90,
    "post_type": 0.90,
    "country": 0.85,
    "lang": 0.95,
}

# Posts whose every labelled field must come out exact: the product's reference cases.
MUST = (
    "en-sell-001",  # Kotz / BPJS: title 200M vs body 279 million, free 1M sample, 0.15 BTC
    "id-001",  # the same sale written in Indonesian
    "en-sell-002",
    "en-sell-011",  # auction: start price is the price
    "en-leak-001",
    "ru-001",
    "zh-001",
    "id-002",
    "mybb-001",  # the Kotz post as MyBB prints it, sample links inside a hidden-content box
    "en-sell-055",  # seller "Kоtz" with a Cyrillic о
    "id-038",  # seller "Ｋｏｔｚ" in full-width letters
    "en-sell-056",  # seller "Ko\u200btz" with a zero-width space
    "in-001",  # "10 lakh", "₹30 lakh"
    "pt-001",  # "223,74 milhões", "US$ 5.000"
    "link-006",  # a sample link written twice, a Telegram channel that is not a sample
)


class CorpusError(ValueError):
    """A corpus line is malformed; the message starts with file:line."""


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled post: where it was read, the raw post to normalize and what is expected."""

    where: str  # file:line
    id: str
    raw: RawPost
    expect: dict[str, Any]
    record: dict[str, Any] = field(repr=False)


# --- loading and validation ----------------------------------------------------------------


def _is_int_or_null(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def _is_number_or_null(v: Any) -> bool:
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool) and v >= 0)


def _is_url(v: Any) -> bool:
    return isinstance(v, str) and bool(re.fullmatch(r"(https?://[^\s/]+\S*|magnet:\?\S+)", v))


def _expect_problems(e: Any) -> Iterator[str]:
    if not isinstance(e, dict):
        yield "expect: must be an object"
        return
    for key in sorted(set(e) - EXPECT_REQUIRED - EXPECT_OPTIONAL):
        yield f"expect: unknown key {key!r}"
    for key in sorted(EXPECT_REQUIRED - set(e)):
        yield f"expect: missing key {key!r}"
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "records.claimed": (_is_int_or_null, "a whole number >= 0 or null"),
        "records.sample": (_is_int_or_null, "a whole number >= 0 or null"),
        "samples": (
            lambda v: isinstance(v, list) and all(_is_url(u) for u in v) and len(set(v)) == len(v),
            "a list of distinct refanged http(s):// or magnet: URLs",
        ),
        "price.amount": (_is_number_or_null, "a number >= 0 or null"),
        "price.currency": (
            lambda v: v is None or v in CRYPTO or bool(re.fullmatch(r"[A-Z]{3}", str(v))),
            "an ISO 4217 code, BTC/XMR/ETH/USDT/LTC or null",
        ),
        "post_type": (lambda v: v in POST_TYPES, f"one of {', '.join(POST_TYPES)}"),
        "victim.country": (
            lambda v: v is None or (isinstance(v, str) and bool(re.fullmatch(r"[A-Z]{2}", v))),
            "an ISO 3166-1 alpha-2 code or null",
        ),
        "lang": (lambda v: v in LANGS, f"one of {', '.join(sorted(LANGS))}"),
        "data_fields": (
            lambda v: isinstance(v, list) and all(f in DATA_FIELDS for f in v),
            "a list drawn from monitor.models.DATA_FIELDS",
        ),
        "seller.handle_key": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
        "victim.orgs": (
            lambda v: isinstance(v, list) and all(isinstance(o, str) and o for o in v),
            "a list of names",
        ),
        "price.negotiable": (lambda v: isinstance(v, bool), "true or false"),
    }
    for key, (ok, what) in checks.items():
        if key in e and not ok(e[key]):
            yield f"expect.{key}: {e[key]!r} is not {what}"
    if e.get("price.amount") is not None and e.get("price.currency") is None and e["price.amount"]:
        yield "expect.price.amount: a non-zero amount needs price.currency"
    claimed, sample = e.get("records.claimed"), e.get("records.sample")
    both = _is_int_or_null(claimed) and _is_int_or_null(sample) and None not in (claimed, sample)
    if both and sample > claimed:
        yield f"expect.records.sample: {sample} is more than records.claimed {claimed}"


def _post_problems(d: Any) -> Iterator[str]:
    if not isinstance(d, dict):
        yield "a line must be a JSON object"
        return
    for key in sorted(set(d) - POST_KEYS):
        yield f"unknown key {key!r}"
    for key in sorted(REQUIRED_POST_KEYS - set(d)):
        yield f"missing key {key!r}"
    if ("body" in d) == ("body_html" in d):
        yield "exactly one of 'body' and 'body_html' is needed"
    for key in ("id", "source", "url", "title", "author", "body", "body_html", "board"):
        if key in d and not (isinstance(d[key], str) and d[key].strip()):
            yield f"{key}: must be a non-empty string"
    if isinstance(d.get("id"), str) and not re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", d["id"]):
        yield f"id: {d['id']!r} is not like 'en-sell-001'"
    if "posted_at" in d:
        try:
            if datetime.fromisoformat(d["posted_at"]).tzinfo is None:
                yield "posted_at: needs a time zone"
        except (TypeError, ValueError):
            yield f"posted_at: {d['posted_at']!r} is not ISO 8601"
    yield from _expect_problems(d.get("expect"))


def case_of(where: str, d: dict[str, Any]) -> Case:
    """A validated corpus record as a Case; raises CorpusError naming `where` and every problem."""
    problems = list(_post_problems(d))
    if problems:
        raise CorpusError("\n".join(f"{where}: {p}" for p in problems))
    html = d.get("body_html", "")
    raw = RawPost(
        source_id=d["source"],
        url=d["url"],
        title=d["title"],
        body_text=d["body"] if "body" in d else html_to_text(html),
        body_html=html,
        board=d.get("board"),
        author=d["author"],
        posted_at=datetime.fromisoformat(d["posted_at"]) if "posted_at" in d else None,
    )
    return Case(where=where, id=d["id"], raw=raw, expect=d["expect"], record=d)


def load_corpus(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every post of every *.jsonl file in `directory`, validated; all problems raised at once."""
    cases: list[Case] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.jsonl")):
        rel = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{rel}:{lineno}"
            if not line.strip():
                continue
            try:
                case = case_of(where, json.loads(line))
            except json.JSONDecodeError as e:
                problems.append(f"{where}: not JSON ({e.msg} at column {e.colno})")
                continue
            except CorpusError as e:
                problems.append(str(e))
                continue
            if case.id in seen:
                problems.append(f"{where}: id {case.id!r} already used at {seen[case.id]}")
            thread = f"{case.raw.source_id} {case.raw.url}"
            if thread in seen:
                problems.append(f"{where}: url {case.raw.url!r} already used at {seen[thread]}")
            seen[case.id] = seen[thread] = where
            cases.append(case)
    if problems:
        raise CorpusError("\n".join(problems))
    return cases


# --- scoring -----------------------------------------------------------------------------


def url_key(url: str) -> str:
    """How sample URLs compare: scheme dropped, host lower-cased, trailing '/' dropped."""
    if url.lower().startswith("magnet:"):
        return url
    rest = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE)
    host, sep, path = rest.partition("/")
    return (host.lower() + sep + path).rstrip("/")


def price_matches(amount: float | None, currency: str | None, want: dict[str, Any]) -> bool:
    if currency != want["price.currency"]:
        return False
    expected = want["price.amount"]
    if expected is None or amount is None:
        return expected is None and amount is None
    return math.isclose(amount, expected, rel_tol=0.01, abs_tol=1e-9)


def got_fields(listing: Listing) -> dict[str, Any]:
    """The listing's values under the corpus's `expect` keys."""
    return {
        "records.claimed": listing.records.claimed,
        "records.sample": listing.records.sample,
        "samples": sorted(s.url for s in listing.samples),
        "price.amount": listing.price.amount,
        "price.currency": listing.price.currency,
        "price.negotiable": listing.price.negotiable,
        "post_type": listing.post_type,
        "victim.country": listing.victim.country,
        "victim.orgs": list(listing.victim.orgs),
        "lang": listing.lang,
        "data_fields": sorted(listing.data_fields),
        "seller.handle_key": listing.seller.handle_key,
    }


@dataclass
class Score:
    """Per-field hits over the corpus, and the ids that missed with what was expected/got."""

    total: int = 0
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TARGETS, 0))
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in TARGETS})
    fields_counts: list[int] = field(default_factory=lambda: [0, 0, 0])  # tp, fp, fn

    def add(self, case: Case, got: dict[str, Any]) -> None:
        e = case.expect
        self.total += 1
        exact = {
            "claimed": "records.claimed",
            "sample": "records.sample",
            "post_type": "post_type",
            "country": "victim.country",
            "lang": "lang",
        }
        for name, key in exact.items():
            self._mark(name, case, got[key] == e[key], e[key], got[key])
        self._mark(
            "price",
            case,
            price_matches(got["price.amount"], got["price.currency"], e),
            (e["price.amount"], e["price.currency"]),
            (got["price.amount"], got["price.currency"]),
        )
        if "data_fields" in e:
            wanted, found = set(e["data_fields"]), set(got["data_fields"])
            for i, n in enumerate((wanted & found, found - wanted, wanted - found)):
                self.fields_counts[i] += len(n)
        want = {url_key(u) for u in e["samples"]}
        have = {url_key(u) for u in got["samples"]}
        self.tp += len(want & have)
        self.fp += len(have - want)
        self.fn += len(want - have)
        if want != have:
            extra, missing = sorted(have - want), sorted(want - have)
            self.misses["samples_f1"].append(
                f"{case.id} ({case.where}): missing {missing} extra {extra}"
            )

    def _mark(self, name: str, case: Case, ok: bool, want: Any, got: Any) -> None:
        if ok:
            self.hits[name] += 1
        else:
            self.misses[name].append(f"{case.id} ({case.where}): expected {want!r} got {got!r}")

    def accuracy(self) -> dict[str, float]:
        acc = {k: (self.hits[k] / self.total if self.total else 0.0) for k in TARGETS}
        acc["samples_f1"] = _f1(self.tp, self.fp, self.fn)
        return acc

    def data_fields_f1(self) -> float:
        """Micro F1 of data_fields over the posts that label them (reported, not a target)."""
        return _f1(*self.fields_counts)


def _f1(tp: int, fp: int, fn: int) -> float:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(cases: Iterable[Case], normalize: Callable[[RawPost], Listing]) -> Score:
    result = Score()
    for case in cases:
        try:
            listing = normalize(case.raw)
        except Exception as e:
            raise RuntimeError(f"{case.where}: normalize raised on {case.id}: {e!r}") from e
        result.add(case, got_fields(listing))
    return result


def must_mismatches(case: Case, got: dict[str, Any]) -> list[str]:
    """Every labelled field of `case` that `got` does not match exactly."""
    out = []
    for key, want in case.expect.items():
        have = got[key]
        if key == "samples":
            ok = {url_key(u) for u in want} == {url_key(u) for u in have}
        elif key in ("price.amount", "price.currency"):
            ok = price_matches(got["price.amount"], got["price.currency"], case.expect)
        elif key == "data_fields":
            ok = sorted(want) == sorted(have)
        elif key == "victim.orgs":
            # the shipped gazetteer may name more organisations; the labelled ones must be there
            ok = {_fold(o) for o in want} <= {_fold(o) for o in have}
        else:
            ok = want == have
        if not ok:
            out.append(f"{key}: expected {want!r} got {have!r}")
    return out


def _fold(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


# --- tests -------------------------------------------------------------------------------

CORPUS = load_corpus()
BY_ID = {case.id: case for case in CORPUS}
HELDOUT = load_corpus(HELDOUT_DIR)


def _normalize(raw: RawPost) -> Listing:
    from monitor.normalize import normalize  # the module under test, imported where it is used

    return normalize(raw)


@pytest.mark.parametrize(("cases", "least"), [("corpus", 300), ("heldout", 200)])
def test_corpus_is_big_and_varied(cases: str, least: int) -> None:
    posts = CORPUS if cases == "corpus" else HELDOUT
    assert len(posts) >= least, f"the {cases} set has {len(posts)} posts, it needs {least}+"
    langs = {case.expect["lang"] for case in posts}
    assert langs == LANGS, f"languages missing from the {cases} set: {sorted(LANGS - langs)}"
    kinds = {case.expect["post_type"] for case in posts}
    assert kinds == set(POST_TYPES), f"post types missing: {sorted(set(POST_TYPES) - kinds)}"
    assert any(case.raw.body_html for case in posts), f"no HTML bodies in the {cases} set"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({"expect": ...}, "missing key 'expect'"),
        ({"url": ...}, "missing key 'url'"),
        ({"id": "x-1", "extra": 1}, "unknown key 'extra'"),
        ({"id": "Bad Id"}, "id: 'Bad Id' is not like 'en-sell-001'"),
        ({"expect": {"records.claimd": 1}}, "expect: unknown key 'records.claimd'"),
        ({"expect": {"records.claimed": "279M"}}, "expect.records.claimed: '279M' is not"),
        ({"expect": {"records.claimed": True}}, "expect.records.claimed: True is not"),
        ({"expect": {"samples": ["hxxps://mega[.]nz/x"]}}, "expect.samples:"),
        ({"expect": {"post_type": "selling"}}, "expect.post_type: 'selling' is not"),
        ({"expect": {"victim.country": "IDN"}}, "expect.victim.country: 'IDN' is not"),
        ({"expect": {"lang": "de"}}, "expect.lang: 'de' is not"),
        ({"expect": {"data_fields": ["nik"]}}, "expect.data_fields: ['nik'] is not"),
        (
            {"expect": {"price.amount": 5, "price.currency": None}},
            "expect.price.amount: a non-zero amount needs price.currency",
        ),
        ({"posted_at": "2024-01-01T00:00:00"}, "posted_at: needs a time zone"),
        ({"body_html": "<p>x</p>"}, "exactly one of 'body' and 'body_html'"),
        (
            {"expect": {"records.sample": 10**9}},
            "expect.records.sample: 1000000000 is more than records.claimed 279000000",
        ),
    ],
)
def test_format_errors_name_file_line_and_field(line: dict[str, Any], problem: str) -> None:
    """`line` overrides a good record (`...` removes a key); the error names file:line and field."""
    good = BY_ID["en-sell-001"].record
    bad = {**good, **line}
    if isinstance(line.get("expect"), dict):
        bad["expect"] = {**good["expect"], **line["expect"]}
    bad = {k: v for k, v in bad.items() if v is not ...}
    with pytest.raises(CorpusError) as info:
        case_of("tests/data/posts/x.jsonl:7", bad)
    assert f"tests/data/posts/x.jsonl:7: {problem}" in str(info.value)


def test_load_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    good = BY_ID["en-sell-001"].record
    lines = [
        json.dumps(good),
        json.dumps({**good, "id": "en-sell-999"}),  # same thread URL as line 1
        "{not json",
        json.dumps({**good, "id": "en-sell-001", "url": "https://x.example/t/1"}),  # same id
    ]
    (tmp_path / "x.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    message = str(info.value)
    assert f"{tmp_path}/x.jsonl:2: url {good['url']!r} already used at" in message
    assert f"{tmp_path}/x.jsonl:3: not JSON" in message
    assert f"{tmp_path}/x.jsonl:4: id 'en-sell-001' already used at" in message


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Mega.NZ/file/Ab#Cd", "mega.nz/file/Ab#Cd"),
        ("http://gofile.io/d/x/", "gofile.io/d/x"),
        ("gofile.io/d/x", "gofile.io/d/x"),
        ("magnet:?xt=urn:btih:ABC", "magnet:?xt=urn:btih:ABC"),
    ],
)
def test_url_key(url: str, key: str) -> None:
    assert url_key(url) == key


def _sample_token(url: str) -> str:
    """The part of a labelled sample URL that any written form of it keeps (its last path part,
    or the torrent hash of a magnet link)."""
    if url.startswith("magnet:"):
        return re.search(r"btih:(\w+)", url).group(1)  # type: ignore[union-attr]
    rest, _, query = url_key(url).split("#")[0].partition("?")
    parts = [part for part in rest.split("/") if part]
    return parts[-1] if len(parts) > 1 or not query else query


@pytest.mark.parametrize("case", CORPUS + HELDOUT, ids=lambda case: case.id)
def test_labelled_samples_are_in_their_post(case: Case) -> None:
    """Catches a label typo: every expected sample link must be written somewhere in the post."""
    text = case.raw.body_html or case.raw.body_text
    missing = [u for u in case.expect["samples"] if _sample_token(u).lower() not in text.lower()]
    assert not missing, (
        f"{case.where}: {case.id} labels samples its post does not contain: {missing}"
    )


def test_onion_addresses_in_the_corpus_are_valid_v3() -> None:
    """Sample links on onion hosts must be real v3 addresses (checksum and version), or the
    normalizer would be right to reject them."""
    onion = re.compile(r"\b([a-z2-7]{56})\s*(?:\.|\[\.\]|\(\.\)|\[dot\])\s*onion\b", re.IGNORECASE)
    found = {
        m.group(1).lower(): case.id
        for case in CORPUS + HELDOUT
        for m in onion.finditer(case.raw.body_html or case.raw.body_text)
    }
    assert len(found) >= 10, "the corpus should carry onion links"
    bad = {host: post for host, post in found.items() if not is_valid_v3_onion(host + ".onion")}
    assert not bad, f"invalid v3 onion addresses in the corpus: {bad}"


@pytest.mark.parametrize("cases", ["corpus", "heldout"])
def test_accuracy_meets_issue_targets(cases: str) -> None:
    """The issue's targets hold on the corpus and on the held-out set the code was never tuned
    on (the targets are about posts the normalizer has never seen)."""
    result = score(CORPUS if cases == "corpus" else HELDOUT, _normalize)
    acc = result.accuracy()
    failing = {k: v for k, v in acc.items() if v < TARGETS[k]}
    report = [f"{k}: {acc[k]:.3f} (target {TARGETS[k]})" for k in TARGETS]
    for k in failing:
        report.append(f"--- {k} misses ({len(result.misses[k])}):")
        report.extend(result.misses[k])
    assert not failing, "\n".join(report)


@pytest.mark.parametrize("post_id", MUST)
def test_reference_posts_are_exact(post_id: str) -> None:
    case = BY_ID[post_id]
    mismatches = must_mismatches(case, got_fields(_normalize(case.raw)))
    assert not mismatches, f"{post_id} ({case.where}):\n" + "\n".join(mismatches)
