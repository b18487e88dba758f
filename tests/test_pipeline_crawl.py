"""The item pipelines in a real Scrapy crawl: a forum served by a stdlib HTTP server on loopback,
a small spider that yields RawPosts, the real normalizer, state store, alert rules, indexer and
Elasticsearch. Each scenario runs in a child process (a Twisted reactor runs once per process):
`python -m tests.test_pipeline_crawl SCENARIO STATE_DIR ES_URL PREFIX` prints one JSON line.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parents[1]

THREADS = {
    1: ("[SELLING] Indonesia BPJS Kesehatan 200M",
        "279 million records: NIK, phone, address. Free 1 million sample. Price 0.15 BTC."),
    2: ("Selling shop.example customers 2.5M",
        "2.5M customers with emails and password hashes. 500$ escrow only."),
    3: ("Leak: cityhall.example staff", "Full dump of 12,000 staff records, free download."),
}


# -- the forum and the spider (run in the child) ------------------------------------------------
class Forum:
    """Threads that a test can edit while the server runs."""

    def __init__(self) -> None:
        self.threads = dict(THREADS)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        forum = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/board":
                    links = "".join(f'<a class="thread" href="/thread/{n}">{html.escape(t)}</a>'
                                    for n, (t, _) in forum.threads.items())
                    body = f"<html><body>{links}</body></html>"
                elif self.path.startswith("/thread/"):
                    title, text = forum.threads[int(self.path.rsplit("/", 1)[1])]
                    body = (f"<html><body><h1>{html.escape(title)}</h1><span class=author>Kotz"
                            f"</span><div class=post>{html.escape(text)}</div></body></html>")
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def spider_class() -> type:
    import scrapy

    from monitor.models import RawPost

    class LoopbackSpider(scrapy.Spider):
        name = "loopback"

        def __init__(self, base: str, **kw: Any):
            super().__init__(**kw)
            self.base = base

        async def start(self) -> Any:
            yield scrapy.Request(f"{self.base}/board")

        def parse(self, response: Any) -> Any:
            for href in response.css("a.thread::attr(href)").getall():
                yield response.follow(href, self.parse_thread)

        def parse_thread(self, response: Any) -> Any:
            yield RawPost(source_id="lab-mybb", url=response.url,
                          title=response.css("h1::text").get(""),
                          body_text=response.css("div.post::text").get(""),
                          author=response.css("span.author::text").get(),
                          board="Databases", source_name="Lab MyBB", engine="mybb")

    return LoopbackSpider


async def scenario(name: str, state_dir: str, es_url: str, prefix: str) -> dict[str, Any]:
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerRunner

    from monitor.alerts import Alerter
    from monitor.config import Rule, Term
    from monitor.es.client import make_async_client
    from monitor.indexer import Indexer, IndexNames
    from monitor.normalize import normalize
    from monitor.pipelines import FLOW_SETTING, ListingFlow, hooks
    from monitor.rules import RuleSet
    from monitor.state import db
    from monitor.state.listings import ListingStore
    from tests.fixtures.elasticsearch import EsProxy

    forum = Forum()
    async with EsProxy(es_url) as proxy:
        client = make_async_client(proxy.url, timeout_s=5)
        indexer = Indexer(client, db.connect(state_dir), IndexNames.with_prefix(prefix),
                          batch_size=10, flush_delay_s=0.05, retry_min_s=0.05, retry_max_s=0.2)
        alerter = Alerter(RuleSet.compile([Rule(id="bpjs", terms=(Term("BPJS Kesehatan"),))]))
        store = ListingStore(db.connect(state_dir), hooks(indexer, alerter))
        flow = ListingFlow(normalize=normalize, store=store, indexer=indexer)
        indexer.start()
        runner = AsyncCrawlerRunner({
            FLOW_SETTING: flow,
            "ITEM_PIPELINES": {"monitor.pipelines.NormalizePipeline": 300,
                               "monitor.pipelines.StatePipeline": 400},
            "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 1,
        })
        crawls: list[dict[str, Any]] = []

        async def crawl(on_item: Callable[..., None] | None = None) -> None:
            crawler = runner.create_crawler(spider_class())
            if on_item is not None:
                crawler.signals.connect(on_item, signal=signals.item_scraped, weak=False)
            await runner.crawl(crawler, base=forum.url)
            stats = crawler.stats.get_stats()
            crawls.append({s: stats[f"bazaarwatch/listings/{s}"]
                           for s in ("new", "changed", "unchanged")
                           if f"bazaarwatch/listings/{s}" in stats})

        if name == "versions":
            await crawl()
            await crawl()
            forum.threads[1] = (THREADS[1][0], THREADS[1][1] + " Now 300 million records.")
            await crawl()
        elif name == "outage":
            def cut(**_: Any) -> None:  # Elasticsearch goes away after the first listing
                proxy.mode = "drop"

            await crawl(on_item=cut)
            held = (await indexer.spool_depth()).rows
            proxy.mode = "up"
            crawls.append({"held": held})
        result = await indexer.close()
        await client.close()
        store.close()
        forum.server.shutdown()
        outbox = db.connect(state_dir).execute("SELECT count(*) FROM alert_outbox").fetchone()[0]
        return {"crawls": crawls, "unavailable": result.unavailable, "outbox": outbox,
                "indexer": indexer.stats.as_dict()}


def run_in_reactor(make: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """Run a coroutine in the asyncio reactor, then print its result (or the traceback) as
    one JSON line."""
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    out: dict[str, Any] = {}

    async def main() -> None:
        out.update(await make())

    d = deferred_from_coro(main())
    d.addErrback(lambda f: out.update(error=f.getTraceback()))
    d.addBoth(lambda _: reactor.stop())
    reactor.run()
    print(json.dumps(out))


# -- the tests ----------------------------------------------------------------------------------
pytestmark = pytest.mark.elasticsearch


def run_scenario(name: str, state_dir: Path, es_url: str, prefix: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "tests.test_pipeline_crawl", name,
                           str(state_dir), es_url, prefix], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, result["error"]
    return result


def docs(es: Elasticsearch, index: str) -> dict[str, dict[str, Any]]:
    es.indices.refresh(index=index)
    hits = es.search(index=index, size=1000, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: h["_source"] for h in hits}


def test_crawl_twice_then_edit_makes_version_two(tmp_path: Path, es: Elasticsearch,
                                                 es_url: str, es_indices: str) -> None:
    result = run_scenario("versions", tmp_path, es_url, es_indices)
    assert result["crawls"] == [{"new": 3}, {"unchanged": 3}, {"changed": 1, "unchanged": 2}]
    listings = docs(es, f"{es_indices}listings")
    assert len(listings) == 3
    by_title = {d["title"]: d for d in listings.values()}
    bpjs = by_title[THREADS[1][0]]
    assert bpjs["version"] == 2 and "300 million" in bpjs["body"]
    assert bpjs["rules_matched"] == ["bpjs"]
    assert all(d["version"] == 1 for t, d in by_title.items() if t != THREADS[1][0])
    history = docs(es, f"{es_indices}listing-history")
    assert sorted(d["version"] for d in history.values()) == [1, 1, 1, 2]
    bpjs_id = next(i for i, d in listings.items() if d["title"] == THREADS[1][0])
    assert {f"{bpjs_id}:1", f"{bpjs_id}:2"} <= set(history)
    assert result["outbox"] == 2  # the rule alerted on version 1, and again on the update


def test_elasticsearch_down_during_the_crawl_loses_nothing(tmp_path: Path, es: Elasticsearch,
                                                           es_url: str, es_indices: str) -> None:
    result = run_scenario("outage", tmp_path, es_url, es_indices)
    assert result["crawls"][0] == {"new": 3}
    assert result["crawls"][1]["held"] >= 4  # at least two listings and their first versions
    assert result["unavailable"] is False  # the final drain got everything through
    assert len(docs(es, f"{es_indices}listings")) == 3
    assert len(docs(es, f"{es_indices}listing-history")) == 3
    assert result["indexer"]["indexed"] == 6 and result["indexer"]["stale"] == 0


if __name__ == "__main__":
    run_in_reactor(lambda: scenario(*sys.argv[1:]))
