"""One crawl of one source: the spider of its engine, monitor/settings.py plus the source's own
limits, and the state store read before and written after (never during) the crawl.

`crawl_source()` runs inside a running asyncio reactor (the daemon's); `run_once()` starts one
for the ``bazaarwatch crawl`` command. Either returns a `CrawlReport` whose ``reason`` is
``finished``, or why the source stopped (``login_failed``, ``banned``, ``challenge_failed``,
``rate_limited``), which is also written to the state store for the daemon's alerts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Spider, signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from monitor.config import Config, SourceConfig
from monitor.errors import BazaarwatchError
from monitor.login import LoginSpec
from monitor.middleware.common import STOP_REASONS
from monitor.middleware.incremental import CrawlBook
from monitor.middleware.login import SessionBox
from monitor.models import RawPost
from monitor.state import db, sessions, threads
from spiders.base import ForumSpider
from spiders.dates import forum_tz
from spiders.generic import REQUIRED_SELECTORS, GenericSpider
from spiders.mybb import MybbSpider
from spiders.xenforo import XenforoSpider

logger = logging.getLogger(__name__)

ENGINES: dict[str, type[ForumSpider]] = {
    "mybb": MybbSpider, "xenforo": XenforoSpider, "generic": GenericSpider,
}


@dataclass(frozen=True, slots=True)
class CrawlReport:
    source_id: str
    reason: str  # "finished" or one of STOP_REASONS, or Scrapy's ("shutdown", "cancelled")
    detail: str | None
    pages: int
    threads_new: int
    threads_changed: int
    threads_unchanged: int
    items: int
    errors: int
    started_at: datetime
    finished_at: datetime
    board_rows: dict[str, int] = field(default_factory=dict)  # threads listed on page 1
    threads_rechecked: int = 0  # listed unchanged, re-read because last read long ago

    @property
    def ok(self) -> bool:
        return self.reason == "finished"

    def line(self) -> str:
        """The progress line of the crawl command."""
        took = (self.finished_at - self.started_at).total_seconds()
        text = (f"{self.source_id}: {self.reason}: pages {self.pages}, threads new "
                f"{self.threads_new} changed {self.threads_changed} unchanged "
                f"{self.threads_unchanged}"
                f"{f' rechecked {self.threads_rechecked}' if self.threads_rechecked else ''}"
                f", posts {self.items}, errors {self.errors}, "
                f"{took:.1f} s")
        return f"{text} ({self.detail})" if self.detail else text


def spider_args(source: SourceConfig) -> dict[str, Any]:
    """The spider's arguments for a source from the config.

    Raises BazaarwatchError for what the config let through but the spider cannot use (an
    unknown timezone, a generic source without its post selectors)."""
    try:
        forum_tz(getattr(source, "timezone", None))
    except ValueError as e:
        raise BazaarwatchError(f"{source.id}: timezone: {e}") from e
    if source.engine == "generic":
        have = {k for k, v in dataclasses.asdict(source.selectors).items() if v} if (
            source.selectors is not None) else set()
        missing = [k for k in REQUIRED_SELECTORS if k not in have]
        if missing:
            raise BazaarwatchError(f"{source.id}: a generic source needs the selectors "
                                   f"{', '.join(missing)}")
    args: dict[str, Any] = {
        "source_id": source.id, "base_url": source.base_url, "source_name": source.name,
        "boards": [{"name": b.name, "url": b.url, "login_required": b.login_required}
                   for b in source.boards],
        "timezone": getattr(source, "timezone", None),
        "login_url": getattr(source.login, "login_url", None),
    }
    if source.engine == "generic":
        args["selectors"] = source.selectors
    return args


def crawl_settings(config: Config, source: SourceConfig, *, book: CrawlBook | None,
                   login: LoginSpec, out: IO[str] | None = None,
                   overrides: dict[str, Any] | None = None) -> Settings:
    """monitor/settings.py with the source's own limits on top."""
    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    tor = config.monitor.tor
    settings.setdict({
        "BAZAARWATCH_CRAWL_BOOK": book,
        "BAZAARWATCH_DIRECT_SOURCES": [source.id] if source.direct else [],
        "BAZAARWATCH_EVIDENCE_DIR": str(config.monitor.state_dir / "evidence"),
        "BAZAARWATCH_LOGIN": login,
        "BAZAARWATCH_MAX_PAGES": source.max_pages,
        "BAZAARWATCH_MAX_RESPONSE_BYTES": source.max_page_bytes,
        "BAZAARWATCH_OUT": SharedStream(out) if out is not None else None,
        "BAZAARWATCH_RENDER": source.render,
        "BAZAARWATCH_SCREENSHOT_DIR": str(config.monitor.state_dir / "evidence" / "screenshots"),
        "BAZAARWATCH_TOR_SOCKS": f"{tor.socks_host}:{tor.socks_port}",
        "CONCURRENT_REQUESTS": max(1, source.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, source.concurrency),
        "DOWNLOAD_DELAY": source.download_delay_s,
        "DOWNLOAD_MAXSIZE": source.max_page_bytes,
        "DOWNLOAD_TIMEOUT": source.timeout_s,
        "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "monitor.crawl.ProgressLine": 500},
        "ITEM_PIPELINES": {**settings.getdict("ITEM_PIPELINES"),
                           "monitor.crawl.JsonLinesPipeline": 900},
        "LOG_LEVEL": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
    }, priority="cmdline")
    if importlib.util.find_spec("monitor.transport.dispatch") is None:
        # The browser dispatcher has not landed: plain requests still go through the Tor
        # handler (which refuses non-direct sources without Tor); rendering is unavailable.
        handler = "monitor.transport.handler.TorDownloadHandler"
        settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"),
                                           "http": handler, "https": handler}, "cmdline")
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return settings


