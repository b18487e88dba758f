"""Benchmark: listings indexed per second through the pipeline's state and index steps, against
a raw `helpers.async_bulk` of the same documents in the same run.

- pipeline: 10,000 synthetic (already normalised) listings through the state pipeline
  (`StatePipeline.process_item`: state row and spool rows in one SQLite transaction, then the
  indexer told), 16 items in flight as in a crawl with several responses in flight; the indexer
  drains the spool in bulk batches of 500 while listings keep coming; then the pipeline is
  closed as at the end of a crawl (the last partial batch goes at once). Timed until the spool
  is empty. The same with one item at a time is reported as `serial_*`.
- baseline: the very documents the pipeline wrote (10,000 `listings` documents with their
  external versions and 10,000 `listing-history` documents) sent with `helpers.async_bulk`,
  chunks of 500, into indices set up the same way.
Rounds alternate baseline, pipeline and serial pipeline (fresh indices and state every time);
the median of each is reported. Peak memory is the process's max RSS. CPU is this process's
CPU time (`time.process_time()`, every thread) per 10,000 listings, the median of the rounds:
unlike the wall-clock ratio it hardly moves with the load other work puts on the machine.

Run: .venv/bin/python tests/benchmarks/indexing.py [--listings N] [--rounds N] [--in-flight N]
Needs the Elasticsearch of deploy/dev/elasticsearch (started if not running).
Last line: RESULT pipeline_docs_per_s=... raw_bulk_docs_per_s=... ratio=... peak_mb=... (and
serial_docs_per_s, serial_ratio, pipeline_cpu_s_per_10k, raw_cpu_s_per_10k)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from elasticsearch.helpers import async_bulk  # noqa: E402
from scrapy import Spider  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from monitor.es.client import make_async_client, make_client  # noqa: E402
from monitor.es.setup import setup_indices  # noqa: E402
from monitor.indexer import Indexer, IndexNames, listing_actions  # noqa: E402
from monitor.models import (  # noqa: E402
    Forum,
    Listing,
    Price,
    Records,
    SampleLink,
    Seller,
    Source,
    Url,
    Victim,
    listing_id,
)
from monitor.pipelines import FLOW_SETTING, ListingFlow, StatePipeline, hooks  # noqa: E402
from monitor.state import db  # noqa: E402
from monitor.state.listings import NEW, ListingStore, Observation  # noqa: E402

BATCH = 500
WORDS = ("database", "dump", "fresh", "records", "users", "selling", "leak", "full", "citizens",
         "phone", "email", "address", "sample", "price", "escrow", "private", "million",
         "customers", "combo", "verified", "bank", "health", "insurance", "telecom", "gov")


def synthetic(i: int, rng: random.Random) -> Listing:
    url = f"http://forum{i % 7}xyz.onion/Thread-{i}"
    words = " ".join(rng.choice(WORDS) for _ in range(60))
    claimed = rng.choice((10_000, 250_000, 1_000_000, 12_500_000, 279_000_000))
    return Listing(
        id=listing_id(f"forum{i % 7}", url), source=Source(id=f"forum{i % 7}",
                                                          name=f"Forum {i % 7}", engine="mybb"),
        url=Url(full=url, domain=f"forum{i % 7}xyz.onion"), title=f"Selling {words[:60]} #{i}",
        body=words, timestamp=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
        forum=Forum(board="Databases"), lang="en",
        seller=Seller(handle=f"seller{i % 300}", handle_key=f"seller{i % 300}"),
        post_type="sell", records=Records(claimed=claimed, sample=claimed // 100,
                                          text=(f"{claimed}",)),
        price=Price(amount=rng.choice((0.05, 0.15, 1.0)), currency="BTC", text="BTC"),
        samples=(SampleLink(url=f"https://files.example/{i}", host="files.example"),),
        victim=Victim(orgs=(f"Org {i % 50}",), country="ID"),
        data_fields=("name", "phone", "email"),
    )


def ensure_es() -> str:
    script = ROOT / "deploy" / "dev" / "elasticsearch"
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        sys.exit(f"indexing benchmark: Elasticsearch did not start:\n{started.stderr}")
    return started.stdout.strip().splitlines()[-1]


async def run_pipeline(url: str, prefix: str, listings: list[Listing], in_flight: int) -> float:
    """Listings through `StatePipeline.process_item`, `in_flight` at a time (Scrapy keeps
    several items in flight; 1 is the strictly serial case)."""
    with tempfile.TemporaryDirectory(prefix="bazaarwatch-bench-") as state_dir:
        client = make_async_client(url, timeout_s=60)
        indexer = Indexer(client, db.connect(state_dir), IndexNames.with_prefix(prefix),
                          batch_size=BATCH, flush_delay_s=0.2)
        store = ListingStore(db.connect(state_dir), hooks(indexer))
        flow = ListingFlow(normalize=lambda raw: raw, store=store, indexer=indexer)
        crawler = get_crawler(Spider, {FLOW_SETTING: flow})
        crawler._apply_settings()
        pipeline = StatePipeline.from_crawler(crawler)
        feed = iter(listings)

        async def worker() -> None:  # `in_flight` of these: items in flight, as in a crawl
            for listing in feed:
                await pipeline.process_item(listing)

        t0 = time.perf_counter()
        indexer.start()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        await pipeline.close_spider()  # as Scrapy does when the crawl ends
        while (await indexer.spool_depth()).rows:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - t0
        await indexer.close()
        store.close()
        await client.close()
    assert indexer.stats.indexed == 2 * len(listings), indexer.stats
    return elapsed


async def run_raw(url: str, prefix: str, listings: list[Listing]) -> float:
    names = IndexNames.with_prefix(prefix)
    now = datetime.now(UTC)
    actions = []
    for listing in listings:
        placed = dataclasses.replace(listing, first_seen=now, last_seen=now, crawled_at=now)
        actions += listing_actions(Observation(NEW, placed), names)
    client = make_async_client(url, timeout_s=60)
    t0 = time.perf_counter()
    ok, errors = await async_bulk(client, actions, chunk_size=BATCH, raise_on_error=False)
    elapsed = time.perf_counter() - t0
    await client.close()
    assert ok == len(actions) and not errors, errors[:3]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=16,
                        help="items in flight through the pipeline (default 16)")
    args = parser.parse_args()
    url = ensure_es()
    rng = random.Random(7)
    listings = [synthetic(i, rng) for i in range(args.listings)]
    docs = 2 * len(listings)  # a listing document and its first history version each
    es = make_client(url)
    kinds = {"raw": lambda p: run_raw(url, p, listings),
             "pipeline": lambda p: run_pipeline(url, p, listings, args.in_flight),
             "serial": lambda p: run_pipeline(url, p, listings, 1)}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    try:
        for r in range(args.rounds):
            for kind, run in kinds.items():
                prefix = f"bench-{uuid.uuid4().hex[:8]}-"
                setup_indices(es, prefix)
                try:
                    cpu0 = time.process_time()
                    times[kind].append(asyncio.run(run(prefix)))
                    cpu[kind].append((time.process_time() - cpu0) * 10_000 / len(listings))
                finally:
                    es.options(ignore_status=404).indices.delete(index=f"{prefix}*")
                    es.options(ignore_status=404).indices.delete_index_template(
                        name=f"{prefix}*")
                    es.options(ignore_status=404).cluster.delete_component_template(
                        name=f"{prefix}*")
                print(f"round {r + 1} {kind:<8} {times[kind][-1]:6.2f} s "
                      f"{docs / times[kind][-1]:8.0f} docs/s  cpu {cpu[kind][-1]:5.2f} s/10k",
                      flush=True)
    finally:
        es.close()
    rate = {k: docs / statistics.median(v) for k, v in times.items()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT pipeline_docs_per_s={rate['pipeline']:.0f} "
          f"raw_bulk_docs_per_s={rate['raw']:.0f} ratio={rate['pipeline'] / rate['raw']:.2f} "
          f"peak_mb={peak_mb:.0f} serial_docs_per_s={rate['serial']:.0f} "
          f"serial_ratio={rate['serial'] / rate['raw']:.2f} "
          f"pipeline_cpu_s_per_10k={statistics.median(cpu['pipeline']):.2f} "
          f"raw_cpu_s_per_10k={statistics.median(cpu['raw']):.2f} in_flight={args.in_flight} "
          f"listings={len(listings)} docs={docs} rounds={args.rounds}")


if __name__ == "__main__":
    main()
