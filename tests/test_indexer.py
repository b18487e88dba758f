"""The indexer on the real Elasticsearch: versions and history, a mapping rejection in a batch,
and outages played by a proxy in front of the node (connection cut, 503, 429)."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from monitor.es.client import make_async_client
from monitor.indexer import Indexer, IndexNames
from monitor.models import Listing, Records, listing_id
from monitor.state import db, spool
from monitor.state.listings import CHANGED, NEW, UNCHANGED, ListingStore

from .fixtures.elasticsearch import EsProxy, kotz_listing

pytestmark = pytest.mark.elasticsearch


def numbered(i: int, **changes: Any) -> Listing:
    url = f"http://forumxyz.onion/Thread-{i}"
    return kotz_listing(id=listing_id("lab", url), url=dataclasses.replace(
        kotz_listing().url, full=url), title=f"Selling database number {i}", **changes)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Rig:
    store: ListingStore
    indexer: Indexer
    names: IndexNames

    async def record(self, listing: Listing) -> str:
        obs = await self.store.record(listing)
        self.indexer.observed(obs)
        return obs.status


@asynccontextmanager
async def rig(state_dir: Path, url: str, prefix: str, *, start: bool = True,
              **indexer_args: Any) -> AsyncIterator[Rig]:
    clock = Clock()
    client = make_async_client(url, timeout_s=10)
    names = IndexNames.with_prefix(prefix)
    args = {"batch_size": 20, "flush_delay_s": 0.05, "retry_min_s": 0.05, "retry_max_s": 0.2,
            **indexer_args}
    indexer = Indexer(client, db.connect(state_dir), names, clock=clock, **args)
    store = ListingStore(db.connect(state_dir), [indexer.stage], clock=clock)
    if start:
        indexer.start()
    try:
        yield Rig(store, indexer, names)
    finally:
        await indexer.close(timeout_s=10)
        store.close()
        await client.close()


async def until(check: Callable[[], bool | Awaitable[bool]], what: str,
                limit_s: float = 60) -> None:
    """Wait for a condition the indexer reaches on its own (bounded, so a bug fails the test
    instead of hanging it; not a speed assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        ok = check()
        if inspect.isawaitable(ok):
            ok = await ok
        if ok:
            return
        assert loop.time() < deadline, f"gave up waiting for: {what}"
        await asyncio.sleep(0.05)


async def drained(r: Rig) -> bool:
    return (await r.indexer.spool_depth()).rows == 0


async def waiting(r: Rig) -> bool:
    return (await r.indexer.spool_depth()).rows > 0


def spool_rows(state_dir: Path) -> int:
    return spool.depth(db.connect(state_dir)).rows


def ids_in(es: Elasticsearch, index: str) -> list[str]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=10_000, source=False, query={"match_all": {}})
    return sorted(h["_id"] for h in hits["hits"]["hits"])


def test_new_changed_unchanged_versions_and_history(tmp_path: Path, es: Elasticsearch,
                                                    es_url: str, es_indices: str) -> None:
    first = kotz_listing()
    more = dataclasses.replace(first, records=Records(claimed=300_000_000, sample=1_000_000))

    async def scenario() -> list[str]:
        async with rig(tmp_path, es_url, es_indices) as r:
            statuses = [await r.record(first), await r.record(first), await r.record(more),
                        await r.record(more)]
            await until(lambda: drained(r), "the spool to empty")
            return statuses

    assert asyncio.run(scenario()) == [NEW, UNCHANGED, CHANGED, UNCHANGED]
    got = es.get(index=f"{es_indices}listings", id=first.id)
    assert got["_version"] == 2
    assert got["_source"]["version"] == 2
    assert got["_source"]["records"]["claimed"] == 300_000_000
    assert got["_source"]["first_seen"] < got["_source"]["last_seen"]
    history = ids_in(es, f"{es_indices}listing-history")
    assert history == [f"{first.id}:1", f"{first.id}:2"]
    v1 = es.get(index=f"{es_indices}listing-history", id=f"{first.id}:1")["_source"]
    assert (v1["listing_id"], v1["records"]["claimed"]) == (first.id, 279_000_000)
    assert spool_rows(tmp_path) == 0


def test_mapping_rejection_is_logged_and_the_batch_goes_on(
        tmp_path: Path, es: Elasticsearch, es_url: str, es_indices: str,
        caplog: pytest.LogCaptureFixture) -> None:
    good = [numbered(i) for i in range(9)]
    bad = numbered(99, records=Records(claimed="lots"))  # type: ignore[arg-type]

    async def scenario() -> Indexer:
        async with rig(tmp_path, es_url, es_indices, start=False, batch_size=50) as r:
            for listing in [*good[:4], bad, *good[4:]]:
                await r.record(listing)
            await r.indexer.drain()  # all of it in one bulk request
            return r.indexer

    with caplog.at_level(logging.ERROR, logger="monitor.indexer"):
        indexer = asyncio.run(scenario())
    assert ids_in(es, f"{es_indices}listings") == sorted(x.id for x in good)
    assert indexer.stats.rejected == 2  # its listing and its history version
    assert indexer.stats.batches == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all(bad.id in m and "document_parsing_exception" in m and m.startswith("raidforums:")
               for m in errors), errors
    assert spool_rows(tmp_path) == 0


