"""The state step on its own (SQLite only): new / changed / unchanged, versions, first and last
seen, batched last_seen moves, hooks committing with the state or not at all."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import StateError
from monitor.models import Price, Records, SampleLink, Seller
from monitor.state import db
from monitor.state import listings as state
from monitor.state.listings import CHANGED, NEW, UNCHANGED, ListingStore, Observation

from .fixtures.elasticsearch import kotz_listing

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BASE = kotz_listing()

# A change of any of these fields is a new version; of the others, not.
CHANGES = [
    ("title", {"title": "[SELLING] BPJS 279M"}, CHANGED),
    ("body", {"body": "now with more"}, CHANGED),
    ("records", {"records": Records(claimed=300_000_000)}, CHANGED),
    ("price", {"price": Price(amount=0.2, currency="BTC")}, CHANGED),
    ("samples", {"samples": (SampleLink(url="https://x.example/1", host="x.example"),)}, CHANGED),
    ("seller", {"seller": Seller(handle="Kotz2", handle_key="kotz2")}, CHANGED),
    ("crawl time", {"crawled_at": T0 + timedelta(days=3)}, UNCHANGED),
    ("rules", {"rules_matched": ("other",)}, UNCHANGED),
    ("language", {"lang": "id"}, UNCHANGED),
]


@pytest.mark.parametrize(("what", "change", "status"), CHANGES, ids=[c[0] for c in CHANGES])
def test_what_makes_a_new_version(tmp_path: Path, what: str, change: dict, status: str) -> None:
    conn = db.connect(tmp_path)
    first = state.observe(conn, BASE, T0)
    again = state.observe(conn, dataclasses.replace(BASE, **change), T0 + timedelta(hours=1))
    assert first.status == NEW and first.listing.version == 1
    assert again.status == status
    assert again.listing.version == (2 if status == CHANGED else 1)
    assert again.listing.first_seen == T0
    assert again.listing.last_seen == T0 + timedelta(hours=1)


def test_unchanged_listings_move_last_seen_in_batches(tmp_path: Path) -> None:
    times = iter([T0 + timedelta(minutes=i) for i in range(10)])
    store = ListingStore(db.connect(tmp_path), touch_batch=3, clock=lambda: next(times))
    others = [dataclasses.replace(BASE, id=f"l{i}") for i in range(3)]
    for listing in others:
        store.record_sync(listing)  # new: T0..T0+2m
    store.record_sync(others[0])  # unchanged at +3m: batched, not written yet
    assert state.get(store.conn, "l0")["last_seen"] == T0.isoformat()
    store.record_sync(others[1])
    store.record_sync(others[2])  # third unchanged: the batch is written
    assert state.get(store.conn, "l0")["last_seen"] == (T0 + timedelta(minutes=3)).isoformat()
    assert state.get(store.conn, "l2")["last_seen"] == (T0 + timedelta(minutes=5)).isoformat()
    assert state.get(store.conn, "l2")["version"] == 1


def test_a_failing_hook_rolls_the_state_back(tmp_path: Path) -> None:
    def broken(conn: sqlite3.Connection, obs: Observation) -> None:
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    store = ListingStore(db.connect(tmp_path), [broken])
    with pytest.raises(StateError, match=f"raidforums: cannot record listing {BASE.id}"):
        asyncio.run(store.record(BASE))
    assert state.get(store.conn, BASE.id) is None
    store.close()


def test_hooks_see_the_placed_listing_and_may_replace_it(tmp_path: Path) -> None:
    seen: list[Observation] = []

    def tag(conn: sqlite3.Connection, obs: Observation) -> Observation:
        return Observation(obs.status, dataclasses.replace(obs.listing, rules_matched=("r1",)))

    def record(conn: sqlite3.Connection, obs: Observation) -> None:
        seen.append(obs)

    store = ListingStore(db.connect(tmp_path), [tag, record], clock=lambda: T0)
    obs = asyncio.run(store.record(BASE))
    assert obs.listing.rules_matched == ("r1",) and seen == [obs]
    assert (obs.listing.version, obs.listing.first_seen) == (1, T0)
    store.close()


def test_one_failing_listing_in_a_group_leaves_the_others_committed(tmp_path: Path) -> None:
    bad_id = "l1"

    def picky(conn: sqlite3.Connection, obs: Observation) -> None:
        conn.execute("INSERT INTO es_spool (enqueued_at, doc_id, op_json, source_json) "
                     "VALUES ('t', ?, '{}', '{}')", (obs.listing.id,))
        if obs.listing.id == bad_id:
            conn.execute("INSERT INTO no_such_table VALUES (1)")

    store = ListingStore(db.connect(tmp_path), [picky])
    listings = [dataclasses.replace(BASE, id=f"l{i}") for i in range(3)]

    async def together() -> list[Observation | BaseException]:
        return await asyncio.gather(*(store.record(x) for x in listings), return_exceptions=True)

    results = asyncio.run(together())
    assert isinstance(results[1], StateError)
    assert [r.status for r in (results[0], results[2])] == [NEW, NEW]  # type: ignore[union-attr]
    assert [state.get(store.conn, f"l{i}") is not None for i in range(3)] == [True, False, True]
    spooled = [r[0] for r in store.conn.execute("SELECT doc_id FROM es_spool ORDER BY seq")]
    assert spooled == ["l0", "l2"]  # the failed listing's hook work was rolled back too
    store.close()


class Collect:
    """A batch hook that keeps what each group wrote, and fails `prepare` for one listing."""

    def __init__(self, bad_id: str | None = None) -> None:
        self.bad_id = bad_id
        self.groups: list[list[tuple[str, str, int]]] = []

    def prepare(self, obs: Observation) -> tuple[str, str, int]:
        if obs.listing.id == self.bad_id:
            raise ValueError(f"cannot prepare {obs.listing.id}")
        return (obs.listing.id, obs.status, obs.listing.version)

    def write(self, conn: sqlite3.Connection, prepared: list[tuple[str, str, int]]) -> None:
        conn.executemany("INSERT INTO es_spool (enqueued_at, doc_id, op_json, source_json) "
                         "VALUES ('t', ?, '{}', '{}')", [(p[0],) for p in prepared])
        self.groups.append(prepared)


def record_together(store: ListingStore, listings: list) -> list[Observation | BaseException]:
    async def together() -> list[Observation | BaseException]:
        return await asyncio.gather(*(store.record(x) for x in listings), return_exceptions=True)

    return asyncio.run(together())


# A listing seen more than once in one group is placed against its earlier sighting.
SIGHTINGS = [
    ("new, unchanged", [{}, {}], [(NEW, 1), (UNCHANGED, 1)]),
    ("new, changed", [{}, {"title": "v2"}], [(NEW, 1), (CHANGED, 2)]),
    ("new, changed, changed", [{}, {"title": "v2"}, {"title": "v3"}],
     [(NEW, 1), (CHANGED, 2), (CHANGED, 3)]),
]


@pytest.mark.parametrize(("what", "changes", "expected"), SIGHTINGS, ids=[s[0] for s in SIGHTINGS])
def test_one_listing_twice_in_a_group(tmp_path: Path, what: str, changes: list[dict],
                                      expected: list[tuple[str, int]]) -> None:
    hook = Collect()
    store = ListingStore(db.connect(tmp_path), [hook], clock=lambda: T0)
    results = store._record_group([dataclasses.replace(BASE, **c) for c in changes])
    assert [(r.status, r.listing.version) for r in results] == expected  # type: ignore[union-attr]
    assert state.get(store.conn, BASE.id)["version"] == expected[-1][1]
    assert hook.groups == [[(BASE.id, s, v) for s, v in expected]]
    store.close()


def test_a_batch_hook_writes_once_per_group_and_a_failed_prepare_drops_one_listing(
        tmp_path: Path) -> None:
    hook = Collect(bad_id="l1")
    store = ListingStore(db.connect(tmp_path), [hook])
    listings = [dataclasses.replace(BASE, id=f"l{i}") for i in range(3)]
    results = record_together(store, listings)
    assert isinstance(results[1], ValueError)
    assert [state.get(store.conn, f"l{i}") is not None for i in range(3)] == [True, False, True]
    spooled = [r[0] for r in store.conn.execute("SELECT doc_id FROM es_spool ORDER BY seq")]
    assert spooled == ["l0", "l2"]
    assert sum(len(g) for g in hook.groups) == 2
    hook.bad_id = None
    again = record_together(store, listings)  # l1 was not recorded: it is new now
    assert [r.status for r in again] == [UNCHANGED, NEW, UNCHANGED]  # type: ignore[union-attr]
    store.close()


def test_a_failed_prepare_after_a_plain_hook_rolls_that_hook_back(tmp_path: Path) -> None:
    def plain(conn: sqlite3.Connection, obs: Observation) -> None:
        conn.execute("INSERT INTO es_spool (enqueued_at, doc_id, op_json, source_json) "
                     "VALUES ('t', ?, '{}', '{}')", ("plain:" + obs.listing.id,))

    store = ListingStore(db.connect(tmp_path), [plain, Collect(bad_id="l0")])
    listings = [dataclasses.replace(BASE, id=f"l{i}") for i in range(2)]
    results = record_together(store, listings)
    assert isinstance(results[0], ValueError) and results[1].status == NEW  # type: ignore[union-attr]
    spooled = [r[0] for r in store.conn.execute("SELECT doc_id FROM es_spool ORDER BY seq")]
    assert spooled == ["plain:l1", "l1"]
    store.close()


def test_the_content_hash_is_handed_on(tmp_path: Path) -> None:
    store = ListingStore(db.connect(tmp_path))
    obs = store.record_sync(BASE)
    assert obs.content_sha256 == BASE.content_sha256()
    store.close()
