"""Incremental crawling, as a spider middleware between the spider and the scheduler.

The spider yields a request for every thread a board page lists and for the board's next
page; this middleware drops the thread requests whose board row shows nothing new since the
last crawl (same last-post time and reply count), unless the thread was last fetched longer than
``recheck_after_s`` ago (an edit of the opening post neither bumps a thread nor changes its reply
count; at most ``RECHECKS_PER_CRAWL`` such re-reads per crawl, so they spread over crawls), and
stops paging a board once a page reached
threads older than the board's last read (minus ``overlap_s``). A board never read before is
read back ``backfill_pages`` pages. The book (`CrawlBook`) is loaded from the state store before
the crawl and saved after it by monitor/crawl.py, so SQLite is never touched mid-crawl.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from monitor.models import RawPost
from monitor.state.threads import SourceState, ThreadState
from spiders.base import META_BOARD, META_BOARD_PAGE, META_PAGE_OLDEST, META_THREAD, ThreadRow

logger = logging.getLogger(__name__)

META_CHANGE = "bazaarwatch_change"  # "new" | "changed" | "recheck": why a thread is fetched
RECHECKS_PER_CRAWL = 20


@dataclass
class CrawlBook:
    """What one crawl of a source knows before it starts and learns while it runs."""

    source_id: str
    known: SourceState
    backfill_pages: int = 3
    overlap_s: float = 600.0
    recheck_after_s: float = 0.0  # 0: a thread whose board row shows nothing new is never re-read
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    fetched: dict[str, ThreadState] = field(default_factory=dict)
    boards_read: dict[str, datetime] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {
        "new": 0, "changed": 0, "unchanged": 0, "recheck": 0, "board_pages": 0,
        "pages_skipped": 0})

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlBook:
        # Scrapy deep-copies its settings per crawler; the book must stay the one object the
        # crawl runner reads after the crawl.
        return self

    def thread_verdict(self, row: ThreadRow) -> str:
        prev = self.known.threads.get(row.url)
        if prev is None:
            return "new"
        if not prev.unchanged(row.last_post_at, row.replies):
            return "changed"
        due = (self.recheck_after_s > 0 and self.counts["recheck"] < RECHECKS_PER_CRAWL
               and row.url not in self.fetched
               and self.started_at - prev.last_fetched >= timedelta(seconds=self.recheck_after_s))
        return "recheck" if due else "unchanged"

    def want_board_page(self, board: str, page: int, oldest: datetime | None) -> bool:
        last_read = self.known.boards.get(board)
        if last_read is None:
            return page <= self.backfill_pages
        if oldest is None:
            return True
        return oldest >= last_read - timedelta(seconds=self.overlap_s)

    def record(self, post: RawPost) -> None:
        prev = self.known.threads.get(post.url)
        now = datetime.now(UTC)
        self.fetched[post.url] = ThreadState(
            url=post.url, board=post.board, last_post_at=post.last_post_at, replies=post.replies,
            content_sha256=content_hash(post), first_seen=prev.first_seen if prev else now,
            last_fetched=now)


def content_hash(post: RawPost) -> str:
    return hashlib.sha256(f"{post.title}\n{post.body_html}".encode()).hexdigest()


class IncrementalMiddleware:
    def __init__(self, crawler: Crawler, book: CrawlBook):
        self.crawler = crawler
        self.book = book

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        book = crawler.settings.get("BAZAARWATCH_CRAWL_BOOK")
        if book is None:
            raise NotConfigured("no BAZAARWATCH_CRAWL_BOOK: every thread is fetched")
        return cls(crawler, book)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any],
                                    spider: Spider | None = None) -> AsyncIterator[Any]:
        stats = self.crawler.stats
        meta = response.meta if response.request is not None else {}
        if META_BOARD_PAGE in meta and META_THREAD not in meta:
            self.book.counts["board_pages"] += 1
            if meta[META_BOARD_PAGE] == 1:
                self.book.boards_read.setdefault(meta[META_BOARD], self.book.started_at)
        async for out in result:
            if isinstance(out, Request):
                if not self._keep(out):
                    continue
            elif isinstance(out, RawPost):
                self.book.record(out)
            yield out
        stats.set_value("bazaarwatch/threads/new", self.book.counts["new"])
        stats.set_value("bazaarwatch/threads/changed", self.book.counts["changed"])
        stats.set_value("bazaarwatch/threads/unchanged", self.book.counts["unchanged"])
        stats.set_value("bazaarwatch/threads/rechecked", self.book.counts["recheck"])

    def _keep(self, request: Request) -> bool:
        row = request.meta.get(META_THREAD)
        if isinstance(row, ThreadRow):
            verdict = self.book.thread_verdict(row)
            self.book.counts[verdict] += 1
            if verdict == "unchanged":
                return False
            request.meta[META_CHANGE] = verdict
            return True
        page = request.meta.get(META_BOARD_PAGE)
        if page is not None and page > 1:
            board = request.meta.get(META_BOARD, "")
            if not self.book.want_board_page(board, page, request.meta.get(META_PAGE_OLDEST)):
                self.book.counts["pages_skipped"] += 1
                logger.debug("%s: board %s: not reading page %d (older than the last read)",
                             self.book.source_id, board, page)
                return False
        return True
