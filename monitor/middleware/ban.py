"""Ban pages stop the source: fetching on would only make the ban worse. The crawl closes with
reason ``banned`` and the detail goes to the log, the stats and the crawl report."""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from monitor.middleware.common import page_kind, source_id, stop_source
from spiders.pages import PageKind

logger = logging.getLogger(__name__)


class BanMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BanMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        spider = spider or self.crawler.spider
        if page_kind(spider, response) is not PageKind.BANNED:
            return response
        sid = source_id(spider)
        detail = f"{response.url} (HTTP {response.status}) is a ban page"
        logger.error("%s: banned: %s; stopping the source", sid, detail)
        self.crawler.stats.inc_value("bazaarwatch/banned")
        stop_source(self.crawler, "banned", detail)
        raise IgnoreRequest(f"{sid}: banned")
