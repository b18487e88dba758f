"""What the middleware components share: asking the spider what a page is, and stopping a
source with a reason the crawl report carries."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from spiders.pages import PageKind

logger = logging.getLogger(__name__)

META_RENDER = "bazaarwatch_render"  # ask the transport to render the page in the browser
META_LOGIN_STEP = "bazaarwatch_login_step"  # a request of the login itself
STOP_REASONS = ("login_failed", "banned", "challenge_failed", "rate_limited")


def page_kind(spider: Spider, response: Response) -> PageKind:
    """The spider's verdict on a page; spiders that cannot judge pages only know HTTP 429."""
    judge = getattr(spider, "page_kind", None)
    if judge is not None:
        return judge(response)
    return PageKind.RATE_LIMITED if response.status == 429 else PageKind.OK


def source_id(spider: Spider) -> str:
    return getattr(spider, "source_id", spider.name)


def stop_source(crawler: Crawler, reason: str, detail: str) -> None:
    """Close the crawl with `reason` (one of STOP_REASONS), once; the reason and detail end up in
    the stats, which the crawl report and the daemon read."""
    assert crawler.stats is not None and crawler.engine is not None
    if crawler.stats.get_value("bazaarwatch/stopped"):
        return
    crawler.stats.set_value("bazaarwatch/stopped", reason)
    crawler.stats.set_value("bazaarwatch/stopped_detail", detail)
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def add_cookies(existing: Any, extra: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A request's cookies (dict or list form) with `extra` appended, as a list of dicts."""
    if not existing:
        base: list[dict[str, Any]] = []
    elif isinstance(existing, dict):
        base = [{"name": k, "value": v} for k, v in existing.items()]
    else:
        base = list(existing)
    return [*base, *extra]