class ProgressLine:
    """Every ``BAZAARWATCH_PROGRESS_S`` seconds, one line on standard error: pages, threads
    new/changed/unchanged, posts, errors so far (the crawl command turns it on)."""

    def __init__(self, crawler: Crawler, every_s: float):
        self.crawler = crawler
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        every = crawler.settings.getfloat("BAZAARWATCH_PROGRESS_S", 0.0)
        if every <= 0:
            raise NotConfigured("BAZAARWATCH_PROGRESS_S is 0")
        ext = cls(crawler, every)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Spider) -> None:
        self._task = asyncio.get_event_loop().create_task(self._run(spider))

    def closed(self, spider: Spider) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self, spider: Spider) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            get = self.crawler.stats.get_value  # type: ignore[union-attr]
            print(f"{getattr(spider, 'source_id', spider.name)}: crawling: pages "
                  f"{get('response_received_count', 0)}, threads new "
                  f"{get('bazaarwatch/threads/new', 0)} changed "
                  f"{get('bazaarwatch/threads/changed', 0)} unchanged "
                  f"{get('bazaarwatch/threads/unchanged', 0)}, posts "
                  f"{get('item_scraped_count', 0)}, errors {get('log_count/ERROR', 0)}",
                  file=sys.stderr, flush=True)


class SharedStream:
    """An output stream in Scrapy settings, which are deep-copied: the copy is the same stream."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedStream:
        return self


class JsonLinesPipeline:
    """Writes each raw post as one JSON line to the crawl command's ``--out`` stream."""

    def __init__(self, out: IO[str] | None):
        self.out = out

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        shared = crawler.settings.get("BAZAARWATCH_OUT")
        return cls(shared.stream if shared is not None else None)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.out is not None and isinstance(item, RawPost):
            self.out.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
            self.out.flush()
        return item


