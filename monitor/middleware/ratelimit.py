"""Backing off when a forum says "slow down": HTTP 429 or a "rate limited" page.

The whole source pauses (the engine stops scheduling) for the Retry-After the forum sent, or
for an exponential back-off when it sent none, then the page is fetched again. After
``BAZAARWATCH_BACKOFF_MAX_TRIES`` refusals of one page the source is stopped with reason
``rate_limited`` rather than hammering on.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from monitor.middleware.common import META_LOGIN_STEP, page_kind, source_id, stop_source
from spiders.base import META_PAGE_KIND
from spiders.pages import PageKind

logger = logging.getLogger(__name__)

META_TRIES = "bazaarwatch_backoff_tries"


class RateLimitMiddleware:
    def __init__(self, crawler: Crawler, base_s: float, max_s: float, max_tries: int):
        self.crawler = crawler
        self.base_s = base_s
        self.max_s = max_s
        self.max_tries = max_tries

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateLimitMiddleware:
        s = crawler.settings
        return cls(crawler, s.getfloat("BAZAARWATCH_BACKOFF_BASE_S", 5.0),
                   s.getfloat("BAZAARWATCH_BACKOFF_MAX_S", 300.0),
                   s.getint("BAZAARWATCH_BACKOFF_MAX_TRIES", 5))

    async def process_response(self, request: Request, response: Response,
                               spider: Spider | None = None) -> Request | Response:
        spider = spider or self.crawler.spider
        if page_kind(spider, response) is not PageKind.RATE_LIMITED:
            return response
        sid = source_id(spider)
        stats = self.crawler.stats
        tries = int(request.meta.get(META_TRIES, 0))
        stats.inc_value("bazaarwatch/rate_limited")
        if tries >= self.max_tries:
            detail = f"{response.url} refused {tries + 1} times (HTTP {response.status})"
            logger.error("%s: rate limited, giving up: %s", sid, detail)
            stop_source(self.crawler, "rate_limited", detail)
            raise IgnoreRequest(f"{sid}: rate limited")
        wait = retry_after(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = self.base_s * 2 ** tries
        wait = min(max(wait, 0.0), self.max_s)
        logger.warning("%s: rate limited on %s (HTTP %d), backing off %.1f s (try %d of %d)",
                       sid, response.url, response.status, wait, tries + 1, self.max_tries)
        stats.inc_value("bazaarwatch/backoff_seconds", wait)
        engine = self.crawler.engine
        assert engine is not None
        engine.pause()
        try:
            await asyncio.sleep(wait)
        finally:
            engine.unpause()
        retry = request.replace(dont_filter=True)
        retry.meta[META_TRIES] = tries + 1
        retry.meta.pop(META_PAGE_KIND, None)
        if request.meta.get(META_LOGIN_STEP):
            retry.meta[META_LOGIN_STEP] = True
        return retry


def retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    raw = value.decode("latin-1") if isinstance(value, bytes) else value
    raw = raw.strip()
    if raw.replace(".", "", 1).isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
