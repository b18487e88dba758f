"""`DispatchDownloadHandler`: the crawl's one http/https handler. Requests marked
`bazaarwatch_render` go to Chromium (`TorBrowserHandler`), the rest to curl over SOCKS
(`TorDownloadHandler`). The browser handler, and with it Playwright's driver and Chromium, is
only built when the first page that needs it arrives: a crawl without such pages never starts
a browser."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.base import BaseDownloadHandler

from monitor.errors import ProxyRequiredError
from monitor.transport import META_RENDER, META_SOURCE
from monitor.transport.browser import STATS_PREFIX as BROWSER_STATS
from monitor.transport.browser import TorBrowserHandler
from monitor.transport.handler import TorDownloadHandler
from monitor.transport.route import browser_proxy_for

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class DispatchDownloadHandler(BaseDownloadHandler):
    lazy = False

    def __init__(self, crawler: Crawler, http: TorDownloadHandler):
        super().__init__(crawler)
        self.http = http
        self.browser: TorBrowserHandler | None = None
        self._browser_lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DispatchDownloadHandler:
        return cls(crawler, TorDownloadHandler.from_crawler(crawler))

    async def download_request(self, request: Request) -> Response:
        if request.meta.get(META_RENDER):
            self._check_browser_route(request)  # refused before Playwright even starts
            browser = await self._get_browser()
            return await browser.download_request(request)
        return await self.http.download_request(request)

    def _check_browser_route(self, request: Request) -> None:
        options = self.http.options
        try:
            browser_proxy_for(request.meta.get(META_SOURCE), socks=options.socks,
                              browser_ports=options.browser_socks_ports,
                              direct_sources=options.direct_sources)
        except ProxyRequiredError:
            self.crawler.stats.inc_value(f"{BROWSER_STATS}/refused/proxy_required")
            raise

    async def _get_browser(self) -> TorBrowserHandler:
        async with self._browser_lock:
            if self.browser is None:
                browser = TorBrowserHandler.from_crawler(self.crawler)
                await browser.start()
                self.browser = browser
        return self.browser

    async def close(self) -> None:
        await self.http.close()
        if self.browser is not None:
            await self.browser.close()
