"""Logging in, and logging in again when a session ends mid-crawl.

A page the spider recognises as "login required" or "logged out" makes this middleware log in
(fetch the login page, post the form with its CSRF token) and fetch the page again. If the login
is refused, or the page still says "logged out" right after a fresh login, the source is stopped
with reason ``login_failed`` (log line, stats, crawl report -> state store): a source that cannot
log in is never reported as a source with no new posts. Imported cookies (browser export) are
handed to Scrapy's cookie jar with the first request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Response, TextResponse

from monitor.login import LoginSpec
from monitor.middleware.common import (
    META_LOGIN_STEP,
    add_cookies,
    page_kind,
    source_id,
    stop_source,
)
from spiders.base import META_PAGE_KIND
from spiders.pages import PageKind, has_password_form, page_text

logger = logging.getLogger(__name__)

META_GENERATION = "bazaarwatch_login_generation"
META_RETRIED = "bazaarwatch_login_retried"
_FAILED_PHRASES = ("invalid username", "invalid password", "incorrect password",
                   "invalid login", "wrong password", "password is incorrect",
                   "username/password combination")


class SessionBox:
    """Where the login middleware leaves the session's cookies at the end of a crawl, for the
    crawl runner to keep in the state store (the next crawl starts logged in). It sits in
    Scrapy's settings, which are deep-copied: the copy is the same box."""

    def __init__(self) -> None:
        self.cookies: list[dict[str, Any]] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> SessionBox:
        return self


class LoginMiddleware:
    def __init__(self, crawler: Crawler, login: LoginSpec, max_logins: int,
                 box: SessionBox | None = None):
        self.crawler = crawler
        self.login = login
        self.max_logins = max_logins
        self.generation = 0  # how many successful logins so far
        self.attempts = 0
        self.failed = False
        self._lock = asyncio.Lock()
        self._cookies_sent = False
        self.box = box
        self._jar: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoginMiddleware:
        login = crawler.settings.get("BAZAARWATCH_LOGIN") or LoginSpec()
        mw = cls(crawler, login, crawler.settings.getint("BAZAARWATCH_LOGIN_MAX_PER_CRAWL", 3),
                 crawler.settings.get("BAZAARWATCH_SESSION_BOX"))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        if self.login.kind != "none":
            logger.info("%s: login by %s%s", source_id(spider), self.login.kind,
                        " (with the cookies of the last session)"
                        if self.login.kind == "form" and self.login.cookies else "")
        assert self.crawler.engine is not None
        for mw in self.crawler.engine.downloader.middleware.middlewares:
            if isinstance(mw, CookiesMiddleware):
                self._jar = mw.jars[None]

    def spider_closed(self, spider: Spider) -> None:
        if self.box is None or self.login.kind != "form" or self._jar is None:
            return
        # Kept without their domain: sent back as host-only cookies, they are the very ones
        # the forum's next Set-Cookie replaces (a domain cookie would linger beside it).
        self.box.cookies = [] if self.failed else [
            {"name": c.name, "value": c.value, "path": c.path, "secure": bool(c.secure)}
            for c in self._jar]

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        request.meta.setdefault(META_GENERATION, self.generation)
        if self.login.cookies and not self._cookies_sent:
            # Runs before CookiesMiddleware, which puts these into its jar for every later request.
            self._cookies_sent = True
            request.cookies = add_cookies(request.cookies, self.login.cookies)

    async def process_response(self, request: Request, response: Response,
                               spider: Spider | None = None) -> Request | Response:
        spider = spider or self.crawler.spider
        if request.meta.get(META_LOGIN_STEP):
            return response
        kind = page_kind(spider, response)
        if kind is PageKind.OK and self._guest_page(spider, response):
            # A source with a login reads as a member: a guest page means the session is gone
            # (or was never there), even where guests may read, because members see more
            # (hidden content, member-only threads).
            kind = PageKind.LOGGED_OUT
        if kind not in (PageKind.LOGIN_REQUIRED, PageKind.LOGGED_OUT):
            return response
        sid = source_id(spider)
        if self.failed:
            raise IgnoreRequest(f"{sid}: login failed earlier")
        self.crawler.stats.inc_value(f"bazaarwatch/login/{kind.value}")
        logger.info("%s: %s on %s", sid, kind.value.replace("_", " "), response.url)
        if request.meta.get(META_RETRIED):
            self._fail(sid, f"{response.url} still says {kind.value} right after logging in")
        if not self.login.can_log_in:
            why = ("the imported cookies were not accepted (expired?)"
                   if self.login.kind == "cookies" else "the source has no login configured")
            self._fail(sid, f"{response.url} needs a login and {why}")
        async with self._lock:
            if request.meta.get(META_GENERATION, 0) == self.generation:
                await self._log_in(spider)
        # Without the cookies the request carried: imported ones are what just failed, and
        # they would overwrite the fresh session in the jar.
        retry = request.replace(dont_filter=True, cookies={})
        retry.meta[META_RETRIED] = True
        retry.meta[META_GENERATION] = self.generation
        retry.meta.pop(META_PAGE_KIND, None)
        return retry

    def _guest_page(self, spider: Spider, response: Response) -> bool:
        if self.login.kind == "none" or response.status >= 400:
            return False
        judge = getattr(spider, "is_logged_in", None)
        return judge is not None and isinstance(response, TextResponse) and judge(response) is False

    async def _log_in(self, spider: Spider) -> None:
        sid = source_id(spider)
        if self.attempts >= self.max_logins:
            self._fail(sid, f"session ended {self.attempts} times in one crawl")
        self.attempts += 1
        login_url = getattr(spider, "login_url", None)
        if not login_url:
            self._fail(sid, "the spider knows no login page")
        page = await self._fetch(Request(login_url, dont_filter=True))
        form = spider.login_form(page)  # type: ignore[attr-defined]
        if form is None:
            self._fail(sid, f"no login form on {page.url} (HTTP {page.status})")
        assert self.login.username is not None and self.login.password is not None
        data = {**form.fields, form.username_field: self.login.username.reveal(),
                form.password_field: self.login.password.reveal()}
        result = await self._fetch(FormRequest(form.action, formdata=data, dont_filter=True))
        problem = self._login_problem(spider, result)
        if problem:
            self._fail(sid, f"login refused: {problem}")
        self.generation += 1
        self.crawler.stats.inc_value("bazaarwatch/login/ok")
        logger.info("%s: logged in (login %d of this crawl)", sid, self.attempts)

    async def _fetch(self, request: Request) -> Response:
        request.meta[META_LOGIN_STEP] = True
        assert self.crawler.engine is not None
        return await self.crawler.engine.download_async(request)

    def _login_problem(self, spider: Spider, response: Response) -> str | None:
        if response.status >= 400:
            return f"HTTP {response.status} from {response.url}"
        text = page_text(response)
        said = next((p for p in _FAILED_PHRASES if p in text), None)
        if said:
            return f"the forum says {said!r}"
        judge = getattr(spider, "is_logged_in", None)
        logged = judge(response) if judge and isinstance(response, TextResponse) else None
        if logged is False:
            return f"{response.url} is still a guest page"
        if logged is None and has_password_form(response):
            return f"{response.url} still shows the login form"
        return None

    def _fail(self, sid: str, detail: str) -> None:
        self.failed = True
        logger.error("%s: login_failed: %s", sid, detail)
        self.crawler.stats.set_value("bazaarwatch/login_failed", 1)
        stop_source(self.crawler, "login_failed", detail)
        raise IgnoreRequest(f"{sid}: login_failed: {detail}")

