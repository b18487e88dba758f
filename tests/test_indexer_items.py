"""What the indexer spools for an observed listing (pure: no Elasticsearch)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from monitor.indexer import IndexNames, listing_actions, spool_items
from monitor.state.listings import CHANGED, NEW, UNCHANGED, Observation

from .fixtures.elasticsearch import kotz_listing

NAMES = IndexNames.with_prefix("p-")
V2 = dataclasses.replace(kotz_listing(), version=2)


@pytest.mark.parametrize(("status", "expected"), [
    (NEW, [("index", "p-listings", V2.id), ("create", "p-listing-history", f"{V2.id}:2")]),
    (CHANGED, [("index", "p-listings", V2.id), ("create", "p-listing-history", f"{V2.id}:2")]),
    (UNCHANGED, [("index", "p-listings", V2.id)]),
])
def test_actions_per_status(status: str, expected: list[tuple[str, str, str]]) -> None:
    items = spool_items(Observation(status, V2), NAMES)
    ops = [json.loads(i.op) for i in items]
    assert [(op, m["_index"], m["_id"]) for o in ops for op, m in o.items()] == expected
    assert [i.doc_id for i in items] == [e[2] for e in expected]
    listing_op = ops[0]["index"]
    assert (listing_op["version"], listing_op["version_type"]) == (2, "external_gte")


def test_spooled_documents_are_the_actions_documents() -> None:
    obs = Observation(NEW, V2)
    for item, action in zip(spool_items(obs, NAMES), listing_actions(obs, NAMES), strict=True):
        assert json.loads(item.source) == action["_source"]
    history = json.loads(spool_items(obs, NAMES)[1].source)
    assert history == {**V2.to_doc(), "listing_id": V2.id}
