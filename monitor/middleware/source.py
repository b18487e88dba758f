"""Stamps every request with its source id (meta ``bazaarwatch_source``), which the transport
uses to pick the source's route and SOCKS credentials (its own Tor circuits)."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler

from monitor.middleware.common import source_id
from monitor.transport import META_SOURCE


class SourceMetaMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceMetaMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        request.meta.setdefault(META_SOURCE, source_id(spider))
