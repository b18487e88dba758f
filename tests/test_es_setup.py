"""`es setup` / `es status` and the listing mapping on the real Elasticsearch node."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import BadRequestError, Elasticsearch

from monitor.cli import main
from monitor.errors import ElasticsearchUnavailable, IndexSetupError
from monitor.es.client import make_client
from monitor.es.mappings import INDEX_NAMES
from monitor.es.setup import index_name, setup_indices
from monitor.models import Listing
from tests.crawl_helpers import write_config

from .fixtures.elasticsearch import kotz_listing
from .test_es_mapping import LISTING_FIELDS, mapped_fields

pytestmark = pytest.mark.elasticsearch


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}, "c": [{"d": 2}, {"d": 3}]}` -> `{"a.b": 1, "c.d": [2, 3]}`-like pairs,
    keeping list positions so values are compared one by one."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.update(flatten(v, f"{prefix}{i}."))
    else:
        out[prefix.rstrip(".")] = doc
    return out


def test_setup_twice_is_idempotent(es: Elasticsearch, es_url: str, es_prefix: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["es", "setup", "--url", es_url, "--index-prefix", es_prefix]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert f"index {es_prefix}listings-v1 created" in first
    assert main(argv) == 0
    second = capsys.readouterr().out
    assert "already set up: nothing changed" in second
    for name in INDEX_NAMES:
        assert f"{es_prefix}{name} -> {es_prefix}{name}-v1" in second
        aliases = es.indices.get_alias(name=f"{es_prefix}{name}")
        assert list(aliases) == [f"{es_prefix}{name}-v1"]
        assert aliases[f"{es_prefix}{name}-v1"]["aliases"][f"{es_prefix}{name}"]["is_write_index"]
    assert sorted(es.indices.get(index=f"{es_prefix}*")) == sorted(
        f"{es_prefix}{n}-v1" for n in INDEX_NAMES)


def test_status_prints_health_indices_and_counts(es: Elasticsearch, es_url: str,
                                                 es_indices: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    listing = kotz_listing()
    es.index(index=f"{es_indices}listings", id=listing.id, document=listing.to_doc(),
             refresh=True)
    assert main(["es", "status", "--url", es_url, "--index-prefix", es_indices]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("cluster ") and (": green" in out[0] or ": yellow" in out[0])
    row = next(line for line in out if f"{es_indices}listings " in line)
    assert f"{es_indices}listings-v1" in row and row.endswith("1 docs")


def test_live_mapping_covers_every_listing_field(es: Elasticsearch, es_indices: str) -> None:
    mapping = es.indices.get_mapping(index=f"{es_indices}listings")
    (body,) = mapping.values()
    assert body["mappings"]["dynamic"] == "strict"
    live = mapped_fields(body["mappings"]["properties"])
    assert sorted(live) == sorted(LISTING_FIELDS)


def test_full_listing_round_trips_field_by_field(es: Elasticsearch, es_indices: str) -> None:
    listing = kotz_listing()
    doc = listing.to_doc()
    es.index(index=f"{es_indices}listings", id=listing.id, document=doc, refresh=True)
    got = es.get(index=f"{es_indices}listings", id=listing.id)
    assert got["_index"] == f"{es_indices}listings-v1"
    sent, stored = flatten(doc), flatten(got["_source"])
    for path, value in sent.items():
        assert stored.get(path) == value, path
    assert set(stored) == set(sent)
    assert Listing.from_doc(got["_id"], got["_source"]) == listing
    # The typed fields are searchable as their types, not as text.
    index = f"{es_indices}listings"
    queries: list[dict[str, Any]] = [
        {"range": {"records.claimed": {"gte": 100_000_000}}},
        {"range": {"@timestamp": {"gte": "2021-05-01", "lt": "2021-06-01"}}},
        {"term": {"seller.handle.keyword": "Kotz"}},
        {"match": {"title": "bpjs"}},
        {"term": {"samples.onion": True}},
        {"term": {"victim.orgs.keyword": "BPJS Kesehatan"}},
        {"range": {"price.usd": {"gt": 8000.0}}},
    ]
    for query in queries:
        assert es.count(index=index, query=query)["count"] == 1, query


@pytest.mark.parametrize(("where", "doc_change"), [
    ("top level", {"sellr": {"handle": "Kotz"}}),
    ("inside seller", {"seller": {"handle": "Kotz", "nick": "kotz"}}),
    ("inside samples[]", {"samples": [{"url": "https://x.example/a", "host": "x.example",
                                       "size": 10}]}),
    ("inside records", {"records": {"claimed": 1, "claimd": 2}}),
])
def test_unknown_field_is_rejected(es: Elasticsearch, es_indices: str, where: str,
                                   doc_change: dict[str, Any]) -> None:
    listing = kotz_listing()
    doc = {**listing.to_doc(), **doc_change}
    with pytest.raises(BadRequestError) as e:
        es.index(index=f"{es_indices}listings", id=listing.id, document=doc)
    assert e.value.error == "strict_dynamic_mapping_exception", where


def test_mapping_version_rolls_out_by_moving_the_alias(es: Elasticsearch, es_indices: str) -> None:
    prefix = es_indices
    listing = kotz_listing()
    es.index(index=f"{prefix}listings", id=listing.id, document=listing.to_doc(), refresh=True)
    report = setup_indices(es, prefix, version=2)
    assert f"copied 1 documents from {prefix}listings-v1 to {prefix}listings-v2" in report.changes
    assert list(es.indices.get_alias(name=f"{prefix}listings")) == [f"{prefix}listings-v2"]
    assert es.get(index=f"{prefix}listings", id=listing.id)["_index"] == f"{prefix}listings-v2"
    assert es.indices.exists(index=index_name(prefix, "listings", 1))  # left for the operator
    assert setup_indices(es, prefix, version=2).changes == []


def test_concrete_index_on_an_alias_name_is_an_error(es: Elasticsearch, es_prefix: str) -> None:
    es.indices.create(index=f"{es_prefix}alerts")
    with pytest.raises(IndexSetupError, match="is a concrete index, not an alias"):
        setup_indices(es, es_prefix)


def test_unreachable_cluster_is_elasticsearch_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        client = make_client(f"http://127.0.0.1:{port}", max_retries=0)
        with pytest.raises(ElasticsearchUnavailable) as e:
            setup_indices(client, "x-")
    assert e.value.__cause__ is not None


def test_setup_reads_hosts_and_prefix_from_the_config(tmp_path: Path, es: Elasticsearch,
                                                      es_url: str, es_prefix: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "config", [], state_dir=tmp_path / "state")
    with (config / "monitor.yaml").open("a") as f:
        f.write(f"elasticsearch:\n  hosts: [{es_url}]\n  index_prefix: {es_prefix}\n")
    assert main(["es", "setup", "--config-dir", str(config)]) == 0
    assert f"{es_prefix}listings -> {es_prefix}listings-v1" in capsys.readouterr().out
    assert es.indices.exists_alias(name=f"{es_prefix}alerts")
    # --url wins over the configuration's hosts
    closed = f"http://127.0.0.1:{_closed_port()}"
    assert main(["es", "status", "--config-dir", str(config), "--url", closed]) == 1
    assert "Elasticsearch status failed" in capsys.readouterr().err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_status_before_setup_says_what_to_run(es_url: str, es_prefix: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["es", "status", "--url", es_url, "--index-prefix", es_prefix]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == [f"{es_prefix}{n}" for n in INDEX_NAMES]
    assert all(line.endswith("not set up (run: bazaarwatch es setup)") for line in out[1:])
