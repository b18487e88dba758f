"""Forums and markets with their own markup, read with CSS or XPath selectors from sources.yaml.

A selector that starts with ``/``, ``./`` or ``(`` is XPath, anything else CSS. Row selectors are
relative to the row, post selectors to the post. Keys (``selectors:`` of a source):

- ``thread_row`` (required): one element per thread on a board page
- ``title_link`` (required): the link to the thread, inside the row (its text is the title)
- ``author``, ``started``, ``last_post``, ``replies``, ``views``, ``sticky``: inside the row
- ``next_page``: the link to the board's next page
- ``post`` (required): the opening post's container on a thread page (the first match is used)
- ``post_author``, ``post_date``, ``post_body`` (required): inside the post
- ``thread_title``: the thread's title on its page, when the board row has none

A date element is read from its ``datetime`` attribute, then its ``title``, then its text.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from spiders.base import FirstPost, ForumSpider, ThreadRow, absolute
from spiders.dates import parse_epoch, parse_forum_date, parse_iso
from spiders.text import parse_count, squash

_NUMBER_RE = re.compile(r"\d[\d.,]*\s*[kKmM]?\b")
REQUIRED_SELECTORS = ("thread_row", "title_link", "post", "post_body")
KNOWN_SELECTORS = (
    *REQUIRED_SELECTORS, "author", "started", "last_post", "replies", "views", "sticky",
    "next_page", "post_author", "post_date", "thread_title", "drop_query",
)


class GenericSpider(ForumSpider):
    name = "generic"
    engine = "generic"

    def __init__(self, *args: Any, selectors: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        sel = _as_dict(selectors)
        missing = [k for k in REQUIRED_SELECTORS if not sel.get(k)]
        if missing:
            raise ValueError(f"{self.source_id}: generic source needs selectors: "
                             f"{', '.join(missing)}")
        self.selectors: dict[str, str] = {k: str(v) for k, v in sel.items() if v}

    def board_rows(self, response: TextResponse) -> list[ThreadRow]:
        now = self.now_for(response)
        rows: list[ThreadRow] = []
        for row in self._sel(response, "thread_row"):
            link = self._sel(row, "title_link")[:1]
            href = _href(link)
            if not href:
                continue
            url = response.urljoin(href)
            author = self._sel(row, "author")[:1]
            rows.append(ThreadRow(
                url=self.canonical_thread_url(url),
                link=url,
                title=_text(link),
                author=_text(author) or None,
                author_url=absolute(response, _href(author)),
                started_at=self._date(self._sel(row, "started")[:1], now),
                last_post_at=self._date(self._sel(row, "last_post")[:1], now),
                replies=_count(_text(self._sel(row, "replies")[:1])),
                views=_count(_text(self._sel(row, "views")[:1])),
                sticky=bool(self._sel(row, "sticky")),
            ))
        return rows

    def next_board_page(self, response: TextResponse) -> str | None:
        return absolute(response, _href(self._sel(response, "next_page")[:1]))

    def first_post(self, response: TextResponse) -> FirstPost | None:
        post = self._sel(response, "post")[:1]
        if not post:
            return None
        author = self._sel(post[0], "post_author")[:1]
        body = self._sel(post[0], "post_body")[:1]
        return FirstPost(
            author=_text(author) or None,
            author_url=absolute(response, _href(author)),
            posted_at=self._date(self._sel(post[0], "post_date")[:1], self.now_for(response)),
            body_html="".join(body.xpath("./node()").getall()).strip(),
            title=_text(self._sel(response, "thread_title")[:1]) or None,
        )

    def has_content(self, response: TextResponse) -> bool:
        return bool(self._sel(response, "thread_row") or self._sel(response, "post"))

    def canonical_thread_url(self, url: str) -> str:
        # Without knowing the markup's URL scheme, only the fragment and the session/page
        # parameters every engine uses are dropped.
        parts = urlsplit(url)
        drop = {"sid", "s", "page", "start", "phpsessid", "sessionid"} | set(
            self.selectors.get("drop_query", "").split())
        query = "&".join(p for p in parts.query.split("&")
                         if p and p.split("=", 1)[0].lower() not in drop)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def _sel(self, where: Selector | TextResponse, key: str) -> SelectorList:
        expr = self.selectors.get(key)
        if not expr:
            return SelectorList([])
        if expr.startswith(("/", "./", "(")):
            return where.xpath(expr)
        return where.css(expr)

    def _date(self, nodes: SelectorList, now: datetime) -> datetime | None:
        if not nodes:
            return None
        node = nodes[0]
        attrs = {} if _is_value(nodes) else node.attrib
        if _is_value(nodes):
            value = (node.get() or "").strip()
            found = parse_iso(value) or parse_epoch(value)
            if found is not None:
                return found
        for found in (parse_iso(attrs.get("datetime")), parse_epoch(attrs.get("data-time")),
                      parse_epoch(attrs.get("data-timestamp")), parse_epoch(attrs.get("data-ts"))):
            if found is not None:
                return found
        return parse_forum_date(_text(nodes), title=attrs.get("title"), now=now, tz=self.tz,
                                date_formats=self.date_formats)


def _as_dict(selectors: Any) -> dict[str, Any]:
    if selectors is None:
        return {}
    if isinstance(selectors, dict):
        return dict(selectors)
    if dataclasses.is_dataclass(selectors):
        return dataclasses.asdict(selectors)  # type: ignore[arg-type]
    return {k: getattr(selectors, k) for k in KNOWN_SELECTORS if hasattr(selectors, k)}


def _count(text: str) -> int | None:
    """A counter with words around it ("12 comments", "Views: 1.2K")."""
    if not text:
        return None
    found = parse_count(text)
    if found is None:
        m = _NUMBER_RE.search(text)
        found = parse_count(m.group()) if m else None
    return found


def _is_value(nodes: SelectorList) -> bool:
    """Whether a selector named a value (``::text``, ``::attr(x)``, ``/@x``) not an element."""
    return bool(nodes) and not (nodes[0].get() or "").lstrip().startswith("<")


def _text(nodes: SelectorList) -> str:
    if not nodes:
        return ""
    if _is_value(nodes):
        return squash(nodes[0].get())
    return squash(nodes[0].xpath("string(.)").get())


def _href(nodes: SelectorList) -> str | None:
    if not nodes:
        return None
    if _is_value(nodes):
        return nodes[0].get()
    return nodes.xpath("@href").get() or nodes.xpath(".//a/@href").get()
