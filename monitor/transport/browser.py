"""`TorBrowserHandler`: pages that need a browser (`render: always|challenge`) through
scrapy-playwright and Chromium, one browser context per source on a SocksPort of its own.

Each source's context only loads its own site: a request to any other host (third-party
scripts, trackers, a page probing 127.0.0.1) is aborted before it leaves, so a source's browser
opens streams to its own host only. A request for a source that is neither `direct: true` nor
given a SocksPort (BAZAARWATCH_BROWSER_SOCKS) fails with ProxyRequiredError before the browser
is asked anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.exceptions import NotConfigured
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from monitor.errors import ProxyRequiredError, TransportError
from monitor.transport import (
    META_SCREENSHOT,
    META_SCREENSHOT_PATH,
    META_SCREENSHOT_PNG,
    META_SOURCE,
    META_TRUNCATED,
    UNSOURCED,
    chromium,
)
from monitor.transport.errors import (
    CircuitFailedError,
    DownloadError,
    TorUnavailableError,
    TransportTimeoutError,
)
from monitor.transport.options import TransportOptions
from monitor.transport.route import browser_proxy_for

if TYPE_CHECKING:
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

STATS_PREFIX = "bazaarwatch/browser"
META_RENDER_COOKIES = "bazaarwatch_render_cookies"  # the context's cookies after rendering
_CONTEXT_PREFIX = "source:"
# Chromium's net errors that mean "tor's port is not there" vs "tor could not reach the host"
_TOR_DOWN = ("ERR_PROXY_CONNECTION_FAILED", "ERR_CONNECTION_REFUSED")
_CIRCUIT = ("ERR_SOCKS_CONNECTION", "ERR_TUNNEL_CONNECTION_FAILED", "ERR_CONNECTION_CLOSED",
            "ERR_EMPTY_RESPONSE", "ERR_CONNECTION_RESET")


class TorBrowserHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Crawler, options: TransportOptions, *, binary: str,
                 screenshot_dir: Path | None, fallback_proxy: str = chromium.BLACKHOLE_PROXY):
        if crawler.settings.get("PLAYWRIGHT_CDP_URL") or crawler.settings.get(
                "PLAYWRIGHT_CONNECT_URL"):
            raise NotConfigured("a remote browser would not use our proxies; "
                                "PLAYWRIGHT_CDP_URL/PLAYWRIGHT_CONNECT_URL are not supported")
        super().__init__(crawler)
        self.options = options
        self.screenshot_dir = screenshot_dir
        # ours, whatever PLAYWRIGHT_LAUNCH_OPTIONS says: the launch options are the safety
        self.fallback_proxy = fallback_proxy
        self.config.launch_options = chromium.launch_options(binary,
                                                             blackhole_proxy=fallback_proxy)
        self.abort_request = self._abort_foreign
        self._allowed_hosts: dict[str, set[str]] = {}  # context name -> hosts it may load

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TorBrowserHandler:
        binary = crawler.settings.get("BAZAARWATCH_CHROMIUM") or chromium.CHROMIUM_BINARY
        if not os.access(binary, os.X_OK):
            raise NotConfigured(f"{binary} is missing: {chromium.INSTALL_HINT}")
        shots = crawler.settings.get("BAZAARWATCH_SCREENSHOT_DIR")
        fallback = (crawler.settings.get("BAZAARWATCH_BROWSER_FALLBACK_PROXY")
                    or chromium.BLACKHOLE_PROXY)
        return cls(crawler, TransportOptions.from_settings(crawler.settings), binary=binary,
                   screenshot_dir=Path(shots) if shots else None, fallback_proxy=fallback)

    async def start(self) -> None:
        """Start Playwright's driver (the browser itself starts with the first page)."""
        await self._maybe_launch_in_thread()

    def proxy_server(self, source: str) -> str | None:
        """The context proxy of `source` (see route.browser_proxy_for)."""
        return browser_proxy_for(source, socks=self.options.socks,
                                 browser_ports=self.options.browser_socks_ports,
                                 direct_sources=self.options.direct_sources)

    async def download_request(self, request: Request) -> Response:
        source = request.meta.get(META_SOURCE) or UNSOURCED
        try:
            proxy = self.proxy_server(source)
        except ProxyRequiredError:
            self.stats.inc_value(f"{STATS_PREFIX}/refused/proxy_required")
            raise
        context = _CONTEXT_PREFIX + source
        host = urlsplit(request.url).hostname or ""
        self._allowed_hosts.setdefault(context, set()).add(host)
        request.meta.update(playwright=True, playwright_context=context,
                            playwright_context_kwargs=chromium.context_options(
                                proxy, blackhole_proxy=self.fallback_proxy))
        if request.meta.get(META_SCREENSHOT):
            methods = list(request.meta.get("playwright_page_methods") or ())
            methods.append(PageMethod("screenshot", full_page=True, type="png"))
            request.meta["playwright_page_methods"] = methods
        self.stats.inc_value(f"{STATS_PREFIX}/requests/{'tor' if proxy else 'direct'}")
        try:
            response = await super().download_request(request)
        except PlaywrightTimeoutError as e:
            raise self._count(TransportTimeoutError(
                f"source {source}: {request.url}: browser timed out ({_first_line(e)})")) from e
        except PlaywrightError as e:
            raise self._count(_translate(e, source, request.url)) from e
        self._keep_screenshot(request, source)
        request.meta[META_RENDER_COOKIES] = await self._cookies(context, request.url)
        return self._cap(response, source)

    async def _cookies(self, context_name: str, url: str) -> list[dict[str, Any]]:
        """The browser context's cookies for `url` (HttpOnly ones too, which document.cookie
        cannot read), in Scrapy's cookie form: what a passed challenge leaves behind."""
        wrapper = self.context_wrappers.get(context_name)
        if wrapper is None:
            return []
        try:
            cookies = await wrapper.context.cookies(url)
        except PlaywrightError:
            return []
        return [{"name": c["name"], "value": c["value"], "domain": c.get("domain"),
                 "path": c.get("path") or "/", "secure": bool(c.get("secure"))}
                for c in cookies]

    def _count(self, error: TransportError) -> TransportError:
        self.stats.inc_value(f"{STATS_PREFIX}/errors/{type(error).__name__}")
        return error

    def _keep_screenshot(self, request: Request, source: str) -> None:
        for method in request.meta.get("playwright_page_methods") or ():
            if isinstance(method, PageMethod) and method.method == "screenshot" and isinstance(
                    method.result, bytes):
                request.meta[META_SCREENSHOT_PNG] = method.result
                if self.screenshot_dir is not None:
                    request.meta[META_SCREENSHOT_PATH] = str(
                        _write_screenshot(self.screenshot_dir, source, method.result))
                self.stats.inc_value(f"{STATS_PREFIX}/screenshots")

    def _cap(self, response: Response, source: str) -> Response:
        limit = self.options.max_response_bytes
        if len(response.body) <= limit:
            return response
        response.meta[META_TRUNCATED] = limit
        self.stats.inc_value(f"{STATS_PREFIX}/truncated")
        logger.warning("source %s: rendered %s is larger than %d bytes; cut there", source,
                       response.url, limit)
        return response.replace(body=response.body[:limit],
                                flags=[*response.flags, "truncated"])

    async def _abort_foreign(self, request: PlaywrightRequest) -> bool:
        """Abort every request of a page to a host its source did not ask for."""
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:", "about:")):
            return False
        context_name = self._context_name(request)
        if context_name is not None and host in self._allowed_hosts.get(context_name, ()):
            return False
        self.stats.inc_value(f"{STATS_PREFIX}/aborted_foreign")
        logger.info("%s: aborted a page's request to %s", context_name or "browser",
                    request.url)
        return True

    def _context_name(self, request: PlaywrightRequest) -> str | None:
        try:
            context = request.frame.page.context
        except PlaywrightError:
            return None
        for name, wrapper in self.context_wrappers.items():
            if wrapper.context is context:
                return name
        return None


def _translate(e: PlaywrightError, source: str, url: str) -> TransportError:
    message = f"source {source}: {url}: {_first_line(e)}"
    if any(code in e.message for code in _TOR_DOWN):
        return TorUnavailableError(message)
    if any(code in e.message for code in _CIRCUIT):
        return CircuitFailedError(message)
    return DownloadError(message)


def _first_line(e: PlaywrightError) -> str:
    return (e.message or str(e)).splitlines()[0]


def _write_screenshot(directory: Path, source: str, png: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{source}-{hashlib.sha256(png).hexdigest()[:16]}.png"
    path.write_bytes(png)
    return path

