"""What every forum spider shares: boards -> thread rows -> the opening post as a `RawPost`.

An engine spider says how its markup reads (``board_rows``, ``next_board_page``,
``first_post``, ``has_content``, ``canonical_thread_url``); this base does the walking and
builds the items. Spiders only parse: which threads are worth fetching (incremental crawling),
logins, back-off and transport are done by the middleware in monitor/middleware/, which reads the
meta keys below.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from monitor.models import RawPost
from spiders.dates import DEFAULT_DATE_FORMATS, forum_tz, page_time
from spiders.pages import LoginForm, PageKind, classify_common, find_login_form
from spiders.text import html_to_text

logger = logging.getLogger(__name__)

# Request meta keys the spiders set (the middleware reads them).
META_BOARD = "bazaarwatch_board"  # board name
META_BOARD_PAGE = "bazaarwatch_board_page"  # 1-based page number of a board request
META_PAGE_OLDEST = "bazaarwatch_page_oldest"  # oldest last-post time on the previous board page
META_THREAD = "bazaarwatch_thread"  # the ThreadRow a thread request was made from
META_LOGIN_REQUIRED = "bazaarwatch_login_required"  # the board is marked login_required
META_PAGE_KIND = "bazaarwatch_page_kind"  # cache of the spider's verdict on a response


@dataclass(frozen=True, slots=True)
class Board:
    name: str
    url: str
    login_required: bool = False


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One thread as a board page lists it."""

    url: str  # canonical thread URL
    link: str  # the URL to fetch (absolute)
    title: str
    author: str | None = None
    author_url: str | None = None
    started_at: datetime | None = None
    last_post_at: datetime | None = None
    replies: int | None = None
    views: int | None = None
    sticky: bool = False


@dataclass(frozen=True, slots=True)
class FirstPost:
    """The opening post as a thread page shows it."""

    author: str | None
    author_url: str | None
    posted_at: datetime | None
    body_html: str
    title: str | None = None


