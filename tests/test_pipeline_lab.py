"""The listings pipeline behind a real crawl of a lab forum (MyBB markup, the project's spider,
transport and incremental crawling, over loopback): crawl twice, edit a thread in the lab,
crawl again. Each crawl is a child process (a Twisted reactor runs once per process):
`python -m tests.test_pipeline_lab CONFIG_DIR SOURCE_ID` prints one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from monitor.lab.forum import LabForums
from tests.crawl_helpers import ROOT, lab_source, write_config

pytestmark = pytest.mark.elasticsearch


async def crawl_with_flow(config_dir: str, source_id: str) -> dict[str, Any]:
    from monitor.config import load_config
    from monitor.crawl import crawl_source, source_by_id
    from monitor.es.client import make_async_client
    from monitor.indexer import Indexer, IndexNames
    from monitor.normalize import normalize
    from monitor.pipelines import FLOW_SETTING, ListingFlow, hooks
    from monitor.state import db
    from monitor.state.listings import ListingStore

    config = load_config(config_dir)
    es, state_dir = config.monitor.elasticsearch, config.monitor.state_dir
    client = make_async_client(es.hosts, timeout_s=10)
    indexer = Indexer(client, db.connect(state_dir), IndexNames.with_prefix(es.index_prefix),
                      flush_delay_s=0.05)
    store = ListingStore(db.connect(state_dir), hooks(indexer))
    flow = ListingFlow(normalize=lambda raw: normalize(raw, rates=config.monitor.rates),
                       store=store, indexer=indexer)
    indexer.start()
    report = await crawl_source(config, source_by_id(config, source_id),
                                overrides={FLOW_SETTING: flow})
    result = await indexer.close()
    store.close()
    await client.close()
    return {"report": report.line(), "ok": report.ok, "items": report.items,
            "unavailable": result.unavailable, "indexer": indexer.stats.as_dict()}


def crawl(config_dir: Path, source_id: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "tests.test_pipeline_lab", str(config_dir),
                           source_id], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, result["error"]
    assert result["ok"], result["report"]
    return result


def docs(es: Elasticsearch, index: str) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=1000, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_lab_crawl_twice_then_edit(tmp_path: Path, forums: LabForums, es: Elasticsearch,
                                   es_url: str, es_indices: str) -> None:
    source = lab_source(forums, "lab", "mybb", ["databases"])
    config = write_config(tmp_path / "config", [source], state_dir=tmp_path / "state")
    with (config / "monitor.yaml").open("a") as f:
        f.write(f"elasticsearch:\n  hosts: [{es_url}]\n  index_prefix: {es_indices}\n")
    site = forums.state.sites["mybb"]
    threads = list(site.board_threads(site.board("databases")))

    first = crawl(config, "lab")
    assert first["items"] == len(threads) > 0
    listings = docs(es, f"{es_indices}listings")
    assert sorted(d["url"]["full"] for d in listings.values()) == sorted(
        forums.thread_url("mybb", t.tid) for t in threads)
    assert {d["version"] for d in listings.values()} == {1}
    assert all(d["source"]["id"] == "lab" for d in listings.values())

    second = crawl(config, "lab")  # nothing new on the board: nothing refetched, nothing new
    assert second["indexer"]["staged"] == 0
    assert docs(es, f"{es_indices}listings") == listings

    edited = threads[0]
    forums.edit_thread("mybb", edited.tid, body="Updated: now 350 million records, 0.5 BTC.")
    third = crawl(config, "lab")
    assert third["items"] >= 1 and third["indexer"]["rejected"] == 0
    after = docs(es, f"{es_indices}listings")
    assert set(after) == set(listings)
    url = forums.thread_url("mybb", edited.tid)
    (edited_id,) = [i for i, d in after.items() if d["url"]["full"] == url]
    assert after[edited_id]["version"] == 2 and "350 million" in after[edited_id]["body"]
    assert after[edited_id]["first_seen"] == listings[edited_id]["first_seen"]
    assert all(d["version"] == 1 for i, d in after.items() if i != edited_id)
    history = docs(es, f"{es_indices}listing-history")
    assert len(history) == len(threads) + 1
    assert {f"{edited_id}:1", f"{edited_id}:2"} <= set(history)
    assert history[f"{edited_id}:1"]["body"] == listings[edited_id]["body"]


if __name__ == "__main__":
    from tests.test_pipeline_crawl import run_in_reactor

    run_in_reactor(lambda: crawl_with_flow(*sys.argv[1:]))
