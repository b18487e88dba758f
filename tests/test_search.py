"""`bazaarwatch search` against the real node: the Kotz listing by word, seller and size; the
query builder and formatting table-driven."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from monitor.cli import main
from monitor.es.search import build_query, human_count, since_filter
from monitor.es.setup import setup_indices
from monitor.models import Records, Seller, Source, Url, Victim, listing_id

from .fixtures.elasticsearch import fresh_prefix, kotz_listing

KOTZ = kotz_listing()
RECENT = datetime.now(UTC) - timedelta(days=1)
OTHER = dataclasses.replace(
    KOTZ, id=listing_id("xss", "http://xss.example/t/1"), url=Url(full="http://xss.example/t/1"),
    source=Source(id="xss", name="XSS", engine="xenforo"), title="Selling shop.example 2.5M users",
    body="2.5M users, emails and password hashes", timestamp=RECENT,
    seller=Seller(handle="ShinyHunters", handle_key="shinyhunters"),
    records=Records(claimed=2_500_000), victim=Victim(orgs=("Shop Example",)), rules_matched=())


@pytest.fixture(scope="module")
def indexed(es: Elasticsearch) -> Iterator[str]:
    """Two listings, set up once for the module (the tests only read)."""
    with fresh_prefix(es) as prefix:
        setup_indices(es, prefix)
        for listing in (KOTZ, OTHER):
            es.index(index=f"{prefix}listings", id=listing.id, document=listing.to_doc())
        es.indices.refresh(index=f"{prefix}listings")
        yield prefix


@pytest.mark.parametrize(("args", "expected"), [
    (["bpjs"], [KOTZ.id]),
    (["BPJS Kesehatan"], [KOTZ.id]),
    (["--seller", "kotz"], [KOTZ.id]),
    (["--seller", "ＫＯＴＺ"], [KOTZ.id]),  # full-width, upper case
    (["--min-records", "100000000"], [KOTZ.id]),
    (["--min-records", "1000000"], [OTHER.id, KOTZ.id]),  # newest first
    (["--since", "7d"], [OTHER.id]),
    (["password", "--since", "2021-01-01"], [OTHER.id]),
    (["nothing-like-this"], []),
])
def test_search_json(indexed: str, es_url: str, capsys: pytest.CaptureFixture[str],
                     args: list[str], expected: list[str]) -> None:
    code = main(["search", *args, "--json", "--url", es_url, "--index-prefix", indexed])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [json.loads(line)["_id"] for line in lines] == expected


def test_search_table_marks_the_matched_words(indexed: str, es_url: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "bpjs", "--url", es_url, "--index-prefix", indexed]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["TIME", "FORUM", "SELLER", "RECORDS", "PRICE", "TITLE"]
    assert row.split()[:7] == ["2021-05-12", "08:30", "RaidForums", "Kotz", "279M", "0.15", "BTC"]
    assert row.endswith("[SELLING] Indonesia «BPJS» Kesehatan 200M")


def test_no_hit_exits_one(indexed: str, es_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "zzzz", "--url", es_url, "--index-prefix", indexed]) == 1
    assert "no listings found" in capsys.readouterr().err


@pytest.mark.parametrize(("since", "expected"), [
    ("7d", {"range": {"@timestamp": {"gte": "now-7d"}}}),
    ("12h", {"range": {"@timestamp": {"gte": "now-12h"}}}),
    ("2026-01-31", {"range": {"@timestamp": {"gte": "2026-01-31"}}}),
])
def test_since(since: str, expected: dict) -> None:
    assert since_filter(since) == expected


@pytest.mark.parametrize("since", ["7 days", "yesterday", "7y", "-1d"])
def test_bad_since(since: str) -> None:
    with pytest.raises(ValueError, match="use 7d, 12h"):
        since_filter(since)


def test_bad_since_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "x", "--since", "soon", "--url", "http://127.0.0.1:1"]) == 2
    assert "--since 'soon'" in capsys.readouterr().err


@pytest.mark.parametrize(("n", "text"), [
    (None, "-"), (999, "999"), (12_000, "12k"), (1_500_000, "1.5M"), (279_000_000, "279M"),
    (100_002, "100k"), (2_900_000_000, "2.9B"),
])
def test_human_count(n: int | None, text: str) -> None:
    assert human_count(n) == text


def test_empty_query_lists_by_time() -> None:
    assert build_query("") == {"bool": {"must": [{"match_all": {}}], "filter": []}}
