"""Watchlist rules: folded term matching (must / must not), conditions, regexes, highlights."""

from __future__ import annotations

import pytest

from monitor.config import Conditions, Rule, Term
from monitor.errors import ConfigError
from monitor.models import Listing, Records, Seller, Source, Url, Victim
from monitor.rules import RuleSet, parse_condition

BPJS = Rule(id="bpjs", terms=(
    Term("BPJS Kesehatan", aliases=("BPJS Health", "bpjs-kesehatan.go.id")),
), severity="high")


def listing(title: str = "", body: str = "", **kw) -> Listing:
    return Listing(id="l1", source=Source(kw.pop("source_id", "lab-mybb")),
                   url=Url("http://lab.onion/t/1"), title=title, body=body, **kw)


@pytest.mark.parametrize(("text", "matches"), [
    ("BPJS Kesehatan 279M records", True),
    ("selling bpjs-kesehatan database", True),
    ("BPJS_KESEHATAN.sql", True),
    ("Bpjs Kesehatan", True),
    ("ＢＰＪＳ　Ｋｅｓｅｈａｔａｎ leak", True),  # full-width letters and space
    ("BP\u200bJS Keseha\u200ctan", True),  # zero-width characters inside the words
    ("B.P.J.S Kesehatan", True),  # initials written apart are read as one word
    ("B.P Kesehatan", False),  # two letters are no initials
    ("(BPJS)-(Kesehatan)!", True),
    ("dump of bpjs-kesehatan.go.id", True),
    ("BPJS Health members", True),  # alias
    ("bpjs kesehatan", True),
    ("BPJS only", False),  # part of a term is not the term
    ("Kesehatan ministry", False),
    ("BPJSKesehatan", False),  # one word is not two
    ("xbpjs kesehatan", False),  # word boundaries
    ("bpjs kesehatanku", False),
    ("BPJS Ketenagakerjaan", False),
    ("", False),
])  # fmt: skip
def test_folded_term_matching(text: str, matches: bool) -> None:
    rules = RuleSet.compile([BPJS])
    assert bool(rules.evaluate(listing(title=text))) is matches


@pytest.mark.parametrize(("terms", "text", "matches"), [
    ((Term("bpjs"),), "BPJS Kesehatan", True),  # "bpjs" matches when it is a term itself
    ((Term("Société Générale"),), "societe generale clients", True),
    ((Term("societe generale"),), "SOCIÉTÉ GÉNÉRALE", True),
    ((Term("Straße"),), "STRASSE", True),
    ((Term("Сбербанк"),), "база СБЕРБАНК 2024", True),
    ((Term("中国人寿"),), "出售中国人寿保险客户数据", True),  # no spaces between words in Chinese
    ((Term("Tokopedia", aliases=("tokopedia.com",)),), "tokopedia com users", True),
    ((Term("नागरिक"),), "भारतीय नागरिक डेटा", True),
    ((Term("नागरिक"),), "नगर डेटा", False),  # other vowel signs: another word
    ((Term("ACME Corp"),), "acme corporation", False),
    ((Term("x"),), "xx", False),
])  # fmt: skip
def test_terms_and_aliases(terms: tuple[Term, ...], text: str, matches: bool) -> None:
    rules = RuleSet.compile([Rule(id="r", terms=terms)])
    assert bool(rules.evaluate(listing(body=text))) is matches


@pytest.mark.parametrize(("conditions", "kw", "matches"), [
    (Conditions(min_claimed=1_000_000), {"records": Records(claimed=279_000_000)}, True),
    (Conditions(min_claimed=1_000_000), {"records": Records(claimed=1_000_000)}, True),
    (Conditions(min_claimed=1_000_000), {"records": Records(claimed=999_999)}, False),
    (Conditions(min_claimed=1_000_000), {}, False),  # unknown count does not pass a minimum
    (Conditions(post_types=("sell", "leak")), {"post_type": "leak"}, True),
    (Conditions(post_types=("sell", "leak")), {"post_type": "buy"}, False),
    (Conditions(countries=("ID",)), {"victim": Victim(country="ID")}, True),
    (Conditions(countries=("ID",)), {"victim": Victim(country="MY")}, False),
    (Conditions(countries=("ID",)), {}, False),
    (Conditions(sellers=("Kotz",)), {"seller": Seller(handle="KOTZ")}, True),
    (Conditions(sellers=("Kotz",)), {"seller": Seller(handle="ＫＯＴＺ")}, True),
    (Conditions(sellers=("Kotz",)), {"seller": Seller(handle="Kotz2")}, False),
    (Conditions(sources=("lab-mybb",)), {}, True),
    (Conditions(sources=("other",)), {}, False),
    (Conditions(min_claimed=10, post_types=("sell",)),
     {"records": Records(claimed=11), "post_type": "sell"}, True),
    (Conditions(min_claimed=10, post_types=("sell",)),
     {"records": Records(claimed=11), "post_type": "leak"}, False),
])  # fmt: skip
def test_rule_conditions(conditions: Conditions, kw: dict, matches: bool) -> None:
    rules = RuleSet.compile([Rule(id="r", terms=(Term("BPJS Kesehatan"),),
                                  conditions=conditions)])
    assert bool(rules.evaluate(listing(title="BPJS Kesehatan", **kw))) is matches


