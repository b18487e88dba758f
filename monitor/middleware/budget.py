"""The page budget: at most ``BAZAARWATCH_MAX_PAGES`` pages per crawl (login steps included),
so a forum that grows or loops cannot keep a crawl going. Requests past the budget are dropped
and counted; the crawl ends normally with what it read."""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from monitor.middleware.common import source_id

logger = logging.getLogger(__name__)


class PageBudgetMiddleware:
    def __init__(self, crawler: Crawler, max_pages: int):
        self.crawler = crawler
        self.max_pages = max_pages
        self.used = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        max_pages = crawler.settings.getint("BAZAARWATCH_MAX_PAGES", 0)
        if max_pages <= 0:
            raise NotConfigured("BAZAARWATCH_MAX_PAGES is not set")
        return cls(crawler, max_pages)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if self.used >= self.max_pages:
            stats = self.crawler.stats
            if not stats.get_value("bazaarwatch/max_pages_reached"):
                logger.warning("%s: page budget of %d reached; the rest waits for the next crawl",
                               source_id(spider), self.max_pages)
            stats.inc_value("bazaarwatch/max_pages_reached")
            raise IgnoreRequest("page budget reached")
        self.used += 1