class ForumSpider(scrapy.Spider):
    """Base of the engine spiders. Arguments (all strings or plain values, so ``scrapy crawl -a``
    and monitor/crawl.py can both build one): ``source_id``, ``base_url``, ``boards`` (a list of
    dicts or `Board`), ``source_name``, ``timezone`` (forum's timezone, IANA or "+07:00"),
    ``date_formats`` (strptime date formats to try first), ``login_url`` (the login page, when
    it is not the engine's usual one)."""

    engine = "base"
    login_path = ""  # path of the login page, relative to base_url

    def __init__(self, source_id: str, base_url: str,
                 boards: Sequence[Board | dict[str, Any]] = (), *, source_name: str | None = None,
                 timezone: str | None = None, date_formats: Sequence[str] | None = None,
                 login_url: str | None = None, **kwargs: Any):
        super().__init__(name=source_id, **kwargs)
        self.source_id = source_id
        self.source_name = source_name
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.boards = tuple(b if isinstance(b, Board) else Board(**b) for b in boards)
        self.tz: tzinfo = forum_tz(timezone)
        self.date_formats = tuple(date_formats or ()) + DEFAULT_DATE_FORMATS
        self.started_at = datetime.now(UTC)
        self._login_url = login_url

    # -- what engine spiders provide ---------------------------------------------------------
    def board_rows(self, response: TextResponse) -> list[ThreadRow]:
        raise NotImplementedError

    def next_board_page(self, response: TextResponse) -> str | None:
        raise NotImplementedError

    def first_post(self, response: TextResponse) -> FirstPost | None:
        raise NotImplementedError

    def has_content(self, response: TextResponse) -> bool:
        """Whether the page shows a board's thread list or a thread's posts."""
        raise NotImplementedError

    def canonical_thread_url(self, url: str) -> str:
        raise NotImplementedError

    def page_kind_extra(self, response: TextResponse) -> PageKind | None:
        """Engine-specific special pages, checked before the common phrases."""
        return None

    def is_logged_in(self, response: TextResponse) -> bool | None:
        """Whether the page was printed for a logged-in member; None if the markup cannot say."""
        return None

    # -- shared ------------------------------------------------------------------------------
    @property
    def login_url(self) -> str:
        return self._login_url or self.base_url + self.login_path.lstrip("/")

    def login_form(self, response: Response) -> LoginForm | None:
        return find_login_form(response)

    def page_kind(self, response: Response) -> PageKind:
        """What `response` is (content or one of the special pages); cached in its meta."""
        meta = response.meta if response.request is not None else {}
        cached = meta.get(META_PAGE_KIND)
        if cached is not None:
            return PageKind(cached)
        kind = PageKind.OK
        if isinstance(response, TextResponse):
            kind = self.page_kind_extra(response) or classify_common(
                response, content_present=self.has_content(response))
        elif response.status == 429:
            kind = PageKind.RATE_LIMITED
        if response.request is not None:
            meta[META_PAGE_KIND] = kind.value
        return kind

    def now_for(self, response: Response) -> datetime:
        return page_time(response.headers.get(b"Date"), self.started_at)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for board in self.boards:
            yield self.board_request(board.url, board, page=1)

    def board_request(self, url: str, board: Board, *, page: int,
                      oldest: datetime | None = None) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_board, meta={
            META_BOARD: board.name, META_BOARD_PAGE: page, META_PAGE_OLDEST: oldest,
            META_LOGIN_REQUIRED: board.login_required,
        }, dont_filter=page == 1)

    def parse_board(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        board = self._board(response.meta[META_BOARD])
        rows = self.board_rows(response)
        page = response.meta.get(META_BOARD_PAGE)
        logger.debug("%s: board %s page %s: %d threads", self.source_id, board.name, page,
                     len(rows))
        if page == 1:  # the daemon compares it with earlier crawls (markup changed?)
            self.crawler.stats.set_value(f"bazaarwatch/board_rows/{board.name}", len(rows))
        if not rows:
            # An empty board is rare; a theme update that renamed the classes is not.
            logger.warning("%s: board %s page %s: no threads found on %s; has the markup "
                           "changed?", self.source_id, board.name, page, response.url)
            self.crawler.stats.inc_value("bazaarwatch/parse/empty_board_page")
        for row in rows:
            yield scrapy.Request(row.link, callback=self.parse_thread, meta={
                META_BOARD: board.name, META_THREAD: row,
                META_LOGIN_REQUIRED: board.login_required,
            })
        next_url = self.next_board_page(response)
        if next_url:
            dated = [r.last_post_at for r in rows if r.last_post_at and not r.sticky]
            yield self.board_request(next_url, board,
                                     page=int(response.meta.get(META_BOARD_PAGE, 1)) + 1,
                                     oldest=min(dated) if dated else None)

    def parse_thread(self, response: Response) -> Iterable[RawPost]:
        if not isinstance(response, TextResponse):
            return
        row: ThreadRow | None = response.meta.get(META_THREAD)
        post = self.first_post(response)
        if post is None:
            logger.warning("%s: no opening post found on %s", self.source_id, response.url)
            self.crawler.stats.inc_value("bazaarwatch/parse/no_post")
            return
        yield self.raw_post(response, row, post)

    def raw_post(self, response: TextResponse, row: ThreadRow | None, post: FirstPost) -> RawPost:
        title = (row.title if row else None) or post.title or ""
        return RawPost(
            source_id=self.source_id,
            url=row.url if row else self.canonical_thread_url(response.url),
            title=title,
            body_text=html_to_text(post.body_html),
            body_html=post.body_html,
            board=response.meta.get(META_BOARD),
            author=post.author or (row.author if row else None),
            author_url=post.author_url or (row.author_url if row else None),
            posted_at=post.posted_at or (row.started_at if row else None),
            last_post_at=row.last_post_at if row else None,
            replies=row.replies if row else None,
            views=row.views if row else None,
            page_url=response.url,
            source_name=self.source_name,
            engine=self.engine,
            crawled_at=datetime.now(UTC),
        )

    def _board(self, name: str) -> Board:
        for b in self.boards:
            if b.name == name:
                return b
        return Board(name=name, url="")


def absolute(response: TextResponse, href: str | None) -> str | None:
    """`href` made absolute against the page, or None."""
    return response.urljoin(href) if href else None