@pytest.mark.parametrize(("text", "field", "op", "value"), [
    ("records.claimed >= 1000000", "records.claimed", ">=", 1_000_000),
    ("records.claimed >= 1_000_000", "records.claimed", ">=", 1_000_000),
    ("post_type in [sell, leak]", "post_type", "in", ("sell", "leak")),
    ("victim.country == ID", "victim.country", "==", "ID"),
    ("seller.handle in ['Kotz', \"Reseller\"]", "seller.handle", "in", ("Kotz", "Reseller")),
    ("price.usd < 500.5", "price.usd", "<", 500.5),
])  # fmt: skip
def test_parse_condition(text: str, field: str, op: str, value: object) -> None:
    c = parse_condition(text)
    assert (c.field, c.op, c.value) == (field, op, value)


def test_bad_regexes_and_conditions_are_reported_together() -> None:
    bad = Rule(id="bad", regexes=("(unclosed",), conditions=("records.claimed ~ 3",))  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as e:
        RuleSet.compile([bad])
    assert len(e.value.errors) == 2


def test_regex_rule_and_condition_only_rule() -> None:
    rules = RuleSet.compile([
        Rule(id="nik", regexes=(r"\bNIK\b",)),
        Rule(id="huge-id", conditions=Conditions(min_claimed=100_000_000, countries=("ID",))),
    ])
    big = listing(title="NIK + KK", records=Records(claimed=279_000_000),
                  victim=Victim(country="ID"))
    assert [m.rule_id for m in rules.evaluate(big)] == ["nik", "huge-id"]
    assert rules.evaluate(listing(title="nothing")) == []


def test_hits_say_which_term_matched_and_where() -> None:
    title = "[SELL] ＢＰＪＳ-Kesehatan 279M"
    body = "Fresh dump of bpjs-kesehatan.go.id and BPJS Health.\nNIK, phone"
    l1 = listing(title=title, body=body, victim=Victim(orgs=("BPJS Kesehatan",)))
    [m] = RuleSet.compile([BPJS]).evaluate(l1)
    assert m.terms == ("BPJS Kesehatan",)
    found = {(h.field, h.matched, h.item): h for h in m.hits}
    got = {k: (title if k[0] == "title" else body if k[0] == "body" else "BPJS Kesehatan")[
        h.start:h.end] for k, h in found.items()}
    assert got == {
        ("title", "BPJS Kesehatan", None): "ＢＰＪＳ-Kesehatan",
        ("body", "bpjs-kesehatan.go.id", None): "bpjs-kesehatan.go.id",
        ("body", "BPJS Kesehatan", None): "bpjs-kesehatan",
        ("body", "BPJS Health", None): "BPJS Health",
        ("victim.orgs", "BPJS Kesehatan", 0): "BPJS Kesehatan",
    }


def test_explain_says_which_condition_failed() -> None:
    rules = RuleSet.compile([Rule(id="r", terms=(Term("BPJS Kesehatan"),),
                                  conditions=Conditions(min_claimed=10**9))])
    ex = rules.explain("r", listing(title="BPJS Kesehatan", records=Records(claimed=5)))
    assert not ex.matched
    assert [h.matched for h in ex.hits] == ["BPJS Kesehatan"]
    assert ex.conditions == (("records.claimed >= 1000000000", False),)


def test_many_rules_share_one_automaton() -> None:
    rules = [Rule(id=f"r{i}", terms=(Term(f"org number {i}"),)) for i in range(2000)]
    rules.append(Rule(id="dup", terms=(Term("org number 7"),)))
    rs = RuleSet.compile(rules)
    found = rs.evaluate(listing(body="leak of ORG-NUMBER-7 and org number 70"))
    matched = [m.rule_id for m in found]
    assert matched == ["r7", "r70", "dup"]