async def crawl_source(config: Config, source: SourceConfig, *, out: IO[str] | None = None,
                       overrides: dict[str, Any] | None = None,
                       on_item: Callable[[RawPost], None] | None = None) -> CrawlReport:
    """Crawl `source` once, in the running asyncio reactor.

    Raises BazaarwatchError (StateError, LoginFailed for an unreadable cookies file, or for an
    unknown engine)."""
    spidercls = ENGINES.get(source.engine)
    if spidercls is None:
        raise BazaarwatchError(f"{source.id}: no spider for engine {source.engine!r}")
    args = spider_args(source)
    conn = await asyncio.to_thread(db.connect, config.monitor.state_dir)
    try:
        known = await asyncio.to_thread(threads.load, conn, source.id)
        book = CrawlBook(source_id=source.id, known=known, backfill_pages=source.backfill_pages,
                         overlap_s=source.overlap_s, recheck_after_s=source.recheck_after_s)
        login = LoginSpec.from_config(source.login)
        saved = await asyncio.to_thread(sessions.get, conn, source.id)
        if login.kind == "form" and saved is not None and saved.cookies:
            login = dataclasses.replace(login, cookies=tuple(saved.cookies))
        box = SessionBox()
        settings = crawl_settings(config, source, book=book, login=login, out=out,
                                  overrides={"BAZAARWATCH_SESSION_BOX": box, **(overrides or {})})
        crawler = Crawler(spidercls, settings)
        reason: list[str] = []

        def closed(spider: Spider, reason_: str = "finished", **_: Any) -> None:
            reason.append(reason_)

        def scraped(item: Any, **_: Any) -> None:
            if on_item is not None and isinstance(item, RawPost):
                on_item(item)

        crawler.signals.connect(lambda **kw: closed(kw["spider"], kw.get("reason", "finished")),
                                signal=signals.spider_closed, weak=False)
        crawler.signals.connect(scraped, signal=signals.item_scraped, weak=False)
        logger.info("%s: crawl starts (%s, %d boards, %d threads known)", source.id,
                    source.engine, len(source.boards), len(known.threads))
        await AsyncCrawlerRunner(settings).crawl(crawler, **args)
        report = _report(source.id, reason[0] if reason else "cancelled", crawler, book)
        await asyncio.to_thread(_record, conn, report, book, box)
    finally:
        conn.close()
    log = logger.info if report.ok else logger.error
    log("%s", report.line())
    return report


def run_once(config: Config, source: SourceConfig, *, out: IO[str] | None = None,
             overrides: dict[str, Any] | None = None) -> CrawlReport:
    """Start the asyncio reactor, crawl `source` once, stop. For the command line: a process can
    run the reactor only once."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    result: list[CrawlReport | BaseException] = []

    def done(value: Any) -> None:
        result.append(value.value if hasattr(value, "value") else value)
        reactor.stop()  # type: ignore[attr-defined]

    d = Deferred.fromFuture(asyncio.ensure_future(
        crawl_source(config, source, out=out, overrides=overrides)))
    d.addBoth(done)
    reactor.run()  # type: ignore[attr-defined]
    if not result:
        raise BazaarwatchError(f"{source.id}: the crawl did not finish")
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def _report(source_id: str, reason: str, crawler: Crawler, book: CrawlBook) -> CrawlReport:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    errors = sum(v for k, v in stats.items() if isinstance(v, int) and (
        k.startswith(("downloader/exception_type_count/", "spider_exceptions/"))
        or k in ("log_count/ERROR", "httperror/response_ignored_count",
                 "bazaarwatch/parse/empty_board_page", "bazaarwatch/parse/no_post")))
    return CrawlReport(
        source_id=source_id, reason=reason,
        detail=stats.get("bazaarwatch/stopped_detail"),
        pages=int(stats.get("response_received_count", 0)),
        threads_new=book.counts["new"], threads_changed=book.counts["changed"],
        threads_unchanged=book.counts["unchanged"], threads_rechecked=book.counts["recheck"],
        items=int(stats.get("item_scraped_count", 0)), errors=errors,
        started_at=book.started_at, finished_at=datetime.now(UTC),
        board_rows={k.split("/", 2)[2]: int(v) for k, v in stats.items()
                    if k.startswith("bazaarwatch/board_rows/")})


def _record(conn: Any, report: CrawlReport, book: CrawlBook, box: SessionBox) -> None:
    # Boards count as read only when the crawl ran to its end without a failed page: a thread
    # page that failed must be found again next time, however old its last post. Fetched
    # threads always count.
    boards = book.boards_read if report.ok and report.errors == 0 else {}
    threads.save(conn, report.source_id, list(book.fetched.values()), boards)
    if box.cookies is not None:
        sessions.save_cookies(conn, report.source_id, box.cookies)
    if report.ok:
        sessions.set_status(conn, report.source_id, "ok")
    elif report.reason in STOP_REASONS:
        sessions.set_status(conn, report.source_id, report.reason, report.detail)


def print_progress(report: CrawlReport, stream: IO[str] = sys.stderr) -> None:
    print(report.line(), file=stream)


def source_by_id(config: Config, source_id: str) -> SourceConfig:
    for s in config.sources:
        if s.id == source_id:
            return s
    known = ", ".join(s.id for s in config.sources) or "none"
    raise BazaarwatchError(f"no source {source_id!r} in {config.directory} (known: {known})")


def write_out_path(path: Path | None) -> IO[str] | None:
    if path is None:
        return None
    if str(path) == "-":
        return sys.stdout
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")
