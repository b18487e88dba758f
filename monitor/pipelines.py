"""Scrapy item pipelines: RawPost -> normalize -> state (alerts and index spool in the same
SQLite transaction) -> index. Thin on purpose: the work is in monitor.normalize,
monitor.state.listings, monitor.alerts and monitor.indexer.

The long-lived parts (the state store, the indexer and its Elasticsearch client, the alerter)
outlive a crawl, so the daemon builds one `ListingFlow` and hands it to every crawl through the
`BAZAARWATCH_LISTING_FLOW` setting; a crawl without it has these pipelines disabled
(`NotConfigured`).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from monitor.errors import StateError
from monitor.models import Listing, RawPost
from monitor.state.listings import UNCHANGED, Hook, ListingStore, Observation

if TYPE_CHECKING:
    from monitor.indexer import Indexer

logger = logging.getLogger(__name__)

FLOW_SETTING = "BAZAARWATCH_LISTING_FLOW"
STATS_PREFIX = "bazaarwatch/listings"


class Alerting(Protocol):
    """What the alert step needs of monitor.alerts.Alerter."""

    rules: Any

    def process(self, conn: sqlite3.Connection, listing: Listing,
                matches: Any = None) -> list[Any]: ...


@dataclass
class ListingFlow:
    """The pipeline's long-lived parts. `store` must already hold its hooks (see `hooks()`);
    `on_recorded` is called on the reactor thread after each commit (e.g. to wake the alert
    sender)."""

    normalize: Callable[[RawPost], Listing]
    store: ListingStore
    indexer: Indexer
    on_recorded: Callable[[Observation], None] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> ListingFlow:
        # Scrapy deep-copies settings per crawler; the flow is one shared service (SQLite
        # connections, an Elasticsearch client), so every crawl gets this same object.
        return self


def hooks(indexer: Indexer, alerter: Alerting | None = None) -> list[Hook]:
    """The steps that commit with a listing's state: rules and the alert outbox (when there is
    an alerter), then the index spool, which then also carries `rules_matched`."""
    out: list[Hook] = []
    if alerter is not None:
        out.append(alert_hook(alerter))
    out.append(indexer.stage)
    return out


def alert_hook(alerter: Alerting) -> Hook:
    """Rules on every listing (an unchanged one is indexed again, and must keep its
    `rules_matched`); alerts queued for new and changed ones."""

    def hook(conn: sqlite3.Connection, obs: Observation) -> Observation | None:
        matches = alerter.rules.evaluate(obs.listing)
        listing = dataclasses.replace(obs.listing,
                                      rules_matched=tuple(m.rule_id for m in matches))
        if obs.status != UNCHANGED:
            alerter.process(conn, listing, matches)
        return dataclasses.replace(obs, listing=listing)  # keeps its content_sha256

    return hook


def _flow(crawler: Crawler) -> ListingFlow:
    flow = crawler.settings.get(FLOW_SETTING)
    if flow is None:
        raise NotConfigured(f"{FLOW_SETTING} is not set")
    return flow


class NormalizePipeline:
    """RawPost -> Listing. A post the normalizer fails on is logged and dropped."""

    def __init__(self, normalize: Callable[[RawPost], Listing], stats: Any):
        self.normalize = normalize
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(_flow(crawler).normalize, crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, RawPost):
            return item
        try:
            return self.normalize(item)
        except Exception as e:
            self.stats.inc_value(f"{STATS_PREFIX}/normalize_errors")
            logger.exception("%s: cannot normalize %s", item.source_id, item.url)
            raise DropItem(f"{item.source_id}: normalizer failed on {item.url}: {e}") from e


class StatePipeline:
    """Listing -> new / changed / unchanged, versioned, alerts queued and index actions spooled
    in one transaction; then the indexer is told. Passes on the placed listing."""

    def __init__(self, flow: ListingFlow, stats: Any):
        self.flow = flow
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatePipeline:
        return cls(_flow(crawler), crawler.stats)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing):
            return item
        try:
            obs = await self.flow.store.record(item)
        except StateError as e:
            self.stats.inc_value(f"{STATS_PREFIX}/state_errors")
            logger.error("%s: listing %s not recorded: %s", item.source.id, item.id, e)
            raise DropItem(str(e)) from e
        self.stats.inc_value(f"{STATS_PREFIX}/{obs.status}")
        self.flow.indexer.observed(obs)
        if self.flow.on_recorded is not None:
            self.flow.on_recorded(obs)
        if obs.status != UNCHANGED:
            logger.info("%s: listing %s %s (version %d)", item.source.id, item.id, obs.status,
                        obs.listing.version)
        return obs.listing

    async def close_spider(self) -> None:
        self.flow.indexer.send_now()  # the crawl's last listings need not wait for more
        await self.flow.store.flush()
        depth = await self.flow.indexer.spool_depth()
        self.stats.set_value(f"{STATS_PREFIX}/spool_rows", depth.rows)
        self.stats.set_value(f"{STATS_PREFIX}/spool_age_s", depth.age_s(self.flow.store.clock()))
        for key, value in self.flow.indexer.stats.as_dict().items():
            self.stats.set_value(f"bazaarwatch/indexer/{key}", value)