@pytest.mark.parametrize("outage", ["drop", "503", "429"])
def test_outage_spools_then_everything_arrives_once(tmp_path: Path, es: Elasticsearch,
                                                    es_url: str, es_indices: str,
                                                    outage: str) -> None:
    listings = [numbered(i) for i in range(60)]
    changed = [dataclasses.replace(x, price=dataclasses.replace(x.price, amount=0.2))
               for x in listings[:10]]

    async def scenario() -> tuple[int, dict[str, int]]:
        async with EsProxy(es_url) as proxy, rig(tmp_path, proxy.url, es_indices) as r:
            for listing in listings[:20]:
                await r.record(listing)
            await until(lambda: drained(r), "the first listings to arrive")
            proxy.mode = outage
            for listing in [*listings[20:], *changed]:
                await r.record(listing)
            await until(lambda: waiting(r), "actions to wait")
            await until(lambda: proxy.requests.get(outage, 0) >= 3,
                        "several failed attempts")
            held = spool_rows(tmp_path)
            proxy.mode = "up"
            await until(lambda: drained(r), "the spool to drain")
            return held, proxy.requests

    held, requests = asyncio.run(scenario())
    assert held > 0 and requests[outage] >= 3
    assert ids_in(es, f"{es_indices}listings") == sorted(x.id for x in listings)
    assert ids_in(es, f"{es_indices}listing-history") == sorted(
        [f"{x.id}:1" for x in listings] + [f"{x.id}:2" for x in changed])
    for x in changed:
        doc = es.get(index=f"{es_indices}listings", id=x.id)
        assert (doc["_version"], doc["_source"]["price"]["amount"]) == (2, 0.2)


def test_replayed_and_stale_actions_change_nothing(tmp_path: Path, es: Elasticsearch,
                                                   es_url: str, es_indices: str) -> None:
    v1 = kotz_listing()
    v2 = dataclasses.replace(v1, title=v1.title + " (updated)")

    async def scenario() -> Indexer:
        async with rig(tmp_path, es_url, es_indices) as r:
            await r.record(v1)
            await r.record(v2)
            await until(lambda: drained(r), "the spool to empty")
            # Replay everything again (as after a crash between send and delete), and a v1
            # that arrives late.
            conn = db.connect(tmp_path)
            staged = [{"_op_type": "index", "_index": r.names.listings, "_id": v1.id,
                       "version": 1, "version_type": "external_gte",
                       "_source": dataclasses.replace(v1, version=1).to_doc()},
                      {"_op_type": "create", "_index": r.names.history, "_id": f"{v1.id}:1",
                       "_source": {**v1.to_doc(), "listing_id": v1.id}}]
            spool.enqueue(conn, [spool.SpoolItem.from_action(a) for a in staged],
                          datetime.now(UTC))
            r.indexer.notify(2)
            await until(lambda: drained(r), "the replay to finish")
            return r.indexer

    indexer = asyncio.run(scenario())
    assert indexer.stats.stale == 2
    got = es.get(index=f"{es_indices}listings", id=v1.id)
    assert (got["_version"], got["_source"]["title"]) == (2, v2.title)
    assert ids_in(es, f"{es_indices}listing-history") == [f"{v1.id}:1", f"{v1.id}:2"]


CHILD = """
import asyncio, sys
from monitor.es.client import make_async_client
from monitor.indexer import Indexer, IndexNames
from monitor.state import db
from monitor.state.listings import ListingStore
from tests.test_indexer import numbered

async def main(state_dir, url, prefix, n):
    indexer = Indexer(make_async_client(url, timeout_s=2), db.connect(state_dir),
                      IndexNames.with_prefix(prefix), retry_min_s=0.05, retry_max_s=0.1)
    store = ListingStore(db.connect(state_dir), [indexer.stage])
    indexer.start()
    for i in range(n):
        await store.record(numbered(i))
        indexer.notify(2)
    await asyncio.sleep(0.5)  # the indexer tries, fails, backs off
    print("spooled", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


def test_sigkill_with_a_full_spool_then_restart_replays(tmp_path: Path, es: Elasticsearch,
                                                        es_url: str, es_indices: str) -> None:
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # bound, never listening: Elasticsearch is "down"
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), down, es_indices, "25"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parents[1])
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip() == "spooled", child.stderr.read() if child.stderr else ""
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    assert spool_rows(tmp_path) == 50  # 25 listings and their first versions

    async def restart() -> Indexer:
        async with rig(tmp_path, es_url, es_indices) as r:
            await until(lambda: drained(r), "the replay")
            return r.indexer

    indexer = asyncio.run(restart())
    assert indexer.stats.indexed == 50 and indexer.stats.stale == 0
    assert ids_in(es, f"{es_indices}listings") == sorted(numbered(i).id for i in range(25))
    assert ids_in(es, f"{es_indices}listing-history") == sorted(
        f"{numbered(i).id}:1" for i in range(25))
    assert spool_rows(tmp_path) == 0


def test_send_now_sends_a_partial_batch_without_the_flush_delay(
        tmp_path: Path, es: Elasticsearch, es_url: str, es_indices: str) -> None:
    """A crawl's end (`send_now`) does not leave its last listings waiting for more: with a
    flush delay far longer than the wait below, only `send_now` can empty the spool."""
    listings = [numbered(i) for i in range(25)]  # a full batch of 20 actions and a partial one

    async def scenario() -> None:
        async with rig(tmp_path, es_url, es_indices, flush_delay_s=3600) as r:
            for listing in listings:
                await r.record(listing)
            r.indexer.send_now()
            await until(lambda: drained(r), "the spool to empty after send_now")

    asyncio.run(scenario())
    assert ids_in(es, f"{es_indices}listings") == sorted(x.id for x in listings)
