"""Prometheus metrics (`bazaarwatch_...`) and the loopback HTTP endpoint serving `/metrics` and
`/healthz`. One registry per daemon, so tests can run several daemons in one process."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

log = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.pages_fetched = Counter("bazaarwatch_pages_fetched", "Pages fetched", ["source"],
                                     registry=r)
        self.pages_failed = Counter("bazaarwatch_pages_failed", "Pages that failed", ["source"],
                                    registry=r)
        self.crawls = Counter("bazaarwatch_crawls", "Crawls finished", ["source", "outcome"],
                              registry=r)
        self.listings = Counter("bazaarwatch_listings", "Listings by outcome of the state step",
                                ["source", "state"], registry=r)
        self.alerts_sent = Counter("bazaarwatch_alerts_sent", "Alerts delivered to Slack",
                                   ["rule"], registry=r)
        self.alerts_failed = Counter("bazaarwatch_alerts_failed", "Alerts that failed",
                                     ["rule"], registry=r)
        self.spool_depth = Gauge("bazaarwatch_spool_depth",
                                 "Documents waiting for Elasticsearch", registry=r)
        self.spool_age = Gauge("bazaarwatch_spool_oldest_age_seconds",
                               "Age of the oldest spooled document", registry=r)
        self.outbox_depth = Gauge("bazaarwatch_outbox_depth", "Alerts waiting to be sent",
                                  registry=r)
        self.tor_bootstrap = Gauge("bazaarwatch_tor_bootstrap_percent", "tor bootstrap progress",
                                   registry=r)
        self.tor_circuits = Gauge("bazaarwatch_tor_circuits", "Built tor circuits", registry=r)
        self.es_bulk_seconds = Histogram("bazaarwatch_es_bulk_seconds",
                                         "Elasticsearch bulk request latency", registry=r)
        self.last_success = Gauge("bazaarwatch_last_successful_crawl_timestamp_seconds",
                                  "Unix time of the last successful crawl", ["source"],
                                  registry=r)
        self.source_up = Gauge("bazaarwatch_source_up",
                               "1 when the last crawl of the source succeeded", ["source"],
                               registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """`/metrics` (Prometheus text format) and `/healthz` (JSON; 200 healthy, 503 not)."""

    def __init__(self, metrics: Metrics, health: Callable[[], dict[str, Any]], host: str,
                 port: int):
        self.metrics, self.health, self.host, self.port = metrics, health, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        state = self.health()
        status = 200 if state.get("healthy") else 503
        return web.Response(status=status, text=json.dumps(state, default=str),
                            content_type="application/json")
