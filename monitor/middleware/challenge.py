"""Anti-DDoS / JavaScript challenge pages in front of a forum.

For a source with ``render: challenge``, a page the spider recognises as a challenge is fetched
again with request meta ``bazaarwatch_render=True``, which the transport's browser handler serves
(Chromium runs the challenge's JavaScript). The browser waits for the challenge to reload into the
real page, then reads ``document.cookie``; those cookies (and any in meta
``bazaarwatch_render_cookies``) go into Scrapy's cookie jar, so the plain requests that follow
pass without the browser. With ``render:
always`` every request is marked for the browser. A challenge that survives rendering, or one met
by a source without ``render``, stops the source with reason ``challenge_failed``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from monitor.middleware.common import META_RENDER, add_cookies, page_kind, source_id, stop_source
from spiders.base import META_PAGE_KIND
from spiders.pages import PageKind

logger = logging.getLogger(__name__)

META_RENDER_COOKIES = "bazaarwatch_render_cookies"


class ChallengeMiddleware:
    def __init__(self, crawler: Crawler, render: str, wait_ms: int):
        self.crawler = crawler
        self.render = render
        self.wait_ms = wait_ms
        self.cookies: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        render = str(crawler.settings.get("BAZAARWATCH_RENDER", "false")).lower()
        if render in ("true", "1", "yes"):
            render = "always"
        return cls(crawler, render, crawler.settings.getint("BAZAARWATCH_CHALLENGE_WAIT_MS", 3000))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if self.render == "always":
            request.meta.setdefault(META_RENDER, True)
        if self.cookies and not request.meta.get(META_RENDER):
            # Runs before CookiesMiddleware, which moves these into its jar.
            request.cookies = add_cookies(request.cookies, self.cookies)
            self.cookies = []

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        spider = spider or self.crawler.spider
        rendered = bool(request.meta.get(META_RENDER))
        if rendered:
            self.cookies.extend(request.meta.get(META_RENDER_COOKIES) or ())
            self.cookies.extend(_page_cookies(request))
        if page_kind(spider, response) is not PageKind.CHALLENGE:
            if rendered and self.render == "challenge":
                self.crawler.stats.inc_value("bazaarwatch/challenge/passed")
            return response
        sid = source_id(spider)
        self.crawler.stats.inc_value("bazaarwatch/challenge/seen")
        if self.render in ("challenge", "always") and not rendered:
            logger.info("%s: challenge page at %s; fetching it with the browser", sid,
                        response.url)
            retry = request.replace(dont_filter=True)
            retry.meta[META_RENDER] = True
            retry.meta.pop(META_PAGE_KIND, None)
            # Let the challenge's script run and reload into the page, then read its cookies.
            retry.meta["playwright_page_methods"] = [
                *(request.meta.get("playwright_page_methods") or ()),
                PageMethod("wait_for_timeout", self.wait_ms),
                PageMethod("wait_for_load_state", "load"),
                PageMethod("evaluate", "document.cookie"),
            ]
            return retry
        detail = (f"{response.url} is still a challenge page after rendering" if rendered else
                  f"{response.url} is a challenge page and the source is not set to render")
        logger.error("%s: challenge_failed: %s", sid, detail)
        stop_source(self.crawler, "challenge_failed", detail)
        raise IgnoreRequest(f"{sid}: challenge_failed")


def _page_cookies(request: Request) -> list[dict[str, Any]]:
    """The cookies ``document.cookie`` showed in the browser, for the page's host."""
    host = urlsplit(request.url).hostname or ""
    found: list[dict[str, Any]] = []
    for method in request.meta.get("playwright_page_methods") or ():
        if (isinstance(method, PageMethod) and method.method == "evaluate"
                and isinstance(getattr(method, "result", None), str)):
            for pair in method.result.split(";"):
                name, sep, value = pair.strip().partition("=")
                if sep and name:
                    found.append({"name": name, "value": value, "domain": host, "path": "/"})
    return found
