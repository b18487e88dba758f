"""What the indexer spools for an observed listing (pure: no Elasticsearch), and the document
serialised straight from the dataclasses being `Listing.to_doc()`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.indexer import IndexNames, document_json, listing_actions, spool_items
from monitor.models import Evidence, Listing, Price, Seller, Victim
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


KOTZ = kotz_listing()
DOCUMENTS = [
    ("every field filled", KOTZ),
    ("fields left at None", dataclasses.replace(
        KOTZ, timestamp=None, lang=None, seller=Seller(handle="x"), price=Price(),
        victim=Victim(orgs=("Org",)), evidence=Evidence())),
    ("other offset, microseconds", dataclasses.replace(
        KOTZ, timestamp=datetime(2026, 3, 1, 10, 0, 0, 1234, tzinfo=timezone(timedelta(hours=7))),
        last_seen=datetime(2026, 3, 1, 10, 0, 0, 999_999, tzinfo=UTC))),
    ("naive time", dataclasses.replace(KOTZ, crawled_at=datetime(2026, 3, 1, 10, 0))),
    ("unicode and quotes", dataclasses.replace(
        KOTZ, title='Ünïcode "quoted" \\ 数据 \u2028', body="\x00\ttabs\nlines")),
]


@pytest.mark.parametrize("listing", [d[1] for d in DOCUMENTS], ids=[d[0] for d in DOCUMENTS])
def test_the_serialised_document_is_to_doc(listing: Listing) -> None:
    assert json.loads(document_json(listing)) == listing.to_doc()
    digest = listing.content_sha256()
    assert json.loads(document_json(listing, digest)) == listing.to_doc()


@pytest.mark.parametrize("status", [NEW, CHANGED, UNCHANGED])
def test_a_known_content_hash_is_used_as_given(status: str) -> None:
    """The state step hands its hash on, so the document does not hash the listing again."""
    items = spool_items(Observation(status, V2, content_sha256="c0ffee"), NAMES)
    assert {json.loads(i.source)["content_sha256"] for i in items} == {"c0ffee"}
