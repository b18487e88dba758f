"""Hostile input: the normalizer returns a listing for anything a page can hold (huge or repeated
tokens, broken HTML, invalid text, nesting too deep for the parser), and what it reads of a post
is bounded, so one page cannot stall a crawl. No timings here: the inputs are chosen so that a
quadratic or exponential path would not finish within the suite's timeout."""

from __future__ import annotations

import pytest

from monitor.models import RawPost
from monitor.normalize import MAX_BODY_CHARS, normalize

SIZE = 300_000


@pytest.mark.parametrize(("name", "body"), [
    ("defanged dots", "[.]" * (SIZE // 3)),
    ("at signs", "@" * SIZE),
    ("digits", "1" * SIZE),
    ("digit groups", "1,000," * (SIZE // 6)),
    ("spaced groups", "1 000 " * (SIZE // 6)),
    ("dotted labels", "http://" + "a." * (SIZE // 2) + "com"),
    ("email-like", "a" * (SIZE // 2) + "@" + "b." * (SIZE // 4)),
    ("hex", "ab" * (SIZE // 2)),
    ("chinese numerals", "一二三四五六七八九十百千万亿" * (SIZE // 14)),
    ("hyphens", "a-" * (SIZE // 2)),
    ("surrogates", "\udcff\ufffd" * (SIZE // 2)),
    ("nulls", "\x00" * SIZE),
    # one endless defanged host that fails at its end: each try used to give back every label
    ("spaced defanged labels", "x (.) " * (SIZE // 6)),
    ("long labels, spaced dots", ("a" * 60 + " [.] ") * (SIZE // 65)),
])
def test_pathological_bodies_return_a_listing(name: str, body: str) -> None:
    listing = normalize(RawPost("s", "http://forum.example/t/1", "Selling 5M users", body))
    assert listing.body == body  # kept whole; only what is analysed is bounded
    assert listing.records.claimed in (5_000_000, None)


def test_text_beyond_the_bound_is_not_analysed() -> None:
    tail = " Sample 10k lines: https://gofile.io/d/late"
    listing = normalize(RawPost("s", "http://forum.example/t/1", "db",
                                "x " * MAX_BODY_CHARS + tail))
    assert listing.samples == ()


@pytest.mark.parametrize("html", [
    "<div>" * 5000 + 'Sample: <a href="https://gofile.io/d/x">x</a>' + "</div>" * 5000,
    "<p>unclosed <b>tags <a href='hxxps://mega[.]nz/file/a#b'>sample</a><p>",
    "<script>alert(1)</script><a href=\"javascript:alert(1)\">x</a><!-- c -->",
    "<<<>>> &#0; &bogus; <a href=>",
])
def test_broken_html(html: str) -> None:
    listing = normalize(RawPost("s", "http://forum.example/t/1", "t", "", body_html=html))
    assert "alert" not in " ".join(listing.links)
    if "gofile" in html or "mega" in html:
        assert len(listing.samples) == 1


def test_slack_and_html_injection_in_titles_is_kept_as_text() -> None:
    title = "<!channel> <@U024BE7LH> <b onmouseover=alert(1)>Selling</b> 3M"
    listing = normalize(RawPost("s", "http://forum.example/t/1", title, "price $500"))
    assert listing.title == title and listing.records.claimed == 3_000_000
